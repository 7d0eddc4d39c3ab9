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

// Sync runs write their pages at the same time (an entry per mapping, several workers). FerretDB 1.24 on
// SQLite kept every statement of an update command holding one of the database's 100 connections until
// the command ended, so concurrent pages adding up to 100 updates waited for each other for good and took
// the whole database with them (npm start hung after its first sync); the dev servers' build closes each
// statement when done (devservers/install.ts). Measured on the unpatched build: 3 x 60 never answered.
test('three pages of 60 coupling updates written at the same time all land', async () => {
  const store = new CouplingStore(db.cols.couplings);
  const now = new Date();
  const pages = [0, 1, 2].map((p) => Array.from({ length: 60 }, (_, i) => `b${p * 60 + i}`));
  const inserts = pages
    .flat()
    .map((b): CouplingWrite => ({ kind: 'insert', doc: newCoupling('CONC', b, `c-${b}`, now) }));
  expect((await store.applyPage(inserts)).duplicates.size).toBe(0);
  let timer: NodeJS.Timeout | undefined;
  const stuck = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error('the three concurrent update pages were not answered within 60 s')),
      60_000,
    );
  });
  try {
    await Promise.race([
      Promise.all(
        pages.map((ids) =>
          store.applyPage(
            ids.map((b): CouplingWrite => ({ kind: 'set', id: `CONC|${b}`, set: { bcVersion: `v-${b}` } })),
          ),
        ),
      ),
      stuck,
    ]);
  } finally {
    clearTimeout(timer);
  }
  const docs = await store.loadByBcIds('CONC', pages.flat());
  expect(docs.filter((d) => d.bcVersion === `v-${d.bcId}`)).toHaveLength(180);
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

// Our FerretDB build narrows these queries in SQLite (devservers/ferretdb/bcsync_pushdown.go): the answers
// must be exactly MongoDB's, for ids in several chunks, other mappings' couplings and missing ids.
test('a page of 2,500 ids finds its couplings by BC id and by CRM id, and only those of its mapping', async () => {
  const store = new CouplingStore(db.cols.couplings);
  const now = new Date();
  for (const mapping of ['PAGE', 'OTHER']) {
    const writes: CouplingWrite[] = Array.from({ length: 1200 }, (_, i) => ({
      kind: 'insert',
      doc: newCoupling(mapping, `b${i}`, `${mapping}-c${i}`, now),
    }));
    expect((await store.applyPage(writes)).duplicates.size).toBe(0);
  }
  // The other mapping's CRM ids are asked for too: they must not be answered for PAGE.
  const bcIds = Array.from({ length: 2500 }, (_, i) => `b${i}`);
  const crmIds = [
    ...Array.from({ length: 1250 }, (_, i) => `PAGE-c${i}`),
    ...Array.from({ length: 1250 }, (_, i) => `OTHER-c${i}`),
  ];
  const byBc = await store.loadByBcIds('PAGE', bcIds);
  expect(byBc).toHaveLength(1200);
  expect(new Set(byBc.map((d) => d.mapping))).toEqual(new Set(['PAGE']));
  const byCrm = await store.loadByCrmIds('PAGE', crmIds);
  expect(byCrm.map((d) => d.crmId).sort()).toEqual(
    Array.from({ length: 1200 }, (_, i) => `PAGE-c${i}`).sort(),
  );
  // Equality on a field besides _id, and a filter the pushdown leaves to FerretDB (an operator).
  expect(await db.cols.couplings.countDocuments({ mapping: 'OTHER', crmId: 'OTHER-c7' })).toBe(1);
  expect(await db.cols.couplings.countDocuments({ mapping: 'OTHER', crmId: { $ne: 'OTHER-c7' } })).toBe(1199);
});
