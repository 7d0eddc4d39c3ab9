// Scenario tests of bc-integration-behaviour.md sections 3-5 on real MongoDB and both API emulators.
//
// | Rule (bc-integration-behaviour.md)                                   | Test                                         |
// |----------------------------------------------------------------------|----------------------------------------------|
// | 4.6 insert with template then couple; 3 coupling stored; 5 job log    | first sync creates and couples               |
// | 4.1 BC -> CRM pass then CRM -> BC pass, one job log row each          | first sync creates and couples               |
// | 4.6 Unchanged / 4.5 watermark / 3 "modified since last sync"          | a second run with no change writes nothing   |
// | 4.6 Modified, both directions                                         | a change on one side reaches the other       |
// | 4.5 watermark never loses a record (same Dataverse second)            | two changes in one Dataverse second          |
// | 4.6 update conflict: None / Send Update / Get Update                  | conflict under each resolution               |
// | 3 Skipped after the same error twice; 4.2 failures first; 7 Retry     | failing twice becomes Skipped, retry clears  |
// | 4.8 one record's failure never fails the run; 5 error log entry       | a bad record fails alone                     |
// | 4.4 echo suppression                                                  | own writes do not bounce back                |
// | 4.3 uncoupled records ignored when Only Coupled                       | uncoupled records are ignored                |
// | 4.7 deletion conflict (Remove Coupling)                               | coupled to a deleted record                  |
// Crash-at-every-step (exactly once) is in exactlyOnce.test.ts; the default mappings in defaultMappings.test.ts.
import { couplingKey } from '../../activities/store/couplings';
import { startEngineStack, type EngineStack } from './engineHarness';
import { byId, emulatorWrites, prepareReferenceData, withMapping } from './engineTestData';

let stack: EngineStack;
beforeAll(async () => {
  stack = await startEngineStack();
  await prepareReferenceData(stack);
});
afterAll(async () => {
  await stack?.stop();
});

const couplingOf = (bcId: string) => stack.db.cols.couplings.findOne({ _id: couplingKey('CUSTOMER', bcId) });

test('first sync creates and couples (rules 4.1, 4.6, section 3, section 5)', async () => {
  const bcBefore = await stack.bcRecords('customers');
  const crmBefore = await stack.crmRecords('accounts');
  const [result] = await stack.engine.fullSync(['CUSTOMER']);
  const [toCrm, fromCrm] = result!.passes;
  const active = bcBefore.filter((c) => c.blocked === ' ');
  // Match-based coupling first: the customers the CRM holds already are coupled, the others inserted.
  expect(toCrm!.counters.coupled).toBeGreaterThan(0);
  expect(toCrm!.counters.inserted + toCrm!.counters.coupled).toBe(active.length);
  expect(toCrm!.counters.failed).toBe(0);
  // CRM -> BC pass: the CRM-only accounts (active customers) went to BC; our own new rows did not bounce.
  const crmCustomers = crmBefore.filter((a) => a.statecode === 0 && a.customertypecode === 3);
  expect(fromCrm!.counters).toMatchObject({
    inserted: crmCustomers.length - toCrm!.counters.coupled,
    failed: 0,
    modified: 0,
  });

  const accounts = byId(await stack.crmRecords('accounts'), 'accountid');
  for (const c of active) {
    const coupling = await couplingOf(String(c.id));
    expect(coupling).toMatchObject({ state: 'coupled', skipped: false, toCrm: { lastResult: 'Success' } });
    const account = accounts.get(coupling!.crmId!);
    expect(account).toMatchObject({
      name: c.displayName,
      telephone1: c.phoneNumber || null,
      customertypecode: 3,
    });
  }
  const jobs = await stack.engine.stores.jobLog.list({ mapping: 'CUSTOMER' });
  expect(jobs.map((j) => j.direction).sort()).toEqual(['FromIntegrationTable', 'ToIntegrationTable']);
  for (const j of jobs) expect(j.finishedAt).toBeInstanceOf(Date);
  expect(jobs.find((j) => j.direction === 'ToIntegrationTable')).toMatchObject({
    inserted: toCrm!.counters.inserted,
    coupled: toCrm!.counters.coupled,
  });
});

test('a second run with no change writes nothing (rule 4.6 Unchanged, 4.5 watermark)', async () => {
  const bcWrites = await emulatorWrites(stack.emulators.bc.url);
  const crmWrites = await emulatorWrites(stack.emulators.dataverse.url);
  const result = await stack.engine.runMapping('CUSTOMER');
  for (const pass of result.passes) {
    expect(pass.counters).toMatchObject({ inserted: 0, modified: 0, failed: 0 });
  }
  expect(await emulatorWrites(stack.emulators.bc.url)).toBe(bcWrites);
  expect(await emulatorWrites(stack.emulators.dataverse.url)).toBe(crmWrites);
});

test('a change on one side reaches the other, and own writes do not bounce back (rules 4.4, 4.6)', async () => {
  const [c1, c2] = (await stack.bcRecords('customers')).filter((c) => c.blocked === ' ');
  await stack.connectors.bc.update('customers', String(c1!.id), { phoneNumber: '+1 555 0101' }, '*');
  const crmId2 = (await couplingOf(String(c2!.id)))!.crmId!;
  await stack.salesCrm.update('accounts', crmId2, { name: 'Renamed in CRM' });
  const bcWrites = await emulatorWrites(stack.emulators.bc.url);
  const result = await stack.engine.runMapping('CUSTOMER');
  const [toCrm, fromCrm] = result.passes;
  expect(toCrm!.counters).toMatchObject({ modified: 1, failed: 0, inserted: 0 });
  // Rule 4.4: the account the BC -> CRM pass just wrote is not a change for the CRM -> BC pass.
  expect(fromCrm!.counters).toMatchObject({ modified: 1, failed: 0, inserted: 0 });
  expect(await emulatorWrites(stack.emulators.bc.url)).toBe(bcWrites + 1);
  const accounts = byId(await stack.crmRecords('accounts'), 'accountid');
  expect(accounts.get((await couplingOf(String(c1!.id)))!.crmId!)).toMatchObject({
    telephone1: '+1 555 0101',
  });
  const customers = byId(await stack.bcRecords('customers'));
  expect(customers.get(String(c2!.id))).toMatchObject({ displayName: 'Renamed in CRM' });
  // And the BC write of the second pass does not come back in the next run either.
  const again = await stack.engine.runMapping('CUSTOMER');
  for (const pass of again.passes) expect(pass.counters).toMatchObject({ modified: 0, inserted: 0 });
});

test('two changes in one Dataverse second are both synced (rule 4.5, better than BC)', async () => {
  const [, , c3, c4] = (await stack.bcRecords('customers')).filter((c) => c.blocked === ' ');
  const id3 = (await couplingOf(String(c3!.id)))!.crmId!;
  const id4 = (await couplingOf(String(c4!.id)))!.crmId!;
  stack.dvClock.frozenAt = Math.floor(Date.now() / 1000) * 1000 + 2000;
  try {
    await stack.salesCrm.update('accounts', id3, { websiteurl: 'www.first.example' });
    const first = await stack.engine.runMapping('CUSTOMER');
    expect(first.passes[1]!.counters).toMatchObject({ modified: 1 });
    // Same second, after the pass has read and moved the watermark to that second.
    await stack.salesCrm.update('accounts', id4, { websiteurl: 'www.second.example' });
    const accounts = byId(await stack.crmRecords('accounts'), 'accountid');
    expect(accounts.get(id4)!.modifiedon).toBe(accounts.get(id3)!.modifiedon);
    const second = await stack.engine.runMapping('CUSTOMER');
    expect(second.passes[1]!.counters).toMatchObject({ modified: 1, failed: 0 });
  } finally {
    stack.dvClock.frozenAt = undefined;
  }
  const customers = byId(await stack.bcRecords('customers'));
  expect(customers.get(String(c3!.id))).toMatchObject({ website: 'www.first.example' });
  expect(customers.get(String(c4!.id))).toMatchObject({ website: 'www.second.example' });
});

test.each([
  ['None', 'kept', 'kept'],
  ['Send Update to Integration', 'bc', 'bc'],
  ['Get Update from Integration', 'crm', 'crm'],
] as const)('update conflict with resolution %s (rule 4.6)', async (resolution, bcWins, crmWins) => {
  const engine = stack.engineWith({
    mappings: withMapping(stack.mappings, 'CUSTOMER', { updateConflictResolution: resolution }),
  });
  const customer = (await stack.bcRecords('customers')).filter((c) => c.blocked === ' ')[
    5 + ['None', 'Send Update to Integration', 'Get Update from Integration'].indexOf(resolution)
  ]!;
  const crmId = (await couplingOf(String(customer.id)))!.crmId!;
  await stack.connectors.bc.update(
    'customers',
    String(customer.id),
    { displayName: `BC side ${resolution}` },
    '*',
  );
  await stack.salesCrm.update('accounts', crmId, { name: `CRM side ${resolution}` });
  const result = await engine.runMapping('CUSTOMER');
  const bcName = byId(await stack.bcRecords('customers')).get(String(customer.id))!.displayName;
  const crmName = byId(await stack.crmRecords('accounts'), 'accountid').get(crmId)!.name;
  const expected = {
    kept: [`BC side ${resolution}`, `CRM side ${resolution}`],
    bc: [`BC side ${resolution}`, `BC side ${resolution}`],
    crm: [`CRM side ${resolution}`, `CRM side ${resolution}`],
  };
  expect([bcName, crmName]).toEqual(
    bcWins === 'kept' ? expected.kept : expected[crmWins === 'crm' ? 'crm' : 'bc'],
  );
  if (resolution === 'None') {
    expect(result.passes.map((p) => p.counters.failed)).toEqual([1, 1]);
    const errors = await stack.engine.stores.errors.list({ jobId: result.passes[0]!.jobId });
    expect(errors[0]!.message).toMatch(/changed since the last synchronization/);
    // Settle it for the following tests: BC wins.
    await stack
      .engineWith({
        mappings: withMapping(stack.mappings, 'CUSTOMER', {
          updateConflictResolution: 'Send Update to Integration',
        }),
      })
      .runMapping('CUSTOMER');
  } else {
    expect(result.passes.map((p) => p.counters.failed)).toEqual([0, 0]);
  }
});

test('a bad record fails alone; failing twice makes it Skipped; retry clears it (section 3, rules 4.2, 4.8)', async () => {
  const active = (await stack.bcRecords('customers')).filter((c) => c.blocked === ' ');
  const bad = active[9]!;
  const good = active[10]!;
  const badCrm = (await couplingOf(String(bad.id)))!.crmId!;
  const goodCrm = (await couplingOf(String(good.id)))!.crmId!;
  // An account name of 150 characters is valid in Dataverse but longer than BC's Name (Text[100]).
  const longName = 'L'.repeat(150);
  await stack.salesCrm.update('accounts', badCrm, { name: longName });
  await stack.salesCrm.update('accounts', goodCrm, { name: 'A good rename' });
  const first = await stack.engine.runMapping('CUSTOMER');
  expect(first.passes[1]!.counters).toMatchObject({ modified: 1, failed: 1 });
  const [error] = await stack.engine.stores.errors.list({ jobId: first.passes[1]!.jobId });
  expect(error).toMatchObject({
    source: { system: 'crm', id: badCrm },
    destination: { system: 'bc', id: String(bad.id).toLowerCase() },
  });
  expect(byId(await stack.bcRecords('customers')).get(String(good.id))).toMatchObject({
    displayName: 'A good rename',
  });
  expect(await couplingOf(String(bad.id))).toMatchObject({
    skipped: false,
    fromCrm: { lastResult: 'Failure' },
  });

  // Rule 4.2: retried first although not changed again; same error twice -> Skipped.
  const second = await stack.engine.runMapping('CUSTOMER');
  expect(second.passes[1]!.counters).toMatchObject({ failed: 1 });
  expect(await couplingOf(String(bad.id))).toMatchObject({ skipped: true });
  const third = await stack.engine.runMapping('CUSTOMER');
  expect(third.passes[1]!.counters).toMatchObject({ failed: 0, modified: 0 });
  await stack.salesCrm.update('accounts', badCrm, { name: 'Short again' });
  const fourth = await stack.engine.runMapping('CUSTOMER');
  expect(fourth.passes[1]!.counters).toMatchObject({ skipped: 1, modified: 0 });

  // Retry (errors page): clears Skipped, and the next run syncs it.
  expect(await stack.engine.retrySkipped('CUSTOMER')).toBeGreaterThan(0);
  const fifth = await stack.engine.runMapping('CUSTOMER');
  expect(fifth.passes[1]!.counters).toMatchObject({ modified: 1, failed: 0 });
  expect(byId(await stack.bcRecords('customers')).get(String(bad.id))).toMatchObject({
    displayName: 'Short again',
  });
  expect(await couplingOf(String(bad.id))).toMatchObject({
    skipped: false,
    fromCrm: { lastResult: 'Success' },
  });
});

test('uncoupled records are ignored when Only Coupled is set (rule 4.3)', async () => {
  const created = await stack.connectors.bc.create('customers', {
    displayName: 'Not coupled Ltd',
    salespersonCode: 'OF',
  });
  const result = await stack.engine.runMapping('CUSTOMER');
  expect(result.passes[0]!.counters).toMatchObject({ inserted: 0, failed: 0, skipped: 0 });
  expect(await couplingOf(String(created.id))).toBeNull();
});

test('coupled to a deleted record: None fails, Remove Coupling uncouples (rule 4.7)', async () => {
  const active = (await stack.bcRecords('customers')).filter((c) => c.blocked === ' ');
  const victim = active[11]!;
  const crmId = (await couplingOf(String(victim.id)))!.crmId!;
  await stack.salesCrm.delete('accounts', crmId);
  await stack.connectors.bc.update('customers', String(victim.id), { phoneNumber: '+1 555 0199' }, '*');
  const none = await stack.engine.runMapping('CUSTOMER');
  expect(none.passes[0]!.counters).toMatchObject({ failed: 1 });
  const [error] = await stack.engine.stores.errors.list({ jobId: none.passes[0]!.jobId });
  expect(error!.message).toMatch(/coupled to a deleted/);
  const remove = await stack
    .engineWith({
      mappings: withMapping(stack.mappings, 'CUSTOMER', { deletionConflictResolution: 'Remove Coupling' }),
    })
    .runMapping('CUSTOMER');
  expect(remove.passes[0]!.counters).toMatchObject({ uncoupled: 1, failed: 0 });
  expect(await couplingOf(String(victim.id))).toBeNull();
});
