// Run Full Synchronization (section 7): a one-off job that runs every given mapping with both
// watermarks cleared and Sync Only Coupled Records off, in dependency order, so a new installation
// couples its existing data. Re-running it never duplicates: the engine updates coupled records.
import { defineQuery, setCurrentDetails, setHandler, type ActivityOptions } from '@temporalio/workflow';
import { withPace, type RunPace } from '../common/activityPace';
import type { RunResult } from '../common/jobQueue';
import { failureReason } from '../common/failureReason';
import { mappingsInOrder } from './mappingOrder';
import { runJobQueueEntry } from './syncActivity';

// One-off jobs get at most 2 attempts (section 6). The heartbeat timeout: syncActivity.ts.
const activityOptions: ActivityOptions = {
  startToCloseTimeout: '4 hours',
  retry: { maximumAttempts: 2, initialInterval: '30 seconds', nonRetryableErrorTypes: ['BadConfig'] },
};

export interface FullSyncInput {
  mappings: string[];
  dependsOn: Record<string, string[]>;
  /** Exempt from the blast-radius guard (only when asked: `bcsync full-sync --force`). */
  force?: boolean;
  /** A registered company (docs/companies.md); absent for the default company. */
  company?: string;
}

export interface FullSyncMappingResult {
  mapping: string;
  result: RunResult | null;
  error: string | null;
}

export interface FullSyncProgress {
  total: number;
  done: number;
  current: string | null;
  results: FullSyncMappingResult[];
}

export const fullSyncProgressQuery = defineQuery<FullSyncProgress>('progress');

export async function fullSynchronization(input: FullSyncInput): Promise<FullSyncProgress> {
  const order = mappingsInOrder(input.mappings, input.dependsOn);
  const progress: FullSyncProgress = { total: order.length, done: 0, current: null, results: [] };
  setHandler(fullSyncProgressQuery, () => progress);
  // How long the pages of the mappings before took: the next mapping's heartbeat timeout.
  let paces: RunPace[] = [];
  for (const mapping of order) {
    progress.current = mapping;
    setCurrentDetails(`Full synchronization: **${mapping}** (${progress.done + 1} of ${progress.total})`);
    try {
      const result = await runJobQueueEntry(activityOptions, paces, {
        entry: `FULL SYNC ${mapping}`,
        ...(input.company ? { company: input.company } : {}),
        mappings: [mapping],
        kind: 'synchronization',
        fullSync: true,
        ...(input.force ? { force: true } : {}),
      });
      paces = withPace(paces, result.pace);
      progress.results.push({ mapping, result, error: result.guard ? result.guard.message : null });
    } catch (err) {
      // A mapping that cannot run is reported; the ones after it still run (their records may not
      // depend on it), as BC's full sync continues with the next mapping.
      // The cause (the activity's own failure), not the wrapper's "Activity task failed".
      progress.results.push({ mapping, result: null, error: failureReason(err) });
    }
    progress.done += 1;
  }
  progress.current = null;
  setCurrentDetails(
    `Full synchronization finished: ${progress.results.filter((r) => r.error).length} mapping(s) failed`,
  );
  return progress;
}
