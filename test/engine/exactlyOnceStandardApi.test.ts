// Exactly once where Business Central does not take bcsync's id: a company without the bcsync extension runs
// CUSTOMER on API v2.0 (`bc.api: 'v2.0'`), whose customers page refuses an `id` in a POST body and whose new
// customers have no natural key (the number comes from BC's number series). A crash between the POST and
// the coupling is retried with the same run key (as a Temporal activity retry is): the retry must find the
// customer it created by the name it sent (docs/exactly-once-creates.md), never create a second one, and
// never guess between two candidates.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadMappings } from '../../activities/mappings/mappingConfig';
import { couplingKey } from '../../activities/store/couplings';
import type { CrashPoint } from '../../activities/engine/types';
import { startEngineStack, type EngineStack } from './engineHarness';
import { prepareReferenceData } from './engineTestData';
import { Crash, crashOnce } from './crashOnce';

let stack: EngineStack;
beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bcsync-v2-customers-'));
  const file = join(dir, 'mappings.json');
  writeFileSync(
    file,
    JSON.stringify({ mappings: [{ name: 'CUSTOMER', bc: { api: 'v2.0', entitySet: 'customers' } }] }),
  );
  stack = await startEngineStack({ deps: { pageSize: 2 }, mappings: loadMappings(file) });
  await prepareReferenceData(stack);
  await stack.engine.fullSync(['CUSTOMER']);
});
afterAll(async () => {
  await stack?.stop();
});

/** Runs CUSTOMER with a crash at `point` of the CRM -> BC pass, then retries it with the same run key. */
async function crashThenRetry(runKey: string, point: CrashPoint, pageSize = 2) {
  await expect(
    crashOnce(stack, point, 'fromCrm', { pageSize }).runMapping('CUSTOMER', {
      runKey,
      syncOnlyCoupledRecords: false,
    }),
  ).rejects.toThrow(Crash);
  return stack.engineWith({ pageSize }).runMapping('CUSTOMER', { runKey, syncOnlyCoupledRecords: false });
}

test.each<CrashPoint>(['afterIntent', 'afterWrite', 'afterCoupling'])(
  'a CRM account created in BC through API v2.0, crash at %s, retry: one customer, coupled',
  async (point) => {
    const names = [`Alpine Ski House ${point}`, `Wide World Importers ${point}`];
    for (const name of names) await stack.salesCrm.create('accounts', { name, customertypecode: 3 });
    const retried = await crashThenRetry(`run-v2-${point}`, point);

    const customers = await stack.bcRecords('customers');
    const accounts = await stack.crmRecords('accounts');
    for (const name of names) {
      const made = customers.filter((c) => c.displayName === name);
      expect({ name, customers: made.length }).toEqual({ name, customers: 1 });
      expect(accounts.filter((a) => a.name === name)).toHaveLength(1);
      const coupling = await stack.db.cols.couplings.findOne({
        _id: couplingKey('CUSTOMER', String(made[0]!.id)),
      });
      expect(coupling).toMatchObject({
        state: 'coupled',
        crmId: String(accounts.find((a) => a.name === name)!.accountid).toLowerCase(),
      });
    }
    expect(await stack.db.cols.couplings.countDocuments({ mapping: 'CUSTOMER', state: 'pending' })).toBe(0);
    expect(retried.passes.find((p) => p.direction === 'fromCrm')!.counters).toMatchObject({
      inserted: 2,
      failed: 0,
    });
    // The next run has nothing left to do.
    for (const pass of (await stack.engine.runMapping('CUSTOMER')).passes)
      expect(pass.counters).toMatchObject({ inserted: 0, modified: 0, failed: 0 });
  },
);

test('two new accounts with the same name, crash after both reached BC: neither is created again nor guessed', async () => {
  // An ambiguous pair: two Lamna Healthcare accounts (different cities), created in BC before the crash.
  for (const city of ['Seattle', 'Redmond'])
    await stack.salesCrm.create('accounts', {
      name: 'Lamna Healthcare',
      address1_city: city,
      customertypecode: 3,
    });
  // One page, so both creates are sent before the crash.
  const retried = await crashThenRetry('run-v2-same-name', 'afterWrite', 50);

  const lamna = (await stack.bcRecords('customers')).filter((c) => c.displayName === 'Lamna Healthcare');
  expect(lamna).toHaveLength(2);
  const fromCrm = retried.passes.find((p) => p.direction === 'fromCrm')!;
  expect(fromCrm.counters).toMatchObject({ inserted: 0, failed: 2 });
  const errors = await stack.db.cols.syncErrors.find({ jobId: fromCrm.jobId }).toArray();
  expect(errors).toHaveLength(2);
  for (const e of errors) {
    expect(e.message).toContain("named 'Lamna Healthcare'");
    for (const c of lamna) expect(e.message).toContain(String(c.id));
    expect(e.message).toContain('bcsync couple');
  }
  // Still none created by the next run, on either side: the intents wait for the admin.
  await stack.engine.runMapping('CUSTOMER');
  expect((await stack.crmRecords('accounts')).filter((a) => a.name === 'Lamna Healthcare')).toHaveLength(2);
  expect(
    (await stack.bcRecords('customers')).filter((c) => c.displayName === 'Lamna Healthcare'),
  ).toHaveLength(2);
});

test('a crash after the POST, then a new run (not a retry): the BC -> CRM pass does not copy the customer back', async () => {
  const name = 'Munson Pickles and Preserves';
  await stack.salesCrm.create('accounts', { name, address1_city: 'Tacoma', customertypecode: 3 });
  await expect(
    crashOnce(stack, 'afterWrite').runMapping('CUSTOMER', {
      runKey: 'run-v2-crashed',
      syncOnlyCoupledRecords: false,
    }),
  ).rejects.toThrow(Crash);
  await stack.engine.runMapping('CUSTOMER', { runKey: 'run-v2-next', syncOnlyCoupledRecords: false });
  expect((await stack.bcRecords('customers')).filter((c) => c.displayName === name)).toHaveLength(1);
  const accounts = (await stack.crmRecords('accounts')).filter((a) => a.name === name);
  expect(accounts).toHaveLength(1);
  const customer = (await stack.bcRecords('customers')).find((c) => c.displayName === name)!;
  expect(
    await stack.db.cols.couplings.findOne({ _id: couplingKey('CUSTOMER', String(customer.id)) }),
  ).toMatchObject({
    state: 'coupled',
    crmId: String(accounts[0]!.accountid).toLowerCase(),
  });
});
