// The blast-radius guard (docs/blast-radius-guard.md) and new records on scheduled runs with their
// dependencies first (docs/match-based-coupling.md), on the sized seed: 120 BC customers, 120 CRM
// accounts of which 80% stand for them.
import { startEngineStack, type EngineStack } from './engineHarness';

let stack: EngineStack;
beforeAll(async () => {
  stack = await startEngineStack({ seed: 'demo' });
  // The demo company pair, then a populated sized pair on top is not needed: the demo seed has 19
  // active customers; the guard's minimum is lowered for this test (config override).
});
afterAll(async () => {
  await stack?.stop();
});

const writes = async (url: string) =>
  ((await (await fetch(`${url}/_admin/stats`)).json()) as { writes: number }).writes;

const scheduled = (mapping: string, extra: object = {}) => ({
  entry: mapping,
  mappings: [mapping],
  kind: 'synchronization' as const,
  ...extra,
});

test('the guard stops a run that would modify 60% of the coupled customers, before writing; force lets it finish', async () => {
  const mappings = {
    ...stack.mappings,
    mappings: stack.mappings.mappings.map((m) =>
      m.name === 'CUSTOMER'
        ? { ...m, blastRadiusGuard: { enabled: true, maxShare: 0.25, minCoupledRecords: 10 } }
        : m,
    ),
  };
  const engine = stack.engineWith({ mappings });
  await engine.fullSync();
  const coupled = await stack.db.cols.couplings.find({ mapping: 'CUSTOMER' }).toArray();
  expect(coupled.length).toBeGreaterThanOrEqual(10);
  // A bulk change in BC: 60% of the coupled customers get a new phone number.
  const bulk = coupled.slice(0, Math.ceil(coupled.length * 0.6));
  for (const c of bulk)
    await stack.connectors.bc.update('customers', c.bcId, { phoneNumber: '+1 425 555 9999' }, '*');
  const crmWrites = await writes(stack.emulators.dataverse.url);
  const stopped = await engine.runEntry(scheduled('CUSTOMER'));
  expect(stopped.guard).toMatchObject({
    mapping: 'CUSTOMER',
    coupled: coupled.length,
    wouldChange: bulk.length,
  });
  expect(stopped.modified).toBe(0);
  expect(await writes(stack.emulators.dataverse.url)).toBe(crmWrites);
  const log = await stack.db.cols.jobLog.findOne({ _id: stopped.jobIds[0] });
  expect(log?.message).toMatch(/blast-radius guard/);
  // Approved: the same changes go through.
  const approved = await engine.runEntry(scheduled('CUSTOMER', { force: true }));
  expect(approved.guard).toBeUndefined();
  expect(approved.modified).toBe(bulk.length);
  // A run below the share is not stopped.
  await stack.connectors.bc.update('customers', bulk[0]!.bcId, { phoneNumber: '+1 425 555 0001' }, '*');
  const small = await engine.runEntry(scheduled('CUSTOMER'));
  expect(small.guard).toBeUndefined();
  expect(small.modified).toBe(1);
});

test('a new CRM user and a new BC currency reach the other side on scheduled runs; a customer using them syncs in the same run', async () => {
  // A new licensed system user in the CRM.
  const userId = 'a0a0a0a0-0000-4000-8000-000000000001';
  await stack.salesCrm.create(
    'systemusers',
    {
      firstname: 'Nora',
      lastname: 'Quist',
      internalemailaddress: 'nora.quist@cronus-demosite.example.com',
      domainname: 'nora.quist@cronus-demosite.example.com',
      islicensed: true,
      isdisabled: false,
    },
    userId,
  );
  const nora = (await stack.crmRecords('systemusers')).find(
    (u) => u.internalemailaddress === 'nora.quist@cronus-demosite.example.com',
  );
  expect(nora).toBeDefined();
  const sp = await stack.engine.runEntry(scheduled('SALESPEOPLE'));
  expect(sp.inserted).toBe(1);
  const salesperson = (await stack.bcRecords('salespeoplePurchasers')).find(
    (s) => s.email === 'nora.quist@cronus-demosite.example.com',
  )!;
  expect(salesperson).toBeDefined();

  // A new currency in BC, and a coupled customer that uses it and the new salesperson at once. The
  // CUSTOMER entry runs before the CURRENCY entry: the currency is synced first, then the customer.
  await stack.connectors.bc.create('currencies', {
    code: 'NZD',
    displayName: 'New Zealand dollar',
    symbol: '$',
  });
  const coupled = await stack.db.cols.couplings.findOne({ mapping: 'CUSTOMER', state: 'coupled' });
  await stack.connectors.bc.update(
    'customers',
    coupled!.bcId,
    { currencyCode: 'NZD', salespersonCode: String(salesperson.code) },
    '*',
  );
  const run = await stack.engine.runEntry(scheduled('CUSTOMER', { force: true }));
  const nzd = (await stack.crmRecords('transactioncurrencies')).filter((c) => c.isocurrencycode === 'NZD');
  expect(nzd).toHaveLength(1);
  const account = (await stack.crmRecords('accounts')).find((a) => a.accountid === coupled!.crmId)!;
  expect(account._transactioncurrencyid_value).toBe(nzd[0]!.transactioncurrencyid);
  expect(account._ownerid_value).toBe(nora!.systemuserid);
  const after = await stack.db.cols.couplings.findOne({ _id: coupled!._id });
  expect(after?.skipped).toBe(false);
  expect(after?.toCrm.lastResult).toBe('Success');
  expect(run.modified).toBeGreaterThanOrEqual(1);
  // The scheduled CURRENCY run then finds nothing new: no second NZD.
  await stack.engine.runEntry(scheduled('CURRENCY'));
  expect(
    (await stack.crmRecords('transactioncurrencies')).filter((c) => c.isocurrencycode === 'NZD'),
  ).toHaveLength(1);
});

test('a retried attempt of a run that passed the guard finishes it: the guard is checked once, before the first write', async () => {
  const mappings = {
    ...stack.mappings,
    mappings: stack.mappings.mappings.map((m) =>
      m.name === 'CUSTOMER'
        ? { ...m, blastRadiusGuard: { enabled: true, maxShare: 0.25, minCoupledRecords: 10 } }
        : m,
    ),
  };
  await stack.engine.fullSync();
  const coupled = await stack.db.cols.couplings.find({ mapping: 'CUSTOMER', state: 'coupled' }).toArray();
  expect(coupled.length).toBeGreaterThanOrEqual(10);
  // Two changed customers: below the share, the guard lets the run start. It dies after its first page.
  const [a, b] = coupled;
  for (const c of [a!, b!])
    await stack.connectors.bc.update('customers', c.bcId, { phoneNumber: '+1 425 555 0102' }, '*');
  class Crash extends Error {}
  let crashed = false;
  const crashing = stack.engineWith({
    mappings,
    pageSize: 1,
    crashAt: (at, ctx) => {
      if (crashed || at !== 'afterPageCommit' || ctx.direction !== 'toCrm' || !ctx.writes) return;
      crashed = true;
      throw new Crash('worker died');
    },
  });
  const runKey = 'guard-once';
  await expect(crashing.runEntry(scheduled('CUSTOMER'), runKey)).rejects.toThrow(Crash);
  // Meanwhile more customers change: a new run would be stopped, the retried one has been checked.
  for (const c of coupled.slice(2, 2 + Math.ceil(coupled.length * 0.3)))
    await stack.connectors.bc.update('customers', c.bcId, { phoneNumber: '+1 425 555 0103' }, '*');
  const engine = stack.engineWith({ mappings, pageSize: 1 });
  const retried = await engine.runEntry(scheduled('CUSTOMER'), runKey);
  expect(retried.guard).toBeUndefined();
  const accounts = await stack.crmRecords('accounts');
  for (const c of [a!, b!])
    expect(accounts.find((x) => x.accountid === c.crmId)?.telephone1).toBe('+1 425 555 0102');
  // A new run is checked again.
  for (const c of coupled.slice(0, Math.ceil(coupled.length * 0.6)))
    await stack.connectors.bc.update('customers', c.bcId, { phoneNumber: '+1 425 555 0104' }, '*');
  expect((await engine.runEntry(scheduled('CUSTOMER'))).guard).toMatchObject({ mapping: 'CUSTOMER' });
});

test('a coupled contact moved to a new, uncoupled account takes that account along on a scheduled run; other new accounts stay out (Only Coupled)', async () => {
  await stack.engine.fullSync();
  const contact = await stack.db.cols.couplings.findOne({ mapping: 'CONTACT', state: 'coupled' });
  expect(contact).not.toBeNull();
  // Two new accounts in the CRM: the contact moves to one; the other is unrelated.
  const newAccount = 'b0b0b0b0-0000-4000-8000-000000000001';
  const unrelated = 'b0b0b0b0-0000-4000-8000-000000000002';
  await stack.salesCrm.create(
    'accounts',
    { name: 'Tailspin Toys Ltd.', address1_city: 'Leeds', customertypecode: 3 },
    newAccount,
  );
  await stack.salesCrm.create(
    'accounts',
    { name: 'Wingtip Supplies', address1_city: 'York', customertypecode: 3 },
    unrelated,
  );
  await stack.salesCrm.update('contacts', contact!.crmId!, {
    'parentcustomerid_account@odata.bind': `/accounts(${newAccount})`,
  });

  // The CONTACT entry's scheduled run (Only Coupled, as CUSTOMER): the contact needs its new account in BC.
  const run = await stack.engine.runEntry(scheduled('CONTACT', { force: true }));
  // The contact failed once (its account was not in BC), then the account was synced and it was retried.
  const failures = await stack.db.cols.syncErrors.find({ jobId: { $in: run.jobIds } }).toArray();
  expect(failures.filter((e) => e.source.id === contact!.crmId)).toHaveLength(1);
  const accountCoupling = await stack.db.cols.couplings.findOne({ mapping: 'CUSTOMER', crmId: newAccount });
  expect(accountCoupling?.state).toBe('coupled');
  const customer = (await stack.bcRecords('customers')).find((c) => c.id === accountCoupling!.bcId);
  expect(customer?.displayName).toBe('Tailspin Toys Ltd.');
  const bcContact = (await stack.bcRecords('contacts')).find((c) => c.id === contact!.bcId);
  expect(bcContact?.customerId).toBe(accountCoupling!.bcId);
  const after = await stack.db.cols.couplings.findOne({ _id: contact!._id });
  expect(after?.fromCrm.lastResult).toBe('Success');
  expect(after?.skipped).toBe(false);
  // Only the account the contact needed was taken: CUSTOMER still syncs only coupled records.
  expect(await stack.db.cols.couplings.findOne({ mapping: 'CUSTOMER', crmId: unrelated })).toBeNull();
  expect((await stack.bcRecords('customers')).some((c) => c.displayName === 'Wingtip Supplies')).toBe(false);
});
