// The first per-record decision of a pass (classify.ts), rule by rule, without a server.
// | Rule (docs/sync rules)                               | Test                                          |
// | exactly-once replay after a crash                    | replayed records are counted once, not sent   |
// | 4.6 skipped coupling -> Skip                         | Skipped records are skipped                   |
// | 4.3 Only Coupled                                     | uncoupled records are ignored, except retries |
// | 4.4 echo / "modified since last sync" (section 3)    | an unchanged version is ignored               |
// | 4.6 no coupling -> insert, coupled+changed -> update | classify sorts a page                         |
import { classify, classifyRecord, pageItems, type ClassifyContext } from '../../activities/engine/classify';
import type { RetryDoc } from '../../activities/store/retryQueue';
import { adatum, adatumCoupling, bcCustomers, INTEGRATION_USER, T0 } from './ruleFixtures';

const ctx: ClassifyContext = {
  direction: 'toCrm',
  jobId: 'job-now',
  countedThrough: 2,
  retryPhase: false,
  syncOnlyCoupled: false,
  source: bcCustomers,
  integrationUserId: INTEGRATION_USER,
};

const failedInsert = (skipped: boolean): RetryDoc => ({
  _id: `CUSTOMER|toCrm|${String(adatum().id)}`,
  mapping: 'CUSTOMER',
  direction: 'toCrm',
  sourceId: String(adatum().id),
  skipped,
  failures: skipped ? 2 : 1,
  lastError: 'Salesperson Code: PS has no coupled CRM user',
  lastJobId: 'job-previous',
  at: T0,
});

describe('replay after a crash (exactly once)', () => {
  test('a record this job wrote on an uncommitted page is counted from its coupling, not sent again', () => {
    const c = adatumCoupling({
      toCrm: { lastResult: 'Success', lastJobId: 'job-now', lastPageSeq: 3, lastAction: 'Inserted' },
    });
    expect(classifyRecord(adatum(), c, undefined, ctx)).toEqual({
      kind: 'replayed',
      succeeded: true,
      countAs: 'Inserted',
    });
  });

  test('on a committed page it was counted already', () => {
    const c = adatumCoupling({
      toCrm: { lastResult: 'Failure', lastJobId: 'job-now', lastPageSeq: 2, lastAction: 'Failed' },
    });
    expect(classifyRecord(adatum('W/"other"'), c, undefined, ctx)).toEqual({
      kind: 'replayed',
      succeeded: false,
    });
  });

  test('the other direction of the same job is not a replay', () => {
    const c = adatumCoupling({
      fromCrm: { lastResult: 'Success', lastJobId: 'job-now', lastPageSeq: 3, lastAction: 'Modified' },
    });
    expect(classifyRecord(adatum('W/"changed"'), c, undefined, ctx).kind).toBe('update');
  });
});

describe('rule 4.6 Skip', () => {
  test('a Skipped coupling is skipped even when the record changed', () => {
    expect(classifyRecord(adatum('W/"changed"'), adatumCoupling({ skipped: true }), undefined, ctx)).toEqual({
      kind: 'skip',
    });
  });

  test('an uncoupled record whose insert failed twice is skipped; after one failure it is tried again', () => {
    expect(classifyRecord(adatum(), undefined, failedInsert(true), ctx).kind).toBe('skip');
    expect(classifyRecord(adatum(), undefined, failedInsert(false), ctx).kind).toBe('insert');
  });
});

describe('rule 4.3 Only Coupled', () => {
  const onlyCoupled = { ...ctx, syncOnlyCoupled: true };
  test('an uncoupled record is ignored (and not counted)', () => {
    expect(classifyRecord(adatum(), undefined, undefined, onlyCoupled)).toEqual({
      kind: 'ignore',
      rule: 'onlyCoupled',
    });
  });
  test('but a failed one is retried in the retry phase (rule 4.2)', () => {
    expect(
      classifyRecord(adatum(), undefined, failedInsert(false), { ...onlyCoupled, retryPhase: true }).kind,
    ).toBe('insert');
  });
});

describe('changed since the last sync (section 3, rule 4.4)', () => {
  test('the version the last sync recorded is not a change (overlap re-read, own write)', () => {
    expect(classifyRecord(adatum(), adatumCoupling(), undefined, ctx)).toEqual({
      kind: 'ignore',
      rule: 'notChanged',
    });
  });
  test('another version is', () => {
    expect(
      classifyRecord(
        adatum('W/"JzQ1O0VnQUFBQUo3QlRFQU1BQUFBQUFBQUFBQTs="'),
        adatumCoupling(),
        undefined,
        ctx,
      ),
    ).toEqual({
      kind: 'update',
    });
  });
  test('the retry phase re-sends a coupled failure whatever its version', () => {
    expect(classifyRecord(adatum(), adatumCoupling(), undefined, { ...ctx, retryPhase: true }).kind).toBe(
      'update',
    );
  });
  test('a pending create intent is resolved before anything else', () => {
    const pending = adatumCoupling({ state: 'pending' });
    expect(classifyRecord(adatum(), pending, undefined, ctx).kind).toBe('pending');
  });
});

test('classify sorts a page and attaches each coupling, leaving the input alone', () => {
  const adatumRec = adatum('W/"changed"');
  const trey = {
    ...adatum(),
    id: 'e2a1d5c4-44e3-ea11-bb43-000d3a2feca1',
    number: '20000',
    displayName: 'Trey Research',
  };
  const skippedRec = {
    ...adatum(),
    id: '77c2b1d0-44e3-ea11-bb43-000d3a2feca1',
    number: '30000',
    displayName: 'School of Fine Art',
  };
  const items = pageItems(bcCustomers, [adatumRec, trey, skippedRec, { ...trey }, { number: 'no id' }]);
  expect(items.map((i) => i.label)).toEqual(['10000', '20000', '30000']);
  const couplings = new Map([
    [String(adatumRec.id), adatumCoupling()],
    [String(skippedRec.id), adatumCoupling({ skipped: true })],
  ]);
  const page = classify(items, couplings, new Map(), ctx);
  expect(page.updates.map((i) => i.label)).toEqual(['10000']);
  expect(page.updates[0]!.coupling).toBe(couplings.get(String(adatumRec.id)));
  expect(page.inserts.map((i) => i.label)).toEqual(['20000']);
  expect(page.skipped.map((i) => i.label)).toEqual(['30000']);
  expect(items[0]!.coupling).toBeUndefined();
});
