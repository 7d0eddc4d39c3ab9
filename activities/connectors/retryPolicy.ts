// When to try a failed request again, and how long to wait. Throttling (429) waits what the server asks
// (Retry-After, apis.md A/B service protection); transient failures (5xx, 408, timeouts, dropped
// connections) back off exponentially with jitter so many workers do not retry in lock-step. Both are
// bounded in attempts and total time: past that the ApiError goes up to Temporal, which retries the
// activity later (with `retryAfterMs` as the next delay for throttling).
import { z } from 'zod';
import type { ApiError } from './apiError';

export const retryOptionsSchema = z.object({
  /** Attempts per request, the first included. */
  maxAttempts: z.number().int().min(1).default(8),
  /** Give up when the next wait would end later than this after the first attempt. */
  maxElapsedMs: z.number().int().min(0).default(120_000),
  baseDelayMs: z.number().min(0).default(500),
  maxDelayMs: z.number().min(0).default(30_000),
  /** Multiplies Retry-After (1 = honour it exactly; tests use a small factor against the emulators). */
  retryAfterScale: z.number().min(0).default(1),
  /** A Retry-After longer than this is not waited for here: the error goes to the caller / Temporal. */
  maxRetryAfterMs: z.number().min(0).default(300_000),
});
export type RetryOptions = z.infer<typeof retryOptionsSchema>;
export type RetryOptionsInput = z.input<typeof retryOptionsSchema>;

export class RetryPolicy {
  readonly options: RetryOptions;

  constructor(
    options: RetryOptionsInput = {},
    private readonly random: () => number = Math.random,
  ) {
    this.options = retryOptionsSchema.parse(options);
  }

  /**
   * Milliseconds to wait before attempt `attempt + 1`, or undefined to give up.
   * @param attempt attempts made so far (1 after the first failure)
   * @param elapsedMs time since the first attempt started
   */
  nextDelay(err: ApiError, attempt: number, elapsedMs: number): number | undefined {
    if (!err.retryable || attempt >= this.options.maxAttempts) return undefined;
    let delay: number;
    // Retry-After comes with 429 and sometimes with 503; either way the server said when to come back.
    if (err.info.retryAfterMs !== undefined) {
      if (err.info.retryAfterMs > this.options.maxRetryAfterMs) return undefined;
      delay = err.info.retryAfterMs * this.options.retryAfterScale;
    } else {
      delay = this.backoff(attempt);
    }
    if (elapsedMs + delay > this.options.maxElapsedMs) return undefined;
    return delay;
  }

  /** Exponential backoff with "equal jitter": half fixed, half random, never zero, capped. */
  backoff(attempt: number): number {
    const exp = Math.min(this.options.maxDelayMs, this.options.baseDelayMs * 2 ** Math.max(0, attempt - 1));
    return exp / 2 + this.random() * (exp / 2);
  }
}

/** `Retry-After` is either delta-seconds or an HTTP date (RFC 9110 10.2.3). */
export function parseRetryAfter(
  header: string | null | undefined,
  now: number = Date.now(),
): number | undefined {
  if (!header) return undefined;
  const trimmed = header.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}
