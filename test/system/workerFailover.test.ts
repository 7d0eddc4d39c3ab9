// Failover (mission.md: "start as many workers as the load needs"): two real worker processes poll one
// task queue; the one running a CUSTOMER full sync is killed with SIGKILL mid-run (no graceful shutdown,
// no last heartbeat), and the other worker finishes the run. The result must be as if nothing happened:
// one CRM account per BC customer, every customer coupled once, and every customer counted once.
//
// Temporal only notices a killed worker when the activity's heartbeat times out, and the entry workflow
// uses JOB_QUEUE_ACTIVITY_HEARTBEAT_TIMEOUT (2 minutes). To keep the test short it lowers the timeout of
// this one running activity from outside, as an operator would (`temporal activity update-options`);
// the workflow code is unchanged.
import { randomUUID } from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import { entryWorkflowId, type RunResult } from '../../common/jobQueue';
import type { jobQueueEntry } from '../../workflows';
import { runNowUpdate } from '../../workflows/messages';
import {
  adminRecords,
  describeWithServers,
  expectEachCustomerOnce,
  killWorkerMidPass,
  startFailoverStack,
  type FailoverStack,
} from './failoverHarness';

// 1,500 customers in pages of 25: 60 pages, several seconds of work, so the kill lands mid-run.
const CUSTOMERS = 1500;
const PAGE_SIZE = 25;

describeWithServers('two workers, one killed mid-sync', () => {
  let stack: FailoverStack;
  let handle: WorkflowHandle<typeof jobQueueEntry> | undefined;

  beforeAll(async () => {
    stack = await startFailoverStack({ name: 'failover', customers: CUSTOMERS, pageSize: PAGE_SIZE });
  }, 120_000);

  afterAll(async () => {
    await handle?.terminate('test finished').catch(() => undefined);
    await stack?.stop();
  });

  it('the other worker finishes the full sync: no duplicate account, each customer coupled and counted once', async () => {
    const customers = (await adminRecords(stack.em.bc.url, 'customers')).filter((c) => c.blocked === ' ');
    const accountsBefore = await adminRecords(stack.em.dataverse.url, 'accounts');
    expect(customers.length).toBeGreaterThan(CUSTOMERS / 2);

    handle = await stack.client.workflow.start<typeof jobQueueEntry>('jobQueueEntry', {
      taskQueue: stack.taskQueue,
      workflowId: entryWorkflowId('CUSTOMER', `failover-${randomUUID().slice(0, 8)}`),
      args: [{ entry: 'CUSTOMER', mappings: ['CUSTOMER'], startOnHold: true }],
    });
    const run = handle.executeUpdate(runNowUpdate, { args: [{ fullSync: true }] });
    run.catch(() => undefined); // awaited below; keeps an early failure from being unhandled

    // The first committed page of the BC -> CRM pass names the worker that holds the activity.
    const { survivor, pagesAtKill } = await killWorkerMidPass(stack, handle, ' CUSTOMER toCrm ');
    const result: RunResult = await run;

    // The kill was mid-run: the victim had committed some pages, the survivor committed the rest.
    expect(pagesAtKill).toBeGreaterThan(0);
    const survivorPages = survivor.pages.filter((l) => l.includes(' CUSTOMER toCrm '));
    expect(survivorPages.length).toBeGreaterThan(0);
    // It resumed after the last committed page rather than starting the pass again.
    expect(Number(survivorPages[0]!.split(' ').pop())).toBeGreaterThan(1);
    // No record failed (the errors are shown if one did).
    const errors = await stack.db.cols.syncErrors.find({}).limit(3).toArray();
    expect({ failed: result.failed, errors: errors.map((e) => e.message) }).toEqual({
      failed: 0,
      errors: [],
    });
    await expectEachCustomerOnce(stack, customers, accountsBefore);
  }, 150_000);
});
