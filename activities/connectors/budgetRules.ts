// The throttling budget of one API identity (service + application user), as pure rules over a small
// state, so the in-process budget and the one shared by all workers through MongoDB decide alike:
// - concurrency: at most `maxConcurrent` requests in flight (BC 5 per user, Dataverse 52 per user), each
//   holding a slot lease that expires on its own if its holder dies;
// - request rate: a token bucket whose burst plus refill over any window stays within the service's
//   sliding window (BC and Dataverse: 6,000 requests per 5 minutes per user), so the service never has
//   to answer 429 for it;
// - Retry-After: a 429 pauses every request of the identity until the time the service named;
// - fairness between companies: a company may hold at most its fair share of the slots while others
//   wait, and scarce slots and tokens go to the company that has waited longest (one large full sync
//   cannot starve another company's wake-up).
// docs/throttling.md describes the rules and why they live in MongoDB.

export interface BudgetLimits {
  maxConcurrent: number;
  requestsPerWindow: number;
  windowMs: number;
}

export interface SlotLease {
  holder: string;
  company: string;
  expiresAt: number;
}

export interface WaitingCompany {
  /** When this company started waiting for its current request. */
  since: number;
  /** Last time a waiter of this company looked; stale after WAITING_STALE_MS (the waiter gave up). */
  seenAt: number;
  /** The process whose waiter marked it last (`processOf` its holder); absent in marks of older versions. */
  by?: string;
}

export interface BudgetState {
  tokens: number;
  refilledAt: number;
  pausedUntil: number;
  /** Keyed `s0` .. `s<maxConcurrent-1>`; a missing or expired lease is a free slot. */
  slots: Record<string, SlotLease>;
  waiting: Record<string, WaitingCompany>;
}

export interface AcquireRequest {
  holder: string;
  company: string;
  leaseMs: number;
}

export type BudgetDecision =
  | { grant: true; slot: string; state: BudgetState }
  | { grant: false; waitMs: number; reason: 'paused' | 'rate' | 'concurrency' | 'fairness' };

export const WAITING_STALE_MS = 2_000;
/** A waiting mark is written again only when it is older than this: one write per waiting company per half-second. */
export const WAITING_REFRESH_MS = 500;
/** Share of the window's requests allowed as a burst; the refill rate is lowered by the same amount. */
const BURST_SHARE = 0.05;
/**
 * The bucket keeps within a window this much longer than the service's, so a request granted here
 * but arriving a little later (event loop, network) is not counted by the service in the next window.
 */
const WINDOW_MARGIN = 0.02;

export const BC_DEFAULT_LIMITS: BudgetLimits = {
  maxConcurrent: 5,
  requestsPerWindow: 6_000,
  windowMs: 300_000,
};
export const DATAVERSE_DEFAULT_LIMITS: BudgetLimits = {
  maxConcurrent: 52,
  requestsPerWindow: 6_000,
  windowMs: 300_000,
};

/**
 * Bucket capacity and refill rate: in any window of `windowMs` (plus the margin) at most capacity +
 * rate * window = requestsPerWindow requests start, which is what a sliding-window limit allows. In the
 * long run that is 0.95 / 1.02 = 93% of the service's ceiling.
 */
export function bucketOf(limits: BudgetLimits): { capacity: number; perMs: number } {
  const capacity = Math.max(1, Math.floor(limits.requestsPerWindow * BURST_SHARE));
  return {
    capacity,
    perMs: (limits.requestsPerWindow - capacity) / (limits.windowMs * (1 + WINDOW_MARGIN)),
  };
}

export function initialState(limits: BudgetLimits, now: number): BudgetState {
  return { tokens: bucketOf(limits).capacity, refilledAt: now, pausedUntil: 0, slots: {}, waiting: {} };
}

export const slotKeys = (limits: BudgetLimits): string[] =>
  Array.from({ length: limits.maxConcurrent }, (_, i) => `s${i}`);

/** A lease whose holder still has its slot (a missing or expired one is a free slot). */
const isLive = (lease: SlotLease | undefined, now: number): lease is SlotLease =>
  !!lease && lease.expiresAt > now;

/** A waiting mark its waiter renewed lately (a stale one is a waiter that gave up). */
const isFresh = (w: WaitingCompany, now: number): boolean => now - w.seenAt < WAITING_STALE_MS;

function activeWaiters(state: BudgetState, now: number, except: string): Array<[string, WaitingCompany]> {
  return Object.entries(state.waiting).filter(([company, w]) => company !== except && isFresh(w, now));
}

/** The tokens in the bucket at `now`: those stored plus the refill since, up to the capacity. */
function tokensAt(state: BudgetState, limits: BudgetLimits, now: number): number {
  const bucket = bucketOf(limits);
  return Math.min(bucket.capacity, state.tokens + Math.max(0, now - state.refilledAt) * bucket.perMs);
}

/** Decides one request; on a grant returns the state to store (token taken, slot leased, wait cleared). */
export function decide(
  state: BudgetState,
  limits: BudgetLimits,
  now: number,
  req: AcquireRequest,
  pollMs: number,
): BudgetDecision {
  if (state.pausedUntil > now) return { grant: false, waitMs: state.pausedUntil - now, reason: 'paused' };
  const bucket = bucketOf(limits);
  const tokens = tokensAt(state, limits, now);
  if (tokens < 1) return { grant: false, waitMs: Math.ceil((1 - tokens) / bucket.perMs), reason: 'rate' };

  const keys = slotKeys(limits);
  const held = keys.map((k) => state.slots[k]).filter((s): s is SlotLease => isLive(s, now));
  const free = keys.find((k) => !isLive(state.slots[k], now));
  if (free === undefined) return { grant: false, waitMs: pollMs, reason: 'concurrency' };

  // Fairness: companies that wait (or hold slots) share the slots; the longest-waiting company goes first
  // when fewer slots or tokens are left than companies waiting ahead of this one.
  const others = activeWaiters(state, now, req.company);
  const companies = new Set([req.company, ...others.map(([c]) => c), ...held.map((s) => s.company)]);
  const share = Math.ceil(limits.maxConcurrent / companies.size);
  const mine = held.filter((s) => s.company === req.company).length;
  if (mine >= share) return { grant: false, waitMs: pollMs, reason: 'fairness' };
  const mySince = state.waiting[req.company]?.since ?? now;
  const ahead = others.filter(([, w]) => w.since < mySince).length;
  const freeSlots = keys.length - held.length;
  if (ahead > 0 && (freeSlots <= ahead || tokens < ahead + 1)) {
    return { grant: false, waitMs: pollMs, reason: 'fairness' };
  }

  const waiting = { ...state.waiting };
  delete waiting[req.company];
  return {
    grant: true,
    slot: free,
    state: {
      tokens: tokens - 1,
      // Never back: a batch decided on a `now` read before its round trips (or retried after losing a
      // race) may be older than the refill another process stored; moving refilledAt back would let the
      // next decision refill that time a second time (3 workers got 11 x 429 that way, 2026-12-01).
      refilledAt: Math.max(now, state.refilledAt),
      pausedUntil: state.pausedUntil,
      slots: {
        ...state.slots,
        [free]: { holder: req.holder, company: req.company, expiresAt: now + req.leaseMs },
      },
      waiting,
    },
  };
}

/** The state with `holder`'s slot free again (unchanged if the slot went to someone else meanwhile). */
export function released(state: BudgetState, slot: string, holder: string): BudgetState {
  if (state.slots[slot]?.holder !== holder) return state;
  const slots = { ...state.slots };
  delete slots[slot];
  return { ...state, slots };
}

/** The state paused until `until` (Retry-After); a later pause already set wins. */
export function pausedUntil(state: BudgetState, until: number): BudgetState {
  return until <= state.pausedUntil ? state : { ...state, pausedUntil: until };
}

/** The state with `company` marked as waiting (since its first denial) by process `by`, for fairness. */
export function markedWaiting(state: BudgetState, company: string, now: number, by?: string): BudgetState {
  const since = state.waiting[company]?.since ?? now;
  return {
    ...state,
    waiting: { ...state.waiting, [company]: { since, seenAt: now, ...(by !== undefined ? { by } : {}) } },
  };
}

/**
 * The process a holder belongs to: holders are `<process>:<n>` (requestBudget.ts), so a slot or a waiting
 * mark tells which process uses the identity.
 */
export function processOf(holder: string): string {
  const i = holder.lastIndexOf(':');
  return i < 0 ? holder : holder.slice(0, i);
}

/** Whether a process other than `process` holds a live slot or has a company waiting (a fresh mark). */
export function othersActive(state: BudgetState, process: string, now: number): boolean {
  return (
    Object.values(state.slots).some((s) => isLive(s, now) && processOf(s.holder) !== process) ||
    Object.values(state.waiting).some((w) => isFresh(w, now) && w.by !== process)
  );
}

/** Slots without a live lease. */
export function freeSlots(state: BudgetState, limits: BudgetLimits, now: number): number {
  return slotKeys(limits).filter((k) => !isLive(state.slots[k], now)).length;
}

/**
 * Slots are plenty when at least SPARE_SLOTS are free besides the one being given back: a request of
 * another process that asks meanwhile finds one of them, so the slot can wait for its process's next
 * batch (requestBudget.ts) without keeping anyone waiting. With fewer, someone may be waiting for
 * exactly this slot.
 */
export const SPARE_SLOTS = 2;
export function slotsPlenty(state: BudgetState, limits: BudgetLimits, now: number): boolean {
  return freeSlots(state, limits, now) >= SPARE_SLOTS;
}

/** The state with `holder`'s lease on `slot` extended to `expiresAt` (unchanged if it lost the slot). */
export function renewed(state: BudgetState, slot: string, holder: string, expiresAt: number): BudgetState {
  const lease = state.slots[slot];
  if (lease?.holder !== holder || lease.expiresAt >= expiresAt) return state;
  return { ...state, slots: { ...state.slots, [slot]: { ...lease, expiresAt } } };
}

/** One change to the budget, as a process hands it to the store. */
export type BudgetChange =
  { kind: 'acquire'; req: AcquireRequest } | { kind: 'release'; slot: string; holder: string };

export interface AppliedChanges {
  state: BudgetState;
  /** For each change, in order: the decision of an acquire; undefined for a release. */
  decisions: Array<BudgetDecision | undefined>;
  /** Whether `state` differs from the state the changes were applied to (something to store). */
  changed: boolean;
}

/**
 * Several changes applied in order, each by the rules above, as if one after the other: what a process
 * has to ask at one moment (slots given back, requests waiting) costs one write of the shared state
 * instead of one per change. A denied request marks its company as waiting (fairness).
 */
export function applyChanges(
  state: BudgetState,
  limits: BudgetLimits,
  now: number,
  changes: BudgetChange[],
  pollMs: number,
): AppliedChanges {
  let current = state;
  const decisions = changes.map((change): BudgetDecision | undefined => {
    if (change.kind === 'release') {
      current = released(current, change.slot, change.holder);
      return undefined;
    }
    const decision = decide(current, limits, now, change.req, pollMs);
    if (decision.grant) current = decision.state;
    else {
      const waiting = current.waiting[change.req.company];
      if (!waiting || now - waiting.seenAt > WAITING_REFRESH_MS)
        current = markedWaiting(current, change.req.company, now, processOf(change.req.holder));
    }
    return decision;
  });
  return { state: current, decisions, changed: current !== state };
}

/** What an operator sees of one identity's budget at `now` (`bcsync budgets`). */
export interface BudgetView {
  /** Whole requests the bucket would grant now, of `capacity`. */
  available: number;
  capacity: number;
  /** Requests refilled per second. */
  refillPerSecond: number;
  inFlight: Array<{ slot: string; company: string; process: string; expiresInMs: number }>;
  /** Companies with a request waiting (a fresh mark), longest first. */
  waiting: Array<{ company: string; waitingMs: number }>;
  /** How much longer a Retry-After holds every request of the identity (0: not paused). */
  pausedForMs: number;
}

export function budgetView(state: BudgetState, limits: BudgetLimits, now: number): BudgetView {
  const bucket = bucketOf(limits);
  return {
    available: Math.floor(tokensAt(state, limits, now)),
    capacity: bucket.capacity,
    refillPerSecond: bucket.perMs * 1000,
    inFlight: slotKeys(limits)
      .filter((k) => isLive(state.slots[k], now))
      .map((k) => {
        const lease = state.slots[k]!;
        return {
          slot: k,
          company: lease.company,
          process: processOf(lease.holder),
          expiresInMs: lease.expiresAt - now,
        };
      }),
    waiting: Object.entries(state.waiting)
      .filter(([, w]) => isFresh(w, now))
      .sort(([, a], [, b]) => a.since - b.since)
      .map(([company, w]) => ({ company, waitingMs: now - w.since })),
    pausedForMs: Math.max(0, state.pausedUntil - now),
  };
}
