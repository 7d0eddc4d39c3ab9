// The throttling budget's rules (activities/connectors/budgetRules.ts), without a server. The limits are
// BC's and Dataverse's per-user service protection limits: 6,000 requests in a 5-minute sliding window,
// 5 (BC) / 52 (Dataverse) concurrent requests, and a 429 with Retry-After past them (Microsoft Learn,
// "Work with API limits" / "Current API Limits" for BC; "Service protection API limits" for Dataverse).
import {
  BC_DEFAULT_LIMITS,
  bucketOf,
  decide,
  initialState,
  type BudgetLimits,
  type BudgetState,
} from '../../activities/connectors/budgetRules';

const T0 = 1_700_000_000_000;
const lease = 60_000;

function take(state: BudgetState, limits: BudgetLimits, now: number, company = 'cronus-us', holder = 'h') {
  return decide(state, limits, now, { holder, company, leaseMs: lease }, 25);
}

describe('concurrency', () => {
  it('grants at most maxConcurrent slots, and a released or expired slot again', () => {
    let state = initialState(BC_DEFAULT_LIMITS, T0);
    for (let i = 0; i < 5; i++) {
      const d = take(state, BC_DEFAULT_LIMITS, T0, 'cronus-us', `h${i}`);
      if (!d.grant) throw new Error(`request ${i} was refused (${d.reason})`);
      state = d.state;
    }
    const sixth = take(state, BC_DEFAULT_LIMITS, T0);
    expect(sixth).toMatchObject({ grant: false, reason: 'concurrency' });

    const freed = { ...state, slots: { ...state.slots } };
    delete freed.slots.s2;
    expect(take(freed, BC_DEFAULT_LIMITS, T0)).toMatchObject({ grant: true, slot: 's2' });
    // A holder that died frees its slot when the lease runs out.
    expect(take(state, BC_DEFAULT_LIMITS, T0 + lease + 1)).toMatchObject({ grant: true });
  });
});

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
    let maxInWindow = 0;
    let tail = 0;
    for (let head = 0; head < starts.length; head++) {
      while (starts[tail] <= starts[head] - limits.windowMs) tail++;
      maxInWindow = Math.max(maxInWindow, head - tail + 1);
    }
    expect(maxInWindow).toBeLessThanOrEqual(limits.requestsPerWindow);
    expect(starts.length / 4).toBeGreaterThanOrEqual(0.9 * limits.requestsPerWindow);
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
    let state = initialState(limits, T0);
    for (let i = 0; i < 3; i++) {
      const d = take(state, limits, T0, 'fabrikam', `f${i}`);
      if (!d.grant) throw new Error('refused');
      state = d.state;
    }
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
