// PAYMENT TERMS, SHIPMENT METHOD and SHIPPING AGENT as option mappings (docs/option-mappings.md), and
// CUSTOMER's three option set columns syncing both ways through them, on the demo data of both emulators.
// BC reference: "Handling missing option values" and "Customizing option mappings with Microsoft Dataverse"
// (https://learn.microsoft.com/dynamics365/business-central/admin-cds-missing-option-values): codes become
// options of the account columns, CRM options missing in BC are appended to the BC table, each pair is
// coupled. Dataverse: InsertOptionValue adds an option with a system-assigned value
// (https://learn.microsoft.com/power-apps/developer/data-platform/webapi/reference/insertoptionvalue).
import type { ChoiceOption, JsonRecord } from '../../activities/connectors/types';
import { couplingKey } from '../../activities/store/couplings';
import type { MappingRunResult } from '../../activities/engine/types';
import { BLANK_GUID } from '../../activities/engine/fieldMapping';
import { startEngineStack, type EngineStack } from './engineHarness';
import { byId, prepareReferenceData } from './engineTestData';

let stack: EngineStack;
let options: MappingRunResult[];

const readOptions = (attribute: string): Promise<ChoiceOption[]> =>
  stack.connectors.dataverse.readOptions!('account', attribute);
const optionOf = async (mapping: string, bcId: string) =>
  (await stack.db.cols.couplings.findOne({ _id: couplingKey(mapping, bcId.toLowerCase()) }))?.crmId;
const accountOf = async (customerId: string): Promise<JsonRecord> => {
  const crmId = (
    await stack.db.cols.couplings.findOne({ _id: couplingKey('CUSTOMER', customerId.toLowerCase()) })
  )?.crmId;
  return byId(await stack.crmRecords('accounts'), 'accountid').get(crmId!)!;
};

beforeAll(async () => {
  stack = await startEngineStack();
  const before = await readOptions('paymenttermscode');
  expect(before.map((o) => o.label)).toEqual(['Net 30', '2% 10, Net 30', 'Net 45', 'Net 60']);
  await prepareReferenceData(stack); // runs the three option mappings after CURRENCY
  options = await stack.engine.fullSync(['PAYMENT TERMS', 'SHIPMENT METHOD', 'SHIPPING AGENT']);
  await stack.engine.fullSync(['CUSTOMER']);
});
afterAll(async () => {
  await stack?.stop();
});

test('every BC code is coupled to one option: matched by label, else added through InsertOptionValue', async () => {
  const terms = await readOptions('paymenttermscode');
  const labelOf = (value: string | undefined) => terms.find((o) => String(o.value) === value)?.label;
  for (const pt of await stack.bcRecords('paymentTerms')) {
    // A label longer than Code[10] is cut for the BC code ("2% 10, Net 30" -> "2% 10, NET").
    const label = labelOf(await optionOf('PAYMENT TERMS', String(pt.id)));
    expect([pt.code, label?.toUpperCase().slice(0, 10).trim()]).toEqual([pt.code, String(pt.code)]);
  }
  // CRONUS codes (30 DAYS, COD, ...) are not stock options: they were added with the publisher prefix.
  expect(terms.find((o) => o.label === '30 DAYS')?.value).toBeGreaterThanOrEqual(100000000);
  // FOB is a stock freight terms option (1): coupled, not added again.
  const fob = (await stack.bcRecords('shipmentMethods')).find((m) => m.code === 'FOB')!;
  expect(await optionOf('SHIPMENT METHOD', String(fob.id))).toBe('1');
  // ... and the record's lineage says why (docs/lineage.md).
  const history = await stack.engine.stores.lineage!.history({
    mapping: 'SHIPMENT METHOD',
    bcId: String(fob.id).toLowerCase(),
  });
  expect(history.map((h) => h.decision)).toContain('Coupled');
  expect(
    (await readOptions('address1_freighttermscode')).filter((o) => o.label.toUpperCase() === 'FOB'),
  ).toHaveLength(1);
  // DHL, FEDEX, UPS match Dataverse's DHL, FedEx, UPS case-insensitively; OWN LOG. is new.
  const agents = byId(await stack.bcRecords('shippingAgents'), 'code');
  expect(await optionOf('SHIPPING AGENT', String(agents.get('fedex')!.id))).toBe('3');
  expect(await optionOf('SHIPPING AGENT', String(agents.get('ups')!.id))).toBe('4');
  expect((await readOptions('address1_shippingmethodcode')).map((o) => o.label)).toContain('OWN LOG.');
});

test('CRM options missing in BC are appended to the BC table and coupled (CRM -> BC pass)', async () => {
  const codes = (await stack.bcRecords('paymentTerms')).map((p) => p.code);
  // Labels become codes: uppercased, cut to Code[10] ("2% 10, Net 30" -> "2% 10, NET").
  expect(codes).toEqual(expect.arrayContaining(['NET 30', '2% 10, NET', 'NET 45', 'NET 60']));
  const willCall = (await stack.bcRecords('shippingAgents')).find((a) => a.code === 'WILL CALL')!;
  expect(willCall).toMatchObject({ name: 'Will Call' });
  expect(await optionOf('SHIPPING AGENT', String(willCall.id))).toBe('7');
  const noCharge = (await stack.bcRecords('shipmentMethods')).find((m) => m.code === 'NO CHARGE')!;
  expect(noCharge).toMatchObject({ displayName: 'No Charge' });
});

test('a second run of the option mappings changes nothing', async () => {
  const failures = options.flatMap((r) =>
    r.passes.filter((p) => p.counters.failed > 0).map((p) => p.message),
  );
  expect(failures).toEqual([]);
  const again = await stack.engine.fullSync(['PAYMENT TERMS', 'SHIPMENT METHOD', 'SHIPPING AGENT']);
  for (const pass of again.flatMap((r) => r.passes)) {
    expect(pass.counters).toMatchObject({ inserted: 0, modified: 0, failed: 0, coupled: 0 });
  }
});

test('BC -> CRM: a customer’s payment terms, shipment method and shipping agent reach its account', async () => {
  const customers = (await stack.bcRecords('customers')).filter((c) => c.blocked === ' ');
  const withAgent = customers.filter((c) => c.shippingAgentCode !== '');
  expect(withAgent.length).toBeGreaterThan(0);
  expect(withAgent.length).toBeLessThan(customers.length);
  const agents = byId(await stack.bcRecords('shippingAgents'), 'code');
  const optionFor = async (mapping: string, id: unknown) =>
    id === BLANK_GUID ? null : Number(await optionOf(mapping, String(id)));
  for (const c of customers) {
    const account = await accountOf(String(c.id));
    expect(account.paymenttermscode).toBe(await optionFor('PAYMENT TERMS', c.paymentTermsId));
    expect(account.address1_freighttermscode).toBe(await optionFor('SHIPMENT METHOD', c.shipmentMethodId));
    const agent = agents.get(String(c.shippingAgentCode).toLowerCase());
    expect(account.address1_shippingmethodcode).toBe(
      agent ? Number(await optionOf('SHIPPING AGENT', String(agent.id))) : null,
    );
  }

  // A change in BC reaches CRM on the next run.
  const customer = withAgent[0]!;
  await stack.connectors.bc.update('customers', String(customer.id), { shippingAgentCode: 'UPS' }, '*');
  await stack.engine.runMapping('CUSTOMER');
  expect((await accountOf(String(customer.id))).address1_shippingmethodcode).toBe(4);
});

test('CRM -> BC: options a salesperson picks on an account reach the BC customer', async () => {
  const customer = (await stack.bcRecords('customers')).find((c) => c.blocked === ' ' && c.number !== '')!;
  const account = await accountOf(String(customer.id));
  await stack.salesCrm.update('accounts', String(account.accountid), {
    paymenttermscode: 3, // Net 45
    address1_freighttermscode: 2, // No Charge
    address1_shippingmethodcode: 7, // Will Call
  });
  const [result] = [await stack.engine.runMapping('CUSTOMER')];
  expect(result.passes.find((p) => p.direction === 'fromCrm')!.counters).toMatchObject({
    modified: 1,
    failed: 0,
  });
  const after = byId(await stack.bcRecords('customers')).get(String(customer.id).toLowerCase())!;
  const paymentTerms = byId(await stack.bcRecords('paymentTerms'));
  const shipmentMethods = byId(await stack.bcRecords('shipmentMethods'));
  expect(paymentTerms.get(String(after.paymentTermsId))?.code).toBe('NET 45');
  expect(shipmentMethods.get(String(after.shipmentMethodId))?.code).toBe('NO CHARGE');
  expect(after.shippingAgentCode).toBe('WILL CALL');
});

test('a payment terms code added in BC becomes a new option at the next run and then reaches the account', async () => {
  const created = await stack.connectors.bc.create('paymentTerms', {
    code: '45 DAYS',
    displayName: 'Net 45 days',
    dueDateCalculation: '45D',
  });
  const customer = (await stack.bcRecords('customers')).find((c) => c.blocked === ' ')!;
  await stack.connectors.bc.update('customers', String(customer.id), { paymentTermsId: created.id }, '*');
  // Before PAYMENT TERMS runs, the option is not coupled: the field is left alone, the record not failed.
  const early = await stack.engine.runMapping('CUSTOMER');
  expect(early.passes[0]!.counters.failed).toBe(0);
  const [terms] = await stack.engine.fullSync(['PAYMENT TERMS']);
  expect(terms!.passes[0]!.counters).toMatchObject({ inserted: 1, failed: 0 });
  const option = (await readOptions('paymenttermscode')).find((o) => o.label === '45 DAYS')!;
  expect(option).toBeDefined();
  await stack.connectors.bc.update('customers', String(customer.id), { displayName: 'Touched again' }, '*');
  await stack.engine.runMapping('CUSTOMER');
  expect((await accountOf(String(customer.id))).paymenttermscode).toBe(option.value);
});

test('CRM-only demo accounts come to BC with their payment terms, shipment method and shipping agent', async () => {
  // The demo seed's CRM-only accounts carry stock options (e.g. Net 30, FOB, FedEx); the CRM -> BC pass
  // of CUSTOMER created their BC customers.
  const seeded = (await stack.crmRecords('accounts')).filter(
    (a) => a._createdby_value !== stack.integrationUserId && a.paymenttermscode === 1,
  );
  expect(seeded.length).toBeGreaterThan(0);
  const paymentTerms = byId(await stack.bcRecords('paymentTerms'));
  const shipmentMethods = byId(await stack.bcRecords('shipmentMethods'));
  const customers = byId(await stack.bcRecords('customers'));
  for (const account of seeded) {
    const coupling = await stack.db.cols.couplings.findOne({
      mapping: 'CUSTOMER',
      crmId: String(account.accountid),
    });
    const customer = customers.get(coupling!.bcId)!;
    expect(paymentTerms.get(String(customer.paymentTermsId))?.code).toBe('NET 30');
    expect(shipmentMethods.get(String(customer.shipmentMethodId))?.code).toBe('FOB');
    expect(customer.shippingAgentCode).toBe('FEDEX');
  }
});
