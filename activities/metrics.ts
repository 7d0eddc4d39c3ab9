// bcsync's own metrics, next to the Temporal SDK's on the worker's Prometheus endpoint (README "Metrics
// and health"). Built on the SDK runtime's MetricMeter, so they share its exporter, prefix and tags;
// injected into the engine, the connectors and the activity, never a global.
import type { MetricMeter } from '@temporalio/common';
import type { PassDirection } from './engine/types';

export interface PassCounts {
  inserted: number;
  modified: number;
  deleted: number;
  failed: number;
}

export type ThrottlingWaitReason =
  /** Waiting for a slot or a token of the API identity's shared budget (docs/throttling.md). */
  | 'budget'
  /** Waiting out a 429's Retry-After. */
  | 'retry_after';

export interface SyncMetrics {
  /** After each pass of a mapping: records inserted / modified / deleted and records failed. */
  passFinished(mapping: string, direction: PassDirection, counts: PassCounts): void;
  /** After each attempt of an entry's run. */
  runFinished(entry: string, outcome: 'succeeded' | 'failed', durationMs: number): void;
  /** A request waited because of throttling. */
  throttlingWait(system: string, reason: ThrottlingWaitReason, waitedMs: number): void;
}

export function createSyncMetrics(meter: MetricMeter): SyncMetrics {
  const synced = meter.createCounter(
    'bcsync_records_synced',
    'records',
    'Records written to the destination by a pass, by mapping, direction and change',
  );
  const failed = meter.createCounter(
    'bcsync_records_failed',
    'records',
    'Records a pass could not synchronize (the errors page lists them), by mapping and direction',
  );
  const runDuration = meter.createHistogram(
    'bcsync_run_duration',
    'float',
    's',
    "Duration of one attempt of a job queue entry's run, by entry and outcome",
  );
  const throttled = meter.createHistogram(
    'bcsync_throttling_wait',
    'float',
    's',
    'Time a request waited because of throttling, by system and reason',
  );
  return {
    passFinished(mapping, direction, counts) {
      for (const change of ['inserted', 'modified', 'deleted'] as const)
        if (counts[change] > 0) synced.add(counts[change], { mapping, direction, change });
      // Counted even at 0, so a pass that ran shows up with its mapping and direction.
      failed.add(counts.failed, { mapping, direction });
    },
    runFinished(entry, outcome, durationMs) {
      runDuration.record(durationMs / 1000, { entry, outcome });
    },
    throttlingWait(system, reason, waitedMs) {
      throttled.record(waitedMs / 1000, { system, reason });
    },
  };
}
