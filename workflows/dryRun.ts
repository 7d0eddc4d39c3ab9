// Dry-run (docs/dry-run.md) as a one-off workflow: one activity run of the given mappings (a full sync
// or a scheduled run) on dry-run connectors and stores. It writes nothing, so a dry run may go while the
// entries keep running; the result is the plan the CLI prints.
import { setCurrentDetails, type ActivityOptions } from '@temporalio/workflow';
import type { RunResult } from '../common/jobQueue';
import { mappingsInOrder } from './mappingOrder';
import { runJobQueueEntry } from './syncActivity';

// One run, so nothing measured before it: the fixed heartbeat timeout (syncActivity.ts).
const activityOptions: ActivityOptions = {
  startToCloseTimeout: '4 hours',
  retry: { maximumAttempts: 2, initialInterval: '10 seconds', nonRetryableErrorTypes: ['BadConfig'] },
};

export interface DryRunInput {
  /** The entry it stands for (`CUSTOMER`), or `FULL SYNC`. */
  entry: string;
  mappings: string[];
  dependsOn: Record<string, string[]>;
  fullSync: boolean;
  /** A registered company (docs/companies.md); absent for the default company. */
  company?: string;
}

export async function dryRun(input: DryRunInput): Promise<RunResult> {
  const mappings = mappingsInOrder(input.mappings, input.dependsOn);
  setCurrentDetails(`Dry run of **${input.entry}** (${mappings.join(', ')}): nothing is written.`);
  return runJobQueueEntry(activityOptions, [], {
    entry: `DRY RUN ${input.entry}`,
    ...(input.company ? { company: input.company } : {}),
    mappings,
    kind: 'synchronization',
    fullSync: input.fullSync,
    dryRun: true,
  });
}
