// Back-pressure for one API identity: every request of a connector takes a slot and a token from the
// identity's budget (budgetRules.ts) before it is sent, and a 429 pauses the whole identity for the
// Retry-After. Where the budget lives is a `BudgetStore`: in this process (`MemoryBudgetStore`, one
// worker or a CLI command) or in MongoDB (activities/store/apiBudgets.ts), shared by every worker.
//
// What this process has to ask of the store at one moment - the slots its requests gave back and every
// request still waiting - goes to the store as one batch (`apply`), applied by the same rules in order
// and stored in one write; what arrives while a batch is on its way goes with the next one. So a busy
// process pays about one store round trip per request, not one to take a slot and another to give it
// back, and its waiting requests do not each poll the store (docs/throttling.md).
import { randomUUID } from 'node:crypto';
import {
  applyChanges,
  initialState,
  othersActive,
  pausedUntil,
  renewed,
  slotsPlenty,
  WAITING_STALE_MS,
  type AppliedChanges,
  type BudgetChange,
  type BudgetDecision,
  type BudgetLimits,
  type BudgetState,
} from './budgetRules';

/** What a store answers for a batch: the rules' decisions and the state after it (budgetRules.ts). */
export type AppliedBatch = Omit<AppliedChanges, 'changed'>;

export interface BudgetStore {
  readonly limits: BudgetLimits;
  /**
   * Applies the changes in order (budgetRules.ts `applyChanges`) atomically to the stored state; a
   * denied request registers its company as waiting.
   */
  apply(changes: BudgetChange[], now: number): Promise<AppliedBatch>;
  /** Extends a lease its holder still has (a request running longer than a lease). */
  renew(slot: string, holder: string, expiresAt: number): Promise<void>;
  pauseUntil(until: number): Promise<void>;
  /** How long a denied waiter sleeps before it looks again when another process may free a slot. */
  readonly pollMs: number;
  /**
   * How long a slot given back may wait for its process's next batch while no other process uses the
   * identity (0: sent at once). A store round trip costs more than the slot: nobody else wants it.
   */
  readonly releaseDelayMs: number;
}

export class MemoryBudgetStore implements BudgetStore {
  readonly pollMs = 50;
  readonly releaseDelayMs = 0;
  private state: BudgetState;

  constructor(
    readonly limits: BudgetLimits,
    now: number = Date.now(),
  ) {
    this.state = initialState(limits, now);
  }

  apply(changes: BudgetChange[], now: number): Promise<AppliedBatch> {
    const applied = applyChanges(this.state, this.limits, now, changes, this.pollMs);
    this.state = applied.state;
    return Promise.resolve({ decisions: applied.decisions, state: applied.state });
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
   * it at least once, else 0 (the store's own round trip is not throttling).
   */
  waitedMs: number;
  release(): Promise<void>;
}

/**
 * How long a slot given back may wait for its process's next batch while other processes use the
 * identity but slots are plenty (budgetRules.ts `slotsPlenty`); alone it may wait `releaseDelayMs`.
 */
const SHARED_RELEASE_DELAY_MS = 100;

/** A poll for another process's slot backs off to pollMs x 2^this. */
const MAX_POLL_DOUBLINGS = 2;

interface Waiter {
  company: string;
  holder: string;
  /** The budget refused it at least once. */
  refused: boolean;
  /** Why the budget refused it last. */
  refusedFor?: Extract<BudgetDecision, { grant: false }>['reason'];
  granted(slot: string): void;
  failed(err: unknown): void;
}

interface Release {
  slot: string;
  holder: string;
  done(): void;
  failed(err: unknown): void;
}

/**
 * The waiters in the order their requests go into a batch: companies in turn (the one whose oldest
 * waiter came first leads), each company's own waiters first come, first served - so within a batch no
 * company takes the slots another company's earlier request is waiting for.
 */
function inTurns(waiters: Waiter[]): Waiter[] {
  const byCompany = new Map<string, Waiter[]>();
  for (const w of waiters) {
    const list = byCompany.get(w.company);
    if (list) list.push(w);
    else byCompany.set(w.company, [w]);
  }
  const queues = [...byCompany.values()];
  const ordered: Waiter[] = [];
  for (let i = 0; ordered.length < waiters.length; i++)
    for (const q of queues) if (i < q.length) ordered.push(q[i]!);
  return ordered;
}

export class RequestBudget {
  private readonly holderPrefix = randomUUID();
  private seq = 0;
  private waiters: Waiter[] = [];
  private releases: Release[] = [];
  /** The batch on its way to the store, if any; `again`: more to send once it is back. */
  private flushing = false;
  private again = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private releaseTimer: NodeJS.Timeout | undefined;
  /** The identity's state as this process last saw it (the store's answer to its last batch). */
  private seen: BudgetState | undefined;
  /** Batches in a row that granted nothing: each poll for another process's slot waits twice as long. */
  private fruitless = 0;

  constructor(
    readonly store: BudgetStore,
    private readonly options: { leaseMs: number; now?: () => number },
  ) {}

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  async acquire(company: string, signal?: AbortSignal): Promise<BudgetLease> {
    signal?.throwIfAborted();
    const holder = `${this.holderPrefix}:${++this.seq}`;
    const startedAt = this.now();
    let waiter!: Waiter;
    const slot = await new Promise<string>((resolve, reject) => {
      const onAbort = () => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(signal!.reason);
      };
      waiter = {
        company,
        holder,
        refused: false,
        granted: (s) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(s);
        },
        failed: (err) => {
          signal?.removeEventListener('abort', onAbort);
          reject(err);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
      this.kick();
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
      waitedMs: waiter.refused ? this.now() - startedAt : 0,
      release: () => {
        if (released) return Promise.resolve();
        released = true;
        clearInterval(renewal);
        return new Promise<void>((done, failed) => {
          this.releases.push({ slot, holder, done, failed });
          const delay = this.releaseDelay();
          if (delay > 0) this.kickLater(delay);
          else this.kick();
        });
      },
    };
  }

  /**
   * Resolves once every slot given back so far has reached the store (a release may wait for the next
   * batch: `kickLater`): call it before the store's connection closes, or the slots stay taken until
   * their leases run out.
   */
  async settle(): Promise<void> {
    const pending = this.releases.map(
      (r) =>
        new Promise<void>((resolve) => {
          const { done, failed } = r;
          r.done = () => {
            done();
            resolve();
          };
          r.failed = (err) => {
            failed(err);
            resolve();
          };
        }),
    );
    if (pending.length > 0) this.kick();
    await Promise.all(pending);
  }

  /** Holds every request of the identity, in every worker sharing the store, for `ms` (Retry-After). */
  async pauseFor(ms: number): Promise<void> {
    await this.store.pauseUntil(this.now() + ms);
  }

  /** No other process holds a slot or has a company waiting, as far as this process last saw. */
  private alone(): boolean {
    return this.seen !== undefined && !othersActive(this.seen, this.holderPrefix, this.now());
  }

  /**
   * How long a slot given back may wait for this process's next batch (0: sent at once), so that it costs
   * no store round trip of its own - the next request usually follows within a page, and a request of
   * this process waiting for a token asks again when the token is due:
   * - alone on the identity: up to `releaseDelayMs`. Should another process come, it finds the slot taken
   *   for at most that long, once: its first write shows this process that it is no longer alone;
   * - with other processes, while at least two other slots are free as this process last saw: up to
   *   100 ms. Nobody can be waiting for this slot: a request asking meanwhile finds another one;
   * - else at once: another process's request, or one of this process that did not wait for a token or a
   *   pause, may be waiting for exactly this slot (docs/throttling.md).
   */
  private releaseDelay(): number {
    const { releaseDelayMs } = this.store;
    if (releaseDelayMs === 0 || this.seen === undefined) return 0;
    if (this.waiters.some((w) => w.refusedFor !== 'rate' && w.refusedFor !== 'paused')) return 0;
    if (this.alone()) return releaseDelayMs;
    return slotsPlenty(this.seen, this.store.limits, this.now())
      ? Math.min(releaseDelayMs, SHARED_RELEASE_DELAY_MS)
      : 0;
  }

  private kickLater(ms: number): void {
    this.releaseTimer ??= setTimeout(() => {
      this.releaseTimer = undefined;
      this.kick();
    }, ms);
  }

  /** Sends what there is to send now, or right after the batch on its way. */
  private kick(): void {
    if (this.flushing) {
      this.again = true;
      return;
    }
    this.flushing = true;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    clearTimeout(this.releaseTimer);
    this.releaseTimer = undefined;
    void this.flush();
  }

  private async flush(): Promise<void> {
    try {
      do {
        this.again = false;
        await this.sendBatch();
      } while (this.again);
    } finally {
      this.flushing = false;
    }
  }

  private async sendBatch(): Promise<void> {
    const releases = this.releases.splice(0);
    const waiters = inTurns(this.waiters);
    if (releases.length === 0 && waiters.length === 0) return;
    const changes: BudgetChange[] = [
      ...releases.map((r): BudgetChange => ({ kind: 'release', slot: r.slot, holder: r.holder })),
      ...waiters.map((w): BudgetChange => ({
        kind: 'acquire',
        req: { holder: w.holder, company: w.company, leaseMs: this.options.leaseMs },
      })),
    ];
    let applied: AppliedBatch;
    try {
      applied = await this.store.apply(changes, this.now());
    } catch (err) {
      // The store cannot be reached: the requests fail (their activity retries); a lost release only
      // costs the slot until its lease runs out.
      for (const r of releases) r.failed(err);
      this.waiters = this.waiters.filter((w) => !waiters.includes(w));
      for (const w of waiters) w.failed(err);
      return;
    }
    this.seen = applied.state;
    for (const r of releases) r.done();
    let retryMs = Infinity;
    const grants = applied.decisions.filter((d) => d?.grant).length;
    waiters.forEach((w, i) => {
      const decision = applied.decisions[releases.length + i]!;
      const waiting = this.waiters.includes(w);
      if (decision.grant) {
        if (waiting) {
          this.waiters = this.waiters.filter((x) => x !== w);
          w.granted(decision.slot);
        } else {
          // Aborted while its batch was on the way: the slot goes straight back.
          this.releases.push({
            slot: decision.slot,
            holder: w.holder,
            done: () => undefined,
            failed: () => undefined,
          });
          this.again = true;
        }
      } else if (waiting) {
        w.refused = true;
        w.refusedFor = decision.reason;
        retryMs = Math.min(retryMs, this.retryDelay(decision, applied.state));
      }
    });
    this.fruitless = grants > 0 ? 0 : this.fruitless + 1;
    if (this.waiters.length > 0 && !this.again && retryMs < Infinity) {
      // Stay registered as waiting (fairness) while sleeping: look again before the mark goes stale.
      const ms = Math.min(retryMs, WAITING_STALE_MS / 2) * (0.75 + Math.random() * 0.5);
      clearTimeout(this.retryTimer);
      this.retryTimer = setTimeout(() => this.kick(), ms);
    }
  }

  /**
   * How long a refused request sleeps before its process asks again. A release of this process asks at
   * once anyway; only a change made by another process is worth polling for: a slot another process
   * holds, or a company waiting that does not wait here. The poll backs off (x2, x4) while batches in a
   * row grant nothing: with several workers waiting on BC's 5 slots, polling every 25 ms cost more store
   * round trips than the requests themselves, and an unused token is not lost - it waits in the bucket
   * (docs/throttling.md).
   */
  private retryDelay(decision: Extract<BudgetDecision, { grant: false }>, state: BudgetState): number {
    if (decision.reason === 'paused' || decision.reason === 'rate') return decision.waitMs;
    if (!othersActive(state, this.holderPrefix, this.now())) return WAITING_STALE_MS / 2;
    return this.store.pollMs * 2 ** Math.min(this.fruitless, MAX_POLL_DOUBLINGS);
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

  /** Every budget's slots given back are in the store (RequestBudget.settle). */
  async settle(): Promise<void> {
    await Promise.all([...this.budgets.values()].map((b) => b.settle()));
  }

  budget(identity: string, limits: BudgetLimits, leaseMs: number): RequestBudget {
    let budget = this.budgets.get(identity);
    if (!budget) {
      budget = new RequestBudget(this.storeFor(identity, limits), { leaseMs });
      this.budgets.set(identity, budget);
    }
    return budget;
  }
}
