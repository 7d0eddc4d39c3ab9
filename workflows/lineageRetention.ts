import { proxyActivities } from '@temporalio/workflow';
import type { createLineageRetentionActivities } from '../activities/lineageRetention';

const { pruneLineage } = proxyActivities<ReturnType<typeof createLineageRetentionActivities>>({
  startToCloseTimeout: '30 minutes',
  retry: { maximumAttempts: 5, nonRetryableErrorTypes: ['BadConfig'] },
});

/** Started by the `bcsync-lineage-retention` schedule: removes lineage older than the retention. */
export async function lineageRetention() {
  return pruneLineage();
}
