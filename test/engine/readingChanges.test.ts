// How a pass reads changes (docs/reading-changes.md), on real MongoDB and both API emulators:
//
// | Rule                                                                   | Test                                  |
// |------------------------------------------------------------------------|---------------------------------------|
// | echo suppression by version, not by "modified by" (no lost update)     | a user's edit followed by bcsync's... |
// | every coupled record read is counted (Unchanged)                       | a re-read of unchanged records...     |
// | watermarks on the server's clock                                       | a worker clock an hour behind...      |
// | a refused look-up query fails only the records that need its value     | a refused look-up...                  |
import { ApiError } from '../../activities/connectors/apiError';
import type { EntityPage, ReadQuery, TableClient } from '../../activities/connectors/types';
import { couplingKey } from '../../activities/store/couplings';
import { startEngineStack, type EngineStack } from './engineHarness';
import { byId, prepareReferenceData } from './engineTestData';

let stack: EngineStack;
beforeAll(async () => {
  stack = await startEngineStack();
  await prepareReferenceData(stack);
  await stack.engine.fullSync(['CUSTOMER']);
});
afterAll(async () => {
  await stack?.stop();
});

const activeCustomers = async () => (await stack.bcRecords('customers')).filter((c) => c.blocked === ' ');
const crmIdOf = async (bcId: string) =>
  (await stack.db.cols.couplings.findOne({ _id: couplingKey('CUSTOMER', bcId) }))!.crmId!;

test("a user's edit followed by bcsync's own write of the same row still reaches BC (no lost update)", async () => {
  const customer = (await activeCustomers())[0]!;
  const accountId = await crmIdOf(String(customer.id));
  await stack.salesCrm.update('accounts', accountId, { name: 'Edited by a salesperson' });
  // Then the integration user writes the row (as Customer Statistics does when it links the figures): the
  // row's last modifier is now bcsync's own user, which the old read filtered out.
  await stack.connectors.dataverse.update('accounts', accountId, { description: 'Statistics refreshed' });
  const account = byId(await stack.crmRecords('accounts'), 'accountid').get(accountId)!;
  expect(String(account._modifiedby_value).toLowerCase()).toBe(stack.integrationUserId.toLowerCase());

  const result = await stack.engine.runMapping('CUSTOMER');
  expect(result.passes[1]!.counters).toMatchObject({ modified: 1, failed: 0 });
  const bc = byId(await stack.bcRecords('customers')).get(String(customer.id))!;
  expect(bc.displayName).toBe('Edited by a salesperson');
  // And bcsync's own writes of that run are not read back as changes.
  const again = await stack.engine.runMapping('CUSTOMER');
  for (const pass of again.passes)
    expect(pass.counters).toMatchObject({ modified: 0, inserted: 0, failed: 0 });
});

test('a re-read of unchanged coupled records is counted as Unchanged in the job log', async () => {
  // A watermark overlap of a day re-reads every record: each coupled one is looked at and left alone.
  const engine = stack.engineWith({ watermarkOverlapMs: 24 * 3600_000 });
  const coupledActive = (
    await Promise.all(
      (await activeCustomers()).map((c) =>
        stack.db.cols.couplings.findOne({ _id: couplingKey('CUSTOMER', String(c.id)), state: 'coupled' }),
      ),
    )
  ).filter((c) => c !== null);
  const result = await engine.runMapping('CUSTOMER');
  const [toCrm] = result.passes;
  expect(toCrm!.counters).toMatchObject({ inserted: 0, modified: 0, failed: 0 });
  expect(toCrm!.counters.unchanged).toBe(coupledActive.length);
  const job = await stack.engine.stores.jobLog.get(toCrm!.jobId);
  expect(job).toMatchObject({ unchanged: coupledActive.length });
  expect(job!.message).toContain(`Unchanged ${coupledActive.length}`);
});

test("a worker clock an hour behind the server does not hold the watermark back (server's clock)", async () => {
  await stack.db.cols.mappings.updateOne({ _id: 'CUSTOMER' }, { $set: { watermarks: {} } });
  const customer = (await activeCustomers())[1]!;
  const accountId = await crmIdOf(String(customer.id));
  await stack.salesCrm.update('accounts', accountId, { websiteurl: 'www.skewed-clock.example' });
  const edited = byId(await stack.crmRecords('accounts'), 'accountid').get(accountId)!;

  const behind = stack.engineWith({ now: () => new Date(Date.now() - 3600_000) });
  const result = await behind.runMapping('CUSTOMER');
  expect(result.passes[1]!.counters).toMatchObject({ modified: 1, failed: 0 });
  const doc = await stack.db.cols.mappings.findOne({ _id: 'CUSTOMER' });
  // The worker's clock would have capped it an hour back, and every later run re-read that hour.
  expect(doc!.watermarks.crmModifiedOn!.getTime()).toBeGreaterThanOrEqual(
    Date.parse(String(edited.modifiedon)),
  );
  expect(doc!.watermarks.bcModifiedOn!.getTime()).toBeGreaterThan(Date.now() - 600_000);
});

/** The BC API as seen by bcsync, refusing (HTTP 400) every query whose filter names `value`. */
function refusingQueriesFor(inner: TableClient, value: string): TableClient {
  return new Proxy(inner, {
    get(target, prop) {
      if (prop === 'readPages')
        return (entity: string, query: ReadQuery): AsyncIterable<EntityPage> => {
          if (!query.filter?.includes(`'${value}'`)) return target.readPages(entity, query);
          throw new ApiError({
            system: 'bc',
            kind: 'validation',
            status: 400,
            code: 'BadRequest',
            message: `The filter on ${entity} could not be processed.`,
            method: 'GET',
            url: `${entity}?$filter=${query.filter}`,
          });
        };
      const v = Reflect.get(target, prop, target) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

test('a refused look-up query fails only the records that need its value; the rest of the page syncs', async () => {
  const customers = await activeCustomers();
  const codes = [...new Set(customers.map((c) => String(c.salespersonCode)))];
  expect(codes.length).toBeGreaterThan(1);
  const [refusedCode, otherCode] = codes;
  const needsRefused = customers.find((c) => c.salespersonCode === refusedCode)!;
  const needsOther = customers.find((c) => c.salespersonCode === otherCode)!;
  await stack.connectors.bc.update('customers', String(needsRefused.id), { phoneNumber: '+1 555 0111' }, '*');
  await stack.connectors.bc.update('customers', String(needsOther.id), { phoneNumber: '+1 555 0222' }, '*');

  const engine = stack.engineWith({ bc: refusingQueriesFor(stack.connectors.bc, String(refusedCode)) });
  const result = await engine.runMapping('CUSTOMER');
  const [toCrm] = result.passes;
  expect(toCrm!.counters).toMatchObject({ modified: 1, failed: 1 });
  const errors = await stack.engine.stores.errors.list({ jobId: toCrm!.jobId });
  expect(errors).toHaveLength(1);
  expect(errors[0]!.source.id).toBe(String(needsRefused.id).toLowerCase());
  expect(errors[0]!.message).toContain(`'${String(refusedCode)}' could not be looked up`);
  expect(errors[0]!.message).toContain('HTTP 400');
  const accounts = byId(await stack.crmRecords('accounts'), 'accountid');
  expect(accounts.get(await crmIdOf(String(needsOther.id)))!.telephone1).toBe('+1 555 0222');
  expect(accounts.get(await crmIdOf(String(needsRefused.id)))!.telephone1).not.toBe('+1 555 0111');
  // The API answers again: the failed record goes through on the next run (failures first, rule 4.2).
  const next = await stack.engine.runMapping('CUSTOMER');
  expect(next.passes[0]!.counters).toMatchObject({ modified: 1, failed: 0 });
});
