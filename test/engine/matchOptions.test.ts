// "Synch. after coupling" and "Create New in Case of No Match" (docs/match-based-coupling.md) on the demo
// company pair: the CRM's "TREY RESEARCH" (Chicago) stands for BC's "Trey Research"; some customers are
// only in BC, some accounts only in the CRM.
import { startEngineStack, type EngineStack } from './engineHarness';
import { emulatorWrites, prepareReferenceData, withMapping } from './engineTestData';

let stack: EngineStack | undefined;
afterEach(async () => {
  await stack?.stop();
  stack = undefined;
});

const trey = async (s: EngineStack) => ({
  account: (await s.crmRecords('accounts')).find((a) => a.address1_city === 'Chicago')!,
  customer: (await s.bcRecords('customers')).find((c) => c.city === 'Chicago')!,
});

test('Synch. after coupling on (default): a pair coupled by match takes the source values at once', async () => {
  stack = await startEngineStack({ seed: 'demo' });
  await prepareReferenceData(stack);
  const [result] = await stack.engine.fullSync(['CUSTOMER']);
  expect(result!.passes[0]!.counters.coupled).toBeGreaterThan(0);
  const { account, customer } = await trey(stack);
  expect(customer.displayName).toBe('Trey Research');
  expect(account.name).toBe('Trey Research');
  const coupling = await stack.db.cols.couplings.findOne({ mapping: 'CUSTOMER', bcId: String(customer.id) });
  expect(coupling).toMatchObject({ crmId: String(account.accountid), state: 'coupled' });
});

test('Synch. after coupling off and no Create New: records are only coupled, nothing is written or created', async () => {
  stack = await startEngineStack({ seed: 'demo' });
  await prepareReferenceData(stack);
  const s = stack;
  const engine = s.engineWith({
    mappings: withMapping(s.mappings, 'CUSTOMER', {
      synchAfterCoupling: false,
      createNewInCaseOfNoMatch: false,
    }),
  });
  const customersBefore = (await s.bcRecords('customers')).length;
  const accountsBefore = (await s.crmRecords('accounts')).length;
  const before = {
    bc: await emulatorWrites(s.emulators.bc.url),
    crm: await emulatorWrites(s.emulators.dataverse.url),
  };
  const [result] = await engine.fullSync(['CUSTOMER']);
  const [toCrm, fromCrm] = result!.passes;
  // Coupled by match, nothing else: not one write to either system.
  expect(toCrm!.counters).toMatchObject({ inserted: 0, modified: 0, failed: 0 });
  expect(toCrm!.counters.coupled).toBeGreaterThan(5);
  expect(fromCrm!.counters).toMatchObject({ inserted: 0, modified: 0, failed: 0 });
  expect({
    bc: await emulatorWrites(s.emulators.bc.url),
    crm: await emulatorWrites(s.emulators.dataverse.url),
  }).toEqual(before);
  expect((await s.bcRecords('customers')).length).toBe(customersBefore);
  expect((await s.crmRecords('accounts')).length).toBe(accountsBefore);
  // The CRM keeps its own spelling; the pair is coupled.
  const { account, customer } = await trey(s);
  expect(account.name).toBe('TREY RESEARCH');
  const coupling = await s.db.cols.couplings.findOne({ mapping: 'CUSTOMER', bcId: String(customer.id) });
  expect(coupling).toMatchObject({ crmId: String(account.accountid), state: 'coupled' });
  // Records without a match are reported, not created: the Munich account and BC-only customers.
  const munich = (await s.crmRecords('accounts')).find((a) => a.address1_city === 'München')!;
  expect(
    await s.db.cols.couplings.findOne({ mapping: 'CUSTOMER', crmId: String(munich.accountid) }),
  ).toBeNull();
  expect(toCrm!.counters.skipped + fromCrm!.counters.skipped).toBeGreaterThan(0);
  // Only coupled, yet a later change in BC flows as for any coupled pair.
  await s.connectors.bc.update('customers', String(customer.id), { phoneNumber: '+1 425 555 0177' }, '*');
  const next = await engine.runMapping('CUSTOMER');
  expect(next.passes[0]!.counters).toMatchObject({ modified: 1, failed: 0 });
  expect((await trey(s)).account.telephone1).toBe('+1 425 555 0177');
});
