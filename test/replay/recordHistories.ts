// Records the histories the replay test (replay.test.ts) replays: every workflow type in the states a
// deployed workflow can be in when new code reaches it. Run `npm run histories:record` ONLY when no
// deployed history can contain the changed code path (README "Changing workflow code"); otherwise keep
// the old histories and make the change with `patched()`. Names as arguments
// (`npm run histories:record -- dry-run`) write only those: a new workflow type or state gets its
// history while the ones recorded by older code stay as they are.
//
// Scenarios run on the time-skipping test server with the production workflow bundle
// (dist/workflow-bundle.js) and scripted activities, so months of schedule pass in seconds and each
// history is the same on every refresh (except times and ids).
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { join } from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { encodeSearchAttributeIndexedValueType } from '@temporalio/common/lib/search-attributes';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import {
  entryWorkflowId,
  searchAttributeKeyList,
  type JobQueueEntryInput,
  type RunEntryInput,
  runResult,
  type RunResult,
} from '../../common/jobQueue';
import type {
  dryRun,
  fullSynchronization,
  jobQueueEntry,
  lineageRetention,
  stackCheck,
} from '../../workflows';
import {
  approveUpdate,
  bcChangedSignal,
  holdUpdate,
  resumeUpdate,
  runNowUpdate,
  setScheduleUpdate,
  statusQuery,
} from '../../workflows/messages';
import { binaries } from '../../devservers/paths';
import { readSettings } from '../../config/settings';

const historiesDir = join(__dirname, 'histories');
const exec = promisify(execFile);
const { dev } = readSettings(process.env);
const only = process.argv.slice(2);
const temporalCli = binaries(dev.cacheDir).temporal;
const bundlePath = join(__dirname, '..', '..', 'dist', 'workflow-bundle.js');

const result = runResult;

async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function run(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: {
      executable: {
        type: 'existing-path',
        path: dev.temporalTestServerPath ?? binaries(dev.cacheDir).temporalTestServer,
      },
    },
  });
  try {
    await env.connection.operatorService.addSearchAttributes({
      namespace: env.namespace ?? 'default',
      searchAttributes: Object.fromEntries(
        searchAttributeKeyList.map((k) => [k.name, encodeSearchAttributeIndexedValueType(k.type) ?? 0]),
      ),
    });
    // What the scripted engine answers next, per entry.
    let next: (input: RunEntryInput) => RunResult = () => result({ unchanged: 3 });
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue: 'replay-recording',
      workflowBundle: { codePath: bundlePath },
      activities: {
        runJobQueueEntry: async (input: RunEntryInput) => next(input),
        recordStackCheck: async (token: string) => ({
          token,
          database: 'bcsync',
          writtenAt: new Date(0).toISOString(),
          readBack: true,
        }),
        pruneLineage: async () => ({
          retentionDays: 30,
          before: new Date(0).toISOString(),
          deleted: 12,
        }),
      },
    });
    const recorded: string[] = [];
    const save = async (name: string, handle: WorkflowHandle, runId?: string) => {
      if (only.length > 0 && !only.includes(name)) return;
      const h = runId ? env.client.workflow.getHandle(handle.workflowId, runId) : handle;
      // The `temporal` CLI's JSON: the format the Web UI downloads and `historyFromJSON` reads.
      const { stdout } = await exec(
        temporalCli,
        [
          'workflow',
          'show',
          '--address',
          env.address,
          '-w',
          h.workflowId,
          ...(runId ? ['-r', runId] : []),
          '-o',
          'json',
        ],
        { maxBuffer: 64 * 1024 * 1024 },
      );
      writeFileSync(join(historiesDir, `${name}.json`), stdout);
      recorded.push(name);
    };
    const entry = (id: string, input: Partial<JobQueueEntryInput> = {}) =>
      env.client.workflow.start<typeof jobQueueEntry>('jobQueueEntry', {
        taskQueue: 'replay-recording',
        workflowId: entryWorkflowId(input.entry ?? 'CUSTOMER', id),
        args: [{ entry: 'CUSTOMER', mappings: ['CUSTOMER'], ...input }],
      });
    const runs = (h: WorkflowHandle, n: number) =>
      until(`${n} runs of ${h.workflowId}`, async () => (await h.query(statusQuery)).runs >= n);
    mkdirSync(historiesDir, { recursive: true });

    await worker.runUntil(async () => {
      // Held: idle runs, On Hold with Inactivity Timeout, the timeout fires, held again.
      const held = await entry('replay-held', {
        mappings: ['CONTACT', 'CUSTOMER'],
        dependsOn: { CONTACT: ['CUSTOMER'] },
      });
      await runs(held, 1);
      await env.sleep('721m');
      await runs(held, 2);
      await save('entry-held', held);

      // Woken: changes found (frequency wait), then a BC change wakes the entry early; a user's run now,
      // hold, resume and schedule change.
      next = () => result({ modified: 2 });
      const woken = await entry('replay-woken');
      await runs(woken, 1);
      await woken.signal(bcChangedSignal, { resource: 'customers(4fa2a9a5-8c5a-ef11-bfe4-6045bde9c4a1)' });
      await env.sleep('2m');
      await runs(woken, 2);
      await woken.executeUpdate(runNowUpdate, { args: [{}] });
      await runs(woken, 3);
      await woken.executeUpdate(holdUpdate);
      await woken.executeUpdate(setScheduleUpdate, { args: [{ frequencyMinutes: 15 }] });
      await woken.executeUpdate(resumeUpdate);
      await runs(woken, 4);
      await save('entry-woken', woken);

      // Paced: the runs report how long their pages took, so the second run gets a heartbeat timeout sized
      // from the first one's slowest page (patched 'heartbeat-timeout-from-page-times').
      next = () => result({ modified: 1, pace: { slowestPageMs: 45_000, heartbeatMinimumMs: 60_000 } });
      const paced = await entry('replay-paced');
      await runs(paced, 1);
      await paced.executeUpdate(runNowUpdate, { args: [{}] });
      await runs(paced, 2);
      await save('entry-paced', paced);

      // Failed: every attempt fails, retries after the rerun delay, Error after the maximum attempts,
      // then a resume that succeeds.
      next = () => {
        throw ApplicationFailure.nonRetryable('BC unreachable: connect ECONNREFUSED', 'BcUnavailable');
      };
      const failed = await entry('replay-failed', {
        schedule: {
          frequencyMinutes: 30,
          inactivityTimeoutMinutes: 720,
          maxAttempts: 2,
          rerunDelaySeconds: 30,
        },
      });
      await runs(failed, 1);
      await env.sleep('31s');
      await runs(failed, 2);
      next = () => result({ inserted: 1, coupled: 1 });
      await failed.executeUpdate(resumeUpdate);
      await runs(failed, 3);
      await save('entry-failed', failed);

      // Continue-as-new: a short history limit makes the entry continue as new; both runs are kept.
      next = () => result({ modified: 1 });
      const continued = await entry('replay-continued', { continueAsNewAtHistoryLength: 20 });
      const firstRunId = continued.firstExecutionRunId;
      for (let i = 0; (await continued.describe()).runId === firstRunId; i++) {
        if (i > 20) throw new Error('the entry did not continue as new');
        await env.sleep('31m');
      }
      await save('entry-before-continue-as-new', continued, firstRunId);
      const current = env.client.workflow.getHandle(continued.workflowId);
      await runs(current, 1);
      await save('entry-after-continue-as-new', current);

      // Full synchronization: every mapping in dependency order, one of them failing.
      next = (input) => {
        if (input.mappings[0] === 'CONTACT')
          throw ApplicationFailure.nonRetryable('CONTACT: field mapping invalid', 'BadConfig');
        return result({ inserted: 2, coupled: 2 });
      };
      const full = await env.client.workflow.start<typeof fullSynchronization>('fullSynchronization', {
        taskQueue: 'replay-recording',
        workflowId: 'bcsync-full-sync-replay',
        args: [{ mappings: ['CONTACT', 'CUSTOMER', 'SALESPEOPLE'], dependsOn: { CONTACT: ['CUSTOMER'] } }],
      });
      await full.result();
      await save('full-synchronization', full);

      const check = await env.client.workflow.start<typeof stackCheck>('stackCheck', {
        taskQueue: 'replay-recording',
        workflowId: 'bcsync-stack-check-replay',
        args: ['replay'],
      });
      await check.result();
      await save('stack-check', check);

      // Lineage retention: the daily clean-up the `bcsync-lineage-retention` schedule starts.
      const prune = await env.client.workflow.start<typeof lineageRetention>('lineageRetention', {
        taskQueue: 'replay-recording',
        workflowId: 'bcsync-lineage-retention-replay',
      });
      await prune.result();
      await save('lineage-retention', prune);

      // Stopped by the blast-radius guard: On Hold with the guard's reason until `approve`, whose run is
      // forced past the guard.
      next = (input) =>
        input.force
          ? result({ modified: 40 })
          : result({
              guard: {
                mapping: 'CUSTOMER',
                coupled: 50,
                wouldChange: 40,
                maxShare: 0.5,
                message: 'CUSTOMER: the run would change 40 of 50 coupled records (80%, more than 50%)',
              },
            });
      const guarded = await entry('replay-guarded');
      await until('the guard hold', async () => (await guarded.query(statusQuery)).holdReason !== null);
      await guarded.executeUpdate(approveUpdate);
      await runs(guarded, 2);
      await save('entry-guard-approved', guarded);

      // Dry run: one activity run on dry-run connectors, its plan the result.
      next = () => result({ inserted: 3, plan: [] });
      const dry = await env.client.workflow.start<typeof dryRun>('dryRun', {
        taskQueue: 'replay-recording',
        workflowId: 'bcsync-dry-run-replay',
        args: [{ entry: 'CUSTOMER', mappings: ['CUSTOMER'], dependsOn: {}, fullSync: false }],
      });
      await dry.result();
      await save('dry-run', dry);

      for (const h of [held, woken, failed, current, guarded]) await h.terminate('recorded');
    });
    console.log(`recorded ${recorded.length} histories in ${historiesDir}: ${recorded.join(', ')}`);
  } finally {
    await env.teardown();
  }
}

run().catch((err) => {
  console.error(err);
  process.exit(1);
});
