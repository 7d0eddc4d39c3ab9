// Every command of the `bcsync` binary a person runs to operate bcsync, through the binary, in the order
// an admin meets them: servers, emulate, worker + check, setup, full-sync, entries, status, hold, resume,
// run, reactivate, set, log, couple / uncouple, webhooks, console. The entries get names of this test's
// own (config file), so their workflows never meet another test file's; the worker is `bcsync worker` on
// the default task queue, which no other test file uses.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadMappings } from '../../activities/mappings/mappingConfig';
import { couplingKey } from '../../activities/store/couplings';
import { emulatorConnectorEnv } from '../../client/emulatorConnection';
import { startEngineStack, type EngineStack } from '../engine/engineHarness';
import { prepareReferenceData } from '../engine/engineTestData';
import { assertBuilt, bcsync, startBcsync, type RunningBcsync } from './bcsyncBinary';

const suffix = randomUUID().slice(0, 6);
const customerEntry = `CUSTOMER-${suffix}`;
let stack: EngineStack;
let env: Record<string, string>;
let worker: RunningBcsync;

beforeAll(async () => {
  assertBuilt();
  stack = await startEngineStack();
  await prepareReferenceData(stack);
  const dir = mkdtempSync(join(tmpdir(), 'bcsync-cli-'));
  const file = join(dir, 'bcsync.json');
  // Same mappings, entries named for this test and created on hold (they run when a command says so).
  writeFileSync(
    file,
    JSON.stringify({
      mappings: loadMappings().mappings.map((m) => ({
        name: m.name,
        jobQueue: { entry: `${m.jobQueue.entry}-${suffix}`, startOnHold: true },
      })),
      statistics: { jobQueue: { entry: `STATISTICS-${suffix}` } },
    }),
  );
  env = {
    BCSYNC_DB_NAME: stack.db.db.databaseName,
    BCSYNC_MAPPINGS_FILE: file,
    BCSYNC_STATE_DIR: dir,
    ...emulatorConnectorEnv(stack.emulators),
  };
  worker = startBcsync(['worker'], env);
});
afterAll(async () => {
  const code = await worker?.stop();
  expect(code).toBe(0); // SIGTERM drains and exits cleanly
  await stack?.stop();
});

const json = <T>(stdout: string) => JSON.parse(stdout) as T;

test('servers: with TEMPORAL_ADDRESS and MONGODB_URI given, nothing is started and status says so', async () => {
  const up = await bcsync(['servers', 'up'], env);
  expect(up.code).toBe(0);
  const status = await bcsync(['servers', 'status', '--json'], env);
  expect(status.code).toBe(0);
  const rows = json<{ kind: string; route: string }[]>(status.stdout);
  expect(rows.map((r) => [r.kind, r.route])).toEqual([
    ['temporal', 'env'],
    ['mongo', 'env'],
  ]);
  expect((await bcsync(['servers', 'down'], env)).code).toBe(0);
});

test('emulate: serves both APIs and prints the connector settings to export; Ctrl-C stops it', async () => {
  const em = startBcsync(['emulate', '--seed', 'empty', '--bc-port', '0', '--dataverse-port', '0'], env);
  const [, url] = await em.waitFor(/Business Central API v2\.0: (\S+)/);
  await em.waitFor(/export BCSYNC_DATAVERSE_URL=\S+/);
  expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\//);
  expect(await em.stop()).toBe(0);
  const bad = await bcsync(['emulate', '--seed', 'lots'], env);
  expect(bad.code).toBe(2);
  expect(bad.stderr).toMatch(/--seed must be demo or empty, got "lots"/);
});

test('worker + check: a workflow on the worker writes to MongoDB and reads it back', async () => {
  let check = await bcsync(['check', '--json'], env);
  // The worker may still be starting: `check` waits for it up to its own timeout, once more if needed.
  if (check.code !== 0) check = await bcsync(['check', '--json'], env);
  expect(check.stderr).toBe('');
  expect(check.code).toBe(0);
  expect(json<{ database: string }>(check.stdout).database).toBe(stack.db.db.databaseName);
});

test('setup, full-sync, entries, status, hold, resume, run, reactivate, set, log: an entry through its life', async () => {
  const setup = await bcsync(['setup'], env);
  expect(setup.code).toBe(0);
  expect(setup.stdout).toContain(`${customerEntry}: started`);
  expect((await bcsync(['setup'], env)).stdout).toContain(`${customerEntry}: updated`); // idempotent

  const full = await bcsync(['full-sync', '--mapping', 'CUSTOMER', '--json'], env);
  expect(full.code).toBe(0);
  const fullResult = json<{ mapping: string; result: { inserted: number; coupled: number } }[]>(full.stdout);
  // The demo pair shares customers: the first sync couples those by match and inserts the rest.
  const customers = fullResult.find((r) => r.mapping === 'CUSTOMER')!.result;
  expect(customers.inserted + customers.coupled).toBeGreaterThan(10);

  const entries = json<{ entry: string; state: string }[]>((await bcsync(['entries', '--json'], env)).stdout);
  expect(entries.find((e) => e.entry === customerEntry)).toMatchObject({ state: 'On Hold' });
  const table = await bcsync(['entries'], env);
  expect(table.stdout).toMatch(new RegExp(`${customerEntry}\\s*│\\s*CUSTOMER\\s*│\\s*On Hold`));
  expect(table.stdout).toMatch(/Temporal UI, entries in Error: http:\/\/\S+BcSyncState/);

  const run = await bcsync(['run', customerEntry, '--json'], env);
  expect(run.code).toBe(0);
  expect(json<{ entry: string; failed: number }>(run.stdout)).toMatchObject({
    entry: customerEntry,
    failed: 0,
  });

  const resumed = await bcsync(['resume', customerEntry, '--json'], env);
  expect(resumed.code).toBe(0);
  expect(json<{ state: string }>(resumed.stdout).state).not.toBe('On Hold');
  const held = await bcsync(['hold', customerEntry], env);
  expect(held.stdout).toMatch(new RegExp(`${customerEntry}\\s*│\\s*On Hold\\s*│`));

  const woken = await bcsync(['reactivate', customerEntry], env);
  expect(woken.stdout).toBe(`${customerEntry}: wake-up sent\n`);

  const set = await bcsync(['set', customerEntry, '--frequency', '45', '--json'], env);
  expect(set.code).toBe(0);
  expect(json<{ schedule: { frequencyMinutes: number } }>(set.stdout).schedule.frequencyMinutes).toBe(45);
  const status = json<{ schedule: { frequencyMinutes: number }; state: string }>(
    (await bcsync(['status', customerEntry, '--json'], env)).stdout,
  );
  expect(status).toMatchObject({ state: 'On Hold', schedule: { frequencyMinutes: 45 } });
  const nothing = await bcsync(['set', customerEntry], env);
  expect(nothing.code).toBe(2);
  expect(nothing.stderr).toMatch(/nothing to set/);
  expect((await bcsync(['set', customerEntry, '--frequency', 'often'], env)).code).toBe(2);

  const log = json<{ mapping: string; direction: string; inserted: number }[]>(
    (await bcsync(['log', '--mapping', 'customer', '--json'], env)).stdout,
  );
  expect(log.length).toBeGreaterThanOrEqual(4); // full sync and run, both directions
  expect(log.every((l) => l.mapping === 'CUSTOMER')).toBe(true);
  expect((await bcsync(['log', '--limit', '0'], env)).code).toBe(2);
}, 300_000); // about 20 commands, each a process start

test('uncouple and couple by hand; a second coupling of the same record is refused', async () => {
  const customer = (await stack.bcRecords('customers')).find((c) => c.number === '20000')!;
  const bcId = String(customer.id).toLowerCase();
  const crmId = (await stack.db.cols.couplings.findOne({ _id: couplingKey('CUSTOMER', bcId) }))!.crmId!;
  const un = await bcsync(['uncouple', 'CUSTOMER', '--bc', bcId], env);
  expect(un.code).toBe(0);
  expect(await stack.db.cols.couplings.findOne({ _id: couplingKey('CUSTOMER', bcId) })).toBeNull();
  const again = await bcsync(['couple', 'CUSTOMER', bcId, crmId], env);
  expect(again.code).toBe(0);
  expect(again.stdout).toMatch(/coupled to CRM/);
  const other = (await stack.bcRecords('customers')).find((c) => c.number === '30000')!;
  const twice = await bcsync(['couple', 'CUSTOMER', String(other.id), crmId], env);
  expect(twice.code).toBe(1);
  expect(twice.stderr).toMatch(/coupled/);
});

// docs/exactly-once-creates.md: a create intent bcsync could not resolve (several BC candidates) waits for
// the admin, who couples the right pair; that settles the intent.
test('couple by hand settles a pending create intent of the CRM record', async () => {
  const account = await stack.salesCrm.create('accounts', { name: 'Lamna Healthcare', customertypecode: 3 });
  const crmId = String(account.accountid).toLowerCase();
  const customer = await stack.connectors.bc.create('customers', { displayName: 'Lamna Healthcare' });
  const bcId = String(customer.id).toLowerCase();
  const intendedId = randomUUID();
  const now = new Date();
  await stack.db.cols.couplings.insertOne({
    _id: couplingKey('CUSTOMER', intendedId),
    mapping: 'CUSTOMER',
    bcId: intendedId,
    crmId,
    state: 'pending',
    intent: { side: 'bc', at: now, sentName: { displayName: 'Lamna Healthcare' } },
    toCrm: {},
    fromCrm: {},
    skipped: false,
    createdAt: now,
    updatedAt: now,
  });
  const coupled = await bcsync(['couple', 'CUSTOMER', bcId, crmId], env);
  expect(coupled.stderr).toBe('');
  expect(coupled.code).toBe(0);
  expect(await stack.db.cols.couplings.findOne({ _id: couplingKey('CUSTOMER', intendedId) })).toBeNull();
  expect(await stack.db.cols.couplings.findOne({ _id: couplingKey('CUSTOMER', bcId) })).toMatchObject({
    state: 'coupled',
    crmId,
  });
});

test('webhooks --list shows the stored BC subscriptions (none yet)', async () => {
  const list = await bcsync(['webhooks', '--list', '--json'], env);
  expect(list.stderr).toBe('');
  expect(list.code).toBe(0);
  expect(json<unknown[]>(list.stdout)).toEqual([]);
});

test('console: serves the entries page on loopback; a bad port is a usage error', async () => {
  const ui = startBcsync(['console', '--port', '0'], env);
  const [, url] = await ui.waitFor(/Console: +(http:\/\/127\.0\.0\.1:\d+)/);
  const page = await fetch(url!);
  expect(page.status).toBe(200);
  expect(await page.text()).toContain(customerEntry);
  expect(await ui.stop()).toBe(0);
  const bad = await bcsync(['console', '--port', 'x'], env);
  expect(bad.code).toBe(2);
  expect(bad.stderr).toMatch(/option '--port <n>' argument 'x' is invalid\. It must be a port number/);
});
