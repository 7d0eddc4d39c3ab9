// The entry on a real Temporal dev server (TEMPORAL_ADDRESS, from the jest global setup, with the BcSync*
// search attributes registered): what a person filters on in the Temporal UI. Skipped without a server.
//
// Also the heartbeat timeout sized from page times (docs/heartbeat-timeout.md) on a real Temporal dev server:
// the entry workflow gives a run max(floor, 4 x the slowest page of the runs before), so a page that keeps
// the activity silent longer than the floor - a worker busy deciding a large page - is not declared dead,
// while a run whose pages were all fast keeps the floor and a silent activity is timed out by it. The
// activity is scripted; its pace is measured by the sync activity's own heartbeat clock
// (activities/activityHeartbeat.ts). No time is asserted: the server times out late under load, never early.
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Context } from '@temporalio/activity';
import { Client, Connection, type WorkflowExecutionInfo, type WorkflowHandle } from '@temporalio/client';
import {
  bundleWorkflowCode,
  DefaultLogger,
  NativeConnection,
  Runtime,
  Worker,
  type WorkflowBundle,
} from '@temporalio/worker';
import { keepHeartbeating } from '../../activities/activityHeartbeat';
import { heartbeatTimeoutMs, type RunPace } from '../../common/activityPace';
import {
  EntryState,
  entryWorkflowId,
  searchAttributeKeys,
  type JobQueueActivities,
  type RunResult,
} from '../../common/jobQueue';
import { runNowUpdate } from '../../workflows/messages';
import { jobQueueEntry } from '../../workflows';
import { eventually, runResult, scriptedEngine, statusOf } from './entryTestKit';

const address = process.env.TEMPORAL_ADDRESS;
const namespace = process.env.TEMPORAL_NAMESPACE ?? 'default';
const describeWithServer = address ? describe : describe.skip;

/** The worker's floor in these tests: 1 s instead of 120 s. */
const FLOOR_MS = 1_000;
/** How long the second run's page keeps the activity silent: longer than the floor. */
const SILENT_MS = 2_500;

interface Attempt {
  run: number;
  attempt: number;
  heartbeatTimeoutMs: number | undefined;
}

/**
 * The engine's activity, scripted: the first run commits two pages, the first of them taking `firstPageMs`
 * (measured as the real activity measures it); later runs say nothing for SILENT_MS on the first attempt.
 */
function scriptedRuns(firstPageMs: number) {
  const attempts: Attempt[] = [];
  const paces: RunPace[] = [];
  let runs = 0;
  const activities: JobQueueActivities = {
    async runJobQueueEntry(): Promise<RunResult> {
      const ctx = Context.current();
      if (ctx.info.attempt === 1) runs++;
      attempts.push({
        run: runs,
        attempt: ctx.info.attempt,
        heartbeatTimeoutMs: ctx.info.heartbeatTimeoutMs,
      });
      if (runs === 1) {
        const heartbeat = keepHeartbeating(ctx, { page: 0 });
        try {
          await sleep(firstPageMs);
          heartbeat.beat({ page: 1 });
          heartbeat.beat({ page: 2 });
          const pace = { slowestPageMs: heartbeat.slowestBeatGapMs(), heartbeatMinimumMs: FLOOR_MS };
          paces.push(pace);
          return runResult({ inserted: 1, pace });
        } finally {
          heartbeat.stop();
        }
      }
      if (ctx.info.attempt === 1) await sleep(SILENT_MS);
      return runResult({ inserted: 1 });
    },
  };
  return { activities, attempts, paces };
}

describeWithServer('job queue entry on a Temporal dev server', () => {
  let connection: Connection;
  let nativeConnection: NativeConnection;
  let client: Client;
  let workflowBundle: WorkflowBundle;
  let handle: WorkflowHandle | undefined;

  beforeAll(async () => {
    try {
      Runtime.install({ logger: new DefaultLogger('WARN') });
    } catch {
      // Another test file in this jest worker installed the runtime already.
    }
    connection = await Connection.connect({ address });
    nativeConnection = await NativeConnection.connect({ address });
    client = new Client({ connection, namespace });
    workflowBundle = await bundleWorkflowCode({
      workflowsPath: require.resolve('../../workflows'),
      logger: new DefaultLogger('WARN'),
    });
  });

  afterAll(async () => {
    await handle?.terminate('test finished').catch(() => undefined);
    await nativeConnection?.close();
    await connection?.close();
  });

  it('lists an idle entry under BcSyncState = On Hold with Inactivity Timeout, with its mapping and next run', async () => {
    const engine = scriptedEngine(() => runResult({ unchanged: 5 }));
    const taskQueue = `entry-devserver-${randomUUID()}`;
    const workflowId = entryWorkflowId('CUSTOMER', `devserver-${randomUUID()}`);
    const worker = await Worker.create({
      connection: nativeConnection,
      namespace,
      taskQueue,
      workflowBundle,
      activities: engine.activities,
    });
    await worker.runUntil(async () => {
      handle = await client.workflow.start(jobQueueEntry, {
        taskQueue,
        workflowId,
        args: [{ entry: 'CUSTOMER', mappings: ['CUSTOMER'] }],
      });
      const held = await eventually('the idle first run', statusOf(handle), (s) => s.runs === 1);
      expect(held.state).toBe(EntryState.OnHoldWithInactivityTimeout);

      const listed = await eventually(
        'the entry in the visibility store',
        async () => {
          const found: WorkflowExecutionInfo[] = [];
          const query = `BcSyncState = '${EntryState.OnHoldWithInactivityTimeout}' AND WorkflowId = '${workflowId}'`;
          for await (const execution of client.workflow.list({ query })) found.push(execution);
          return found;
        },
        (found) => found.length === 1,
      );
      const attributes = listed[0].typedSearchAttributes;
      expect(attributes.get(searchAttributeKeys.mapping)).toBe('CUSTOMER');
      expect(attributes.get(searchAttributeKeys.lastResult)).toBe('No changes');
      expect(attributes.get(searchAttributeKeys.failedCount)).toBe(0);
      expect(attributes.get(searchAttributeKeys.nextRunAt)?.toISOString()).toBe(held.nextRunAt);
    });
  });

  /** Starts an entry, lets its first run finish, asks for a second run; returns what the activity saw. */
  async function twoRuns(firstPageMs: number) {
    const scripted = scriptedRuns(firstPageMs);
    const taskQueue = `heartbeat-sizing-${randomUUID()}`;
    const worker = await Worker.create({
      connection: nativeConnection,
      namespace,
      taskQueue,
      workflowBundle,
      activities: scripted.activities,
    });
    const handle = await client.workflow.start(jobQueueEntry, {
      taskQueue,
      workflowId: entryWorkflowId('CUSTOMER', `heartbeat-${randomUUID()}`),
      args: [{ entry: 'CUSTOMER', mappings: ['CUSTOMER'], searchAttributes: false }],
    });
    try {
      await worker.runUntil(async () => {
        await eventually('the first run', statusOf(handle), (s) => s.runs === 1);
        await handle.executeUpdate(runNowUpdate, { args: [{}] });
      });
    } finally {
      await handle.terminate('test finished').catch(() => undefined);
    }
    return scripted;
  }

  it('a run after a slow page gets 4 x that page, and a page silent longer than the floor passes', async () => {
    const { attempts, paces } = await twoRuns(2_000);
    const expected = heartbeatTimeoutMs(paces);
    expect(expected).toBeGreaterThanOrEqual(4 * 2_000);
    // The first run had nothing measured: the fixed 2 minutes.
    expect(attempts[0]).toEqual({ run: 1, attempt: 1, heartbeatTimeoutMs: 120_000 });
    // The second run: the sized timeout, and its silent page was not declared dead (one attempt).
    expect(attempts.filter((a) => a.run === 2)).toEqual([
      { run: 2, attempt: 1, heartbeatTimeoutMs: expected },
    ]);
  });

  it('a run after fast pages keeps the floor, and the same silent page is timed out by it', async () => {
    const { attempts, paces } = await twoRuns(0);
    expect(heartbeatTimeoutMs(paces)).toBe(FLOOR_MS);
    // Attempt 1 said nothing for longer than the floor: Temporal declared it dead and retried.
    expect(attempts.filter((a) => a.run === 2)).toEqual([
      { run: 2, attempt: 1, heartbeatTimeoutMs: FLOOR_MS },
      { run: 2, attempt: 2, heartbeatTimeoutMs: FLOOR_MS },
    ]);
  });
});
