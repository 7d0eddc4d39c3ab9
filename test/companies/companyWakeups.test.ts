// Wake-ups for every company (docs/companies.md, client/wakeups/README.md): one `bcsync webhooks` (the real
// binary) serves two registered companies, each a BC company with its own Dataverse organization and app
// credentials. Each company's BC subscriptions call its own notificationUrl with its own clientState, so a
// customer changed in one company wakes that company's CUSTOMER entry and never the other's, and a
// notification carrying one company's secret is refused on the other's URL. The entries run the real
// jobQueueEntry workflow on the test run's Temporal, with an engine activity that only records its runs.
import { randomUUID } from 'node:crypto';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { entryWorkflowId, searchAttributeKeys, type EntryStatus } from '../../common/jobQueue';
import { statusQuery } from '../../workflows/messages';
import { jobQueueEntry } from '../../workflows';
import { startBcEmulator, type RunningBcEmulator } from '../../emulators/bc';
import { startDataverseEmulator, type RunningDataverseEmulator } from '../../emulators/dataverse';
import { updateEntity } from '../../emulators/bc/entityWriter';
import { entityDef } from '../../emulators/bc/entityModel';
import { companyDatabaseName } from '../../activities/store/companies';
import { WebhookSubscriptionStore } from '../../activities/store/webhookSubscriptions';
import type { Database } from '../../activities/store/database';
import { installRuntimeLogger } from '../../worker/runtime';
import { testDatabase } from '../support/database';
import { startCountingEntryWorker, type CountingEntryWorker } from '../wakeups/countingEntryWorker';
import { companiesAddArgs, envPrefix, removeCompanyPairs } from './companiesAdd';
import { assertBuilt, bcsync, startBcsync, type RunningBcsync } from '../client/bcsyncBinary';

interface Pair {
  name: string;
  bcCompany: string;
  bc: RunningBcEmulator;
  dataverse: RunningDataverseEmulator;
  handle?: WorkflowHandle;
  notificationUrl?: string;
}

const taskQueue = `company-wakeups-${randomUUID().slice(0, 8)}`;

let base: Database;
let pairs: Pair[];
let connection: Connection;
let client: Client;
let worker: CountingEntryWorker;
let service: RunningBcsync;
let env: Record<string, string | undefined>;

const runsOf = (p: Pair): number =>
  worker.runs.filter((r) => r.company === p.name && r.entry === 'CUSTOMER').length;
const status = (p: Pair): Promise<EntryStatus> => p.handle!.query(statusQuery);

/** Polls (real time) until `check` holds: the test waits for the worker instead of guessing delays. */
async function eventually(what: string, check: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function startPair(name: string, bcCompany: string): Promise<Pair> {
  const bcSecret = `bc-secret-of-${name}-${randomUUID()}`;
  const dvSecret = `dv-secret-of-${name}-${randomUUID()}`;
  // BC waits 30 s before it sends a notification; the emulator sends at once so the test sees it quickly.
  const bc = await startBcEmulator({
    port: 0,
    seed: 'demo',
    companyName: bcCompany,
    clientId: `bc-app-${name}`,
    clientSecret: bcSecret,
    webhookCoalesceMs: 0,
  });
  const dataverse = await startDataverseEmulator({
    port: 0,
    seed: 'demo',
    clientId: `dv-app-${name}`,
    clientSecret: dvSecret,
    onError: () => undefined,
  });
  env[`${envPrefix(name)}_BC_SECRET`] = bcSecret;
  env[`${envPrefix(name)}_DV_SECRET`] = dvSecret;
  return { name, bcCompany, bc, dataverse };
}

/** Changes a customer's phone number in the company's BC, as a user in BC would. */
function changeCustomer(p: Pair): string {
  const [customer] = p.bc.state.table('customers').rowsInKeyOrder();
  updateEntity(
    p.bc.state,
    entityDef('customers'),
    String(customer.data.id),
    { phoneNumber: `555-${Math.floor(Math.random() * 9000) + 1000}` },
    customer.etag,
  );
  return String(customer.data.id);
}

beforeAll(async () => {
  assertBuilt();
  installRuntimeLogger('warn');
  base = await testDatabase('companywake');
  // No default company here (no BCSYNC_BC_* / BCSYNC_DATAVERSE_* settings): only the registered ones.
  env = { BCSYNC_DB_NAME: base.db.databaseName };
  for (const key of Object.keys(process.env)) if (/^BCSYNC_(BC|DATAVERSE)_/.test(key)) env[key] = undefined;
  pairs = [await startPair('cronus-us', 'CRONUS USA, Inc.'), await startPair('fabrikam', 'Fabrikam, Inc.')];
  for (const p of pairs) {
    const added = await bcsync(companiesAddArgs(p), env);
    expect(added.stderr).toBe('');
    expect(added.code).toBe(0);
  }

  const address = process.env.TEMPORAL_ADDRESS!;
  connection = await Connection.connect({ address });
  client = new Client({ connection });
  worker = await startCountingEntryWorker(address, taskQueue);
  for (const p of pairs) {
    p.handle = await client.workflow.start(jobQueueEntry, {
      taskQueue,
      workflowId: entryWorkflowId('CUSTOMER', p.name),
      args: [
        {
          entry: 'CUSTOMER',
          company: p.name,
          mappings: ['CUSTOMER'],
          // A change runs the entry at once instead of after BC's delay, so the test sees it quickly.
          schedule: { debounceMs: 0 },
        },
      ],
      typedSearchAttributes: [{ key: searchAttributeKeys.company, value: p.name }],
    });
  }
  // Each entry's first run finds nothing: it goes On Hold for hours, so only a wake-up runs it again.
  await eventually('the first run of both entries', () => pairs.every((p) => runsOf(p) >= 1));

  service = startBcsync(
    ['webhooks', '--port', '0', '--crm-poll-seconds', '0', '--bc-poll-seconds', '0'],
    env,
  );
  for (const p of pairs) {
    const [, url] = (await service.waitFor(new RegExp(`  ${p.name}: BC calls (\\S+);`), 120_000)) as [
      string,
      string,
    ];
    p.notificationUrl = url;
  }
}, 180_000);

afterAll(async () => {
  if (service) expect(await service.stop()).toBe(0);
  for (const p of pairs ?? []) await p.handle?.terminate('test finished').catch(() => undefined);
  await worker?.stop();
  await connection?.close();
  await removeCompanyPairs(base, pairs ?? []);
  await base?.close();
});

test("each company's BC calls its own URL with its own secret, kept in its own database", async () => {
  const secrets: string[] = [];
  for (const p of pairs) {
    expect(p.notificationUrl).toMatch(new RegExp(`/bc/notifications/${p.name}$`));
    const db = base.client.db(companyDatabaseName(base.db.databaseName, p.name));
    const store = new WebhookSubscriptionStore(db);
    const secret = await store.clientState();
    secrets.push(secret);
    const live = p.bc.webhooks.subscriptions.active();
    expect(live.map((s) => s.target.entitySet)).toContain('customers');
    for (const s of live) {
      expect(s.notificationUrl).toBe(p.notificationUrl);
      expect(s.clientState).toBe(secret);
    }
    expect((await store.all()).map((d) => d.subscriptionId).sort()).toEqual(
      live.map((s) => s.subscriptionId).sort(),
    );
  }
  expect(secrets[0]).not.toBe(secrets[1]);
  // The base database (the default company's) holds no subscription of theirs.
  expect(await base.db.collection('webhookSubscriptions').countDocuments({ kind: 'subscription' })).toBe(0);
  // --list with --company shows that company's subscriptions only.
  for (const p of pairs) {
    const listed = await bcsync(['webhooks', '--company', p.name, '--list', '--json'], env);
    expect(listed.code).toBe(0);
    const docs = JSON.parse(listed.stdout) as { notificationUrl: string }[];
    expect(docs.length).toBeGreaterThan(0);
    expect(docs.every((d) => d.notificationUrl === p.notificationUrl)).toBe(true);
  }
});

test.each([
  ['fabrikam', 'cronus-us'],
  ['cronus-us', 'fabrikam'],
])("a customer changed in %s's BC wakes its CUSTOMER entry, not %s's", async (changedName, otherName) => {
  const changed = pairs.find((p) => p.name === changedName)!;
  const other = pairs.find((p) => p.name === otherName)!;
  const before = { changed: runsOf(changed), other: runsOf(other) };
  const otherSignals = (await status(other)).changeSignals.bc;

  const customerId = changeCustomer(changed);
  await eventually(`${changed.name}'s CUSTOMER to run again`, () => runsOf(changed) > before.changed);
  expect((await status(changed)).lastChange).toMatchObject({
    source: 'bc',
    resource: `customers(${customerId})`,
  });
  expect((await status(changed)).lastRun?.trigger).toBe('change');
  // The other company's BC sent nothing, and its entry got no signal and no run.
  await other.bc.webhooks.flush();
  expect((await status(other)).changeSignals.bc).toBe(otherSignals);
  expect(runsOf(other)).toBe(before.other);
});

test("a notification with one company's clientState is refused on the other company's URL", async () => {
  const [victim, sender] = pairs as [Pair, Pair];
  const senderSecret = await new WebhookSubscriptionStore(
    base.client.db(companyDatabaseName(base.db.databaseName, sender.name)),
  ).clientState();
  const signals = (await status(victim)).changeSignals.bc;
  const response = await fetch(victim.notificationUrl!, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      value: [
        {
          subscriptionId: 'forged',
          clientState: senderSecret,
          expirationDateTime: new Date(Date.now() + 24 * 3600 * 1000).toISOString(),
          resource: `api/v2.0/companies(${victim.bc.companyId})/customers(${randomUUID()})`,
          changeType: 'updated',
          lastModifiedDateTime: new Date().toISOString(),
        },
      ],
    }),
  });
  expect(response.status).toBe(401);
  expect((await status(victim)).changeSignals.bc).toBe(signals);
  // A path of no registered company is not a notification URL at all.
  const unknown = victim.notificationUrl!.replace(/[^/]+$/, 'no-such-company');
  expect((await fetch(unknown, { method: 'POST' })).status).toBe(404);
});
