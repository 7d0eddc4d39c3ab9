// The job queue entries as the CLI sees them: built from the effective mappings (section 2 defaults +
// config file), started as one workflow each, addressed by name.
import { WorkflowExecutionAlreadyStartedError, type Client, type WorkflowHandle } from '@temporalio/client';
import {
  JOB_QUEUE_TASK_QUEUE,
  entryWorkflowId,
  searchAttributeKeys,
  type EntryStatus,
  type JobQueueEntryInput,
} from '../common/jobQueue';
import type { EffectiveMappings } from '../activities/mappings/mappingConfig';
import type { jobQueueEntry } from '../workflows';
import { setScheduleUpdate, statusQuery } from '../workflows/messages';
import { CliError } from './output';

export interface EntryDefinition {
  entry: string;
  /** The mapping it runs (null for Customer Statistics). */
  mapping: string | null;
  input: JobQueueEntryInput;
}

/** The entries of the default company, or of `company` (docs/companies.md). */
export function entryDefinitions(effective: EffectiveMappings, company?: string): EntryDefinition[] {
  const of = company ? { company } : {};
  const sync = effective.mappings.map((m) => ({
    entry: m.jobQueue.entry,
    mapping: m.name,
    input: {
      entry: m.jobQueue.entry,
      ...of,
      kind: 'synchronization' as const,
      mappings: [m.name],
      dependsOn: { [m.name]: m.dependencyFilter },
      startOnHold: m.jobQueue.startOnHold,
      schedule: {
        frequencyMinutes: m.jobQueue.minutesBetweenRuns,
        inactivityTimeoutMinutes: m.jobQueue.inactivityTimeoutMinutes,
        maxAttempts: m.jobQueue.maxAttempts,
        rerunDelaySeconds: m.jobQueue.rerunDelaySeconds,
        crmWakeEnabled: m.jobQueue.crmWakeEnabled,
      },
    },
  }));
  const s = effective.statistics.jobQueue;
  const statistics: EntryDefinition = {
    entry: s.entry,
    mapping: null,
    input: {
      entry: s.entry,
      ...of,
      kind: 'statistics',
      mappings: [],
      startOnHold: s.startOnHold,
      schedule: {
        frequencyMinutes: s.minutesBetweenRuns,
        inactivityTimeoutMinutes: s.inactivityTimeoutMinutes,
        maxAttempts: s.maxAttempts,
        rerunDelaySeconds: s.rerunDelaySeconds,
        crmWakeEnabled: s.crmWakeEnabled,
      },
    },
  };
  return [...sync, statistics];
}

/** `CUSTOMER`, `customer`, `"UNIT OF MEASURE"`, `UNITOFMEASURE`, `statistics`. */
export function resolveEntry(definitions: EntryDefinition[], name: string): EntryDefinition {
  const wanted = name.trim().toUpperCase();
  const found = definitions.find(
    (d) =>
      d.entry.toUpperCase() === wanted ||
      d.mapping?.toUpperCase() === wanted ||
      (d.mapping === null && (wanted === 'STATISTICS' || wanted === 'CUSTOMER STATISTICS')),
  );
  if (!found) {
    throw new CliError(
      `no job queue entry "${name}": use one of ${definitions.map((d) => (d.mapping === null ? 'statistics' : d.entry)).join(', ')}`,
      2,
    );
  }
  return found;
}

export function entryHandle(client: Client, def: EntryDefinition): WorkflowHandle<typeof jobQueueEntry> {
  return client.workflow.getHandle<typeof jobQueueEntry>(entryWorkflowId(def.entry, def.input.company));
}

/**
 * Starts the entry's workflow, or (when it runs already) applies the current schedule to it: `setup` is
 * idempotent and also the way a changed config file reaches running entries.
 */
export async function ensureEntryStarted(
  client: Client,
  def: EntryDefinition,
): Promise<'started' | 'updated'> {
  const workflowId = entryWorkflowId(def.entry, def.input.company);
  try {
    await client.workflow.start<typeof jobQueueEntry>('jobQueueEntry', {
      taskQueue: JOB_QUEUE_TASK_QUEUE,
      workflowId,
      args: [def.input],
      // Set once at the start (the company never changes; continue-as-new keeps it): `BcSyncCompany =
      // 'cronus-de'` in the Temporal UI. Only for registered companies, so a deployment whose server
      // lacks the attribute keeps starting its default entries.
      ...(def.input.company
        ? { typedSearchAttributes: [{ key: searchAttributeKeys.company, value: def.input.company }] }
        : {}),
      staticSummary: `Job queue entry ${def.entry}`,
      staticDetails: def.mapping
        ? `Synchronizes integration table mapping ${def.mapping}.`
        : 'Uploads BC customer statistics to CRM accounts.',
    });
    return 'started';
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    if (def.input.schedule)
      await entryHandle(client, def).executeUpdate(setScheduleUpdate, { args: [def.input.schedule] });
    return 'updated';
  }
}

export interface EntryView {
  entry: string;
  mapping: string | null;
  /** From the workflow's status query, or null when no worker answered. */
  status: EntryStatus | null;
  /** Temporal execution status: RUNNING, COMPLETED, ..., or NOT_STARTED. */
  execution: string;
  /** The workflow and its current run (links into the Temporal UI); absent when not started. */
  workflowId?: string;
  runId?: string;
}

/** Status of one entry; the query needs a worker, so it is bounded and a missing worker is reported. */
export async function describeEntry(
  client: Client,
  def: EntryDefinition,
  timeoutMs = 5000,
): Promise<EntryView> {
  const handle = entryHandle(client, def);
  let described: Awaited<ReturnType<typeof handle.describe>>;
  try {
    described = await handle.describe();
  } catch {
    return { entry: def.entry, mapping: def.mapping, status: null, execution: 'NOT_STARTED' };
  }
  const execution = described.status.name;
  const ids = { workflowId: described.workflowId, runId: described.runId };
  if (execution !== 'RUNNING')
    return { entry: def.entry, mapping: def.mapping, status: null, execution, ...ids };
  const status = await Promise.race([
    handle.query(statusQuery).catch(() => null),
    new Promise<null>((resolve) => setTimeout(() => resolve(null), timeoutMs).unref()),
  ]);
  return { entry: def.entry, mapping: def.mapping, status, execution, ...ids };
}

/** The `entries --json` contract (README). */
export function entryJson(view: EntryView) {
  const s = view.status;
  const r = s?.lastRun?.result;
  return {
    entry: view.entry,
    mapping: view.mapping,
    state: s?.state ?? null,
    nextRunAt: s?.nextRunAt ?? null,
    lastRunAt: s?.lastRun?.finishedAt ?? null,
    attempts: s?.attempts ?? 0,
    lastRun: r
      ? {
          inserted: r.inserted,
          modified: r.modified,
          deleted: r.deleted,
          unchanged: r.unchanged,
          skipped: r.skipped,
          failed: r.failed,
        }
      : null,
  };
}
