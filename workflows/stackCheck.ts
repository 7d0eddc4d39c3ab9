import { proxyActivities } from '@temporalio/workflow';
import type { createStackCheckActivities } from '../activities/stackCheck';

const { recordStackCheck } = proxyActivities<ReturnType<typeof createStackCheckActivities>>({
  startToCloseTimeout: '30 seconds',
  retry: { maximumAttempts: 3 },
});

/** Runs one activity that writes to MongoDB and reads it back (see activities/stackCheck.ts). */
export async function stackCheck(token: string) {
  return recordStackCheck(token);
}
