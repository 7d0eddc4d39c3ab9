// Dry-run (docs/dry-run.md) as a one-off workflow: one activity run of the given mappings (a full sync
// or a scheduled run) on dry-run connectors and stores. It writes nothing, so a dry run may go while the
// entries keep running; the result is the plan the CLI prints.
import { ApplicationFailure, proxyActivities, setCurrentDetails } from '@temporalio/workflow';
import { inDependencyOrder } from '../common/dependencyOrder';
import {
  JOB_QUEUE_ACTIVITY_HEARTBEAT_TIMEOUT,
  type JobQueueActivities,
  type RunResult,
} from '../common/jobQueue';

const { runJobQueueEntry } = proxyActivities<JobQueueActivities>({
  startToCloseTimeout: '4 hours',
  heartbeatTimeout: JOB_QUEUE_ACTIVITY_HEARTBEAT_TIMEOUT,
  retry: { maximumAttempts: 2, initialInterval: '10 seconds', nonRetryableErrorTypes: ['BadConfig'] },
});

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
  let mappings: string[];
  try {
    mappings = inDependencyOrder(input.mappings, input.dependsOn);
  } catch (err) {
    throw ApplicationFailure.nonRetryable((err as Error).message, 'BadConfig');
  }
  setCurrentDetails(`Dry run of **${input.entry}** (${mappings.join(', ')}): nothing is written.`);
  return runJobQueueEntry({
    entry: `DRY RUN ${input.entry}`,
    ...(input.company ? { company: input.company } : {}),
    mappings,
    kind: 'synchronization',
    fullSync: input.fullSync,
    dryRun: true,
  });
}
