// The job queue entry contract shared by the entry workflow (workflows/), the engine's activity
// (activities/), the worker and the CLI. Only types, constants and zod schemas: this module is bundled
// into the workflow sandbox, so it must stay free of I/O and Node built-ins.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import type { SearchAttributeKey } from '@temporalio/common/lib/search-attributes';
import { z } from 'zod';
import type { RunPace } from './activityPace';
import type { BlastRadiusStop, MappingPlan } from './runPlan';

/** The one task queue every bcsync worker polls (workflows and activities). */
export const JOB_QUEUE_TASK_QUEUE = 'bcsync';

/** Job queue entry statuses as Business Central names them (bc-integration-behaviour.md section 6). */
export const EntryState = {
  Ready: 'Ready',
  InProcess: 'In Process',
  OnHoldWithInactivityTimeout: 'On Hold with Inactivity Timeout',
  OnHold: 'On Hold',
  Error: 'Error',
} as const;
export type EntryState = (typeof EntryState)[keyof typeof EntryState];

/** Outcome of the last run, as shown in the `BcSyncLastResult` search attribute. */
export const LastResult = {
  /** Inserted + Modified + Deleted > 0 and no record failed. */
  Changes: 'Changes',
  /** Idle run: nothing inserted, modified, deleted or failed (rule 6). */
  NoChanges: 'No changes',
  /** The run finished but some records failed; the entry itself did not fail (rule 6). */
  RecordErrors: 'Record errors',
  /** The run itself failed (e.g. BC unreachable); counts towards Maximum No. of Attempts to Run. */
  RunFailed: 'Run failed',
  /** The blast-radius guard stopped the run before it wrote; the entry waits On Hold for `approve`. */
  GuardStopped: 'Stopped by guard',
} as const;
export type LastResult = (typeof LastResult)[keyof typeof LastResult];

export const EntryKind = z.enum(['synchronization', 'statistics']);
export type EntryKind = z.infer<typeof EntryKind>;

// ---------------------------------------------------------------------------------------------------
// Search attributes: what a person filters on in the Temporal UI ("all entries in Error").

export const searchAttributeKeys = {
  mapping: defineSearchAttributeKey('BcSyncMapping', SearchAttributeType.KEYWORD),
  state: defineSearchAttributeKey('BcSyncState', SearchAttributeType.KEYWORD),
  nextRunAt: defineSearchAttributeKey('BcSyncNextRunAt', SearchAttributeType.DATETIME),
  lastResult: defineSearchAttributeKey('BcSyncLastResult', SearchAttributeType.KEYWORD),
  failedCount: defineSearchAttributeKey('BcSyncFailedCount', SearchAttributeType.INT),
  /** The company an entry syncs; set when the entry is started (it never changes), so no upsert. */
  company: defineSearchAttributeKey('BcSyncCompany', SearchAttributeType.KEYWORD),
} as const;

/** The keys as a list, e.g. for `TestWorkflowEnvironment.createLocal({ server: { searchAttributes } })`. */
export const searchAttributeKeyList: SearchAttributeKey<SearchAttributeType>[] =
  Object.values(searchAttributeKeys);

// `temporal server start-dev --search-attribute NAME=TYPE` spells the types this way.
const cliTypeName: Record<SearchAttributeType, string> = {
  TEXT: 'Text',
  KEYWORD: 'Keyword',
  INT: 'Int',
  DOUBLE: 'Double',
  BOOL: 'Bool',
  DATETIME: 'Datetime',
  KEYWORD_LIST: 'KeywordList',
};

/** Name and CLI type of each search attribute: `--search-attribute ${name}=${type}`. */
export const searchAttributeDefinitions: ReadonlyArray<{ name: string; type: string }> =
  searchAttributeKeyList.map((key) => ({ name: key.name, type: cliTypeName[key.type] }));

// ---------------------------------------------------------------------------------------------------
// The activity the workflow calls (implemented by the sync engine).

export interface RunEntryInput {
  /** Job queue entry name, e.g. `CUSTOMER` or `Customer Statistics`. */
  entry: string;
  /** The registered company the entry syncs; absent for the default company (docs/companies.md). */
  company?: string;
  /** Mappings to run, in dependency order (empty for the statistics job). */
  mappings: string[];
  kind: EntryKind;
  /** Ignore the watermarks and run with Sync Only Coupled Records off (section 7, Run Full Synchronization). */
  fullSync?: boolean;
  /** Decide everything, write nothing; the result carries the plan (docs/dry-run.md). */
  dryRun?: boolean;
  /** Skip the blast-radius guard for this run (`bcsync approve`, `--force`). */
  force?: boolean;
}

/** Counters of one run across its mappings (Integration Synch. Job, section 5). */
export interface RunResult {
  inserted: number;
  modified: number;
  deleted: number;
  unchanged: number;
  skipped: number;
  failed: number;
  coupled: number;
  /** Synchronization job ids written for this run (one per mapping and direction). */
  jobIds: string[];
  message?: string;
  /** A dry run: what each mapping would do (nothing was written). */
  plan?: MappingPlan[];
  /** The blast-radius guard stopped the run before it wrote anything. */
  guard?: BlastRadiusStop;
  /** How long its pages took: the workflow sizes the next run's heartbeat timeout from it. */
  pace?: RunPace;
}

export interface JobQueueActivities {
  /**
   * Runs the entry's mappings once. Per-record failures are counted in `failed`, never thrown (rule 6).
   * Throws (ApplicationFailure) only when the run itself fails, e.g. BC or Dataverse unreachable; use
   * `ApplicationFailure.nonRetryable(msg, 'BadConfig')` for errors a retry cannot fix.
   * Must heartbeat at least every `JOB_QUEUE_ACTIVITY_HEARTBEAT_TIMEOUT` on a first run, then as often as
   * the heartbeat timeout sized from the reported pace asks (common/activityPace.ts).
   */
  runJobQueueEntry(input: RunEntryInput): Promise<RunResult>;
}

/** The first run's heartbeat timeout (= DEFAULT_HEARTBEAT_TIMEOUT_MS); later runs' are sized from pace. */
export const JOB_QUEUE_ACTIVITY_HEARTBEAT_TIMEOUT = '2 minutes';

/** A run's counts, all zero except what `over` sets. */
export const runResult = (over: Partial<RunResult> = {}): RunResult => ({
  inserted: 0,
  modified: 0,
  deleted: 0,
  unchanged: 0,
  skipped: 0,
  failed: 0,
  coupled: 0,
  jobIds: [],
  ...over,
});

/** Idle = Inserted + Modified + Deleted + Failed is 0; Unchanged and Skipped do not count (section 6). */
export function isIdleRun(result: RunResult): boolean {
  return result.inserted + result.modified + result.deleted + result.failed === 0;
}

// ---------------------------------------------------------------------------------------------------
// Workflow ids, input, schedule and status.

/**
 * Stable workflow id of an entry: `bcsync-entry-CUSTOMER`, or `bcsync-entry-CUSTOMER@CRONUS` when several
 * companies are synced. Stable ids make "start" idempotent and let the CLI signal an entry by name.
 */
export function entryWorkflowId(entry: string, company?: string): string {
  const name = entry.trim();
  if (name === '') throw new Error('entryWorkflowId: the entry name is empty; pass e.g. "CUSTOMER"');
  const companyName = company?.trim();
  return companyName ? `bcsync-entry-${name}@${companyName}` : `bcsync-entry-${name}`;
}

/** Longest debounce a change signal may have: BC brings a change forward to now + 30 s (section 6). */
export const MAX_DEBOUNCE_MS = 60_000;

export const EntrySchedule = z.strictObject({
  /** No. of Minutes between Runs. */
  frequencyMinutes: z
    .number()
    .int()
    .min(1)
    .max(7 * 24 * 60),
  /** Inactivity Timeout Period in minutes; 0 = never go On Hold with Inactivity Timeout. */
  inactivityTimeoutMinutes: z
    .number()
    .int()
    .min(0)
    .max(365 * 24 * 60),
  /** Maximum No. of Attempts to Run before the entry goes to Error. */
  maxAttempts: z.number().int().min(1).max(1000),
  /** Rerun Delay (sec.): the first retry waits this long, each further retry one more delay. */
  rerunDelaySeconds: z
    .number()
    .int()
    .min(0)
    .max(24 * 60 * 60),
  /** A CRM-side change wakes the entry (off by default, as in BC; going beyond BC when on). */
  crmWakeEnabled: z.boolean(),
  /** How long a change signal waits before the run, so a burst of changes makes one run. */
  debounceMs: z.number().int().min(0).max(MAX_DEBOUNCE_MS),
});
export type EntrySchedule = z.infer<typeof EntrySchedule>;

/** Defaults of a recurring BC entry (section 2); debounce is ours (BC waits a fixed 30 s). */
export const DEFAULT_ENTRY_SCHEDULE: EntrySchedule = {
  frequencyMinutes: 30,
  inactivityTimeoutMinutes: 720,
  maxAttempts: 10,
  rerunDelaySeconds: 30,
  crmWakeEnabled: false,
  debounceMs: 5_000,
};

/** Payload of `setSchedule`: any subset of the schedule. */
export const ScheduleChange = EntrySchedule.partial().refine((change) => Object.keys(change).length > 0, {
  message:
    'setSchedule needs at least one of frequencyMinutes, inactivityTimeoutMinutes, maxAttempts, ' +
    'rerunDelaySeconds, crmWakeEnabled, debounceMs',
});
export type ScheduleChange = z.infer<typeof ScheduleChange>;

export const RunNowRequest = z.strictObject({
  fullSync: z.boolean().optional(),
  /** Skip the blast-radius guard for this run. */
  force: z.boolean().optional(),
});
export type RunNowRequest = z.infer<typeof RunNowRequest>;

export const ChangeNotice = z.strictObject({
  /** The changed resource, e.g. `customers(<id>)`, for the status only. */
  resource: z.string().optional(),
  /** When the change happened (ISO 8601), for the status only. */
  at: z.string().optional(),
});
export type ChangeNotice = z.infer<typeof ChangeNotice>;

export const JobQueueEntryInput = z
  .strictObject({
    entry: z.string().trim().min(1),
    company: z.string().trim().min(1).optional(),
    kind: EntryKind.default('synchronization'),
    /** Mappings the entry runs; several are run in dependency order. */
    mappings: z.array(z.string().min(1)).default([]),
    /** Dependency Filter per mapping (mapping -> mappings that must run first). */
    dependsOn: z.record(z.string(), z.array(z.string())).optional(),
    schedule: EntrySchedule.partial().optional(),
    /** Created On Hold (the Customer Statistics job, section 2); runs after `resume`. */
    startOnHold: z.boolean().default(false),
    /** Upsert the BcSync* search attributes; off only where they are not registered on the server. */
    searchAttributes: z.boolean().default(true),
    /** Continue-as-new once history reaches this many events (the server also suggests it at ~4K). */
    continueAsNewAtHistoryLength: z.number().int().min(20).default(10_000),
    /** State carried over by continue-as-new; set by the workflow itself, never by callers. */
    carried: z.unknown().optional(),
  })
  .refine((input) => input.kind === 'statistics' || input.mappings.length > 0, {
    message: 'a synchronization entry needs at least one mapping in `mappings`',
    path: ['mappings'],
  });
export type JobQueueEntryInput = z.input<typeof JobQueueEntryInput>;

/** How the current wait came about; decides which setting a schedule change recomputes. */
export type WaitKind = 'start' | 'frequency' | 'inactivity' | 'retry' | 'change' | 'resume' | 'none';

export interface LastRun {
  /** Why it ran: the wait that ended, or `manual` (runNow). */
  trigger: WaitKind | 'manual';
  startedAt: string;
  finishedAt: string;
  outcome: LastResult;
  result: RunResult | null;
  error: string | null;
}

export interface LastError {
  message: string;
  at: string;
  /** Consecutive failed attempt this error ended. */
  attempt: number;
}

/** Answer of the `status` query. Times are ISO 8601 strings. */
export interface EntryStatus {
  entry: string;
  company: string | null;
  kind: EntryKind;
  mappings: string[];
  state: EntryState;
  /** A hold asked for while a run was in process; applied when the run ends. */
  holdRequested: boolean;
  /** Why a rule put the entry On Hold (the blast-radius guard); null when a user did or it is not held. */
  holdReason: string | null;
  nextRunAt: string | null;
  waitKind: WaitKind;
  /** Consecutive failed runs; reset by a successful run. */
  attempts: number;
  schedule: EntrySchedule;
  lastRun: LastRun | null;
  lastError: LastError | null;
  /** Runs since the entry was first started (across continue-as-new). */
  runs: number;
  changeSignals: { bc: number; crm: number; crmIgnored: number };
  lastChange: { source: 'bc' | 'crm'; at: string; resource: string | null } | null;
  /** How many times this entry has continued-as-new. */
  generation: number;
}

/** Applies the settings present in `change` (keys set to undefined keep the current value). */
export function mergeSchedule(base: EntrySchedule, change: Partial<EntrySchedule>): EntrySchedule {
  const defined = Object.fromEntries(Object.entries(change).filter(([, v]) => v !== undefined));
  return { ...base, ...defined };
}

/** One line per problem, naming the field: `schedule.maxAttempts: Too small: expected number to be >=1`. */
export function describeInvalidInput(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join('.') || '(input)'}: ${issue.message}`).join('; ');
}
