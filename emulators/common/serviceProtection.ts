// Service protection limits as the real services enforce them, per user, on by default in both emulators
// (docs/emulator-limits.md). Business Central: 6,000 requests per 5-minute sliding window, 5 requests
// processed at once, 95 more queued, above that 429; a queued request gives up after 8 minutes with 503
// (Operational limits for Business Central online, "OData request limits (per user)"). Dataverse: 6,000
// requests and 1,200 s of combined execution time per 5-minute sliding window, 52 concurrent requests,
// each exceeded -> 429 with Retry-After (Service protection API limits). `timeScale` shrinks every window,
// budget and timeout in proportion, so the sustained ceiling (20 requests per second per user) stays the
// real one while a test or a benchmark reaches it in seconds instead of minutes.
import { z } from 'zod';

export const serviceProtectionSchema = z
  .object({
    /** false turns all limits off (benchmarks of the emulator itself). */
    enabled: z.boolean().default(true),
    /** Requests per user within the sliding window. */
    requests: z.number().int().min(1),
    windowSeconds: z.number().positive(),
    /** Whether the concurrency limits below are enforced (on, as in the real services). */
    concurrency: z.boolean().default(true),
    /** Requests of one user processed at the same time. */
    maxConcurrent: z.number().int().min(1),
    /** Further requests of the user that wait for a slot; 0 = refused at once (Dataverse). */
    maxQueued: z.number().int().min(0),
    /** A queued request that got no slot in this time is answered 503 (BC: 8 minutes). */
    queueTimeoutSeconds: z.number().positive().default(480),
    /** Combined execution time per user within the window (Dataverse: 1,200 s); absent = not limited. */
    executionTimeSeconds: z.number().positive().optional(),
    /** Multiplies the window, the request and execution-time budgets and the queue timeout (0 < s <= 1). */
    timeScale: z.number().positive().max(1).default(1),
  })
  .strict();

export type ServiceProtectionSettings = z.output<typeof serviceProtectionSchema>;
export type ServiceProtectionInput = z.input<typeof serviceProtectionSchema>;
/** What an emulator option or `PUT /_admin/limits` may change; the rest stays the service's figure. */
export const serviceProtectionOverridesSchema = serviceProtectionSchema.partial();
export type ServiceProtectionOverrides = z.input<typeof serviceProtectionOverridesSchema>;

/** Operational limits for Business Central online, OData request limits (per user). */
export const BC_SERVICE_PROTECTION: ServiceProtectionInput = {
  requests: 6000,
  windowSeconds: 300,
  maxConcurrent: 5,
  maxQueued: 95,
  queueTimeoutSeconds: 480,
};

/** Service protection API limits (Dataverse), per user and web server. */
export const DATAVERSE_SERVICE_PROTECTION: ServiceProtectionInput = {
  requests: 6000,
  windowSeconds: 300,
  maxConcurrent: 52,
  maxQueued: 0,
  executionTimeSeconds: 1200,
};

/** Which limit refused a request: each has its own error code in Dataverse. */
export type LimitKind = 'requests' | 'executionTime' | 'concurrency' | 'queueTimeout';

export type Admission =
  | {
      ok: true;
      /** Requests left in the user's window after this one. */
      remaining: number | undefined;
      /** Execution time (ms) left in the user's window before this request. */
      executionTimeRemainingMs: number | undefined;
      /** Must be called once the request is answered; its duration counts as execution time. */
      release(): void;
    }
  | { ok: false; limit: LimitKind; retryAfterSeconds: number };

/** The effective figures after `timeScale`, as shown in error messages and `GET /_admin/limits`. */
export interface EffectiveLimits {
  requests: number;
  windowMs: number;
  executionTimeMs: number | undefined;
  queueTimeoutMs: number;
}

interface UserState {
  /** Arrival instants of admitted requests (ascending). */
  arrivals: number[];
  /** Finished requests: instant and duration (ascending by instant). */
  executions: Array<{ at: number; ms: number }>;
  /** Sum of `executions[].ms`. */
  executionMs: number;
  active: number;
  queue: Array<(admitted: boolean) => void>;
}

export class ServiceProtection {
  private current: ServiceProtectionSettings;
  private users = new Map<string, UserState>();

  constructor(
    private readonly defaults: ServiceProtectionInput,
    overrides: ServiceProtectionOverrides | false = {},
    private readonly now: () => number = Date.now,
  ) {
    this.current = this.resolve(overrides === false ? { enabled: false } : overrides);
  }

  get settings(): ServiceProtectionSettings {
    return { ...this.current };
  }

  get effective(): EffectiveLimits {
    const s = this.current;
    return {
      requests: Math.max(1, Math.round(s.requests * s.timeScale)),
      windowMs: s.windowSeconds * 1000 * s.timeScale,
      executionTimeMs:
        s.executionTimeSeconds === undefined ? undefined : s.executionTimeSeconds * 1000 * s.timeScale,
      queueTimeoutMs: s.queueTimeoutSeconds * 1000 * s.timeScale,
    };
  }

  /** Replaces the overrides (PUT semantics: unspecified figures go back to the service's) and the windows. */
  set(overrides: ServiceProtectionOverrides): ServiceProtectionSettings {
    this.current = this.resolve(overrides);
    for (const user of this.users.values()) for (const wake of user.queue.splice(0)) wake(false);
    this.users.clear();
    return this.settings;
  }

  private resolve(overrides: ServiceProtectionOverrides): ServiceProtectionSettings {
    return serviceProtectionSchema.parse({ ...this.defaults, ...overrides });
  }

  /**
   * Admits one request of `user` or says which limit refuses it. A request over the concurrency limit
   * waits in the user's queue while there is room (BC) and is refused otherwise.
   */
  async admit(user: string): Promise<Admission> {
    const s = this.current;
    if (!s.enabled)
      return { ok: true, remaining: undefined, executionTimeRemainingMs: undefined, release() {} };
    const limits = this.effective;
    const state = this.user(user);
    const now = this.now();
    prune(state, now - limits.windowMs);

    if (state.arrivals.length >= limits.requests) {
      return {
        ok: false,
        limit: 'requests',
        retryAfterSeconds: seconds(state.arrivals[0] + limits.windowMs - now),
      };
    }
    let executionTimeRemainingMs: number | undefined;
    if (limits.executionTimeMs !== undefined) {
      const used = state.executionMs;
      if (used >= limits.executionTimeMs) {
        return {
          ok: false,
          limit: 'executionTime',
          retryAfterSeconds: seconds(
            expiryOfExcess(state, used - limits.executionTimeMs, limits.windowMs) - now,
          ),
        };
      }
      executionTimeRemainingMs = limits.executionTimeMs - used;
    }
    if (s.concurrency && state.active >= s.maxConcurrent) {
      if (state.queue.length >= s.maxQueued) return { ok: false, limit: 'concurrency', retryAfterSeconds: 1 };
      const admitted = await this.waitForSlot(state, limits.queueTimeoutMs);
      if (!admitted) return { ok: false, limit: 'queueTimeout', retryAfterSeconds: 1 };
    }
    state.active++;
    const arrived = this.now();
    state.arrivals.push(arrived);
    let released = false;
    return {
      ok: true,
      remaining: limits.requests - state.arrivals.length,
      executionTimeRemainingMs,
      release: () => {
        if (released) return;
        released = true;
        const end = this.now();
        state.executions.push({ at: end, ms: end - arrived });
        state.executionMs += end - arrived;
        state.active--;
        state.queue.shift()?.(true);
      },
    };
  }

  private waitForSlot(state: UserState, timeoutMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      const wake = (admitted: boolean): void => {
        clearTimeout(timer);
        resolve(admitted);
      };
      const timer = setTimeout(() => {
        const at = state.queue.indexOf(wake);
        if (at >= 0) state.queue.splice(at, 1);
        resolve(false);
      }, timeoutMs);
      timer.unref();
      state.queue.push(wake);
    });
  }

  private user(user: string): UserState {
    let state = this.users.get(user);
    if (!state) {
      state = { arrivals: [], executions: [], executionMs: 0, active: 0, queue: [] };
      this.users.set(user, state);
    }
    return state;
  }
}

function prune(state: UserState, since: number): void {
  let i = 0;
  while (i < state.arrivals.length && state.arrivals[i] <= since) i++;
  if (i > 0) state.arrivals.splice(0, i);
  let j = 0;
  while (j < state.executions.length && state.executions[j].at <= since)
    state.executionMs -= state.executions[j++].ms;
  if (j > 0) state.executions.splice(0, j);
}

/** When enough of the oldest execution time has left the window to bring the user under the budget. */
function expiryOfExcess(state: UserState, excessMs: number, windowMs: number): number {
  let freed = 0;
  for (const e of state.executions) {
    freed += e.ms;
    if (freed > excessMs) return e.at + windowMs;
  }
  return state.executions[state.executions.length - 1].at + windowMs;
}

/** Retry-After is whole seconds (RFC 9110 delta-seconds), at least 1. */
function seconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}
