// One run of a mapping at a time (docs/one-run-per-mapping.md): the lease store on the test run's
// MongoDB-compatible server (FerretDB in CI), whose updates are no compare-and-set - only inserts and the
// unique `_id` decide who holds a mapping.
import { MappingLeaseStore } from '../../activities/store/mappingLeases';
import type { Database } from '../../activities/store/database';
import { testDatabase } from '../support/database';

let db: Database;
let clock: number;
const now = () => new Date(clock);
beforeAll(async () => {
  db = await testDatabase('leases');
});
afterAll(async () => {
  await db?.close();
});
beforeEach(() => {
  clock = Date.parse('2026-12-01T09:00:00Z');
});

const TTL = 60_000;

test('a held mapping keeps another run out and names who holds it; the same run takes it back at once', async () => {
  const leases = new MappingLeaseStore(db.cols.mappingLeases, now);
  const full = await leases.tryAcquire('CUSTOMER', 'run-full', 'FULL SYNC CUSTOMER', TTL);
  expect(full.ok).toBe(true);
  const entry = await leases.tryAcquire('CUSTOMER', 'run-entry', 'CUSTOMER', TTL);
  expect(entry).toMatchObject({ ok: false, heldBy: { label: 'FULL SYNC CUSTOMER', holder: 'run-full' } });
  // A retried attempt of the full sync (same run key, e.g. on another worker) is not kept out by itself.
  expect((await leases.tryAcquire('CUSTOMER', 'run-full', 'FULL SYNC CUSTOMER', TTL)).ok).toBe(true);
  // Another mapping is free.
  expect((await leases.tryAcquire('CONTACT', 'run-entry', 'CONTACT', TTL)).ok).toBe(true);
});

test('a given-back mapping is free at once', async () => {
  const leases = new MappingLeaseStore(db.cols.mappingLeases, now);
  const first = await leases.tryAcquire('ITEM-PRODUCT', 'a', 'ITEM-PRODUCT', TTL);
  if (!first.ok) throw new Error('not acquired');
  await leases.release(first.lease);
  expect((await leases.tryAcquire('ITEM-PRODUCT', 'b', 'FULL SYNC ITEM-PRODUCT', TTL)).ok).toBe(true);
});

test("a killed worker's lease expires: nobody renews it, and after its time to live another run takes over", async () => {
  const leases = new MappingLeaseStore(db.cols.mappingLeases, now);
  const dead = await leases.tryAcquire('SALESPEOPLE', 'killed-run', 'FULL SYNC SALESPEOPLE', TTL);
  if (!dead.ok) throw new Error('not acquired');
  clock += TTL - 1_000;
  expect((await leases.tryAcquire('SALESPEOPLE', 'next-run', 'SALESPEOPLE', TTL)).ok).toBe(false);
  clock += 2_000;
  const next = await leases.tryAcquire('SALESPEOPLE', 'next-run', 'SALESPEOPLE', TTL);
  expect(next.ok).toBe(true);
  // Had the first run only stalled, its renewal now tells it that it lost the mapping.
  expect(await leases.renew(dead.lease, TTL)).toBe(false);
  if (next.ok) expect(await leases.renew(next.lease, TTL)).toBe(true);
});

test('of runs racing for a free mapping exactly one gets it', async () => {
  const stores = Array.from({ length: 8 }, () => new MappingLeaseStore(db.cols.mappingLeases, now));
  const attempts = await Promise.all(
    stores.map((s, n) => s.tryAcquire('CURRENCY', `run-${n}`, `CURRENCY ${n}`, TTL)),
  );
  const winners = attempts.filter((a) => a.ok);
  expect(winners).toHaveLength(1);
  for (const a of attempts.filter((x) => !x.ok))
    expect(a).toMatchObject({ heldBy: { holder: winners[0]!.ok ? winners[0]!.lease.holder : '' } });
});
