// The `bcsync_entries{state}` gauge: how many running job queue entries are in each state, counted from
// Temporal's visibility (the BcSyncState search attribute) every COUNT_INTERVAL_MS. Every worker
// reports the same namespace-wide figure, so a dashboard takes max() over the workers.
import type { MetricMeter } from '@temporalio/common';
import type { NativeConnection } from '@temporalio/worker';
import { EntryState, searchAttributeKeys } from '../common/jobQueue';

export const COUNT_INTERVAL_MS = 30_000;

export interface EntryStateGauge {
  /** Counts once now. */
  refresh(): Promise<void>;
  stop(): void;
}

export function startEntryStateGauge(
  connection: NativeConnection,
  namespace: string,
  meter: MetricMeter,
  onError: (err: Error) => void,
): EntryStateGauge {
  const gauge = meter.createGauge(
    'bcsync_entries',
    'int',
    'entries',
    'Running job queue entries by state (Temporal visibility, namespace-wide)',
  );
  // Every state is counted before any is set: a scrape never sees half of a refresh (the first one
  // included, where the states not yet counted would be missing).
  const refresh = async () => {
    const counts: Array<[string, number]> = [];
    for (const state of Object.values(EntryState)) {
      const { count } = await connection.workflowService.countWorkflowExecutions({
        namespace,
        query: `WorkflowType = 'jobQueueEntry' AND ExecutionStatus = 'Running' AND ${searchAttributeKeys.state.name} = '${state}'`,
      });
      counts.push([state, Number(count ?? 0)]);
    }
    for (const [state, count] of counts) gauge.set(count, { state });
  };
  const tick = () => void refresh().catch((err: unknown) => onError(err as Error));
  tick();
  const timer = setInterval(tick, COUNT_INTERVAL_MS);
  timer.unref();
  return { refresh, stop: () => clearInterval(timer) };
}
