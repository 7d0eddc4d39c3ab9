// Change-driven wake-ups end to end: the BC emulator (webhooks, no coalescing window), the Dataverse
// emulator (change tracking), the real Temporal dev server and MongoDB of the test run, and a real worker
// running the real jobQueueEntry workflow with a stub engine activity that only counts its runs.
import { emulatorConnectorConfig } from '../../client/emulatorConnection';
import { randomUUID } from 'node:crypto';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { Command } from 'commander';
import { createConnectors, type Connectors } from '../../activities/connectors';
import { createLogger } from '../../activities/logger';
import { JobQueueEntryStore } from '../../activities/store/jobQueueEntries';
import { WebhookSubscriptionStore } from '../../activities/store/webhookSubscriptions';
import { entryWorkflowId, type EntryStatus } from '../../common/jobQueue';
import { startEmulators, type RunningEmulators } from '../../emulators';
import { installRuntimeLogger } from '../../worker/runtime';
import { jobQueueEntry } from '../../workflows';
import { statusQuery } from '../../workflows/messages';
import { startWakeupService, type WakeupService } from '../../client/wakeups/wakeupService';
import type { CompanyWakeups } from '../../client/wakeups/companyWakeups';
import { DEFAULT_COMPANY } from '../../activities/store/companies';
import { emulatorConnectorEnv } from '../../client/emulatorConnection';
import { registerWebhooks } from '../../client/commands/webhooks';
import { testDatabase } from '../support/database';
import { startCountingEntryWorker, type CountingEntryWorker } from './countingEntryWorker';
import type { Database } from '../../activities/store/database';
import { contextFromEnvironment } from '../../client/context';

const DAY_MS = 24 * 3600 * 1000;
const company = `wake${randomUUID().slice(0, 8)}`;
const taskQueue = `wakeups-${randomUUID()}`;

let emulators: RunningEmulators;
let database: Database;
let connection: Connection;
let client: Client;
let worker: CountingEntryWorker;
let connectors: Connectors;
let service: WakeupService;
/** The wake-ups of the company the test's entries belong to (served on the default path). */
let wakeups: CompanyWakeups;
const handles = new Map<string, WorkflowHandle>();

const runsOf = (entry: string): number => worker.runs.filter((r) => r.entry === entry).length;
const status = (entry: string): Promise<EntryStatus> => handles.get(entry)!.query(statusQuery);

/** Polls (real time) until `check` holds: the test waits for the worker instead of guessing delays. */
async function eventually(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function startEntry(
  entry: string,
  options: { statistics?: boolean; crmWake?: boolean } = {},
): Promise<void> {
  const handle = await client.workflow.start(jobQueueEntry, {
    taskQueue,
    workflowId: entryWorkflowId(entry, company),
    args: [
      {
        entry,
        company,
        kind: options.statistics ? 'statistics' : 'synchronization',
        mappings: options.statistics ? [] : [entry],
        // A change runs the entry at once instead of after BC's delay, so the test sees it quickly.
        schedule: { debounceMs: 0, crmWakeEnabled: options.crmWake ?? false },
      },
    ],
  });
  handles.set(entry, handle);
}

async function notify(body: unknown): Promise<Response> {
  return fetch(service.notificationUrl, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
}

const itemChange = (clientState: string | undefined, itemId = randomUUID()) => ({
  subscriptionId: 'test',
  ...(clientState !== undefined ? { clientState } : {}),
  expirationDateTime: new Date(Date.now() + DAY_MS).toISOString(),
  resource: `api/v2.0/companies(${emulators.bc.companyId})/items(${itemId})`,
  changeType: 'updated',
  lastModifiedDateTime: new Date().toISOString(),
});

beforeAll(async () => {
  installRuntimeLogger('warn');
  emulators = await startEmulators({ bcPort: 0, dataversePort: 0, seed: 'demo', webhookCoalesceMs: 0 });
  database = await testDatabase('wakeups');
  const address = process.env.TEMPORAL_ADDRESS!;
  connection = await Connection.connect({ address });
  client = new Client({ connection });
  worker = await startCountingEntryWorker(address, taskQueue);

  // CUSTOMER opted in to CRM wake-ups the way `bcsync set CUSTOMER --crm-wake on` records it.
  await new JobQueueEntryStore(database.cols.jobQueueEntries).seedDefaults([
    {
      _id: 'CUSTOMER',
      entry: 'CUSTOMER',
      kind: 'synchronization',
      mappings: ['CUSTOMER'],
      minutesBetweenRuns: 30,
      inactivityTimeoutMinutes: 720,
      maxAttempts: 10,
      rerunDelaySeconds: 30,
      startOnHold: false,
      crmWakeEnabled: true,
    },
  ]);
  await startEntry('CUSTOMER', { crmWake: true });
  await startEntry('CONTACT');
  await startEntry('ITEM-PRODUCT');
  await startEntry('Customer Statistics', { statistics: true });
  // Each entry's first run finds nothing: it goes On Hold with Inactivity Timeout for hours.
  await eventually('the first run of every entry', () => [...handles.keys()].every((e) => runsOf(e) >= 1));

  const { bc, dataverse } = emulators;
  connectors = createConnectors(
    emulatorConnectorConfig(
      { bc, dataverse },
      { timeoutMs: 10_000, retry: { maxAttempts: 3, maxElapsedMs: 10_000, baseDelayMs: 10 } },
    ),
    {},
  );
  service = await startWakeupService({
    temporal: client,
    db: database.db,
    connectors,
    port: 0,
    crmPollSeconds: 0,
    company,
    // BC's expiry is on the emulator's clock, which the renewal test moves forward.
    now: () => emulators.bc.clock.now(),
    logger: createLogger('wakeups-test', 'error'),
  });
  wakeups = service.company(DEFAULT_COMPANY)!;
});

afterAll(async () => {
  await service?.stop();
  await Promise.all([...handles.values()].map((h) => h.terminate('test finished').catch(() => undefined)));
  await worker?.stop();
  await connection?.close();
  await database?.close();
  await emulators?.stop();
});

test('the receiver answers the validation handshake with the token as plain text', async () => {
  for (const method of ['GET', 'POST']) {
    const response = await fetch(
      `${service.notificationUrl}?validationToken=${encodeURIComponent('tok en/1')}`,
      {
        method,
      },
    );
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await response.text()).toBe('tok en/1');
  }
});

test('one subscription per BC resource the entries read, on the standard or the custom API', async () => {
  expect(wakeups.firstMaintenance.failed).toEqual([]);
  const sets = wakeups.routes().bcEntitySets();
  // SALESPEOPLE only writes to BC (CRM -> BC): its BC table gives it nothing to do.
  expect(sets).toEqual(
    expect.arrayContaining(['customers', 'items', 'resources', 'salesInvoices', 'customerStatistics']),
  );
  expect(sets).not.toContain('salespeoplePurchasers');

  const live = emulators.bc.webhooks.subscriptions
    .active()
    .filter((s) => s.notificationUrl === service.notificationUrl);
  // Every set the default entries read has webhooks (the extension's customerStatistics page reads a real
  // table, docs/bc-custom-api.md) except currencyExchangeRates (not on the documented list): it is polled
  // instead (bcChangePoller).
  const polled = ['currencyExchangeRates'];
  expect(live.map((s) => s.target.entitySet).sort()).toEqual(sets.filter((s) => !polled.includes(s)).sort());
  expect(wakeups.bcPoller.polledEntitySets().sort()).toEqual(polled);
  const companyId = emulators.bc.companyId;
  const resourceOf = (set: string) => live.find((s) => s.target.entitySet === set)?.resource;
  expect(resourceOf('salesInvoices')).toBe(`api/v2.0/companies(${companyId})/salesInvoices`);
  // Customers are read through the custom API (their extra fields), so they are subscribed there.
  expect(resourceOf('customers')).toBe(`api/bcsync/integration/v1.0/companies(${companyId})/customers`);
  expect(resourceOf('resources')).toBe(`api/bcsync/integration/v1.0/companies(${companyId})/resources`);

  // The secret BC echoes is the one kept in MongoDB; the store knows every subscription and its expiry.
  const store = new WebhookSubscriptionStore(database.db);
  const secret = await store.clientState();
  expect(live.every((s) => s.clientState === secret)).toBe(true);
  const stored = await store.all();
  expect(stored.map((d) => d.subscriptionId).sort()).toEqual(live.map((s) => s.subscriptionId).sort());
  for (const s of live) {
    expect(stored.find((d) => d.subscriptionId === s.subscriptionId)?.expiresAt.toISOString()).toBe(
      s.expirationDateTime,
    );
  }
});

test('a customer changed in BC wakes CUSTOMER and Customer Statistics at once', async () => {
  const before = { customer: runsOf('CUSTOMER'), statistics: runsOf('Customer Statistics') };
  const [customer] = emulators.bc.state.table('customers').rowsInKeyOrder();
  await connectors.bc.update(
    'customers',
    String(customer.data.id),
    { phoneNumber: '555-0101' },
    customer.etag,
  );

  await eventually('CUSTOMER to run again', () => runsOf('CUSTOMER') > before.customer);
  await eventually(
    'Customer Statistics to run again',
    () => runsOf('Customer Statistics') > before.statistics,
  );
  const customerStatus = await status('CUSTOMER');
  expect(customerStatus.lastChange).toMatchObject({
    source: 'bc',
    resource: `customers(${String(customer.data.id)})`,
  });
  expect(customerStatus.lastRun?.trigger).toBe('change');
});

test('a notification with a wrong or missing clientState is refused and wakes nothing', async () => {
  const secret = await new WebhookSubscriptionStore(database.db).clientState();
  const signalsBefore = (await status('ITEM-PRODUCT')).changeSignals.bc;

  expect((await notify({ value: [itemChange('not-the-secret')] })).status).toBe(401);
  expect((await notify({ value: [itemChange(undefined)] })).status).toBe(401);
  // One forged entry among genuine ones taints the whole notification.
  expect((await notify({ value: [itemChange(secret), itemChange('forged')] })).status).toBe(401);
  expect((await notify({ value: 'nonsense' })).status).toBe(400);

  // A genuine notification next, also naming an entry that was never started (logged, not fatal).
  const unitsOfMeasure = {
    ...itemChange(secret),
    resource: `api/v2.0/companies(${emulators.bc.companyId})/unitsOfMeasure(${randomUUID()})`,
  };
  expect((await notify({ value: [unitsOfMeasure, itemChange(secret)] })).status).toBe(202);
  await eventually(
    'the genuine signal',
    async () => (await status('ITEM-PRODUCT')).changeSignals.bc > signalsBefore,
  );
  await wakeups.signaller.idle();
  // Exactly the genuine one arrived: the refused notifications signalled nothing.
  expect((await status('ITEM-PRODUCT')).changeSignals.bc).toBe(signalsBefore + 1);
});

test('a `collection` notification (many changes at once) wakes the entry', async () => {
  const bcUrl = emulators.bc.url;
  const settings = (body: unknown) =>
    fetch(`${bcUrl}/_admin/webhooks/settings`, {
      method: 'PUT',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
  // More changes in one window than the threshold: BC sends one `collection` entry (apis.md A).
  expect((await settings({ coalesceMs: 60_000, collectionThreshold: 1 })).status).toBe(200);
  try {
    const before = runsOf('ITEM-PRODUCT');
    const items = emulators.bc.state.table('items').rowsInKeyOrder().slice(0, 3);
    for (const item of items) {
      await connectors.bc.update('items', String(item.data.id), { unitPrice: 12.5 }, item.etag);
    }
    expect((await fetch(`${bcUrl}/_admin/webhooks/flush`, { method: 'POST' })).status).toBe(200);
    await eventually('ITEM-PRODUCT to run again', () => runsOf('ITEM-PRODUCT') > before);
    expect((await status('ITEM-PRODUCT')).lastChange?.resource).toMatch(
      /^items\?\$filter=lastModifiedDateTime/,
    );
  } finally {
    await settings({ coalesceMs: 0, collectionThreshold: 1000 });
  }
});

test('subscriptions are renewed before they expire, and one BC deleted is made again', async () => {
  const mine = () =>
    emulators.bc.webhooks.subscriptions.active().filter((s) => s.notificationUrl === service.notificationUrl);
  const before = new Map(mine().map((s) => [s.subscriptionId, s.expirationDateTime]));

  // One day later nothing is due; at 2.5 days of 3 every subscription is renewed in place.
  emulators.bc.clock.advance(DAY_MS);
  const early = await wakeups.subscriptions.maintain();
  expect(early.renewed).toEqual([]);
  expect(early.unchanged.length).toBe(before.size);

  emulators.bc.clock.advance(1.5 * DAY_MS);
  const due = await wakeups.subscriptions.maintain();
  expect(due.failed).toEqual([]);
  expect(due.renewed.length).toBe(before.size);
  const after = mine();
  expect(after.map((s) => s.subscriptionId).sort()).toEqual([...before.keys()].sort());
  for (const s of after)
    expect(Date.parse(s.expirationDateTime)).toBeGreaterThan(Date.parse(before.get(s.subscriptionId)!));

  // BC deletes a subscription whose notification was refused: the next maintenance makes a new one.
  const customers = after.find((s) => s.target.entitySet === 'customers')!;
  emulators.bc.webhooks.subscriptions.drop(customers.subscriptionId);
  const healed = await wakeups.subscriptions.maintain();
  expect(healed.recreated).toEqual(['customers']);
  const replacement = mine().find((s) => s.target.entitySet === 'customers');
  expect(replacement?.subscriptionId).toBeDefined();
  expect(replacement?.subscriptionId).not.toBe(customers.subscriptionId);

  // And it works: a customer change wakes CUSTOMER again.
  const runsBefore = runsOf('CUSTOMER');
  const [customer] = emulators.bc.state.table('customers').rowsInKeyOrder();
  await connectors.bc.update(
    'customers',
    String(customer.data.id),
    { phoneNumber: '555-0102' },
    customer.etag,
  );
  await eventually('CUSTOMER to run again', () => runsOf('CUSTOMER') > runsBefore);
});

test("a Dataverse change wakes the entry that opted in, not the engine's own writes and not other entries", async () => {
  const { dataverse } = emulators;
  // Only CUSTOMER opted in (stored entry setting), so only its table is tracked.
  expect(wakeups.routes().crmRoutes()).toEqual([{ entitySet: 'accounts', entries: ['CUSTOMER'] }]);
  const first = await wakeups.crmPoller.pollOnce();
  expect(first).toMatchObject([{ entitySet: 'accounts', kind: 'baseline', signalled: [] }]);

  const [account, other] = dataverse.state.list('accounts');
  const accountId = String(account.accountid);
  // The integration user's write is the engine's own (echo suppression, rule 4.4): no wake-up.
  await connectors.dataverse.update('accounts', accountId, { telephone1: '555-0199' }, '*');
  const own = await wakeups.crmPoller.pollOnce();
  expect(own).toMatchObject([{ entitySet: 'accounts', ownChanges: 1, foreignChanges: 0, signalled: [] }]);

  const runsBefore = runsOf('CUSTOMER');
  const contactSignals = (await status('CONTACT')).changeSignals.crm;
  const salesperson = dataverse.state.salespersonId(0);
  dataverse.state.update(
    'accounts',
    String(other.accountid),
    { telephone1: '555-0142' },
    { userId: salesperson },
  );
  const [contact] = dataverse.state.list('contacts');
  dataverse.state.update(
    'contacts',
    String(contact.contactid),
    { telephone1: '555-0143' },
    { userId: salesperson },
  );

  const changed = await wakeups.crmPoller.pollOnce();
  expect(changed).toMatchObject([{ entitySet: 'accounts', foreignChanges: 1, signalled: ['CUSTOMER'] }]);
  await eventually('CUSTOMER to run after the CRM change', () => runsOf('CUSTOMER') > runsBefore);
  expect((await status('CUSTOMER')).lastChange).toMatchObject({
    source: 'crm',
    resource: `accounts(${String(other.accountid)})`,
  });
  // CONTACT did not opt in: the poller sent it nothing.
  expect((await status('CONTACT')).changeSignals.crm).toBe(contactSignals);
});

test('`bcsync webhooks --list` shows the stored subscriptions and `--unsubscribe` deletes them in BC', async () => {
  const ctx = contextFromEnvironment({
    ...process.env,
    ...emulatorConnectorEnv(emulators),
    BCSYNC_DB_NAME: database.db.databaseName,
  });
  const written: string[] = [];
  const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    written.push(String(chunk));
    return true;
  });
  const bcsync = async (...args: string[]): Promise<unknown> => {
    written.length = 0;
    const program = new Command('bcsync').exitOverride();
    registerWebhooks(program, ctx);
    await program.parseAsync(['webhooks', ...args, '--public-url', service.notificationUrl, '--json'], {
      from: 'user',
    });
    return JSON.parse(written.join(''));
  };
  try {
    const listed = (await bcsync('--list')) as { entitySet: string }[];
    const subscribed = wakeups.subscribedEntitySets();
    expect(listed.map((d) => d.entitySet).sort()).toEqual(subscribed);

    const removed = (await bcsync('--unsubscribe')) as { deleted: string[] };
    expect(removed.deleted.sort()).toEqual(subscribed);
    const left = emulators.bc.webhooks.subscriptions
      .active()
      .filter((s) => s.notificationUrl === service.notificationUrl);
    expect(left).toEqual([]);
    expect(await bcsync('--list')).toEqual([]);
  } finally {
    write.mockRestore();
  }
});
