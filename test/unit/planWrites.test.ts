// The write plan of a page (planWrites.ts), rule by rule, without a server.
// | Rule                                         | Test                                                  |
// | 4.7 deletion conflict, each resolution       | a coupled record whose destination is gone            |
// | 4.6 update conflict, each resolution         | both sides changed a bidirectional field              |
// | 4.6 Unchanged                                | nothing differs after transfer                        |
// | 4.6 Modified: only differing fields, ETag    | a changed field is written with the row's ETag        |
// | 4.8 a record that cannot be mapped fails     | a field mapping error fails the record alone          |
// | exactly-once create (deterministic id, BC intent) | inserts                                          |
import { FieldMappingError, buildPayload } from '../../activities/engine/fieldMapping';
import type { Item } from '../../activities/engine/pageItem';
import { planInsert, planUpdate, type PlanContext } from '../../activities/engine/planWrites';
import { destinationId } from '../../activities/engine/deterministicId';
import type { IntegrationTableMapping } from '../../activities/mappings/integrationTableMapping';
import {
  adatum,
  adatumAccount,
  adatumCoupling,
  bcCustomers,
  crmAccounts,
  customerMapping,
  INTEGRATION_USER,
  SALES_USER,
  T1,
} from './ruleFixtures';

/** The CUSTOMER mapping with its plain bidirectional fields (no lookups: those need the lookup resolver). */
function mappingWith(change: Partial<IntegrationTableMapping> = {}): IntegrationTableMapping {
  const m = customerMapping(change);
  return {
    ...m,
    fieldMappings: m.fieldMappings.filter((f) => ['Name', 'E-Mail', 'Phone No.'].includes(f.bcCaption)),
  };
}

function context(mapping: IntegrationTableMapping, direction: 'toCrm' | 'fromCrm' = 'toCrm'): PlanContext {
  const fields = mapping.fieldMappings;
  return {
    mapping,
    direction,
    source: direction === 'toCrm' ? bcCustomers : crmAccounts,
    dest: direction === 'toCrm' ? crmAccounts : bcCustomers,
    integrationUserId: INTEGRATION_USER,
    payloadFor: (item) =>
      buildPayload(item.rec, fields, {
        direction,
        resolveLookup: () => ({ id: null }),
        warned: new Set(),
        recordLabel: item.label,
      }),
    returning: direction === 'toCrm' ? { returnColumns: ['accountid', 'versionnumber'] } : {},
  };
}

const changedAdatum = (patch: Record<string, unknown>): Item => ({
  rec: { ...adatum('W/"JzQ1O0VnQUFBQUo3QlRFQU1BQUFBQUFBQUFBQTs="'), ...patch },
  id: String(adatum().id),
  label: '10000',
  coupling: adatumCoupling(),
});

describe('rule 4.7 deletion conflict', () => {
  const item = changedAdatum({ phoneNumber: '+1 425 555 0199' });
  test('None: the record fails with what to do', () => {
    const plan = planUpdate(item, undefined, context(mappingWith({ deletionConflictResolution: 'None' })));
    expect(plan).toMatchObject({ kind: 'fail', destId: adatumAccount().accountid });
    expect(plan.kind === 'fail' && plan.message).toMatch(
      /coupled to a deleted accounts record .*Deletion-Conflict Resolution/,
    );
  });
  test('Remove Coupling', () => {
    expect(
      planUpdate(item, undefined, context(mappingWith({ deletionConflictResolution: 'Remove Coupling' }))),
    ).toEqual({
      kind: 'uncouple',
    });
  });
  test('Restore Records: created again under the old id', () => {
    expect(
      planUpdate(item, undefined, context(mappingWith({ deletionConflictResolution: 'Restore Records' }))),
    ).toEqual({
      kind: 'restore',
      destId: adatumAccount().accountid,
    });
  });
});

describe('rule 4.6 update conflict (both sides changed a bidirectional field)', () => {
  const item = changedAdatum({ phoneNumber: '+1 425 555 0199' });
  // A salesperson changed the phone in CRM too: another version, modified by a user.
  const account = { ...adatumAccount(884390), telephone1: '+1 425 555 0142', _modifiedby_value: SALES_USER };
  test('None fails the record and names the field', () => {
    const plan = planUpdate(item, account, context(mappingWith({ updateConflictResolution: 'None' })));
    expect(plan.kind).toBe('fail');
    expect(plan.kind === 'fail' && plan.message).toMatch(
      /have changed since the last synchronization \(fields: Phone No\.\)/,
    );
  });
  test('Send Update to Integration: BC wins in the BC -> CRM pass', () => {
    const plan = planUpdate(
      item,
      account,
      context(mappingWith({ updateConflictResolution: 'Send Update to Integration' })),
    );
    expect(plan).toMatchObject({
      kind: 'modify',
      op: { kind: 'update', body: { telephone1: '+1 425 555 0199' } },
    });
  });
  test('Get Update from Integration: the BC -> CRM pass leaves it to the CRM -> BC pass', () => {
    const plan = planUpdate(
      item,
      account,
      context(mappingWith({ updateConflictResolution: 'Get Update from Integration' })),
    );
    expect(plan).toEqual({ kind: 'leaveToOtherPass' });
  });
  test('a record coupled by match just now has no base: no conflict', () => {
    const plan = planUpdate({ ...item, justCoupled: true }, account, context(mappingWith()));
    expect(plan.kind).toBe('modify');
  });
});

test('rule 4.6 Unchanged: a new BC version whose mapped fields equal the account writes nothing', () => {
  const item = changedAdatum({ lastModifiedDateTime: T1.toISOString() });
  expect(planUpdate(item, adatumAccount(), context(mappingWith()))).toMatchObject({
    kind: 'unchanged',
    destId: adatumAccount().accountid,
  });
});

test('rule 4.6 Modified: only the differing fields, with the row ETag (no lost update)', () => {
  const item = changedAdatum({ email: 'r.townes@adatum.com' });
  const plan = planUpdate(item, adatumAccount(), context(mappingWith()));
  expect(plan).toMatchObject({
    kind: 'modify',
    op: {
      kind: 'update',
      entity: 'accounts',
      id: adatumAccount().accountid,
      body: { emailaddress1: 'r.townes@adatum.com' },
      etag: 'W/"884213"',
      returnColumns: ['accountid', 'versionnumber'],
    },
  });
  expect(plan.kind === 'modify' && Object.keys(plan.op.kind === 'update' ? plan.op.body : {})).toEqual([
    'emailaddress1',
  ]);
});

test('rule 4.8: a record that cannot be mapped fails alone', () => {
  const ctx = context(mappingWith());
  const failing: PlanContext = {
    ...ctx,
    payloadFor: () => {
      throw new FieldMappingError(
        "Shipment Method Code 'EXW' has no CRM option; add it to the option map",
        'Shipment Method Code',
      );
    },
  };
  const item = changedAdatum({});
  expect(planUpdate(item, adatumAccount(), failing)).toMatchObject({
    kind: 'fail',
    message: /'EXW' has no CRM option/,
  });
  expect(planInsert({ ...item, coupling: undefined }, { ...failing, now: T1 })).toMatchObject({
    kind: 'fail',
  });
  const other: PlanContext = {
    ...ctx,
    payloadFor: () => {
      throw new TypeError('bug');
    },
  };
  expect(() => planUpdate(item, adatumAccount(), other)).toThrow(TypeError);
});

describe('inserts (exactly-once create)', () => {
  test('BC -> CRM: template plus fields, with the id derived from the BC record', () => {
    const mapping = mappingWith();
    const item: Item = { rec: adatum(), id: String(adatum().id), label: '10000' };
    const plan = planInsert(item, { ...context(mapping), now: T1 });
    const id = destinationId('CUSTOMER', 'toCrm', item.id);
    expect(plan).toEqual({
      kind: 'create',
      destId: id,
      payload: expect.any(Array),
      op: {
        kind: 'create',
        entity: 'accounts',
        id,
        body: {
          customertypecode: 3,
          name: 'Adatum Corporation',
          emailaddress1: 'robert.townes@contoso.com',
          telephone1: '+1 425 555 0100',
        },
        returnColumns: ['accountid', 'versionnumber'],
      },
    });
  });

  test('CRM -> BC: only fields BC exposes, and a durable intent with the natural key', () => {
    const mapping = mappingWith();
    const account = {
      ...adatumAccount(),
      name: 'Fabrikam, Inc.',
      accountid: 'a9f3c2e1-6a2f-ef11-8409-000d3a8b2a55',
    };
    const item: Item = { rec: account, id: String(account.accountid), label: 'Fabrikam, Inc.' };
    const known = new Set(['id', 'number', 'displayName', 'phoneNumber', 'blocked', 'type']);
    const plan = planInsert(item, { ...context(mapping, 'fromCrm'), now: T1, bcFieldsKnown: known });
    const id = destinationId('CUSTOMER', 'fromCrm', item.id);
    expect(plan).toMatchObject({
      kind: 'create',
      destId: id,
      op: {
        kind: 'create',
        entity: 'customers',
        body: {
          id,
          displayName: 'Fabrikam, Inc.',
          type: 'Company',
          blocked: ' ',
          phoneNumber: '+1 425 555 0100',
        },
      },
      intent: { _id: `CUSTOMER|${id}`, state: 'pending', crmId: item.id, intent: { side: 'bc', at: T1 } },
    });
    expect(plan.kind === 'create' && plan.op.kind === 'create' && 'email' in plan.op.body).toBe(false);
  });

  test('a pending create being retried keeps its intent (no second intent)', () => {
    const mapping = mappingWith();
    const item: Item = {
      rec: adatumAccount(),
      id: String(adatumAccount().accountid),
      label: 'Adatum Corporation',
      coupling: adatumCoupling({ state: 'pending' }),
      destId: String(adatum().id),
    };
    const plan = planInsert(item, { ...context(mapping, 'fromCrm'), now: T1 });
    expect(plan).toMatchObject({ kind: 'create', destId: adatum().id });
    expect(plan.kind === 'create' && plan.intent).toBeUndefined();
  });
});
