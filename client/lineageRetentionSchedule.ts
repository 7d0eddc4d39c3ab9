// The daily lineage clean-up as a Temporal Schedule (server-owned timing, visible and triggerable in the
// Temporal UI under Schedules). `bcsync setup` creates it once; later calls leave it as it is.
import { ScheduleAlreadyRunning, type Client } from '@temporalio/client';
import { JOB_QUEUE_TASK_QUEUE } from '../common/jobQueue';

export const LINEAGE_RETENTION_SCHEDULE_ID = 'bcsync-lineage-retention';

export async function ensureLineageRetentionSchedule(
  client: Client,
  taskQueue = JOB_QUEUE_TASK_QUEUE,
): Promise<'created' | 'exists'> {
  try {
    await client.schedule.create({
      scheduleId: LINEAGE_RETENTION_SCHEDULE_ID,
      spec: { intervals: [{ every: '1 day' }] },
      action: {
        type: 'startWorkflow',
        workflowType: 'lineageRetention',
        taskQueue,
        args: [],
        workflowId: `${LINEAGE_RETENTION_SCHEDULE_ID}-run`,
        staticSummary: 'Removes record lineage older than BCSYNC_LINEAGE_RETENTION_DAYS (default 30)',
      },
      // One clean-up at a time; a missed day is made up once, not once per missed day.
      policies: { overlap: 'SKIP', catchupWindow: '1 day' },
    });
    return 'created';
  } catch (err) {
    if (err instanceof ScheduleAlreadyRunning) return 'exists';
    throw err;
  }
}
