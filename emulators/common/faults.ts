// Fault injection shared by both emulators (apis.md C "Both": latency, 429 rate, 5xx rate, dropped
// connections; and "429 + Retry-After under a configurable budget"). Settings change at run time through
// `PUT /_admin/faults`. Random faults come from a seeded generator so a test sees the same sequence of
// faults on every run. Faults never apply to the token endpoint or the /_admin surface (the emulators
// call `decide()` only for API requests).
import { z } from 'zod';
import { SeededRandom } from './seededRandom';

export const faultSettingsSchema = z
  .object({
    /** Added to every API request before it is answered. */
    latencyMs: z.number().int().min(0).max(120_000).default(0),
    /**
     * Each API request takes about as long as on the real service: a seeded random round trip plus a
     * share per operation of a batch (figures per emulator: `LatencyProfile`). Off by default.
     */
    realisticLatency: z.boolean().default(false),
    /** Share of requests answered 429 at random (0..1). */
    rate429: z.number().min(0).max(1).default(0),
    /** Share of requests answered with a 5xx at random (0..1). */
    rate5xx: z.number().min(0).max(1).default(0),
    /** Share of requests whose connection is dropped without an answer (0..1). */
    dropRate: z.number().min(0).max(1).default(0),
    /** Sliding-window request budget per caller (service protection); exceeded -> 429 + Retry-After. */
    budget: z
      .object({
        requests: z.number().int().min(1),
        windowSeconds: z.number().min(0.001),
      })
      .optional(),
    /** Retry-After (seconds) sent with randomly injected 429s. */
    retryAfterSeconds: z.number().int().min(0).max(3600).default(1),
    /** Seed of the fault generator; the same seed repeats the same faults. */
    seed: z.number().int().default(1),
  })
  .strict();

export type FaultSettings = z.input<typeof faultSettingsSchema>;
export type ResolvedFaultSettings = z.output<typeof faultSettingsSchema>;

export type FaultDecision = 'ok' | '429' | '5xx' | 'drop';

/**
 * Round-trip time of one request when `realisticLatency` is on: `baseMs` plus a uniform share of `spreadMs`,
 * plus `perOperationMs` for every operation of a batch. Microsoft documents no latencies; the figures of
 * each emulator are assumptions in the range of an Azure-hosted client in the service's region.
 */
export interface LatencyProfile {
  baseMs: number;
  spreadMs: number;
  perOperationMs: number;
}

export interface FaultOutcome {
  kind: FaultDecision;
  /** For '429': seconds the caller must wait. */
  retryAfterSeconds?: number;
  /** For '429': whether the budget ran out (service protection) or the fault was injected at random. */
  reason?: 'budget' | 'injected';
  /** Requests left in the caller's budget window after this one (when a budget is set). */
  budgetRemaining?: number;
}

/** Sliding window of request instants for one caller; a queue with a moving head avoids O(n) shifts. */
class RequestWindow {
  private times: number[] = [];
  private head = 0;

  count(now: number, windowMs: number): number {
    while (this.head < this.times.length && this.times[this.head] <= now - windowMs) this.head++;
    if (this.head > 1024 && this.head * 2 > this.times.length) {
      this.times = this.times.slice(this.head);
      this.head = 0;
    }
    return this.times.length - this.head;
  }

  oldest(): number | undefined {
    return this.times[this.head];
  }

  add(now: number): void {
    this.times.push(now);
  }
}

export class FaultInjector {
  private current: ResolvedFaultSettings;
  private random: SeededRandom;
  private windows = new Map<string, RequestWindow>();
  private latencyRandom: SeededRandom;
  private readonly now: () => number;
  private readonly latencyProfile: LatencyProfile;

  constructor(
    settings: FaultSettings = {},
    options: { now?: () => number; latencyProfile?: LatencyProfile } = {},
  ) {
    this.current = faultSettingsSchema.parse(settings);
    this.random = new SeededRandom(this.current.seed);
    this.latencyRandom = new SeededRandom(this.current.seed);
    this.now = options.now ?? Date.now;
    this.latencyProfile = options.latencyProfile ?? { baseMs: 50, spreadMs: 100, perOperationMs: 10 };
  }

  /** Current settings (defaults filled in). */
  get settings(): ResolvedFaultSettings {
    return structuredClone(this.current);
  }

  /** Replaces all settings (PUT semantics), restarts the random sequence and the budget windows. */
  set(settings: FaultSettings): ResolvedFaultSettings {
    this.current = faultSettingsSchema.parse(settings);
    this.random = new SeededRandom(this.current.seed);
    this.latencyRandom = new SeededRandom(this.current.seed);
    this.windows.clear();
    return this.settings;
  }

  get latencyMs(): number {
    return this.current.latencyMs;
  }

  /** Realistic processing time of a request of `operations` operations (0 when the option is off). */
  processingMs(operations = 1): number {
    if (!this.current.realisticLatency) return 0;
    const p = this.latencyProfile;
    return Math.round(
      p.baseMs + this.latencyRandom.next() * p.spreadMs + p.perOperationMs * Math.max(0, operations - 1),
    );
  }

  /** Decides the fate of one API request. `caller` keys the budget window (per user, as the real limits). */
  decide(caller = 'default'): FaultDecision {
    return this.decideDetailed(caller).kind;
  }

  decideDetailed(caller = 'default'): FaultOutcome {
    const s = this.current;
    if (s.dropRate > 0 && this.random.next() < s.dropRate) return { kind: 'drop' };
    if (s.rate5xx > 0 && this.random.next() < s.rate5xx) return { kind: '5xx' };
    if (s.rate429 > 0 && this.random.next() < s.rate429) {
      return { kind: '429', retryAfterSeconds: s.retryAfterSeconds, reason: 'injected' };
    }
    if (!s.budget) return { kind: 'ok' };
    const now = this.now();
    const windowMs = s.budget.windowSeconds * 1000;
    let window = this.windows.get(caller);
    if (!window) {
      window = new RequestWindow();
      this.windows.set(caller, window);
    }
    const used = window.count(now, windowMs);
    if (used >= s.budget.requests) {
      const oldest = window.oldest() ?? now;
      const retryAfterSeconds = Math.max(1, Math.ceil((oldest + windowMs - now) / 1000));
      return { kind: '429', retryAfterSeconds, reason: 'budget', budgetRemaining: 0 };
    }
    window.add(now);
    return { kind: 'ok', budgetRemaining: s.budget.requests - used - 1 };
  }
}
