// The job queue entry workflow on the time-skipping test server: hours of schedule pass in seconds.
import os from 'node:os';
import { WorkflowFailedError, WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { encodeSearchAttributeIndexedValueType } from '@temporalio/common/lib/search-attributes';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, DefaultLogger, Runtime, Worker, type WorkflowBundle } from '@temporalio/worker';
import {
  EntryState,
  entryWorkflowId,
  searchAttributeKeyList,
  searchAttributeKeys,
  type EntryStatus,
  type JobQueueEntryInput,
} from '../../common/jobQueue';
import { jobQueueEntry } from '../../workflows';
import {
  bcChangedSignal,
  crmChangedSignal,
  holdUpdate,
  resumeUpdate,
  runNowUpdate,
  setScheduleUpdate,
} from '../../workflows/messages';
import { eventually, runResult, scriptedEngine, statusOf } from './entryTestKit';

const testServerPath =
  process.env.TEMPORAL_TEST_SERVER_PATH ?? `${os.homedir()}/.cache/bcsync/pip/bin/temporal-test-server`;
const MIN = 60_000;

let env: TestWorkflowEnvironment;
let workflowBundle: WorkflowBundle;
let started: WorkflowHandle[] = [];
let testNo = 0;

beforeAll(async () => {
  try {
    // Failing runs are expected here; their activity warnings would only bury real problems.
    Runtime.install({ logger: new DefaultLogger('ERROR') });
  } catch {
    // Another test file in this jest worker installed the runtime already.
  }
  env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: testServerPath } },
  });
  // The test server rejects upserts of unknown search attributes; it accepts this registration call.
  await env.connection.operatorService.addSearchAttributes({
    namespace: env.namespace ?? 'default',
    searchAttributes: Object.fromEntries(
      searchAttributeKeyList.map((key) => [key.name, encodeSearchAttributeIndexedValueType(key.type) ?? 0]),
    ),
  });
  workflowBundle = await bundleWorkflowCode({
    workflowsPath: require.resolve('../../workflows'),
    logger: new DefaultLogger('WARN'),
  });
});

afterEach(async () => {
  // A workflow left running would hold timers and tasks that block time skipping in the next test.
  await Promise.all(started.map((h) => h.terminate('test finished').catch(() => undefined)));
  started = [];
});

afterAll(async () => {
  await env?.teardown();
});

/** A worker on a queue of its own with the scripted engine, and a starter for entries on it. */
async function entryRig(engine: ReturnType<typeof scriptedEngine>) {
  const taskQueue = `entry-test-${++testNo}`;
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle,
    activities: engine.activities,
  });
  const start = async (input: Partial<JobQueueEntryInput> = {}) => {
    const entry = input.entry ?? 'CUSTOMER';
    const handle = await env.client.workflow.start(jobQueueEntry, {
      taskQueue,
      workflowId: entryWorkflowId(entry, `test${testNo}`),
      args: [{ entry, mappings: ['CUSTOMER'], ...input }],
    });
    started.push(handle);
    return handle;
  };
  return { worker, start };
}

const after = (iso: string | null | undefined, ms: number): string =>
  new Date(Date.parse(iso ?? '') + ms).toISOString();

describe('job queue entry workflow', () => {
  it('sleeps 720 minutes On Hold with Inactivity Timeout after an idle run, then runs again', async () => {
    const engine = scriptedEngine(() => runResult({ unchanged: 12, skipped: 1 }));
    const { worker, start } = await entryRig(engine);
    await worker.runUntil(async () => {
      const handle = await start({ mappings: ['CONTACT', 'CUSTOMER'], dependsOn: { CONTACT: ['CUSTOMER'] } });
      const held = await eventually('the idle first run', statusOf(handle), (s) => s.runs === 1);
      expect(held.state).toBe(EntryState.OnHoldWithInactivityTimeout);
      expect(held.lastRun?.outcome).toBe('No changes');
      expect(held.nextRunAt).toBe(after(held.lastRun?.finishedAt, 720 * MIN));
      // Several mappings run in dependency order.
      expect(engine.calls[0]).toEqual({
        entry: 'CUSTOMER',
        mappings: ['CUSTOMER', 'CONTACT'],
        kind: 'synchronization',
      });

      const described = await handle.describe();
      expect(described.typedSearchAttributes.get(searchAttributeKeys.state)).toBe(
        EntryState.OnHoldWithInactivityTimeout,
      );
      expect(described.typedSearchAttributes.get(searchAttributeKeys.nextRunAt)?.toISOString()).toBe(
        held.nextRunAt,
      );

      await env.sleep('719m');
      expect(engine.calls).toHaveLength(1);
      await env.sleep('2m');
      const again = await eventually('the run after the timeout', statusOf(handle), (s) => s.runs === 2);
      expect(again.lastRun?.trigger).toBe('inactivity');
      expect(engine.calls).toHaveLength(2);
    });
  });

  it('wakes on a BC change after the debounce; a burst of changes makes one run; CRM changes need the option', async () => {
    const engine = scriptedEngine();
    const { worker, start } = await entryRig(engine);
    await worker.runUntil(async () => {
      const handle = await start();
      await eventually(
        'the first run',
        statusOf(handle),
        (s) => s.state === EntryState.OnHoldWithInactivityTimeout,
      );

      await handle.signal(crmChangedSignal, { resource: 'accounts(1)' });
      const ignored = await eventually('the CRM change', statusOf(handle), (s) => s.changeSignals.crm === 1);
      expect(ignored.state).toBe(EntryState.OnHoldWithInactivityTimeout);

      for (let i = 0; i < 3; i++) await handle.signal(bcChangedSignal, { resource: `customers(${i})` });
      const woken = await eventually('the BC changes', statusOf(handle), (s) => s.changeSignals.bc === 3);
      expect(woken).toMatchObject({ state: EntryState.Ready, waitKind: 'change' });
      await env.sleep('10s');
      const ran = await eventually('the woken run', statusOf(handle), (s) => s.runs === 2);
      expect(ran.lastRun?.trigger).toBe('change');
      await env.sleep('1m');
      expect(engine.calls).toHaveLength(2);

      await handle.executeUpdate(setScheduleUpdate, { args: [{ crmWakeEnabled: true }] });
      await handle.signal(crmChangedSignal);
      await eventually('the CRM-woken state', statusOf(handle), (s) => s.state === EntryState.Ready);
      await env.sleep('10s');
      await eventually('the CRM-woken run', statusOf(handle), (s) => s.runs === 3);
    });
  });

  it('brings a Ready entry whose next run is more than a minute away forward; record failures do not fail it', async () => {
    const engine = scriptedEngine(() => runResult({ inserted: 2, failed: 1 }));
    const { worker, start } = await entryRig(engine);
    await worker.runUntil(async () => {
      const handle = await start({ schedule: { debounceMs: 2_000 } });
      const ready = await eventually('the first run', statusOf(handle), (s) => s.runs === 1);
      expect(ready).toMatchObject({
        state: EntryState.Ready,
        waitKind: 'frequency',
        attempts: 0,
        lastError: null,
      });
      expect(ready.lastRun?.outcome).toBe('Record errors');
      expect(ready.nextRunAt).toBe(after(ready.lastRun?.finishedAt, 30 * MIN));
      const described = await handle.describe();
      expect(described.typedSearchAttributes.get(searchAttributeKeys.failedCount)).toBe(1);
      expect(described.typedSearchAttributes.get(searchAttributeKeys.lastResult)).toBe('Record errors');

      await handle.signal(bcChangedSignal);
      const moved = await eventually('the change', statusOf(handle), (s) => s.waitKind === 'change');
      expect(Date.parse(moved.nextRunAt ?? '') - Date.parse(ready.lastRun?.finishedAt ?? '')).toBeLessThan(
        MIN,
      );
      await env.sleep('5s');
      await eventually('the brought-forward run', statusOf(handle), (s) => s.runs === 2);
    });
  });

  it('retries a failing run after the rerun delay, stops in Error after the maximum attempts, and restarts on resume', async () => {
    const engine = scriptedEngine(() => {
      throw ApplicationFailure.nonRetryable('BC unreachable: connect ECONNREFUSED', 'BcUnavailable');
    });
    const { worker, start } = await entryRig(engine);
    await worker.runUntil(async () => {
      const handle = await start({ schedule: { maxAttempts: 3, rerunDelaySeconds: 30 } });
      const first = await eventually('the first failure', statusOf(handle), (s) => s.attempts === 1);
      expect(first).toMatchObject({ state: EntryState.Ready, waitKind: 'retry' });
      expect(first.nextRunAt).toBe(after(first.lastRun?.finishedAt, 30_000));

      await env.sleep('31s');
      const second = await eventually('the second failure', statusOf(handle), (s) => s.attempts === 2);
      expect(second.nextRunAt).toBe(after(second.lastRun?.finishedAt, 60_000));
      await env.sleep('61s');
      const error = await eventually('Error', statusOf(handle), (s) => s.state === EntryState.Error);
      expect(error).toMatchObject({ attempts: 3, nextRunAt: null });
      expect(error.lastError?.message).toContain('BC unreachable');
      expect((await handle.describe()).typedSearchAttributes.get(searchAttributeKeys.state)).toBe(
        EntryState.Error,
      );

      await env.sleep('2d');
      expect(engine.calls).toHaveLength(3);

      engine.next = () => runResult({ modified: 4 });
      const restarted = await handle.executeUpdate(resumeUpdate);
      expect(restarted.attempts).toBe(0);
      const ok = await eventually('the run after resume', statusOf(handle), (s) => s.runs === 4);
      expect(ok).toMatchObject({ state: EntryState.Ready, attempts: 0, waitKind: 'frequency' });
      expect(ok.lastRun?.trigger).toBe('resume');

      // The recorded history replays without non-determinism (failures, Error, resume, timers).
      await Worker.runReplayHistory({ workflowBundle }, await handle.fetchHistory(), handle.workflowId);
    });
  });

  it('runs now on request, stays On Hold when a user holds it, and rejects bad settings', async () => {
    const engine = scriptedEngine(() => runResult({ inserted: 3, coupled: 3, jobIds: ['job-1'] }));
    const { worker, start } = await entryRig(engine);
    await worker.runUntil(async () => {
      const handle = await start({
        entry: 'Customer Statistics',
        kind: 'statistics',
        mappings: [],
        startOnHold: true,
        searchAttributes: false,
      });
      await env.sleep('1h');
      expect(engine.calls).toHaveLength(0);
      expect((await statusOf(handle)()).state).toBe(EntryState.OnHold);
      expect((await handle.describe()).typedSearchAttributes.get(searchAttributeKeys.state)).toBeUndefined();

      const result = await handle.executeUpdate(runNowUpdate, { args: [{ fullSync: true }] });
      expect(result).toEqual(runResult({ inserted: 3, coupled: 3, jobIds: ['job-1'] }));
      expect(engine.calls[0]).toEqual({
        entry: 'Customer Statistics',
        mappings: [],
        kind: 'statistics',
        fullSync: true,
      });
      // A manual run does not lift a user's hold.
      expect((await statusOf(handle)()).state).toBe(EntryState.OnHold);

      await expect(handle.executeUpdate(setScheduleUpdate, { args: [{ maxAttempts: 0 }] })).rejects.toThrow(
        WorkflowUpdateFailedError,
      );
      const rejected = await handle
        .executeUpdate(setScheduleUpdate, { args: [{ frequencyMinutes: 'often' as unknown as number }] })
        .catch((err: WorkflowUpdateFailedError) => err.cause);
      expect(rejected).toBeInstanceOf(ApplicationFailure);
      expect((rejected as ApplicationFailure).message).toMatch(/frequencyMinutes/);

      const changed = await handle.executeUpdate(setScheduleUpdate, { args: [{ frequencyMinutes: 15 }] });
      expect(changed.schedule).toMatchObject({
        frequencyMinutes: 15,
        inactivityTimeoutMinutes: 720,
        maxAttempts: 10,
      });

      const ready = await handle.executeUpdate(resumeUpdate);
      expect(ready.state).toBe(EntryState.Ready);
      await eventually('the run after resume', statusOf(handle), (s) => s.runs === 2);
      const held = await handle.executeUpdate(holdUpdate);
      expect(held).toMatchObject({ state: EntryState.OnHold, nextRunAt: null });
      await env.sleep('1d');
      expect(engine.calls).toHaveLength(2);
    });
  });

  it('fails at once, naming the field, when started with an unusable input', async () => {
    const engine = scriptedEngine();
    const { worker, start } = await entryRig(engine);
    await worker.runUntil(async () => {
      const handle = await start({ mappings: [], schedule: { maxAttempts: 0 } });
      const failure = await handle.result().catch((err: WorkflowFailedError) => err.cause);
      expect(failure).toBeInstanceOf(ApplicationFailure);
      expect((failure as ApplicationFailure).message).toMatch(
        /mappings: a synchronization entry needs at least one mapping/,
      );
      expect((failure as ApplicationFailure).message).toMatch(/schedule\.maxAttempts/);
      expect(engine.calls).toHaveLength(0);
    });
  });

  it('continues as new before history grows large, keeping its state and the changes signalled meanwhile', async () => {
    const engine = scriptedEngine();
    const { worker, start } = await entryRig(engine);
    await worker.runUntil(async () => {
      const handle = await start({ continueAsNewAtHistoryLength: 20, schedule: { maxAttempts: 7 } });
      const first = await eventually('the first run', statusOf(handle), (s) => s.runs === 1);
      expect(first.generation).toBe(0);

      // Each signal adds history: the entry continues as new while the wake they asked for is pending.
      const signals = 25;
      for (let i = 0; i < signals; i++) await handle.signal(bcChangedSignal, { resource: `customers(${i})` });
      const carried: EntryStatus = await eventually(
        'continue-as-new with every signal counted',
        statusOf(handle),
        (s) => s.generation >= 1 && s.changeSignals.bc === signals,
      );
      expect(carried).toMatchObject({ state: EntryState.Ready, waitKind: 'change', runs: 1 });
      expect(carried.schedule.maxAttempts).toBe(7);
      expect(carried.lastRun).toEqual(first.lastRun);
      // The first run ended by continuing as new after it had taken in signals: the wake they asked for
      // was still pending and crossed over.
      const firstRun = await env.client.workflow
        .getHandle(handle.workflowId, handle.firstExecutionRunId)
        .fetchHistory();
      const events = firstRun.events ?? [];
      expect(events.some((e) => e.workflowExecutionSignaledEventAttributes)).toBe(true);
      expect(events.at(-1)?.workflowExecutionContinuedAsNewEventAttributes).toBeTruthy();

      await env.sleep('10s');
      const ran = await eventually('the pending wake', statusOf(handle), (s) => s.runs === 2);
      expect(ran.lastRun?.trigger).toBe('change');
      expect(engine.calls).toHaveLength(2);
    });
  });
});
