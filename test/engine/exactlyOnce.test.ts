// Exactly once (issue: "an activity can be retried after a crash at any point"): the pass is killed at
// each step, in each direction, then retried with the same run key (as a Temporal activity retry is). The
// retry must leave no second record in either system, no record without its coupling, and count every
// record once.
import { couplingKey } from '../../activities/store/couplings';
import type { CrashPoint, PassDirection } from '../../activities/engine/types';
import { startEngineStack, type EngineStack } from './engineHarness';
import { prepareReferenceData } from './engineTestData';

let stack: EngineStack;
beforeAll(async () => {
  stack = await startEngineStack({ deps: { pageSize: 2 } });
  await prepareReferenceData(stack);
  await stack.engine.fullSync(['CUSTOMER']);
});
afterAll(async () => {
  await stack?.stop();
});

class Crash extends Error {}

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
