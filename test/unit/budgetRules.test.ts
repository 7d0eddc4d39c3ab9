// The throttling budget's rules (activities/connectors/budgetRules.ts), without a server. The limits are
// BC's and Dataverse's per-user service protection limits: 6,000 requests in a 5-minute sliding window,
// 5 (BC) / 52 (Dataverse) concurrent requests, and a 429 with Retry-After past them (Microsoft Learn,
// "Work with API limits" / "Current API Limits" for BC; "Service protection API limits" for Dataverse).
import {
  applyChanges,
  BC_DEFAULT_LIMITS,
  bucketOf,
  decide,
  initialState,
  othersActive,
  renewed,
  type AcquireRequest,
  type BudgetChange,
  type BudgetDecision,
  type BudgetLimits,
  type BudgetState,
} from '../../activities/connectors/budgetRules';
import {
  MemoryBudgetStore,
  RequestBudget,
  type AppliedBatch,
  type BudgetStore,
} from '../../activities/connectors/requestBudget';

const T0 = 1_700_000_000_000;
const lease = 60_000;

/** One request's decision through the store's batch interface. */
async function tryAcquire(store: BudgetStore, req: AcquireRequest, now: number): Promise<BudgetDecision> {
  const { decisions } = await store.apply([{ kind: 'acquire', req }], now);
  return decisions[0]!;
}

function take(state: BudgetState, limits: BudgetLimits, now: number, company = 'cronus-us', holder = 'h') {
  return decide(state, limits, now, { holder, company, leaseMs: lease }, 25);
}

/** A fresh budget at T0 in which `company` holds `n` slots, its holders named `${prefix}0`, `${prefix}1`, ... */
function holding(limits: BudgetLimits, company: string, prefix: string, n: number): BudgetState {
  let state = initialState(limits, T0);
  for (let i = 0; i < n; i++) {
    const d = take(state, limits, T0, company, `${prefix}${i}`);
    if (!d.grant) throw new Error(`request ${i} was refused (${d.reason})`);
    state = d.state;
  }
  return state;
}

describe('concurrency', () => {
  it('grants at most maxConcurrent slots, and a released or expired slot again', () => {
    const state = holding(BC_DEFAULT_LIMITS, 'cronus-us', 'h', 5);
    const sixth = take(state, BC_DEFAULT_LIMITS, T0);
    expect(sixth).toMatchObject({ grant: false, reason: 'concurrency' });

    const freed = { ...state, slots: { ...state.slots } };
    delete freed.slots.s2;
    expect(take(freed, BC_DEFAULT_LIMITS, T0)).toMatchObject({ grant: true, slot: 's2' });
    // A holder that died frees its slot when the lease runs out.
    expect(take(state, BC_DEFAULT_LIMITS, T0 + lease + 1)).toMatchObject({ grant: true });
  });
});

/** The most of `starts` (sorted times) that fall in any sliding window of `windowMs`: what the service counts. */
function mostInAnyWindow(starts: number[], windowMs: number): number {
  let most = 0;
  let tail = 0;
  for (let head = 0; head < starts.length; head++) {
    while (starts[tail]! <= starts[head]! - windowMs) tail++;
    most = Math.max(most, head - tail + 1);
  }
  return most;
}

describe('request rate', () => {
  it('never starts more than requestsPerWindow in any sliding window, and reaches at least 90% of it', () => {
    const limits: BudgetLimits = { ...BC_DEFAULT_LIMITS, maxConcurrent: 1 };
    let state = initialState(limits, T0);
    const starts: number[] = [];
    // A greedy caller asking every 10 ms for 20 minutes (four windows).
    for (let now = T0; now < T0 + 4 * limits.windowMs; now += 10) {
      const d = take(state, limits, now, 'cronus-us', `h${starts.length}`);
      if (d.grant) {
        state = { ...d.state, slots: {} };
        starts.push(now);
      }
    }
    expect(mostInAnyWindow(starts, limits.windowMs)).toBeLessThanOrEqual(limits.requestsPerWindow);
    expect(starts.length / 4).toBeGreaterThanOrEqual(0.9 * limits.requestsPerWindow);
  });

  it('stays within requestsPerWindow when one process decides on a clock reading older than the last refill', () => {
    // Two greedy processes; B's batches are decided on a `now` read 40 ms before they reach the store
    // (its round trips, or a retry after losing a race to A) - a time A has already refilled for.
    const limits: BudgetLimits = { ...BC_DEFAULT_LIMITS, maxConcurrent: 2 };
    let state = initialState(limits, T0);
    const starts: number[] = [];
    for (let now = T0; now < T0 + 2 * limits.windowMs; now += 10) {
      for (const [holder, at] of [
        ['a', now],
        ['b', now - 40],
      ] as const) {
        const d = take(state, limits, at, 'cronus-us', `${holder}${starts.length}`);
        if (d.grant) {
          state = { ...d.state, slots: {} };
          starts.push(now);
        }
      }
    }
    expect(mostInAnyWindow(starts, limits.windowMs)).toBeLessThanOrEqual(limits.requestsPerWindow);
  });

  it('tells a refused caller how long until the next token', () => {
    const limits: BudgetLimits = { maxConcurrent: 5, requestsPerWindow: 20, windowMs: 2_000 };
    const { capacity, perMs } = bucketOf(limits);
    const state: BudgetState = { ...initialState(limits, T0), tokens: 0 };
    const d = take(state, limits, T0);
    expect(capacity).toBe(1);
    expect(d).toMatchObject({ grant: false, reason: 'rate', waitMs: Math.ceil(1 / perMs) });
  });
});

describe('Retry-After', () => {
  it('a pause holds every request of the identity until it ends', () => {
    const state: BudgetState = { ...initialState(BC_DEFAULT_LIMITS, T0), pausedUntil: T0 + 7_000 };
    expect(take(state, BC_DEFAULT_LIMITS, T0 + 1_000)).toEqual({
      grant: false,
      reason: 'paused',
      waitMs: 6_000,
    });
    expect(take(state, BC_DEFAULT_LIMITS, T0 + 7_000)).toMatchObject({ grant: true });
  });
});

describe('fairness between companies', () => {
  const limits = BC_DEFAULT_LIMITS;

  it('a company holding its fair share waits while another company waits', () => {
    let state = holding(limits, 'fabrikam', 'f', 3);
    // Alone, fabrikam may take the other two slots too.
    expect(take(state, limits, T0, 'fabrikam', 'f3')).toMatchObject({ grant: true });
    // With cronus-us waiting, fabrikam has its share (ceil(5 / 2) = 3) and waits; cronus-us goes.
    state = { ...state, waiting: { 'cronus-us': { since: T0 - 100, seenAt: T0 } } };
    expect(take(state, limits, T0, 'fabrikam', 'f3')).toMatchObject({ grant: false, reason: 'fairness' });
    expect(take(state, limits, T0, 'cronus-us', 'c0')).toMatchObject({ grant: true });
  });

  it('the last token goes to the company that has waited longest', () => {
    const state: BudgetState = {
      ...initialState(limits, T0),
      tokens: 1,
      waiting: { 'cronus-us': { since: T0 - 500, seenAt: T0 } },
    };
    expect(take(state, limits, T0, 'fabrikam')).toMatchObject({ grant: false, reason: 'fairness' });
    const granted = take(state, limits, T0, 'cronus-us');
    expect(granted).toMatchObject({ grant: true });
    if (granted.grant) expect(granted.state.waiting).toEqual({});
  });

  it('a waiter that stopped looking no longer holds the others back', () => {
    const state: BudgetState = {
      ...initialState(limits, T0),
      tokens: 1,
      waiting: { 'cronus-us': { since: T0 - 10_000, seenAt: T0 - 5_000 } },
    };
    expect(take(state, limits, T0, 'fabrikam')).toMatchObject({ grant: true });
  });
});

describe('leases', () => {
  it('a renewed lease keeps its slot past its first expiry; a lease that lost its slot is not renewed', () => {
    const limits: BudgetLimits = { ...BC_DEFAULT_LIMITS, maxConcurrent: 1 };
    const d = take(initialState(limits, T0), limits, T0, 'cronus-us', 'a');
    if (!d.grant) throw new Error('refused');
    const kept = renewed(d.state, d.slot, 'a', T0 + 2 * lease);
    expect(take(kept, limits, T0 + lease + 1, 'cronus-us', 'b')).toMatchObject({
      grant: false,
      reason: 'concurrency',
    });
    // After expiry b took the slot: a's late renewal changes nothing.
    const taken = take(d.state, limits, T0 + lease + 1, 'cronus-us', 'b');
    if (!taken.grant) throw new Error('refused');
    expect(renewed(taken.state, taken.slot, 'a', T0 + 3 * lease)).toBe(taken.state);
  });
});

describe('batches of changes', () => {
  const limits = BC_DEFAULT_LIMITS;

  it('decides each request of a batch as one write per request would, one after the other', () => {
    // A busy moment: fabrikam holds 4 slots; one comes back, then fabrikam asks twice and cronus-us once.
    const state = holding(limits, 'fabrikam', 'f', 4);
    const heldBy = (holder: string) => Object.entries(state.slots).find(([, s]) => s.holder === holder)![0];
    const changes: BudgetChange[] = [
      { kind: 'release', slot: heldBy('f0'), holder: 'f0' },
      { kind: 'acquire', req: { holder: 'f4', company: 'fabrikam', leaseMs: lease } },
      { kind: 'acquire', req: { holder: 'c0', company: 'cronus-us', leaseMs: lease } },
      { kind: 'acquire', req: { holder: 'f5', company: 'fabrikam', leaseMs: lease } },
    ];
    const batch = applyChanges(state, limits, T0 + 10, changes, 25);

    let oneByOne = state;
    const decisions = changes.map((c) => {
      if (c.kind === 'release') {
        oneByOne = applyChanges(oneByOne, limits, T0 + 10, [c], 25).state;
        return undefined;
      }
      const d = applyChanges(oneByOne, limits, T0 + 10, [c], 25);
      oneByOne = d.state;
      return d.decisions[0];
    });
    expect(batch.decisions).toEqual(decisions);
    expect(batch.state).toEqual(oneByOne);
    // Which is: fabrikam gets the freed slot and the fifth; cronus-us finds none and waits (marked, so
    // fabrikam's share shrinks from here on); never more than 5 held.
    expect(batch.decisions.map((d) => d && (d.grant ? 'grant' : d.reason))).toEqual([
      undefined,
      'grant',
      'grant',
      'concurrency',
    ]);
    expect(Object.keys(batch.state.slots)).toHaveLength(5);
  });

  it('a batch that changes nothing is not written', () => {
    const state = initialState(limits, T0);
    const unknown = applyChanges(state, limits, T0, [{ kind: 'release', slot: 's0', holder: 'x' }], 25);
    expect(unknown.changed).toBe(false);
    expect(unknown.state).toBe(state);
  });
});

describe('who else uses the identity', () => {
  it('a live slot or a fresh waiting mark of another process counts; its own, expired or stale ones do not', () => {
    const mine = { holder: 'worker-a:1', company: 'cronus-us', leaseMs: lease };
    const other = { holder: 'worker-b:7', company: 'fabrikam', leaseMs: lease };
    let state = initialState(BC_DEFAULT_LIMITS, T0);
    state = applyChanges(state, BC_DEFAULT_LIMITS, T0, [{ kind: 'acquire', req: mine }], 25).state;
    expect(othersActive(state, 'worker-a', T0)).toBe(false);
    state = applyChanges(state, BC_DEFAULT_LIMITS, T0, [{ kind: 'acquire', req: other }], 25).state;
    expect(othersActive(state, 'worker-a', T0)).toBe(true);
    expect(othersActive(state, 'worker-a', T0 + lease + 1)).toBe(false);
    // worker-b's company waits (all slots taken by worker-a): its mark counts until it goes stale.
    const full = { ...BC_DEFAULT_LIMITS, maxConcurrent: 1 };
    let one = initialState(full, T0);
    one = applyChanges(one, full, T0, [{ kind: 'acquire', req: mine }], 25).state;
    one = applyChanges(one, full, T0, [{ kind: 'acquire', req: other }], 25).state;
    expect(one.waiting.fabrikam).toMatchObject({ by: 'worker-b' });
    expect(othersActive(one, 'worker-a', T0)).toBe(true);
    expect(othersActive(one, 'worker-b', T0)).toBe(true);
    expect(othersActive({ ...one, slots: {} }, 'worker-a', T0 + 60_000)).toBe(false);
  });
});

/** A store in this process that counts its writes and answers `releaseDelayMs` as a shared store would. */
class CountingStore implements BudgetStore {
  readonly inner: MemoryBudgetStore;
  readonly pollMs = 25;
  writes = 0;
  constructor(
    limits: BudgetLimits,
    readonly releaseDelayMs: number,
  ) {
    this.inner = new MemoryBudgetStore(limits);
  }
  get limits() {
    return this.inner.limits;
  }
  apply(changes: BudgetChange[], now: number): Promise<AppliedBatch> {
    this.writes++;
    return this.inner.apply(changes, now);
  }
  renew(slot: string, holder: string, expiresAt: number) {
    return this.inner.renew(slot, holder, expiresAt);
  }
  pauseUntil(until: number) {
    return this.inner.pauseUntil(until);
  }
}

describe('RequestBudget: slots given back', () => {
  const sequential = async (budget: RequestBudget, n: number) => {
    for (let i = 0; i < n; i++) {
      const held = await budget.acquire('cronus-us');
      void held.release();
    }
  };

  it('go with the next request instead of a store write of their own, and all reach the store', async () => {
    const store = new CountingStore(BC_DEFAULT_LIMITS, 10_000);
    const budget = new RequestBudget(store, { leaseMs: 15_000 });
    await sequential(budget, 10);
    // 10 acquires, the first 9 releases riding with the next acquire: 10 writes, not 20.
    expect(store.writes).toBe(10);
    await budget.settle();
    expect(store.writes).toBe(11);
    const { state } = await store.inner.apply([], Date.now());
    expect(Object.keys(state.slots)).toHaveLength(0);
  });

  /** `store` with `n` slots held by another process's requests. */
  const otherHolds = async (store: CountingStore, n: number) => {
    for (let i = 0; i < n; i++) {
      const other = { holder: `other-worker:${i}`, company: 'fabrikam', leaseMs: 60_000 };
      expect(await tryAcquire(store.inner, other, Date.now())).toMatchObject({ grant: true });
    }
  };

  it('are sent at once while another process uses the identity and fewer than two other slots are free', async () => {
    const store = new CountingStore(BC_DEFAULT_LIMITS, 10_000);
    await otherHolds(store, 3);
    const budget = new RequestBudget(store, { leaseMs: 15_000 });
    const held = await budget.acquire('cronus-us');
    await held.release();
    // Four of five slots taken: the release was its own write, without waiting for a next request.
    expect(store.writes).toBe(2);
  });

  it('wait at most 100 ms for the next request while another process uses the identity but slots are plenty', async () => {
    jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick', 'queueMicrotask'] });
    try {
      const store = new CountingStore(BC_DEFAULT_LIMITS, 10_000);
      await otherHolds(store, 1);
      const budget = new RequestBudget(store, { leaseMs: 15_000 });
      await sequential(budget, 5);
      // Three slots free besides the one given back: each release rode with the next acquire.
      expect(store.writes).toBe(5);
      jest.advanceTimersByTime(99);
      await new Promise((r) => setImmediate(r));
      expect(store.writes).toBe(5);
      // ... and the last went on its own after 100 ms (alone it would wait 10 s).
      jest.advanceTimersByTime(2);
      await new Promise((r) => setImmediate(r));
      expect(store.writes).toBe(6);
      const { state } = await store.inner.apply([], Date.now());
      expect(Object.values(state.slots).map((l) => l.holder)).toEqual(['other-worker:0']);
    } finally {
      jest.useRealTimers();
    }
  });

  it("are sent at once while a request of this process waits for its company's share", async () => {
    jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick', 'queueMicrotask'] });
    try {
      // Ten slots; another process's company holds two, so cronus-us may hold ceil(10 / 2) = 5.
      const limits: BudgetLimits = { ...BC_DEFAULT_LIMITS, maxConcurrent: 10 };
      const store = new CountingStore(limits, 10_000);
      await otherHolds(store, 1);
      await store.inner.apply(
        [{ kind: 'acquire', req: { holder: 'other-worker:9', company: 'fabrikam', leaseMs: 60_000 } }],
        Date.now(),
      );
      const budget = new RequestBudget(store, { leaseMs: 15_000 });
      const held = await Promise.all(Array.from({ length: 5 }, () => budget.acquire('cronus-us')));
      let sixth = false;
      void budget.acquire('cronus-us').then(() => (sixth = true));
      await new Promise((r) => setImmediate(r));
      expect(sixth).toBe(false);
      // Four slots are free, but the sixth waits for this very one: no delay, no timer needed.
      void held[0]!.release();
      await new Promise((r) => setImmediate(r));
      expect(sixth).toBe(true);
    } finally {
      jest.useRealTimers();
    }
  });
});

describe('RequestBudget', () => {
  it('asks the store in batches: fewer writes than slots taken and given back, never over the limit', async () => {
    const store = new MemoryBudgetStore(BC_DEFAULT_LIMITS);
    let batches = 0;
    const apply = store.apply.bind(store);
    store.apply = (...args) => {
      batches++;
      return apply(...args);
    };
    const budget = new RequestBudget(store, { leaseMs: 15_000 });
    let inFlight = 0;
    let maxInFlight = 0;
    const served: string[] = [];
    const request = async (company: string) => {
      const held = await budget.acquire(company);
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((r) => setTimeout(r, 5));
      inFlight--;
      served.push(company);
      void held.release();
    };
    // 30 requests of a large sync, and 1 of another company asking after them.
    await Promise.all([...Array.from({ length: 30 }, () => request('fabrikam')), request('cronus-us')]);
    expect(served).toHaveLength(31);
    expect(maxInFlight).toBeLessThanOrEqual(5);
    // One write per change would be 62 (31 acquires, 31 releases).
    expect(batches).toBeLessThan(62 * 0.75);
    // Companies take turns within a batch: cronus-us is not served after the whole queue of fabrikam.
    expect(served.indexOf('cronus-us')).toBeLessThan(10);
  });

  it('renews the lease of a request that runs longer than a lease, and frees it on release', async () => {
    // Time of the budget's decisions is ours; only the renewal timer is real.
    let now = T0;
    const store = new MemoryBudgetStore({ ...BC_DEFAULT_LIMITS, maxConcurrent: 1 }, T0);
    let renewedOnce: () => void = () => undefined;
    const renew = store.renew.bind(store);
    store.renew = async (...args) => {
      await renew(...args);
      renewedOnce();
    };
    const nextRenewal = () => new Promise<void>((r) => (renewedOnce = r));
    const budget = new RequestBudget(store, { leaseMs: 90, now: () => now });
    const running = await budget.acquire('cronus-us');
    for (const at of [T0 + 80, T0 + 160, T0 + 240]) {
      now = at;
      await nextRenewal();
    }
    // Long past the first lease's end the slot is still held: another worker is refused.
    const other = { holder: 'other-worker', company: 'fabrikam', leaseMs: 90 };
    expect(await tryAcquire(store, other, T0 + 250)).toMatchObject({ grant: false, reason: 'concurrency' });
    await running.release();
    expect(await tryAcquire(store, other, T0 + 250)).toMatchObject({ grant: true });
  });

  it('a holder that stops renewing (a killed worker) loses its slot when the lease runs out', async () => {
    const store = new MemoryBudgetStore({ ...BC_DEFAULT_LIMITS, maxConcurrent: 1 });
    const dead = await tryAcquire(store, { holder: 'killed', company: 'cronus-us', leaseMs: 50 }, Date.now());
    expect(dead).toMatchObject({ grant: true });
    const budget = new RequestBudget(store, { leaseMs: 15_000 });
    // Waits for the lease to run out, then gets the slot.
    const lease = await budget.acquire('fabrikam');
    await lease.release();
  });
});
