// Recovery that does not depend on the CRM's latency (issue 12): `bcsync full-sync --mapping CUSTOMER`
// (the fullSynchronization workflow) on two worker processes, the one running it killed with SIGKILL
// mid-pass while every Dataverse request takes 300 ms (a real Dataverse's usual answer time) or 1 s. The
// survivor must finish the full sync: no duplicate account, every customer coupled once, exact counts.
// Before the re-check after a crash was batched and heartbeats were sent while a page is in flight, the
// retry re-checked each created account with its own request and timed out at 300 ms.
// At 300 ms the mapping's own entry is also asked to run right after the kill: it waits until the full sync
// (its retried attempt, the same run) has finished, then runs (one run of a mapping at a time,
// docs/one-run-per-mapping.md).
import type { WorkflowHandle } from '@temporalio/client';
import { entryWorkflowId, type RunResult } from '../../common/jobQueue';
import type { fullSynchronization, jobQueueEntry } from '../../workflows';
import { runNowUpdate } from '../../workflows/messages';
import type { FullSyncProgress } from '../../workflows/fullSynchronization';
import {
  adminRecords,
  describeWithServers,
  expectEachCustomerOnce,
  killWorkerMidPass,
  startFailoverStack,
  type FailoverStack,
} from './failoverHarness';

// Sized so each case takes well under two minutes at its latency: a few seconds of pages before the kill.
describe.each([
  { latencyMs: 300, customers: 300, pageSize: 20, entryRun: true },
  { latencyMs: 1000, customers: 160, pageSize: 20, entryRun: false },
])('CRM at $latencyMs ms per request', ({ latencyMs, customers: size, pageSize, entryRun }) => {
  describeWithServers('a worker killed mid full sync', () => {
    let stack: FailoverStack;
    let handle: WorkflowHandle<typeof fullSynchronization> | undefined;
    let entry: WorkflowHandle<typeof jobQueueEntry> | undefined;

    beforeAll(async () => {
      stack = await startFailoverStack({
        name: `latency-${latencyMs}`,
        customers: size,
        pageSize,
        crmLatencyMs: latencyMs,
      });
    }, 180_000);

    afterAll(async () => {
      await handle?.terminate('test finished').catch(() => undefined);
      await entry?.terminate('test finished').catch(() => undefined);
      await stack?.stop();
    });

    it('the other worker finishes it: no duplicate, each customer coupled and counted once', async () => {
      const customers = (await adminRecords(stack.em.bc.url, 'customers')).filter((c) => c.blocked === ' ');
      const accountsBefore = await adminRecords(stack.em.dataverse.url, 'accounts');
      handle = await stack.client.workflow.start<typeof fullSynchronization>('fullSynchronization', {
        taskQueue: stack.taskQueue,
        workflowId: `bcsync-full-sync-${stack.taskQueue}`,
        args: [{ mappings: ['CUSTOMER'], dependsOn: {} }],
      });
      const { survivor, pagesAtKill } = await killWorkerMidPass(stack, handle, ' CUSTOMER toCrm ');
      let entryResult: Promise<RunResult> | undefined;
      if (entryRun) {
        entry = await stack.client.workflow.start<typeof jobQueueEntry>('jobQueueEntry', {
          taskQueue: stack.taskQueue,
          workflowId: entryWorkflowId('CUSTOMER', stack.taskQueue),
          args: [{ entry: 'CUSTOMER', mappings: ['CUSTOMER'], startOnHold: true }],
        });
        entryResult = entry.executeUpdate(runNowUpdate, { args: [{}] });
        entryResult.catch(() => undefined); // awaited below
      }
      const progress: FullSyncProgress = await handle.result();

      expect(progress.results).toHaveLength(1);
      expect(progress.results[0]).toMatchObject({ mapping: 'CUSTOMER', error: null });
      expect(progress.results[0]!.result).toMatchObject({ failed: 0 });
      expect(pagesAtKill).toBeGreaterThan(0);
      expect(survivor.pages.some((l) => l.includes(' CUSTOMER toCrm '))).toBe(true);
      // Both passes ran to the end: the CRM -> BC half too, which the timed-out attempts never reached.
      const fromCrm = await stack.db.cols.jobLog.findOne({
        mapping: 'CUSTOMER',
        direction: 'FromIntegrationTable',
      });
      expect(fromCrm?.finishedAt).toBeInstanceOf(Date);
      await expectEachCustomerOnce(stack, customers, accountsBefore, progress.results[0]!.result!.jobIds);
      if (entryResult) {
        // The entry run waited for the full sync (the killed worker's lease did not lock it out for good)
        // and found nothing left to do.
        const ran = await entryResult;
        expect(ran.message).toContain('Waited for FULL SYNC CUSTOMER to finish CUSTOMER first.');
        expect(ran).toMatchObject({ inserted: 0, modified: 0, failed: 0 });
        const fullEnd = Math.max(
          ...(
            await stack.db.cols.jobLog.find({ _id: { $in: progress.results[0]!.result!.jobIds } }).toArray()
          ).map((j) => j.finishedAt!.getTime()),
        );
        for (const j of await stack.db.cols.jobLog.find({ _id: { $in: ran.jobIds } }).toArray())
          expect(j.startedAt.getTime()).toBeGreaterThanOrEqual(fullEnd);
      }
    }, 150_000);
  });
});
