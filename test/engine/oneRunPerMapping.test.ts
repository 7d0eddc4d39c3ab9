// One run of a mapping at a time (docs/one-run-per-mapping.md), on real MongoDB and both API emulators: a
// mapping's job queue entry started while a full synchronization of that mapping runs waits for it, and a
// run whose worker was killed keeps the mapping only until its lease expires.
import { MappingLeaseStore } from '../../activities/store/mappingLeases';
import { startEngineStack, type EngineStack } from './engineHarness';
import { prepareReferenceData } from './engineTestData';

let stack: EngineStack;
beforeAll(async () => {
  stack = await startEngineStack();
  await prepareReferenceData(stack);
});
afterAll(async () => {
  await stack?.stop();
});

const entryRun = { entry: 'CUSTOMER', mappings: ['CUSTOMER'], kind: 'synchronization' as const };
const fullSyncRun = { ...entryRun, entry: 'FULL SYNC CUSTOMER', fullSync: true };

test("the mapping's entry run started during a full sync waits for it, then runs (never both at once)", async () => {
  let firstPage!: () => void;
  const fullSyncWriting = new Promise<void>((resolve) => (firstPage = resolve));
  // Small pages: the full sync is still running when its first page is committed.
  const full = stack
    .engineWith({
      pageSize: 5,
      crashAt: (point) => {
        if (point === 'afterPageCommit') firstPage();
      },
    })
    .runEntry(fullSyncRun, 'full-sync-run');
  await fullSyncWriting;
  const entry = await stack.engineWith({ mappingLease: { pollMs: 50 } }).runEntry(entryRun, 'entry-run');
  const fullResult = await full;

  expect(entry.message).toContain('Waited for FULL SYNC CUSTOMER to finish CUSTOMER first.');
  expect(fullResult.message).not.toContain('Waited');
  // In the job log, every job of the entry run started after the last job of the full sync had finished.
  const jobs = await stack.db.cols.jobLog.find({ mapping: 'CUSTOMER' }).toArray();
  const ofRun = (ids: string[]) => jobs.filter((j) => ids.includes(j._id));
  const fullJobs = ofRun(fullResult.jobIds);
  const entryJobs = ofRun(entry.jobIds);
  expect(fullJobs).toHaveLength(2);
  expect(entryJobs).toHaveLength(2);
  const fullEnd = Math.max(...fullJobs.map((j) => j.finishedAt!.getTime()));
  for (const j of entryJobs) expect(j.startedAt.getTime()).toBeGreaterThanOrEqual(fullEnd);
  // Nothing left for the entry run to do: it came after the full sync, not alongside it.
  expect(entry).toMatchObject({ inserted: 0, modified: 0, failed: 0 });
});

test('a run whose worker was killed holds the mapping only until its lease expires; the next run goes ahead', async () => {
  // The lease a killed worker left behind: nobody renews or gives it back.
  const leases = new MappingLeaseStore(stack.db.cols.mappingLeases);
  const dead = await leases.tryAcquire('CUSTOMER', 'killed-run', 'FULL SYNC CUSTOMER', 1_500);
  expect(dead.ok).toBe(true);
  const result = await stack.engineWith({ mappingLease: { pollMs: 100 } }).runEntry(entryRun, 'after-kill');
  expect(result.message).toContain('Waited for FULL SYNC CUSTOMER to finish CUSTOMER first.');
  expect(result.failed).toBe(0);
  // And it gave the mapping back when it finished.
  const latest = await leases.latest('CUSTOMER');
  expect(latest).toMatchObject({ holder: 'after-kill' });
  expect(leases.live(latest!)).toBe(false);
});
