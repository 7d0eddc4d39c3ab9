// Exactly once (issue: "an activity can be retried after a crash at any point"): the pass is killed at
// each step, in each direction, then retried with the same run key (as a Temporal activity retry is). The
// retry must leave no second record in either system, no record without its coupling, and count every
// record once.
import { couplingKey } from '../../activities/store/couplings';
import type { CrashPoint, PassDirection } from '../../activities/engine/types';
import { startEngineStack, type EngineStack } from './engineHarness';
import { prepareReferenceData } from './engineTestData';
import { Crash, crashOnce } from './crashOnce';

let stack: EngineStack;
beforeAll(async () => {
  stack = await startEngineStack({ deps: { pageSize: 2 } });
  await prepareReferenceData(stack);
  await stack.engine.fullSync(['CUSTOMER']);
});
afterAll(async () => {
  await stack?.stop();
});

const points: Array<[PassDirection, CrashPoint, number]> = [
  ['toCrm', 'beforeWrite', 1],
  ['toCrm', 'afterWrite', 1],
  ['toCrm', 'afterWrite', 2],
  ['toCrm', 'afterCoupling', 1],
  // Page 2's commit runs while page 3 is written (pipelined commits).
  ['toCrm', 'afterCoupling', 2],
  ['toCrm', 'afterPageCommit', 1],
  ['toCrm', 'beforeWatermark', 0],
  ['toCrm', 'afterWatermark', 0],
  ['fromCrm', 'afterIntent', 0],
  ['fromCrm', 'afterWrite', 0],
  ['fromCrm', 'afterCoupling', 0],
  ['fromCrm', 'afterPageCommit', 0],
  ['fromCrm', 'beforeWrite', 0],
  ['fromCrm', 'afterWatermark', 0],
];

// Page n: the n-th page that writes something reaches that point (0 = the first, or a pass-level point).
test.each(points)('crash in the %s pass at %s of page %i, then retry', async (direction, point, page) => {
  const tag = `${direction}-${point}-${page}`;
  // Three new BC customers and two new CRM accounts (two pages of two in each direction).
  const bcNames = [1, 2, 3].map((n) => `BC ${tag} ${n}`);
  const crmNames = [1, 2].map((n) => `CRM ${tag} ${n}`);
  for (const name of bcNames)
    await stack.connectors.bc.create('customers', { displayName: name, salespersonCode: 'OF' });
  for (const name of crmNames) await stack.salesCrm.create('accounts', { name, customertypecode: 3 });

  const runKey = `run-${tag}`;
  let crashed = false;
  const writingPages = new Set<number>();
  const crashing = stack.engineWith({
    crashAt: (at, ctx) => {
      if (crashed || at !== point || ctx.direction !== direction) return;
      if ((ctx.writes ?? 1) === 0) return;
      writingPages.add(ctx.pageSeq);
      if (page === 0 || writingPages.size === page) {
        crashed = true;
        throw new Crash(`crash at ${at}`);
      }
    },
  });
  await expect(crashing.runMapping('CUSTOMER', { runKey, syncOnlyCoupledRecords: false })).rejects.toThrow(
    Crash,
  );
  expect(crashed).toBe(true);
  const retried = await stack.engine.runMapping('CUSTOMER', { runKey, syncOnlyCoupledRecords: false });

  // No duplicates in either system.
  const accounts = await stack.crmRecords('accounts');
  const customers = await stack.bcRecords('customers');
  for (const name of [...bcNames, ...crmNames]) {
    expect(accounts.filter((a) => a.name === name)).toHaveLength(1);
    expect(customers.filter((c) => c.displayName === name)).toHaveLength(1);
  }
  // No lost coupling: each new pair is coupled, both ways consistently.
  for (const name of [...bcNames, ...crmNames]) {
    const customer = customers.find((c) => c.displayName === name)!;
    const account = accounts.find((a) => a.name === name)!;
    const coupling = await stack.db.cols.couplings.findOne({
      _id: couplingKey('CUSTOMER', String(customer.id)),
    });
    expect(coupling).toMatchObject({ state: 'coupled', crmId: String(account.accountid).toLowerCase() });
  }
  // Counted once: the jobs of the retried run count exactly the new records.
  const [toCrm, fromCrm] = retried.passes;
  expect(toCrm!.counters).toMatchObject({ inserted: 3, failed: 0 });
  expect(fromCrm!.counters).toMatchObject({ inserted: 2, failed: 0, modified: 0 });
  // And the next run finds nothing left to do.
  const next = await stack.engine.runMapping('CUSTOMER');
  for (const pass of next.passes)
    expect(pass.counters).toMatchObject({ inserted: 0, modified: 0, failed: 0 });
});

// Recovery that does not depend on latency (issue 12): after a crash between the create intents and the
// creates, the retry looks every pending BC create up - by the id it was meant to get, then by its natural
// key (a salesperson's Code), in case BC ignored the id - one query per page of intents, never one request
// per record (at 300 ms a request, a page of 1,000 single look-ups outlived the heartbeat timeout).
// Counted through the BC emulator's request log, not timed.
test('the retry after a crash resolves a page of pending BC creates with one query per key, not one per record', async () => {
  const users = Array.from({ length: 12 }, (_, n) => ({
    firstname: `Pending${n}`,
    lastname: 'Retry',
    internalemailaddress: `pending.retry.${n}@fabrikam.example`,
    islicensed: true,
  }));
  for (const user of users) await stack.salesCrm.create('systemusers', user);
  const names = users.map((u) => `${u.firstname} ${u.lastname}`);
  const runKey = 'run-pending-salespeople';
  let crashed = false;
  const crashing = stack.engineWith({
    pageSize: 50,
    crashAt: (at, ctx) => {
      if (crashed || at !== 'afterIntent' || ctx.direction !== 'fromCrm') return;
      crashed = true;
      throw new Crash(`crash at ${at}`);
    },
  });
  await expect(crashing.runMapping('SALESPEOPLE', { runKey })).rejects.toThrow(Crash);
  const pendings = await stack.db.cols.couplings.find({ mapping: 'SALESPEOPLE', state: 'pending' }).toArray();
  // The new users, and any demo user no salesperson is coupled to yet.
  expect(pendings.length).toBeGreaterThanOrEqual(users.length);

  const log = `${stack.emulators.bc.url}/_admin/requests`;
  const before = ((await (await fetch(log)).json()) as { value: unknown[] }).value.length;
  const retried = await stack.engineWith({ pageSize: 50 }).runMapping('SALESPEOPLE', { runKey });
  const requests = (
    (await (await fetch(log)).json()) as { value: Array<{ method: string; url: string }> }
  ).value
    .slice(before)
    .filter(
      (r) => r.method === 'GET' && r.url.includes('salespeoplePurchasers') && r.url.includes('$filter'),
    );
  const byCode = requests.filter((r) => /\bcode eq /.test(r.url));
  const byId = requests.filter((r) => pendings.some((p) => r.url.includes(`id eq ${p.bcId}`)));
  // 12+ intents: one look-up by id and one by Code (a look-up per record made one per intent).
  expect(byId).toHaveLength(1);
  expect(byCode).toHaveLength(1);
  for (const p of pendings) {
    expect(byId[0]!.url).toContain(p.bcId);
    expect(byCode[0]!.url).toContain(`code eq '${p.intent!.naturalKey!.code!}'`);
  }

  // And exactly once: each user became one salesperson, coupled, counted once.
  expect(retried.passes.find((p) => p.direction === 'fromCrm')!.counters).toMatchObject({
    inserted: pendings.length,
    failed: 0,
  });
  const salespeople = await stack.bcRecords('salespeoplePurchasers');
  for (const name of names) expect(salespeople.filter((s) => s.displayName === name)).toHaveLength(1);
  expect(await stack.db.cols.couplings.countDocuments({ mapping: 'SALESPEOPLE', state: 'pending' })).toBe(0);
});

// The same crash, then a new run instead of a retry (the activity gave up; the next scheduled run comes):
// its BC -> CRM pass reads the customer the crashed create made before anything resolved the intent.
test('a crash after the POST, then a new run: the customer is coupled, not copied back to CRM', async () => {
  const name = 'Bellows College Bookstore';
  await stack.salesCrm.create('accounts', { name, customertypecode: 3 });
  await expect(
    crashOnce(stack, 'afterWrite').runMapping('CUSTOMER', {
      runKey: 'run-crashed-then-new',
      syncOnlyCoupledRecords: false,
    }),
  ).rejects.toThrow(Crash);
  await stack.engine.runMapping('CUSTOMER', { runKey: 'run-new-after-crash', syncOnlyCoupledRecords: false });
  const customers = (await stack.bcRecords('customers')).filter((c) => c.displayName === name);
  const accounts = (await stack.crmRecords('accounts')).filter((a) => a.name === name);
  expect([customers.length, accounts.length]).toEqual([1, 1]);
  expect(
    await stack.db.cols.couplings.findOne({ _id: couplingKey('CUSTOMER', String(customers[0]!.id)) }),
  ).toMatchObject({ state: 'coupled', crmId: String(accounts[0]!.accountid).toLowerCase() });
});
