// The coupling store's page writes on the real server of the test run (FerretDB in CI).
import { CouplingStore, newCoupling, type CouplingWrite } from '../../activities/store/couplings';
import type { Database } from '../../activities/store/database';
import { testDatabase } from '../support/database';

let db: Database;
beforeAll(async () => {
  db = await testDatabase('couplingstore');
});
afterAll(async () => {
  await db?.close();
});

test('a page of 250 coupling inserts and 150 updates is written (FerretDB hangs on update commands of 100+)', async () => {
  const store = new CouplingStore(db.cols.couplings);
  const now = new Date();
  const inserts: CouplingWrite[] = Array.from({ length: 250 }, (_, i) => ({
    kind: 'insert',
    doc: newCoupling('BIG', `b${i}`, `c${i}`, now),
  }));
  expect((await store.applyPage(inserts)).duplicates.size).toBe(0);
  const updates: CouplingWrite[] = Array.from({ length: 150 }, (_, i) => ({
    kind: 'set',
    id: `BIG|b${i}`,
    set: { bcVersion: `v${i}` },
  }));
  await store.applyPage(updates);
  const docs = await store.loadByBcIds('BIG', ['b0', 'b149', 'b200']);
  expect(Object.fromEntries(docs.map((d) => [d.bcId, d.bcVersion]))).toEqual({
    b0: 'v0',
    b149: 'v149',
    b200: undefined,
  });
});

test('a second coupling of the same CRM record is reported as a duplicate, the rest of the page is written', async () => {
  const store = new CouplingStore(db.cols.couplings);
  const now = new Date();
  const { duplicates } = await store.applyPage([
    { kind: 'insert', doc: newCoupling('DUP', 'b1', 'c1', now) },
    { kind: 'insert', doc: newCoupling('DUP', 'b2', 'c1', now) },
    { kind: 'insert', doc: newCoupling('DUP', 'b3', 'c3', now) },
  ]);
  expect([...duplicates]).toEqual(['DUP|b2']);
  expect((await store.loadByCrmIds('DUP', ['c1', 'c3'])).map((d) => d.bcId).sort()).toEqual(['b1', 'b3']);
});
