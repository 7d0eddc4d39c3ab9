// `bcsync budgets` through the real binary: what the workers' shared throttling budgets hold
// (docs/throttling.md), written here by two "workers" through the same store the connectors use. BC allows
// 5 concurrent requests per user and answers 429 with Retry-After past its limits (Microsoft Learn,
// "Work with API limits"); the budget mirrors that per identity.
import { randomUUID } from 'node:crypto';
import { BC_DEFAULT_LIMITS, DATAVERSE_DEFAULT_LIMITS } from '../../activities/connectors/budgetRules';
import { MongoBudgetStore } from '../../activities/store/apiBudgets';
import type { Database } from '../../activities/store/database';
import { testDatabase } from '../support/database';
import { assertBuilt, bcsync } from './bcsyncBinary';

const BC =
  'bc|https://api.businesscentral.dynamics.com|contoso.onmicrosoft.com|7d3c1f52-0000-4000-8000-000000000001';
const DATAVERSE = 'dataverse|https://contoso.crm4.dynamics.com|7d3c1f52-0000-4000-8000-000000000002';

let base: Database;
let empty: Database;

beforeAll(async () => {
  assertBuilt();
  base = await testDatabase('budgets_cli');
  empty = await testDatabase('budgets_cli_empty');
});
afterAll(async () => {
  await base?.close();
  await empty?.close();
});

/** The part of `bcsync budgets --json` this test reads (README: the JSON contract). */
interface BudgetJson {
  identity: string;
  available: number;
  inFlight: Array<{ company: string; worker: string }>;
  pausedUntil: string | null;
}

/**
 * BC's limits with a request budget small enough that the few seconds this test takes refill at most a
 * few requests (100 per 5 minutes: 0.3 per second); set for the CLI too (BCSYNC_BC_REQUESTS_PER_WINDOW).
 */
const SMALL_PLAN = { ...BC_DEFAULT_LIMITS, requestsPerWindow: 100 };

const acquire = (holder: string, company: string) => ({
  kind: 'acquire' as const,
  req: { holder, company, leaseMs: 120_000 },
});

test('shows each identity: requests available, in flight by company and worker, waiting companies, a pause', async () => {
  const workerA = randomUUID();
  const workerB = randomUUID();
  const a = new MongoBudgetStore(base.db, BC, SMALL_PLAN);
  const b = new MongoBudgetStore(base.db, BC, SMALL_PLAN);
  const now = Date.now();
  await a.apply(
    [1, 2, 3].map((n) => acquire(`${workerA}:${n}`, 'cronus-us')),
    now,
  );
  await b.apply(
    [1, 2].map((n) => acquire(`${workerB}:${n}`, 'fabrikam')),
    now,
  );
  // The bucket's five requests and BC's five slots are taken: contoso-de's request waits (and is marked
  // waiting).
  const refused = await b.apply([acquire(`${workerB}:3`, 'contoso-de')], now);
  expect(refused.decisions[0]).toMatchObject({ grant: false, reason: 'rate' });
  // A waiting request asks again while it waits, which keeps its company's mark fresh (a mark not
  // renewed for 2 s is a waiter that gave up, and is not shown).
  const stillWaiting = setInterval(() => {
    void b.apply([acquire(`${workerB}:3`, 'contoso-de')], Date.now()).catch(() => undefined);
  }, 400);
  await a.pauseUntil(now + 90_000);
  // The Dataverse organization's budget: one request, given back.
  const dv = new MongoBudgetStore(base.db, DATAVERSE, DATAVERSE_DEFAULT_LIMITS);
  await dv.apply([acquire(`${workerA}:4`, 'cronus-us')], now);
  await dv.apply([{ kind: 'release', slot: 's0', holder: `${workerA}:4` }], now);

  const env = { BCSYNC_DB_NAME: base.db.databaseName, BCSYNC_BC_REQUESTS_PER_WINDOW: '100' };
  let table: Awaited<ReturnType<typeof bcsync>>;
  let json: Awaited<ReturnType<typeof bcsync>>;
  try {
    table = await bcsync(['budgets'], env);
    json = await bcsync(['budgets', '--json'], env);
  } finally {
    clearInterval(stillWaiting);
  }
  expect(table.code).toBe(0);
  expect(table.stdout).toContain('Business Central https://api.businesscentral.dynamics.com');
  expect(table.stdout).toContain('tenant contoso.onmicrosoft.com');
  expect(table.stdout).toContain('5 of 5');
  expect(table.stdout).toContain('+0.3/s (100 per 300 s)');
  expect(table.stdout).toContain(`cronus-us 3 (worker ${workerA.slice(0, 8)})`);
  expect(table.stdout).toContain(`fabrikam 2 (worker ${workerB.slice(0, 8)})`);
  expect(table.stdout).toMatch(/contoso-de for \d+\.\d s/);
  expect(table.stdout).toMatch(/paused until \d\d:\d\d:\d\d \((8\d|90)\.\d s more\)/);
  expect(table.stdout).toContain('Dataverse https://contoso.crm4.dynamics.com');
  expect(table.stdout).toContain('0 of 52');

  expect(json.code).toBe(0);
  const budgets = JSON.parse(json.stdout) as BudgetJson[];
  expect(budgets.map((x) => x.identity)).toEqual([BC, DATAVERSE]);
  const [bc, org] = budgets as [BudgetJson, BudgetJson];
  expect(bc).toMatchObject({
    service: 'bc',
    tenant: 'contoso.onmicrosoft.com',
    clientId: '7d3c1f52-0000-4000-8000-000000000001',
    limits: { maxConcurrent: 5, requestsPerWindow: 100, windowMs: 300_000 },
    capacity: 5,
    waiting: [{ company: 'contoso-de' }],
  });
  // 5 in the bucket, all 5 taken; the seconds since then refilled 0.3 per second.
  expect(bc.available).toBeLessThanOrEqual(3);
  expect(bc.inFlight.map((f) => f.company).sort()).toEqual([
    'cronus-us',
    'cronus-us',
    'cronus-us',
    'fabrikam',
    'fabrikam',
  ]);
  expect(new Date(bc.pausedUntil!).getTime()).toBe(now + 90_000);
  expect(org).toMatchObject({
    service: 'dataverse',
    tenant: null,
    inFlight: [],
    waiting: [],
    pausedUntil: null,
  });
});

test('a deployment whose workers have made no request yet has no budget: says so, exit 0', async () => {
  const env = { BCSYNC_DB_NAME: empty.db.databaseName };
  const table = await bcsync(['budgets'], env);
  expect(table.code).toBe(0);
  expect(table.stdout).toMatch(/No budget yet: a worker records one per API identity with its first request/);
  const json = await bcsync(['budgets', '--json'], env);
  expect(json.code).toBe(0);
  expect(JSON.parse(json.stdout)).toEqual([]);
});

test('a limit setting that is not one, and an unknown MongoDB server: the cause named, exit 1', async () => {
  const bad = await bcsync(['budgets'], {
    BCSYNC_DB_NAME: empty.db.databaseName,
    BCSYNC_BC_REQUESTS_PER_WINDOW: 'lots',
  });
  // Settings errors exit 1 like every command's (the README's exit codes).
  expect(bad.code).toBe(1);
  expect(bad.stderr).toContain(
    'BCSYNC_BC_REQUESTS_PER_WINDOW is invalid (Invalid input: expected number, received NaN): set it to requests per window per app user',
  );
  expect(bad.stderr).not.toMatch(/\n\s+at /);

  // Nothing listens on port 1: the message names the server (password masked) and what to do.
  const down = await bcsync(['budgets', '--json'], {
    MONGODB_URI: 'mongodb://bcsync:hunter22@127.0.0.1:1/',
  });
  expect(down.code).toBe(1);
  expect(down.stdout).toBe('');
  expect(down.stderr).toContain('cannot connect to MongoDB at mongodb://bcsync:***@127.0.0.1:1/');
  expect(down.stderr).toContain('Check MONGODB_URI or run `bcsync servers up`');
  expect(down.stderr).not.toContain('hunter22');
  expect(down.stderr).not.toMatch(/\n\s+at /);
});
