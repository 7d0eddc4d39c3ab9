// How long a sync activity may go without a heartbeat: sized from how long its pages took
// (docs/heartbeat-timeout.md). The activity reports its slowest page and the worker's configured minimum
// in its result; the workflow - deterministically, from those recorded results - gives the next run
// max(minimum, PAGE_TIME_FACTOR x the slowest page of the last RECENT_RUNS runs). Pure: bundled into the
// workflow sandbox.

/** What a run of the sync activity measured (RunResult.pace). */
export interface RunPace {
  /** The longest stretch between two committed pages (the first from the start, the last to the end). */
  slowestPageMs: number;
  /** The worker's configured floor (BCSYNC_HEARTBEAT_TIMEOUT_MIN_SECONDS). */
  heartbeatMinimumMs: number;
}

/** The heartbeat timeout of a run before any run has reported its pace (and the default floor). */
export const DEFAULT_HEARTBEAT_TIMEOUT_MS = 120_000;
/** How many times the slowest recent page a run may stay silent: a page twice as slow still passes. */
export const PAGE_TIME_FACTOR = 4;
/** Runs whose pages count as "recent". */
export const RECENT_RUNS = 5;
/** Never more than this: a run that really hangs is still declared dead within half an hour. */
export const MAX_HEARTBEAT_TIMEOUT_MS = 30 * 60_000;

/** The heartbeat timeout (ms) for the next run, from the paces of the recent runs (oldest first). */
export function heartbeatTimeoutMs(recent: readonly RunPace[]): number {
  const latest = recent[recent.length - 1];
  if (!latest) return DEFAULT_HEARTBEAT_TIMEOUT_MS;
  const slowest = Math.max(0, ...recent.map((p) => p.slowestPageMs));
  const sized = Math.max(latest.heartbeatMinimumMs, Math.ceil(PAGE_TIME_FACTOR * slowest));
  return Math.min(MAX_HEARTBEAT_TIMEOUT_MS, sized);
}

/** The recent paces with one more run's (a run without a pace - an older worker's - changes nothing). */
export function withPace(recent: readonly RunPace[], pace: RunPace | undefined): RunPace[] {
  if (!pace || !Number.isFinite(pace.slowestPageMs) || !Number.isFinite(pace.heartbeatMinimumMs))
    return [...recent];
  return [...recent, pace].slice(-RECENT_RUNS);
}
