// Back-pressure for one API identity: every request of a connector takes a slot and a token from the
// identity's budget (budgetRules.ts) before it is sent, and a 429 pauses the whole identity for the
// Retry-After. Where the budget lives is a `BudgetStore`: in this process (`MemoryBudgetStore`, one
// worker or a CLI command) or in MongoDB (activities/store/apiBudgets.ts), shared by every worker.
import { randomUUID } from 'node:crypto';
import {
  decide,
  initialState,
  markedWaiting,
  pausedUntil,
  released,
  renewed,
  WAITING_STALE_MS,
  type AcquireRequest,
  type BudgetDecision,
  type BudgetLimits,
  type BudgetState,
} from './budgetRules';
import { sleep } from './waiting';

export interface BudgetStore {
  readonly limits: BudgetLimits;
  /** Applies `decide` atomically to the stored state; a denial registers the company as waiting. */
  tryAcquire(req: AcquireRequest, now: number): Promise<BudgetDecision>;
  release(slot: string, holder: string): Promise<void>;
  /** Extends a lease its holder still has (a request running longer than a lease). */
  renew(slot: string, holder: string, expiresAt: number): Promise<void>;
  pauseUntil(until: number): Promise<void>;
  /** How long a denied waiter sleeps before it looks again when no better time is known. */
  readonly pollMs: number;
}

export class MemoryBudgetStore implements BudgetStore {
  readonly pollMs = 50;
  private state: BudgetState;

  constructor(
    readonly limits: BudgetLimits,
    now: number = Date.now(),
  ) {
    this.state = initialState(limits, now);
  }

  tryAcquire(req: AcquireRequest, now: number): Promise<BudgetDecision> {
    const decision = decide(this.state, this.limits, now, req, this.pollMs);
    this.state = decision.grant ? decision.state : markedWaiting(this.state, req.company, now);
    return Promise.resolve(decision);
  }

  release(slot: string, holder: string): Promise<void> {
    this.state = released(this.state, slot, holder);
    return Promise.resolve();
  }

  renew(slot: string, holder: string, expiresAt: number): Promise<void> {
    this.state = renewed(this.state, slot, holder, expiresAt);
    return Promise.resolve();
  }

  pauseUntil(until: number): Promise<void> {
    this.state = pausedUntil(this.state, until);
    return Promise.resolve();
  }
}

export interface BudgetLease {
  /**
   * How long the request waited because the budget was spent: the whole acquire when the budget refused
   * this request or one queued ahead of it, else 0 (the store's own round trip is not throttling).
   */
  waitedMs: number;
  release(): Promise<void>;
}

/** Serialises the waiters of one company in this process, so each company has one poller here. */
class CompanyQueue {
  private tail: Promise<void> = Promise.resolve();
  /** Refusals of the store so far: a waiter that sees it grow was held back by the budget. */
  refusals = 0;

  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn);
    this.tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }
}

export class RequestBudget {
  private readonly queues = new Map<string, CompanyQueue>();
  private readonly wakers = new Set<() => void>();
  private readonly holderPrefix = randomUUID();
  private seq = 0;

  constructor(
    readonly store: BudgetStore,
    private readonly options: { leaseMs: number; now?: () => number },
  ) {}

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  async acquire(company: string, signal?: AbortSignal): Promise<BudgetLease> {
    let queue = this.queues.get(company);
    if (!queue) {
      queue = new CompanyQueue();
      this.queues.set(company, queue);
    }
    const holder = `${this.holderPrefix}:${++this.seq}`;
    const startedAt = this.now();
    const refusalsBefore = queue.refusals;
    const slot = await queue.run(async () => {
      for (;;) {
        signal?.throwIfAborted();
        const decision = await this.store.tryAcquire(
          { holder, company, leaseMs: this.options.leaseMs },
          this.now(),
        );
        if (decision.grant) return decision.slot;
        queue.refusals++;
        // Stay registered as waiting (fairness) while sleeping: look again before the entry goes stale.
        await this.wait(Math.min(decision.waitMs, WAITING_STALE_MS / 2), signal);
      }
    });
    // A lease is short, so a worker that dies mid-request frees its slot within seconds; a request that
    // runs longer keeps its slot by renewing the lease while it runs.
    const { leaseMs } = this.options;
    const renewal = setInterval(() => {
      this.store.renew(slot, holder, this.now() + leaseMs).catch(() => undefined);
    }, leaseMs / 3);
    renewal.unref();
    let released = false;
    return {
      waitedMs: queue.refusals > refusalsBefore ? this.now() - startedAt : 0,
      release: async () => {
        if (released) return;
        released = true;
        clearInterval(renewal);
        try {
          await this.store.release(slot, holder);
        } finally {
          for (const wake of [...this.wakers]) wake();
        }
      },
    };
  }

  /** Holds every request of the identity, in every worker sharing the store, for `ms` (Retry-After). */
  async pauseFor(ms: number): Promise<void> {
    await this.store.pauseUntil(this.now() + ms);
  }

  /** Sleeps `ms`, or less when a request of this process releases its slot. */
  private wait(ms: number, signal?: AbortSignal): Promise<void> {
    let wake!: () => void;
    const woken = new Promise<void>((resolve) => (wake = resolve));
    this.wakers.add(wake);
    const jittered = ms * (0.75 + Math.random() * 0.5);
    return Promise.race([sleep(jittered, signal), woken]).finally(() => this.wakers.delete(wake));
  }
}

/**
 * One RequestBudget per API identity in this process, so every connector of the identity (one per
 * company) shares it; the stores come from `storeFor` (MongoDB: shared by all workers).
 */
export class BudgetRegistry {
  private readonly budgets = new Map<string, RequestBudget>();

  constructor(
    private readonly storeFor: (identity: string, limits: BudgetLimits) => BudgetStore = (
      _identity,
      limits,
    ) => new MemoryBudgetStore(limits),
  ) {}

  budget(identity: string, limits: BudgetLimits, leaseMs: number): RequestBudget {
    let budget = this.budgets.get(identity);
    if (!budget) {
      budget = new RequestBudget(this.storeFor(identity, limits), { leaseMs });
      this.budgets.set(identity, budget);
    }
    return budget;
  }
}
