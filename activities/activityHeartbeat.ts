// Heartbeats of a long activity that are not tied to its pace. The engine heartbeats a checkpoint after
// each committed page, but one page can take longer than the heartbeat timeout when the APIs are slow (a
// 1,000-operation $batch at 1 s per request, a retry re-checking a page, a Customer Statistics run): the
// server would then declare a live attempt dead, and the retry would meet the same wall. So while the
// activity runs, the latest details are sent again at a fraction of the heartbeat timeout. A hung request
// is still bounded - by the transport's request timeout, not by the heartbeat (temporal-practices.md).
import type { Context } from '@temporalio/activity';

/** Heartbeats per heartbeat timeout: one lost or late heartbeat never times the attempt out. */
const BEATS_PER_TIMEOUT = 4;
const MIN_INTERVAL_MS = 200;
const MAX_INTERVAL_MS = 30_000;

export interface ActivityHeartbeat<T> {
  /** New details (a committed checkpoint): sent now, and repeated until the next one. */
  beat(details: T): void;
  /** Stops the repeats (the activity has returned or failed). */
  stop(): void;
  /**
   * The longest stretch between two new details - one page, from the start to the first and from the last
   * to now included (ms): what the next run's heartbeat timeout is sized from (common/activityPace.ts).
   */
  slowestBeatGapMs(): number;
}

/** The interval between repeats for a heartbeat timeout (the SDK throttles what it sends as well). */
export function heartbeatInterval(heartbeatTimeoutMs: number | undefined): number {
  if (!heartbeatTimeoutMs || heartbeatTimeoutMs <= 0) return MAX_INTERVAL_MS;
  return Math.min(MAX_INTERVAL_MS, Math.max(MIN_INTERVAL_MS, heartbeatTimeoutMs / BEATS_PER_TIMEOUT));
}

export function keepHeartbeating<T>(
  ctx: Pick<Context, 'heartbeat' | 'info'>,
  initial: T,
  clock: () => number = () => performance.now(),
  /**
   * Repeat at least this often, whatever the attempt was told: an attempt retried after its heartbeat
   * timeout was lowered from outside (`temporal activity update-options`) is still told the old one.
   */
  maxIntervalMs?: number,
): ActivityHeartbeat<T> {
  let latest = initial;
  let lastBeatAt = clock();
  let slowest = 0;
  ctx.heartbeat(latest);
  const interval = Math.min(heartbeatInterval(ctx.info.heartbeatTimeoutMs), maxIntervalMs ?? Infinity);
  const timer = setInterval(() => ctx.heartbeat(latest), interval);
  timer.unref();
  return {
    beat(details) {
      latest = details;
      const now = clock();
      slowest = Math.max(slowest, now - lastBeatAt);
      lastBeatAt = now;
      ctx.heartbeat(details);
    },
    stop() {
      clearInterval(timer);
    },
    slowestBeatGapMs() {
      return Math.round(Math.max(slowest, clock() - lastBeatAt));
    },
  };
}
