// The page outcome (pageOutcome.ts) and section 3's one Skipped rule, without a server. The Customer
// Statistics job decides Skipped through the same functions (statistics.ts).
import {
  COUNTER_OF_ACTION,
  errorFingerprint,
  isRepeatedFailure,
  PageOutcome,
  retryAfterFailure,
  summary,
} from '../../activities/engine/pageOutcome';
import type { Item } from '../../activities/engine/pageItem';
import type { RetryDoc } from '../../activities/store/retryQueue';
import { zeroCounters } from '../../activities/store/jobLog';
import { adatum, adatumAccount, adatumCoupling, bcCustomers, crmAccounts, T0, T1 } from './ruleFixtures';

const REFUSED =
  "The ownerid 'b3c8a9d2-1f44-4c1e-a0f1-7d2e5c6b9a01' is disabled. CorrelationId: 6a8c2f0e-11aa-4b1e-9c0d-3e2f1a0b9c8d";

describe('the Skipped rule (section 3: the same error twice in a row)', () => {
  const fp = errorFingerprint(REFUSED);
  test('correlation ids and times do not make two errors different', () => {
    const again = REFUSED.replace('6a8c2f0e', '0f9e8d7c');
    expect(errorFingerprint(again)).toBe(fp);
    const at = (t: string) => errorFingerprint(`Request throttled until ${t}, try again later`);
    expect(at('2026-11-30T09:15:02.123Z')).toBe(at('2026-11-30T10:01:44Z'));
  });
  test('same error from another job: Skipped', () => {
    expect(isRepeatedFailure({ lastError: fp, lastJobId: 'job-1' }, fp, 'job-2')).toBe(true);
  });
  test('a different error, no earlier failure, or a replay of the same job: not Skipped', () => {
    expect(
      isRepeatedFailure({ lastError: errorFingerprint('Name is required'), lastJobId: 'job-1' }, fp, 'job-2'),
    ).toBe(false);
    expect(isRepeatedFailure(undefined, fp, 'job-2')).toBe(false);
    expect(isRepeatedFailure({ lastError: fp, lastJobId: 'job-2' }, fp, 'job-2')).toBe(false);
  });

  test('the retry entry counts failures per job and stays Skipped', () => {
    const args = {
      mapping: 'CUSTOMER',
      direction: 'toCrm' as const,
      sourceId: 'abc',
      fingerprint: fp,
      at: T1,
    };
    const first = retryAfterFailure({ ...args, prev: undefined, jobId: 'job-1' });
    expect(first).toMatchObject({
      _id: 'CUSTOMER|toCrm|abc',
      failures: 1,
      skipped: false,
      lastJobId: 'job-1',
    });
    const replay = retryAfterFailure({ ...args, prev: first, jobId: 'job-1' });
    expect(replay).toMatchObject({ failures: 1, skipped: false });
    const second = retryAfterFailure({ ...args, prev: first, jobId: 'job-2' });
    expect(second).toMatchObject({ failures: 2, skipped: true });
    const other = retryAfterFailure({
      ...args,
      prev: second,
      jobId: 'job-3',
      fingerprint: 'Name is required',
    });
    expect(other).toMatchObject({ failures: 3, skipped: true });
  });
});

function outcome(jobId = 'job-now', retryDocs = new Map<string, RetryDoc>()) {
  return new PageOutcome({
    mapping: 'CUSTOMER',
    direction: 'toCrm',
    jobId,
    pageSeq: 4,
    now: T1,
    source: bcCustomers,
    dest: crmAccounts,
    retryDocs,
  });
}
const adatumItem = (patch: Partial<Item> = {}): Item => ({
  rec: adatum('W/"new"'),
  id: String(adatum().id),
  label: '10000',
  coupling: adatumCoupling(),
  ...patch,
});

describe('PageOutcome.fail', () => {
  test('a coupled record failing for the second time with the same error becomes Skipped', () => {
    const fp = errorFingerprint(REFUSED);
    const coupling = adatumCoupling({
      toCrm: { lastResult: 'Failure', lastError: fp, lastJobId: 'job-before', lastAction: 'Failed' },
    });
    const o = outcome();
    o.fail(adatumItem({ coupling }), REFUSED, 'crm PATCH accounts(...) -> 400');
    expect(o.couplingWrites).toEqual([
      {
        kind: 'set',
        id: coupling._id,
        set: {
          toCrm: {
            lastResult: 'Failure',
            lastError: fp,
            lastJobId: 'job-now',
            lastAction: 'Failed',
            lastPageSeq: 4,
          },
          skipped: true,
          updatedAt: T1,
        },
      },
    ]);
    expect(o.retryPut[0]).toMatchObject({ skipped: true, failures: 1, lastError: fp });
    expect(o.errors[0]).toMatchObject({
      _id: `job-now|${adatum().id}`,
      direction: 'ToIntegrationTable',
      source: { system: 'bc', entity: 'customers', label: '10000' },
      destination: { system: 'crm', entity: 'accounts', id: adatumAccount().accountid },
      message: REFUSED,
      detail: 'crm PATCH accounts(...) -> 400',
    });
    expect(o.counters).toEqual({ ...zeroCounters(), failed: 1 });
  });

  test('the first failure is not Skipped; an uncoupled record is judged by its retry entry', () => {
    const o = outcome();
    o.fail(adatumItem(), REFUSED);
    expect(o.couplingWrites[0]).toMatchObject({ set: { skipped: false } });
    const retryDocs = new Map<string, RetryDoc>();
    const first = outcome('job-1', retryDocs);
    first.fail(adatumItem({ coupling: undefined }), REFUSED);
    expect(first.couplingWrites).toEqual([]);
    expect(first.retryPut[0]).toMatchObject({ skipped: false, failures: 1 });
    const second = outcome('job-2', retryDocs);
    second.fail(adatumItem({ coupling: undefined }), REFUSED);
    expect(second.retryPut[0]).toMatchObject({ skipped: true, failures: 2 });
  });
});

describe('PageOutcome.succeed', () => {
  test('records both versions and the action on the coupling, and leaves the retry queue', async () => {
    const retryDocs = new Map<string, RetryDoc>([
      [
        String(adatum().id),
        retryAfterFailure({
          prev: undefined,
          mapping: 'CUSTOMER',
          direction: 'toCrm',
          sourceId: String(adatum().id),
          fingerprint: 'x',
          jobId: 'job-before',
          at: T0,
        }),
      ],
    ]);
    const o = outcome('job-now', retryDocs);
    o.succeed(adatumItem(), 'Modified', adatumAccount(884500), String(adatumAccount().accountid));
    expect(o.couplingWrites).toHaveLength(1);
    expect(o.couplingWrites[0]).toMatchObject({
      kind: 'set',
      set: {
        state: 'coupled',
        skipped: false,
        bcVersion: 'W/"new"',
        crmVersion: '884500',
        toCrm: { lastResult: 'Success', lastAction: 'Modified', lastJobId: 'job-now', lastPageSeq: 4 },
      },
    });
    expect(o.counters.modified).toBe(1);
    const applied: string[][] = [];
    await o.commit(
      {
        errors: { addOnce: async () => undefined },
        couplings: { applyPage: async () => ({ duplicates: new Set<string>() }) },
        retries: { applyPage: async (_put: RetryDoc[], remove: string[]) => void applied.push(remove) },
      } as never,
      { remember: () => undefined, forget: () => undefined },
    );
    expect(applied).toEqual([[`CUSTOMER|toCrm|${adatum().id}`]]);
    expect(retryDocs.size).toBe(0);
  });

  test('a coupling that loses the one-to-one race becomes a failure in the counts', async () => {
    const o = outcome();
    const item = adatumItem({ coupling: undefined });
    o.succeed(item, 'Inserted', adatumAccount(), String(adatumAccount().accountid));
    const errors: unknown[] = [];
    await o.commit(
      {
        errors: { addOnce: async (e: unknown[]) => void errors.push(...e) },
        couplings: { applyPage: async () => ({ duplicates: new Set([`CUSTOMER|${adatum().id}`]) }) },
        retries: { applyPage: async () => undefined },
      } as never,
      { remember: () => undefined, forget: () => undefined },
    );
    expect(o.counters).toMatchObject({ inserted: 0, failed: 1 });
    expect(errors).toEqual([
      expect.objectContaining({ message: expect.stringMatching(/already coupled to another record/) }),
    ]);
  });
});

test('one counter per action, and the job log line', () => {
  const c = zeroCounters();
  for (const a of Object.keys(COUNTER_OF_ACTION) as (keyof typeof COUNTER_OF_ACTION)[])
    c[COUNTER_OF_ACTION[a]]++;
  expect(summary(c)).toBe('Inserted 1, Modified 1, Unchanged 1, Skipped 1, Failed 1, Coupled 1');
});
