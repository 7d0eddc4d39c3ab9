// One throttling budget per API identity, shared by all workers through MongoDB (real FerretDB): two
// "workers" - each its own BudgetRegistry and BC connector, sharing nothing but the database - against
// the BC emulator. BC allows 5 concurrent requests and 6,000 requests per 5-minute sliding window per
// user and answers 429 past them (Microsoft Learn, "Work with API limits"; apis.md A); the emulator's
// request budget answers 429 with Retry-After the same way.
import { Collection } from 'mongodb';
import {
  BudgetRegistry,
  createBcClient,
  type BcClient,
  type BudgetLimits,
  type ConnectorOptions,
} from '../../activities/connectors';
import {
  API_BUDGETS_COLLECTION,
  MongoBudgetStore,
  sharedBudgetStores,
} from '../../activities/store/apiBudgets';
import type { Database } from '../../activities/store/database';
import { startEmulators } from '../../emulators';
import { testDatabase } from '../support/database';
import { bcConfig, fastOptions, http, setFaults, stats } from './emulatorHarness';

type Emulators = Awaited<ReturnType<typeof startEmulators>>;
let emulators: Emulators;
let database: Database;

beforeAll(async () => {
  emulators = await startEmulators({
    host: '127.0.0.1',
    bcPort: 0,
    dataversePort: 0,
    seed: 'demo',
    records: 20,
  });
  database = await testDatabase('budget');
});

afterAll(async () => {
  await emulators?.stop();
  await database?.close();
});

beforeEach(async () => {
  await database.db.collection(API_BUDGETS_COLLECTION).deleteMany({});
});

/** The registries of this test's workers: their slots given back reach the store before the next test. */
let registries: BudgetRegistry[] = [];

afterEach(async () => {
  await Promise.all(registries.map((r) => r.settle()));
  registries = [];
  await setFaults(emulators.bc.url, {});
});

/** Counts API requests (not token requests) in flight at the emulator across every client using it. */
function inFlightMeter(): { fetch: typeof fetch; max: () => number; sentAt: number[] } {
  let now = 0;
  let max = 0;
  const sentAt: number[] = [];
  const counted: typeof fetch = async (input, init) => {
    if (String(input instanceof Request ? input.url : input).includes('/oauth2/')) return fetch(input, init);
    now++;
    max = Math.max(max, now);
    sentAt.push(Date.now());
    try {
      return await fetch(input, init);
    } finally {
      now--;
    }
  };
  return { fetch: counted, max: () => max, sentAt };
}

function worker(
  limits: Partial<BudgetLimits>,
  options: ConnectorOptions & { shared: boolean; company?: string },
): BcClient {
  const budgets = new BudgetRegistry(options.shared ? sharedBudgetStores(database.db) : undefined);
  registries.push(budgets);
  const config = bcConfig(emulators.bc, {
    limits: { maxConcurrent: 5, requestsPerWindow: 6_000, windowMs: 300_000, ...limits },
  });
  return createBcClient(config, http, { ...fastOptions, ...options, budgets });
}

const readCustomers = (bc: BcClient, n: number): Promise<unknown[]> =>
  Promise.all(Array.from({ length: n }, () => bc.listCompanies()));

describe('shared throttling budget', () => {
  it('keeps two workers together at 5 requests in flight (each alone would send 5)', async () => {
    await setFaults(emulators.bc.url, { latencyMs: 100 });
    const shared = inFlightMeter();
    await Promise.all([
      readCustomers(worker({}, { shared: true, fetch: shared.fetch }), 20),
      readCustomers(worker({}, { shared: true, fetch: shared.fetch }), 20),
    ]);
    expect(shared.max()).toBeLessThanOrEqual(5);

    // The same two workers with budgets of their own: up to 10 in flight, more than BC allows.
    const separate = inFlightMeter();
    await Promise.all([
      readCustomers(worker({}, { shared: false, fetch: separate.fetch }), 20),
      readCustomers(worker({}, { shared: false, fetch: separate.fetch }), 20),
    ]);
    expect(separate.max()).toBeGreaterThan(5);
  });

  it('keeps two workers together within the request limit: no 429 from the service', async () => {
    // 20 requests per 2 s for the app user, at the emulator and in our budget.
    await setFaults(emulators.bc.url, { budget: { requests: 20, windowSeconds: 2 } });
    const before = await stats(emulators.bc.url);
    const limits = { requestsPerWindow: 20, windowMs: 2_000 };
    const results = await Promise.all([
      readCustomers(worker(limits, { shared: true }), 25),
      readCustomers(worker(limits, { shared: true }), 25),
    ]);
    const after = await stats(emulators.bc.url);
    expect(results.flat()).toHaveLength(50);
    expect((after.byStatus['429'] ?? 0) - (before.byStatus['429'] ?? 0)).toBe(0);
    expect((after.byStatus['200'] ?? 0) - (before.byStatus['200'] ?? 0)).toBe(50);
  });

  it('a worker alone on the identity pays one store write per request and no probe for newer versions', async () => {
    const find = jest.spyOn(Collection.prototype, 'find');
    const insertOne = jest.spyOn(Collection.prototype, 'insertOne');
    const onBudgets = (spy: jest.SpyInstance) =>
      spy.mock.contexts.filter((c) => (c as Collection).collectionName === API_BUDGETS_COLLECTION).length;
    try {
      const bc = worker({}, { shared: true });
      for (let i = 0; i < 20; i++) await bc.listCompanies();
      await Promise.all(registries.map((r) => r.settle()));
      // Each slot given back rides with the next request's (docs/throttling.md): 20 + the last release,
      // not 40; the chain of versions is read once, at the start (the latest, then a probe past it),
      // not before every write.
      expect(onBudgets(insertOne)).toBeLessThanOrEqual(21);
      expect(onBudgets(find)).toBeLessThanOrEqual(2);
    } finally {
      find.mockRestore();
      insertOne.mockRestore();
    }
    // A second worker is seen at its first write: both stay within BC's 5 in flight (the test above).
  });

  it('a worker catches up with the versions other workers wrote in one read, and decides on the latest', async () => {
    const limits: BudgetLimits = { maxConcurrent: 5, requestsPerWindow: 6_000, windowMs: 300_000 };
    const a = new MongoBudgetStore(database.db, 'bc|catch-up', limits);
    const b = new MongoBudgetStore(database.db, 'bc|catch-up', limits);
    const acquire = (holder: string) => ({
      kind: 'acquire' as const,
      req: { holder, company: 'cronus-us', leaseMs: 60_000 },
    });
    await a.apply([acquire('a:1')], Date.now());
    // Worker B takes three slots and renews one lease seven times: ten versions A has not seen.
    for (const n of [1, 2, 3]) await b.apply([acquire(`b:${n}`)], Date.now());
    for (let n = 0; n < 7; n++) await b.renew('s1', 'b:1', Date.now() + 61_000 + n);
    const find = jest.spyOn(Collection.prototype, 'find');
    try {
      const { decisions, state } = await a.apply([acquire('a:2')], Date.now());
      // One probe (two if this machine took over 2 s since A's last read: then A looks up the latest
      // first); one read per version would be ten.
      expect(
        find.mock.contexts.filter((c) => (c as Collection).collectionName === API_BUDGETS_COLLECTION).length,
      ).toBeLessThanOrEqual(2);
      // Decided on the latest version: B's three slots are taken, so A gets the fifth.
      expect(decisions[0]).toMatchObject({ grant: true, slot: 's4' });
      expect(
        Object.values(state.slots)
          .map((l) => l.holder)
          .sort(),
      ).toEqual(['a:1', 'a:2', 'b:1', 'b:2', 'b:3']);
    } finally {
      find.mockRestore();
    }
    const versions = await database.db
      .collection(API_BUDGETS_COLLECTION)
      .countDocuments({ identity: 'bc|catch-up' });
    expect(versions).toBe(12);
  });

  it('a 429 in one worker pauses the other worker for the Retry-After', async () => {
    // The service allows 3 requests per second; our budget does not know (a plan with lower limits).
    await setFaults(emulators.bc.url, { budget: { requests: 3, windowSeconds: 1 } });
    const meterA = inFlightMeter();
    const meterB = inFlightMeter();
    const retry = { retryAfterScale: 1, baseDelayMs: 5, maxDelayMs: 40 };
    const a = worker({}, { shared: true, fetch: meterA.fetch, retry });
    const b = worker({}, { shared: true, fetch: meterB.fetch, retry });
    const before = await stats(emulators.bc.url);
    // A's 4th request gets 429 + Retry-After: 1; A waits and succeeds.
    await readCustomers(a, 3);
    const aDone = a.listCompanies();
    // The version of the shared budget (activities/store/apiBudgets.ts) that carries the pause: the
    // latest with one (on a slow machine later versions may be written before this test looks).
    const budgetDoc = async () =>
      (
        await database.db
          .collection<{ pausedUntil: number; version: number }>(API_BUDGETS_COLLECTION)
          .find({ pausedUntil: { $gt: 0 } })
          .sort({ version: -1 })
          .limit(1)
          .toArray()
      )[0];
    while (((await budgetDoc())?.pausedUntil ?? 0) === 0) await new Promise((r) => setTimeout(r, 5));
    const pausedUntil = (await budgetDoc())!.pausedUntil;
    // B asks now: its request is not sent before the pause ends, so it collects no 429 of its own.
    await Promise.all([aDone, b.listCompanies()]);
    const after = await stats(emulators.bc.url);
    expect(meterB.sentAt).toHaveLength(1);
    expect(meterB.sentAt[0]).toBeGreaterThanOrEqual(pausedUntil);
    expect((after.byStatus['429'] ?? 0) - (before.byStatus['429'] ?? 0)).toBe(1);
  });

  it('serves a waiting company before the rest of a large sync of another company', async () => {
    // Slow enough that the queue, not this machine's scheduling noise, decides the order.
    await setFaults(emulators.bc.url, { latencyMs: 150 });
    const order: string[] = [];
    const big = worker({}, { shared: true, company: 'fabrikam' });
    const small = worker({}, { shared: true, company: 'cronus-us' });
    const bigRun = Promise.all(
      Array.from({ length: 40 }, async () => {
        await big.listCompanies();
        order.push('fabrikam');
      }),
    );
    // The small company asks once the big sync's first request is answered, so most of its 40 are
    // still queued behind the concurrency limit however slow this machine is.
    while (order.length === 0) await new Promise((r) => setTimeout(r, 2));
    const askedAfter = order.length;
    await small.listCompanies();
    order.push('cronus-us');
    await bigRun;
    // First come, first served would serve cronus-us after every request queued before it (0 overtaken);
    // its fair share lets it in ahead of most of those still waiting for a slot - not the ones already
    // sent (up to BC's 5 concurrent requests), which finish first whatever the order.
    const overtaken = order.length - 1 - order.indexOf('cronus-us');
    const waiting = 40 - askedAfter - 5;
    expect(overtaken).toBeGreaterThan(waiting / 2);
  });
});
