// The coupled-data error actions (section 7: Retry / Retry All, Find for Deleted, Restore Records, Delete
// Records, Delete Couplings) and `bcsync errors`, through the real `bcsync` binary, on the demo data of
// both emulators and the test run's MongoDB. The engine runs in this process, as a worker would.
import { randomUUID } from 'node:crypto';
import { emulatorConnectorEnv } from '../../client/emulatorConnection';
import { couplingKey } from '../../activities/store/couplings';
import { startEngineStack, type EngineStack } from '../engine/engineHarness';
import { byId, prepareReferenceData } from '../engine/engineTestData';
import { assertBuilt, bcsync } from './bcsyncBinary';

let stack: EngineStack;
let env: Record<string, string>;

beforeAll(async () => {
  assertBuilt();
  stack = await startEngineStack();
  await prepareReferenceData(stack);
  await stack.engine.fullSync(['CUSTOMER']);
  env = { BCSYNC_DB_NAME: stack.db.db.databaseName, ...emulatorConnectorEnv(stack.emulators) };
});
afterAll(async () => {
  await stack?.stop();
});

const couplingOf = (bcId: string) =>
  stack.db.cols.couplings.findOne({ _id: couplingKey('CUSTOMER', bcId.toLowerCase()) });
const activeCustomers = async () => (await stack.bcRecords('customers')).filter((c) => c.blocked === ' ');

test('errors show the detail; a skipped record is freed by `bcsync retry` and syncs at the next run', async () => {
  const bad = (await activeCustomers())[3]!;
  const badCrm = (await couplingOf(String(bad.id)))!.crmId!;
  // 150 characters: a valid Dataverse account name, longer than BC's Name (Text[100]).
  await stack.salesCrm.update('accounts', badCrm, { name: 'L'.repeat(150) });
  await stack.engine.runMapping('CUSTOMER');
  await stack.engine.runMapping('CUSTOMER'); // same error twice in a row -> Skipped (section 3)
  expect(await couplingOf(String(bad.id))).toMatchObject({ skipped: true });

  const json = await bcsync(['errors', '--mapping', 'customer', '--json'], env);
  expect(json.code).toBe(0);
  const errors = JSON.parse(json.stdout) as { source: { id: string }; message: string; detail: string }[];
  const mine = errors.find((e) => e.source.id === badCrm);
  // The API's answer (method, URL, status) is the detail a person needs to act on.
  expect(mine?.detail).toMatch(/PATCH .*customers.* -> 400/);
  const table = await bcsync(['errors', '--mapping', 'CUSTOMER'], env);
  expect(table.stdout).toMatch(/Detail/);
  expect(table.stdout).toMatch(/bcsync why/);

  // Retry of a record that is not skipped says so (exit 1); usage errors exit 2.
  const other = (await activeCustomers())[4]!;
  const notSkipped = await bcsync(['retry', 'CUSTOMER', String(other.id)], env);
  expect(notSkipped.code).toBe(1);
  expect(notSkipped.stderr).toMatch(/not skipped/);
  expect((await bcsync(['retry', 'CUSTOMER'], env)).code).toBe(2);
  expect((await bcsync(['retry', 'CUSTOMER', 'not-a-guid'], env)).stderr).toMatch(/not a GUID/);
  expect((await bcsync(['retry', 'CUSTOMERS', '--all'], env)).code).toBe(2);

  await stack.salesCrm.update('accounts', badCrm, { name: 'Short again' });
  const retried = await bcsync(['retry', 'CUSTOMER', badCrm], env);
  expect(retried.stderr).toBe('');
  expect(retried.code).toBe(0);
  expect(retried.stdout).toMatch(/1 record\(s\) no longer skipped/);
  expect(await couplingOf(String(bad.id))).toMatchObject({ skipped: false });
  const next = await stack.engine.runMapping('CUSTOMER');
  expect(next.passes[1]!.counters).toMatchObject({ modified: 1, failed: 0 });
  expect(byId(await stack.bcRecords('customers')).get(String(bad.id))).toMatchObject({
    displayName: 'Short again',
  });
  expect((await bcsync(['retry', 'CUSTOMER', '--all'], env)).stdout).toMatch(/no skipped records/);
});

test('find-deleted lists couplings whose record is gone; restore creates it again at the next run', async () => {
  const customer = (await activeCustomers())[5]!;
  const crmId = (await couplingOf(String(customer.id)))!.crmId!;
  await stack.salesCrm.delete('accounts', crmId);

  const found = await bcsync(['find-deleted', 'CUSTOMER', '--json'], env);
  expect(found.code).toBe(0);
  expect(JSON.parse(found.stdout)).toEqual([
    { bcId: String(customer.id).toLowerCase(), crmId, missing: 'crm' },
  ]);
  const table = await bcsync(['find-deleted', 'CUSTOMER'], env);
  expect(table.stdout).toMatch(/CRM record/);
  expect(table.stdout).toMatch(/bcsync restore CUSTOMER/);

  const restored = await bcsync(['restore', 'CUSTOMER', String(customer.id)], env);
  expect(restored.code).toBe(0);
  expect(restored.stdout).toMatch(/1 record\(s\) will be created again at the next run/);
  const run = await stack.engine.runMapping('CUSTOMER');
  expect(run.passes[0]!.counters).toMatchObject({ inserted: 1, failed: 0 });
  const coupling = await couplingOf(String(customer.id));
  const account = byId(await stack.crmRecords('accounts'), 'accountid').get(coupling!.crmId!);
  expect(account).toMatchObject({ name: customer.displayName });
  expect(JSON.parse((await bcsync(['find-deleted', 'CUSTOMER', '--json'], env)).stdout)).toEqual([]);

  // Restoring a coupling whose two records exist changes nothing and says why.
  const both = await bcsync(['restore', 'CUSTOMER', String(customer.id)], env);
  expect(both.code).toBe(1);
  expect(both.stderr).toMatch(/both records of the coupling exist/);
});

test('delete removes the surviving record of a half-deleted coupling; remove-coupling uncouples', async () => {
  // BC refuses to delete a customer with an outstanding (draft) sales invoice, as the demo's 150000 has:
  // the action says so, keeps the coupling and exits 1.
  const invoiced = (await activeCustomers()).find((c) => c.number === '150000')!;
  const crmInvoiced = (await couplingOf(String(invoiced.id)))!.crmId!;
  await stack.salesCrm.delete('accounts', crmInvoiced);
  const refusedByBc = await bcsync(['delete', 'CUSTOMER', crmInvoiced], env);
  expect(refusedByBc.code).toBe(1);
  expect(refusedByBc.stderr).toMatch(/was not deleted: .*outstanding Sales Invoice.*the coupling stays/);
  expect(await couplingOf(String(invoiced.id))).not.toBeNull();

  // A customer without invoices, synced to CRM, then deleted in CRM: `delete` removes the BC one too.
  const a = await stack.connectors.bc.create('customers', {
    displayName: 'Delete Me Traders',
    salespersonCode: 'OF',
  });
  await stack.engine.runMapping('CUSTOMER', { syncOnlyCoupledRecords: false });
  const crmA = (await couplingOf(String(a.id)))!.crmId!;
  await stack.salesCrm.delete('accounts', crmA);
  const deleted = await bcsync(['delete', 'CUSTOMER', crmA, '--json'], env);
  expect(deleted.stderr).toBe('');
  expect(deleted.code).toBe(0);
  expect(JSON.parse(deleted.stdout)).toEqual({
    deleted: [{ bcId: String(a.id).toLowerCase(), crmId: crmA, missing: 'crm' }],
    refused: [],
  });
  expect(byId(await stack.bcRecords('customers')).has(String(a.id))).toBe(false);
  expect(await couplingOf(String(a.id))).toBeNull();

  const b = (await activeCustomers())[8]!;
  const crmB = (await couplingOf(String(b.id)))!.crmId!;
  const refused = await bcsync(['delete', 'CUSTOMER', String(b.id)], env);
  expect(refused.code).toBe(1);
  expect(refused.stderr).toMatch(/both records of the coupling exist.*remove-coupling/);

  const removed = await bcsync(['remove-coupling', 'CUSTOMER', crmB], env);
  expect(removed.code).toBe(0);
  expect(removed.stdout).toMatch(/no longer coupled/);
  expect(await couplingOf(String(b.id))).toBeNull();
  // Both records stay.
  expect(byId(await stack.bcRecords('customers')).has(String(b.id))).toBe(true);
  expect(byId(await stack.crmRecords('accounts'), 'accountid').has(crmB)).toBe(true);
  const again = await bcsync(['remove-coupling', 'CUSTOMER', crmB], env);
  expect(again.code).toBe(1);
  expect(again.stderr).toMatch(/no coupling for record/);

  // Every action is in the record's lineage.
  const why = await bcsync(['why', 'CUSTOMER', '--bc', String(b.id), '--json'], env);
  expect(why.code).toBe(0);
  const story = JSON.parse(why.stdout) as { history: { decision: string; by: string; why: string }[] };
  expect(story.history[0]).toMatchObject({
    decision: 'Action',
    by: 'cli',
    why: expect.stringMatching(/^Remove Coupling/),
  });
});

test('actions that read BC and Dataverse name the missing connector settings', async () => {
  const unset = Object.fromEntries(
    Object.keys(env)
      .filter((k) => k !== 'BCSYNC_DB_NAME')
      .map((k) => [k, undefined]),
  );
  const res = await bcsync(['find-deleted', 'CUSTOMER'], { ...env, ...unset });
  expect(res.code).toBe(1);
  expect(res.stderr).toMatch(/BCSYNC_BC_TENANT/);
  expect(res.stderr).not.toMatch(/bcsync-demo-secret/);
});

test('`bcsync why` needs exactly one way to name the record, and says when it knows nothing', async () => {
  expect((await bcsync(['why', 'CUSTOMER'], env)).code).toBe(2);
  const two = await bcsync(['why', 'CUSTOMER', '--bc', randomUUID(), '--crm', randomUUID()], env);
  expect(two.code).toBe(2);
  expect(two.stderr).toMatch(/exactly one of --bc <id>, --crm <id> or --name <text>/);
  const none = await bcsync(['why', 'CUSTOMER', '--name', 'Nobody Ltd'], env);
  expect(none.code).toBe(1);
  expect(none.stderr).toMatch(/no synchronized record whose number or name contains "Nobody Ltd"/);
  const unknown = await bcsync(['why', 'CUSTOMER', '--bc', randomUUID(), '--json'], env);
  expect(unknown.code).toBe(0);
  expect(JSON.parse(unknown.stdout)).toMatchObject({
    coupling: null,
    history: [],
    verdict: expect.stringMatching(/^not synchronized: CUSTOMER synchronizes only coupled records/),
  });
});
