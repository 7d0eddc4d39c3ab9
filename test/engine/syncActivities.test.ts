// The Temporal activity around the engine: heartbeats a checkpoint per page, a retried attempt resumes from
// the heartbeat details (same jobs, nothing counted twice), and failures are classified for the retry policy.
import { MockActivityEnvironment } from '@temporalio/testing';
import { ApplicationFailure } from '@temporalio/common';
import { classifyFailure, createSyncActivities, type SyncHeartbeat } from '../../activities/syncActivities';
import { ApiError } from '../../activities/connectors';
import type { RunResult } from '../../common/jobQueue';
import { startEngineStack, type EngineStack } from './engineHarness';
import { prepareReferenceData } from './engineTestData';

let stack: EngineStack;
beforeAll(async () => {
  stack = await startEngineStack();
  await prepareReferenceData(stack);
});
afterAll(async () => {
  await stack?.stop();
});

const deps = () => ({
  db: stack.db,
  bc: stack.connectors.bc,
  crm: stack.connectors.dataverse,
  mappings: stack.mappings,
  integrationUserId: stack.integrationUserId,
  pageSize: 5,
});

test('a crashed attempt is resumed from its heartbeat by the retry, counting every record once', async () => {
  const heartbeats: SyncHeartbeat[] = [];
  const first = new MockActivityEnvironment({ activityId: 'a1' });
  first.on('heartbeat', (d: SyncHeartbeat) => heartbeats.push(d));
  let pages = 0;
  const crashing = createSyncActivities({
    ...deps(),
    crashAt: (point) => {
      if (point === 'afterPageCommit' && ++pages === 2) throw new Error('worker died');
    },
  });
  const accountsBefore = (await stack.crmRecords('accounts')).length;
  const active = (await stack.bcRecords('customers')).filter((c) => c.blocked === ' ');
  const input = {
    entry: 'CUSTOMER',
    mappings: ['CUSTOMER'],
    kind: 'synchronization' as const,
    fullSync: true,
  };
  const failure = await first.run(crashing.runJobQueueEntry, input).catch((e: unknown) => e);
  expect(failure).toBeInstanceOf(ApplicationFailure);
  expect((failure as ApplicationFailure).nonRetryable).toBe(false);
  const last = heartbeats.at(-1)!;
  expect(last.runKey).toBeTruthy();
  expect(last.progress).toMatchObject({ mapping: 'CUSTOMER', direction: 'toCrm', pageSeq: 1 });

  // The retry: another attempt (the activity id would be the same; the heartbeat carries the run key).
  const retry = new MockActivityEnvironment({ activityId: 'a1', attempt: 2, heartbeatDetails: last });
  const result: RunResult = await retry.run(createSyncActivities(deps()).runJobQueueEntry, input);
  // Customers the CRM held already are coupled by match, the others inserted.
  expect(result.inserted + result.coupled).toBeGreaterThanOrEqual(active.length);
  expect(result.failed).toBe(0);
  // One new account per BC customer, although the first attempt had written two pages already.
  // Every account stands for exactly one customer: none left uncoupled, none coupled twice; a create of
  // the page in flight at the crash that landed is recognised by its id and counted once, as Inserted.
  const couplings = await stack.db.cols.couplings.find({ mapping: 'CUSTOMER' }).toArray();
  const coupledIds = new Set(couplings.map((c) => c.crmId));
  const accounts = await stack.crmRecords('accounts');
  expect(accounts.filter((a) => !coupledIds.has(String(a.accountid))).map((a) => a.name)).toEqual([]);
  expect(coupledIds.size).toBe(couplings.length);
  const created = couplings.filter((c) => c.toCrm.lastAction === 'Inserted').length;
  expect(accounts.length).toBe(accountsBefore + created);
  expect(result.jobIds).toHaveLength(2);
});

test('an unknown mapping is a configuration error, not retried', async () => {
  const env = new MockActivityEnvironment();
  const err = await env
    .run(createSyncActivities(deps()).runJobQueueEntry, {
      entry: 'X',
      mappings: ['NO SUCH MAPPING'],
      kind: 'synchronization' as const,
    })
    .catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ApplicationFailure);
  expect(err).toMatchObject({ type: 'BadConfig', nonRetryable: true });
  expect((err as Error).message).toMatch(/unknown mapping "NO SUCH MAPPING"/);
});

test('failures are classified for the retry policy: throttling waits the Retry-After, validation is final', () => {
  const info = {
    system: 'dataverse',
    status: 429,
    code: '0x80072322',
    message: 'Number of requests exceeded',
    method: 'POST',
    url: 'http://dv/api/data/v9.2/$batch',
  } as const;
  const throttled = classifyFailure(
    new ApiError({ ...info, kind: 'throttled', retryAfterMs: 7000 }),
    'CUSTOMER',
  );
  expect(throttled).toMatchObject({ type: 'ApiError.throttled', nonRetryable: false });
  expect((throttled as ApplicationFailure).nextRetryDelay).toBe(7000);
  const invalid = classifyFailure(new ApiError({ ...info, status: 400, kind: 'validation' }), 'CUSTOMER');
  expect(invalid).toMatchObject({ type: 'ApiError.validation', nonRetryable: true });
  expect(classifyFailure(new Error('socket hang up'), 'CUSTOMER')).toMatchObject({
    type: 'EngineError',
    nonRetryable: false,
  });
});
