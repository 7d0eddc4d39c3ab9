// The engine's activity as the workflows call it, with a heartbeat timeout sized from how long the pages of
// the runs before took (common/activityPace.ts, docs/heartbeat-timeout.md). Deterministic: the paces come
// from activity results recorded in the history.
import { patched, proxyActivities, type ActivityOptions } from '@temporalio/workflow';
import { heartbeatTimeoutMs, type RunPace } from '../common/activityPace';
import {
  JOB_QUEUE_ACTIVITY_HEARTBEAT_TIMEOUT,
  type JobQueueActivities,
  type RunEntryInput,
  type RunResult,
} from '../common/jobQueue';

/** Marks the histories whose runs got a sized heartbeat timeout (README "Changing workflow code"). */
export const SIZED_HEARTBEAT_PATCH = 'heartbeat-timeout-from-page-times';

/**
 * Runs the activity once with `options`. Without a measured pace (a first run, or results of workers
 * before this change) the timeout stays JOB_QUEUE_ACTIVITY_HEARTBEAT_TIMEOUT, so such histories issue the
 * very command they always did.
 */
export function runJobQueueEntry(
  options: ActivityOptions,
  recent: readonly RunPace[],
  input: RunEntryInput,
): Promise<RunResult> {
  const sized = recent.length > 0 && patched(SIZED_HEARTBEAT_PATCH);
  const { runJobQueueEntry: run } = proxyActivities<JobQueueActivities>({
    ...options,
    heartbeatTimeout: sized ? heartbeatTimeoutMs(recent) : JOB_QUEUE_ACTIVITY_HEARTBEAT_TIMEOUT,
  });
  return run(input);
}
