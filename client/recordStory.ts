// "What happened to this record, and why?": a record's coupling, its lineage newest first (with the
// Temporal run of each pass), its open errors and a one-line verdict. Read by `bcsync why` and the
// operator console; the verdict is a pure function of what was read.
import type { IntegrationTableMapping } from '../activities/mappings/integrationTableMapping';
import type { CouplingDoc } from '../activities/store/couplings';
import type { Database } from '../activities/store/database';
import type { JobLogDoc } from '../activities/store/jobLog';
import { LineageStore, type FieldChange, type LineageDoc } from '../activities/store/lineage';
import { RetryQueueStore, type RetryDoc } from '../activities/store/retryQueue';
import type { SyncErrorDoc } from '../activities/store/syncErrors';
import { waitsForReview } from '../activities/engine/reviewWait';
import { EntryState, type EntryStatus } from '../common/jobQueue';
import { workflowRunUrl, type TemporalUi } from './temporalUiLinks';

export interface StoryEvent {
  at: string;
  direction: 'toCrm' | 'fromCrm' | null;
  decision: LineageDoc['decision'];
  code: string | null;
  why: string | null;
  changes: FieldChange[];
  answer: string | null;
  by: string | null;
  jobId: string | null;
  workflowId: string | null;
  runId: string | null;
  /** The run in the Temporal UI (null when no UI address is known). */
  temporalUrl: string | null;
}

export interface OpenError {
  mapping: string;
  direction: 'toCrm' | 'fromCrm';
  sourceId: string;
  /** The record's number or name, as the error names it. */
  label: string | null;
  skipped: boolean;
  failures: number;
  at: string;
  message: string;
  detail: string | null;
  jobId: string | null;
}

export interface RecordStory {
  mapping: string;
  entry: string;
  bcId: string | null;
  crmId: string | null;
  label: string | null;
  coupling: {
    state: CouplingDoc['state'];
    skipped: boolean;
    toCrm: { lastResult: string | null; lastSyncModifiedOn: string | null };
    fromCrm: { lastResult: string | null; lastSyncModifiedOn: string | null };
    updatedAt: string;
  } | null;
  history: StoryEvent[];
  openErrors: OpenError[];
  entryState: { state: EntryState; nextRunAt: string | null } | null;
  verdict: string;
}

const iso = (d?: Date | null) => (d ? d.toISOString() : null);

/** Reads everything about one record (given by BC id, CRM id, or both). */
export async function readRecordStory(
  database: Database,
  mapping: IntegrationTableMapping,
  ids: { bcId?: string; crmId?: string },
  entryStatus: EntryStatus | null,
  ui: TemporalUi = { base: null, namespace: 'default' },
  limit = 50,
): Promise<RecordStory> {
  const { cols } = database;
  let bcId = ids.bcId?.toLowerCase();
  let crmId = ids.crmId?.toLowerCase();
  const coupling = bcId
    ? await cols.couplings.findOne({ _id: `${mapping.name}|${bcId}` })
    : await cols.couplings.findOne({ mapping: mapping.name, crmId });
  if (coupling) {
    bcId = coupling.bcId;
    crmId = coupling.crmId ?? crmId;
  }
  const history = await new LineageStore(database.db).history({ mapping: mapping.name, bcId, crmId, limit });
  // Ids learnt from the lineage (a record uncoupled since) widen the search once.
  if (!bcId || !crmId) {
    const other = history.find((h) => (!bcId && h.bcId) || (!crmId && h.crmId));
    if (other) {
      bcId ??= other.bcId;
      crmId ??= other.crmId;
      const more = await new LineageStore(database.db).history({ mapping: mapping.name, bcId, crmId, limit });
      history.splice(0, history.length, ...more);
    }
  }
  const retryDocs = (await new RetryQueueStore(database.db).all(mapping.name)).filter(
    (r) =>
      (r.direction === 'toCrm' && r.sourceId === bcId) || (r.direction === 'fromCrm' && r.sourceId === crmId),
  );
  const events = await storyEvents(database, history, ui);
  const openErrors = await openErrorsOf(database, retryDocs);
  const story: Omit<RecordStory, 'verdict'> = {
    mapping: mapping.name,
    entry: mapping.jobQueue.entry,
    bcId: bcId ?? null,
    crmId: crmId ?? null,
    // The BC number when known (the key people use), else the CRM name.
    label:
      (history.find((h) => h.label && h.direction === 'toCrm') ?? history.find((h) => h.label))?.label ??
      null,
    coupling: coupling
      ? {
          state: coupling.state,
          skipped: coupling.skipped,
          toCrm: {
            lastResult: coupling.toCrm?.lastResult ?? null,
            lastSyncModifiedOn: iso(coupling.toCrm?.lastSyncModifiedOn),
          },
          fromCrm: {
            lastResult: coupling.fromCrm?.lastResult ?? null,
            lastSyncModifiedOn: iso(coupling.fromCrm?.lastSyncModifiedOn),
          },
          updatedAt: coupling.updatedAt.toISOString(),
        }
      : null,
    history: events,
    openErrors,
    entryState: entryStatus ? { state: entryStatus.state, nextRunAt: entryStatus.nextRunAt } : null,
  };
  return { ...story, verdict: verdictOf(story, mapping) };
}

/** Lineage entries as story events, each with the Temporal run that did it (from its job log entry). */
export async function storyEvents(
  database: Database,
  history: LineageDoc[],
  ui: TemporalUi,
): Promise<StoryEvent[]> {
  const { cols } = database;
  const jobIds = [...new Set(history.map((h) => h.jobId).filter((j): j is string => !!j))];
  const jobs = new Map<string, JobLogDoc>(
    jobIds.length ? (await cols.jobLog.find({ _id: { $in: jobIds } }).toArray()).map((j) => [j._id, j]) : [],
  );
  return history.map((h) => {
    const job = h.jobId ? jobs.get(h.jobId) : undefined;
    return {
      at: h.at.toISOString(),
      direction: h.direction ?? null,
      decision: h.decision,
      code: h.code ?? null,
      why: h.why ?? null,
      changes: h.changes ?? [],
      answer: h.answer ?? null,
      by: h.by ?? null,
      jobId: h.jobId ?? null,
      workflowId: job?.workflowId ?? null,
      runId: job?.runId ?? null,
      temporalUrl: job?.workflowId ? workflowRunUrl(ui, job.workflowId, job.runId) : null,
    };
  });
}

/** Records on the retry list with their last error's message and detail (the errors page). */
export async function openErrorsOf(database: Database, retryDocs: RetryDoc[]): Promise<OpenError[]> {
  const errorIds = retryDocs.filter((r) => r.lastJobId).map((r) => `${r.lastJobId}|${r.sourceId}`);
  const errors = new Map<string, SyncErrorDoc>(
    errorIds.length
      ? (await database.cols.syncErrors.find({ _id: { $in: errorIds } }).toArray()).map((e) => [e._id, e])
      : [],
  );
  return retryDocs.map((r) => {
    const e = errors.get(`${r.lastJobId}|${r.sourceId}`);
    return {
      mapping: r.mapping,
      direction: r.direction,
      sourceId: r.sourceId,
      label: e?.source.label ?? null,
      skipped: r.skipped,
      failures: r.failures,
      at: r.at.toISOString(),
      message: e?.message ?? r.lastError,
      detail: e?.detail ?? null,
      jobId: r.lastJobId || null,
    };
  });
}

const arrow = (d: 'toCrm' | 'fromCrm') => (d === 'toCrm' ? 'BC -> CRM' : 'CRM -> BC');

/** What the entry's state means for this record's next chance, or '' while it runs on its schedule. */
function entryClause(s: Omit<RecordStory, 'verdict'>): string {
  const e = s.entryState;
  if (!e) return '';
  switch (e.state) {
    case EntryState.OnHoldWithInactivityTimeout:
      return `the entry ${s.entry} is On Hold with Inactivity Timeout until ${e.nextRunAt} (a BC change wakes it)`;
    case EntryState.OnHold:
      return `the entry ${s.entry} is On Hold: \`bcsync resume ${s.entry}\` restarts it`;
    case EntryState.Error:
      return `the entry ${s.entry} is in Error: fix its last error, then \`bcsync resume ${s.entry}\``;
    default:
      return e.nextRunAt ? `next run of ${s.entry} at ${e.nextRunAt}` : '';
  }
}

/** The one-line answer. */
export function verdictOf(s: Omit<RecordStory, 'verdict'>, mapping: IntegrationTableMapping): string {
  const id = s.bcId ?? s.crmId ?? '';
  const clause = entryClause(s);
  const withClause = (text: string) => (clause ? `${text}; ${clause}` : text);
  const skipped = s.openErrors.find((e) => e.skipped);
  if (skipped || s.coupling?.skipped) {
    const why = skipped?.message ?? s.openErrors[0]?.message ?? 'the same error twice in a row';
    return `skipped (${arrow(skipped?.direction ?? 'toCrm')}): ${why}; fix the cause, then \`bcsync retry ${mapping.name} ${id}\``;
  }
  const failing = s.openErrors.find((e) => e.jobId);
  if (failing && waitsForReview(failing.message))
    return withClause(`waiting (${arrow(failing.direction)}): ${failing.message}`);
  if (failing)
    return withClause(
      `failing (${arrow(failing.direction)}): ${failing.message}; tried again at the next run (once more and it is skipped)`,
    );
  const queued = s.openErrors[0];
  if (queued)
    return withClause(`waiting: queued for the next run of ${s.entry} (${arrow(queued.direction)})`);
  if (s.coupling?.state === 'pending')
    return withClause('waiting: a create was sent; the next run confirms it and couples the record');
  const last = s.history[0];
  if (s.coupling) {
    const synced = s.history.find((h) =>
      ['Inserted', 'Modified', 'Coupled', 'Unchanged'].includes(h.decision),
    );
    const since = synced?.at ?? s.coupling.updatedAt;
    const text = `in sync since ${since}`;
    return s.entryState &&
      s.entryState.state !== EntryState.Ready &&
      s.entryState.state !== EntryState.InProcess
      ? `${text}; changes made after that wait: ${clause}`
      : text;
  }
  if (last?.decision === 'Action' || last?.decision === 'Uncoupled')
    return withClause(`not coupled: ${last.why ?? 'uncoupled'}`);
  if (last?.code === 'onlyCoupled' || (!last && mapping.syncOnlyCoupledRecords))
    return `not synchronized: ${mapping.name} synchronizes only coupled records; couple it (\`bcsync couple\`) or run \`bcsync full-sync --mapping ${mapping.name}\``;
  return withClause('not synchronized yet: no run has looked at this record');
}
