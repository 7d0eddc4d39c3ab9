// What a page did to each record (section 3 couplings, section 5 job and error logs), recorded as it is
// decided and written in one commit: errors, couplings, the retry queue, then the counters. Holds the one
// "Skipped" rule (section 3: the same error twice in a row in one direction) - statistics.ts uses it too.
import type { JsonRecord } from '../connectors/types';
import {
  newCoupling,
  type CouplingDoc,
  type CouplingWrite,
  type DirectionState,
  type RecordAction,
} from '../store/couplings';
import { zeroCounters, type JobCounters, type JobDirection } from '../store/jobLog';
import { retryKey, type RetryDoc } from '../store/retryQueue';
import type { SyncErrorDoc } from '../store/syncErrors';
import type { LineageReason } from '../store/lineage';
import type { PassStores, Item } from './pageItem';
import { fieldChanges, type PageLineage } from './pageLineage';
import { laterOf, recordModified, recordVersion, type SideShape } from './recordVersion';
import type { EngineLogger, PassDirection } from './types';
import { withIds } from '../logger';
import { dependencyOfFailure } from './dependencyFirst';
import { waitsForReview } from './reviewWait';
import type { RecordOutcome } from './dryRun';

// ---- the Skipped rule -------------------------------------------------------------------------------

/** "Same error" compares the message without volatile parts (correlation ids, times). */
export function errorFingerprint(message: string): string {
  return message
    .replace(/CorrelationId:\s*[\w-]+/gi, '')
    .replace(/\d{4}-\d{2}-\d{2}T[\d:.]+Z?/g, '')
    .trim()
    .slice(0, 300);
}

/** The last failure recorded for a record in one direction (a coupling's state or a retry entry). */
export interface LastFailure {
  lastError?: string;
  lastJobId?: string;
}

/**
 * Skipped (section 3): the previous failure had the same fingerprint and came from another job. A replay
 * of this job's own page after a crash is not a second occurrence.
 */
export function isRepeatedFailure(
  prev: LastFailure | undefined,
  fingerprint: string,
  jobId: string,
): boolean {
  return !!prev && prev.lastError === fingerprint && prev.lastJobId !== jobId;
}

/**
 * The retry entry after a failure (rule 4.2 tries it first next time). Skipped stays Skipped; a replay by
 * the same job does not count the failure again.
 */
export function retryAfterFailure(args: {
  prev: RetryDoc | undefined;
  mapping: string;
  direction: PassDirection;
  sourceId: string;
  fingerprint: string;
  jobId: string;
  at: Date;
}): RetryDoc {
  const { prev, jobId, fingerprint } = args;
  return {
    _id: retryKey(args.mapping, args.direction, args.sourceId),
    mapping: args.mapping,
    direction: args.direction,
    sourceId: args.sourceId,
    skipped: (prev?.skipped ?? false) || isRepeatedFailure(prev, fingerprint, jobId),
    failures: (prev?.lastJobId === jobId ? prev.failures : (prev?.failures ?? 0) + 1) || 1,
    lastError: fingerprint,
    lastJobId: jobId,
    at: args.at,
  };
}

// ---- counters ---------------------------------------------------------------------------------------

/** The job log counter of each per-record outcome (the one map). */
export const COUNTER_OF_ACTION = {
  Inserted: 'inserted',
  Modified: 'modified',
  Unchanged: 'unchanged',
  Failed: 'failed',
  Coupled: 'coupled',
  Skipped: 'skipped',
} as const satisfies Record<RecordAction | 'Skipped', keyof JobCounters>;

export function countersOf(doc: Partial<JobCounters>): JobCounters {
  const c = zeroCounters();
  for (const k of Object.keys(c) as (keyof JobCounters)[]) c[k] = doc[k] ?? 0;
  return c;
}

/** The job log's one-line result of a pass (section 5). */
export function summary(c: JobCounters): string {
  return `Inserted ${c.inserted}, Modified ${c.modified}, Unchanged ${c.unchanged}, Skipped ${c.skipped}, Failed ${c.failed}, Coupled ${c.coupled}${c.uncoupled ? `, Uncoupled ${c.uncoupled}` : ''}`;
}

export const jobDirection = (d: PassDirection): JobDirection =>
  d === 'toCrm' ? 'ToIntegrationTable' : 'FromIntegrationTable';

// ---- the page's outcome -----------------------------------------------------------------------------

function counterpartId(sourceIsBc: boolean, item: Item, destId?: string): string | undefined {
  return destId ?? item.destId ?? (sourceIsBc ? item.coupling?.crmId : item.coupling?.bcId);
}

/** A record's ids on both sides, as far as its page knows them: what its log lines carry. */
export function recordIds(source: SideShape, item: Item, destId?: string): { bcId?: string; crmId?: string } {
  const other = counterpartId(source.name === 'bc', item, destId);
  return source.name === 'bc' ? { bcId: item.id, crmId: other } : { bcId: other, crmId: item.id };
}

export interface PageContext {
  mapping: string;
  direction: PassDirection;
  jobId: string;
  pageSeq: number;
  now: Date;
  source: SideShape;
  dest: SideShape;
  /** The pass's retry queue (source id -> entry), kept current as pages commit. */
  retryDocs: Map<string, RetryDoc>;
  /** Where each record's decision is recorded (docs/lineage.md); absent = lineage off. */
  lineage?: PageLineage;
  /** Told each record's outcome (the dry-run report, the blast-radius guard). */
  observe?: (o: RecordOutcome) => void;
  /** The pass's logger (its lines carry the run, mapping and job ids); failures are logged per record. */
  logger?: EngineLogger;
}

const PLAN_KIND_OF_ACTION = {
  Inserted: 'insert',
  Modified: 'modify',
  Unchanged: 'unchanged',
  Coupled: 'couple',
  Failed: 'failed',
} as const;

/** How the dry-run report names a failure. */
function failureKind(message: string): RecordOutcome['kind'] {
  if (message.includes('changed since the last synchronization')) return 'conflict';
  if (message.includes('coupled to a deleted')) return 'deletionConflict';
  return 'failed';
}

/** Why a record was left alone, in words (the lineage's `why`). */
const SKIP_WHY = {
  skipped: 'the coupling is Skipped (the same error twice in a row); `bcsync retry` frees it',
  leftToOtherPass:
    "both sides changed; the mapping's Update-Conflict Resolution lets the other direction win",
  onlyCoupled: 'not coupled, and the mapping synchronizes only coupled records',
  notChanged: "not changed since the last synchronization (a re-read, or bcsync's own write)",
  filtered: 'no longer in the source (deleted, or outside the mapping filter): off the retry list',
} as const;

/** Where the commit reports its progress (crash points of the tests) and keeps the coupling index. */
export interface CommitHooks {
  remember(doc: CouplingDoc): void;
  forget(doc: CouplingDoc): void;
  afterCouplings?(): void;
}

export class PageOutcome {
  readonly counters: JobCounters = zeroCounters();
  readonly couplingWrites: CouplingWrite[] = [];
  readonly errors: SyncErrorDoc[] = [];
  readonly retryPut: RetryDoc[] = [];
  private readonly retryRemove: string[] = [];
  private readonly remembered: CouplingDoc[] = [];
  private readonly forgotten: CouplingDoc[] = [];

  constructor(private readonly ctx: PageContext) {}

  private get sourceIsBc(): boolean {
    return this.ctx.source.name === 'bc';
  }

  count(action: RecordAction | 'Skipped'): void {
    this.counters[COUNTER_OF_ACTION[action]]++;
  }

  /** The counterpart's id, as far as the page knows it. */
  private otherId(item: Item, destId?: string): string | undefined {
    return counterpartId(this.sourceIsBc, item, destId);
  }

  /** Rule 4.6 Skip (a Skipped coupling, or the other pass decides an update conflict). */
  skip(item: Item, code: 'skipped' | 'leftToOtherPass' | 'ambiguous' | 'noMatch', message?: string): void {
    this.count('Skipped');
    this.ctx.lineage?.record(item.id, this.otherId(item), item.label, 'Skipped', {
      code: code === 'ambiguous' ? 'matchAmbiguous' : code,
      why: message ?? SKIP_WHY[code as keyof typeof SKIP_WHY],
    });
    this.tell(item, code === 'leftToOtherPass' ? 'skipped' : code, undefined, message);
  }

  /**
   * Rules 4.3 and 4.4: looked at and left alone. A coupled record re-read unchanged (the watermark's overlap,
   * or bcsync's own write read back) counts as Unchanged, so the job log accounts for every record read; an
   * uncoupled one under Only Coupled is in the lineage only.
   */
  ignore(item: Item, rule: 'onlyCoupled' | 'notChanged'): void {
    if (rule === 'notChanged') {
      this.count('Unchanged');
      this.tell(item, 'unchanged');
    }
    this.ctx.lineage?.record(item.id, this.otherId(item), item.label, 'Skipped', {
      code: rule,
      why: SKIP_WHY[rule],
    });
  }

  /** A record on the retry list that is gone from the source or its filter. */
  gone(sourceId: string): void {
    this.leaveRetryQueue(sourceId);
    this.ctx.lineage?.record(sourceId, undefined, undefined, 'Skipped', {
      code: 'filtered',
      why: SKIP_WHY.filtered,
    });
  }

  /** A replayed page's record, counted from its coupling (its first attempt's entry may not be stored). */
  replayed(item: Item, countAs: RecordAction | undefined): void {
    if (countAs)
      this.ctx.lineage?.record(item.id, this.otherId(item), item.label, countAs, {
        why: 'counted on the replay of a page interrupted by a crash',
      });
  }

  /** Reports an outcome to the observer (no effect on what is written). */
  tell(item: Item, kind: RecordOutcome['kind'], destId?: string, message?: string): void {
    this.ctx.observe?.({
      mapping: this.ctx.mapping,
      direction: this.ctx.direction,
      kind,
      sourceId: item.id,
      ...(destId ? { destId } : {}),
      label: item.label,
      ...(message ? { message } : {}),
      ...(item.justCoupled ? { justCoupled: true } : {}),
    });
  }

  /** The record leaves the retry queue (it succeeded, or is gone from the source or its filter). */
  leaveRetryQueue(sourceId: string): void {
    if (this.ctx.retryDocs.has(sourceId))
      this.retryRemove.push(retryKey(this.ctx.mapping, this.ctx.direction, sourceId));
  }

  /**
   * Rule 4.7 "Remove Coupling" (counted; `item` is the record whose counterpart was deleted), or a BC
   * create intent the destination refused.
   */
  uncouple(coupling: CouplingDoc, counted: boolean, item?: Item): void {
    this.couplingWrites.push({ kind: 'delete', id: coupling._id });
    this.forgotten.push(coupling);
    if (counted) {
      this.counters.uncoupled++;
      this.ctx.observe?.({
        mapping: this.ctx.mapping,
        direction: this.ctx.direction,
        kind: 'uncouple',
        sourceId: this.sourceIsBc ? coupling.bcId : (coupling.crmId ?? ''),
        label: '',
      });
    }
    if (item)
      this.ctx.lineage?.record(item.id, this.otherId(item), item.label, 'Uncoupled', {
        code: 'deletionConflict',
        why: "the coupled record was deleted; the mapping's Deletion-Conflict Resolution is Remove Coupling",
      });
  }

  private dirState(prev: DirectionState, patch: Partial<DirectionState>): DirectionState {
    return { ...prev, ...patch, lastJobId: this.ctx.jobId, lastPageSeq: this.ctx.pageSeq };
  }

  /**
   * The record was written (or found equal): its coupling records both versions and the action.
   * `answer`: the destination's answer to the write (lineage).
   */
  succeed(
    item: Item,
    action: RecordAction,
    destRec: JsonRecord | undefined,
    destId: string,
    answer?: string,
  ): void {
    const { mapping, now, direction } = this.ctx;
    const sourceIsBc = this.sourceIsBc;
    const bcId = sourceIsBc ? item.id : destId;
    const crmId = sourceIsBc ? destId : item.id;
    const base: CouplingDoc =
      item.coupling && item.coupling.bcId === bcId ? item.coupling : newCoupling(mapping, bcId, crmId, now);
    const bcRec = sourceIsBc ? item.rec : destRec;
    const crmRec = sourceIsBc ? destRec : item.rec;
    const bcSide = sourceIsBc ? this.ctx.source : this.ctx.dest;
    const crmSide = sourceIsBc ? this.ctx.dest : this.ctx.source;
    const doc: CouplingDoc = {
      ...base,
      crmId,
      state: 'coupled',
      skipped: false,
      updatedAt: now,
      toCrm: { ...base.toCrm },
      fromCrm: { ...base.fromCrm },
    };
    delete doc.intent;
    if (bcRec) {
      doc.bcVersion = recordVersion(bcSide, bcRec) ?? doc.bcVersion;
      doc.toCrm.lastSyncModifiedOn = laterOf(doc.toCrm.lastSyncModifiedOn, recordModified(bcSide, bcRec));
    }
    if (crmRec) {
      doc.crmVersion = recordVersion(crmSide, crmRec) ?? doc.crmVersion;
      doc.fromCrm.lastSyncModifiedOn = laterOf(
        doc.fromCrm.lastSyncModifiedOn,
        recordModified(crmSide, crmRec),
      );
    }
    doc[direction] = this.dirState(doc[direction], {
      lastResult: 'Success',
      lastAction: action,
      lastError: '',
    });
    if (item.coupling && item.coupling._id !== doc._id) this.uncouple(item.coupling, false);
    if (base === item.coupling && !item.justCoupled) {
      const { _id, createdAt: _c, ...set } = doc;
      this.couplingWrites.push({ kind: 'set', id: _id, set, unset: item.coupling?.intent ? ['intent'] : [] });
    } else {
      this.couplingWrites.push({ kind: 'insert', doc });
    }
    this.remembered.push(doc);
    this.count(action);
    this.leaveRetryQueue(item.id);
    this.ctx.lineage?.record(item.id, destId, item.label, item.justCoupled ? 'Coupled' : action, {
      ...(item.justCoupled ? { why: `coupled by match, then ${action}` } : {}),
      ...(action === 'Inserted' || action === 'Modified'
        ? { changes: fieldChanges(item.payload, action === 'Modified' ? item.dest : undefined) }
        : {}),
      ...(answer ? { answer } : {}),
    });
    this.tell(item, PLAN_KIND_OF_ACTION[action], destId);
  }

  /**
   * The record failed: an error log entry, its coupling's state, its retry entry - and maybe Skipped.
   * `code`: why, for the lineage (a failure that makes the record Skipped says `sameErrorTwice`).
   */
  fail(item: Item, message: string, detail?: string, destId?: string, code?: LineageReason): void {
    const { mapping, now, direction, jobId, source, dest } = this.ctx;
    const fingerprint = errorFingerprint(message);
    withIds(this.ctx.logger, recordIds(source, item, destId))?.warn(
      { record: item.label || undefined, reason: code, ...(detail ? { detail } : {}) },
      `record failed: ${message}`,
    );
    this.errors.push({
      _id: `${jobId}|${item.id}`,
      jobId,
      mapping,
      direction: jobDirection(direction),
      source: { system: source.name, entity: source.entity, id: item.id, label: item.label },
      ...(destId || item.coupling
        ? {
            destination: {
              system: dest.name,
              entity: dest.entity,
              id: destId ?? (this.sourceIsBc ? item.coupling?.crmId : item.coupling?.bcId),
            },
          }
        : {}),
      message,
      ...(detail ? { detail } : {}),
      at: now,
    });
    const c = item.coupling;
    const prevRetry = this.ctx.retryDocs.get(item.id);
    // Waiting for a dependency is not being stuck: the run syncs the dependency and retries it; one
    // waiting in `bcsync review` is synchronized as soon as a person couples the right pair.
    const waiting = dependencyOfFailure(message) !== undefined || waitsForReview(message);
    this.tell(item, failureKind(message), destId, message);
    let retryDoc = retryAfterFailure({
      prev: prevRetry,
      mapping,
      direction,
      sourceId: item.id,
      fingerprint,
      jobId,
      at: now,
    });
    if (c && c.state === 'coupled') {
      // A coupled record's own state decides (its retry entry may be older than its last result).
      const prev = c[direction];
      const skipped =
        !waiting && isRepeatedFailure(prev.lastResult === 'Failure' ? prev : undefined, fingerprint, jobId);
      retryDoc = { ...retryDoc, skipped: (prevRetry?.skipped ?? false) || skipped };
      const doc: CouplingDoc = {
        ...c,
        [direction]: this.dirState(prev, {
          lastResult: 'Failure',
          lastAction: 'Failed',
          lastError: fingerprint,
        }),
        skipped: c.skipped || skipped,
        updatedAt: now,
      };
      if (item.justCoupled) this.couplingWrites.push({ kind: 'insert', doc });
      else
        this.couplingWrites.push({
          kind: 'set',
          id: c._id,
          set: { [direction]: doc[direction], skipped: doc.skipped, updatedAt: now },
        });
      this.remembered.push(doc);
    }
    if (waiting) retryDoc = { ...retryDoc, skipped: prevRetry?.skipped ?? false };
    this.retryPut.push(retryDoc);
    this.ctx.retryDocs.set(item.id, retryDoc);
    this.count('Failed');
    const nowSkipped = retryDoc.skipped && !prevRetry?.skipped && !c?.skipped;
    this.ctx.lineage?.record(item.id, this.otherId(item, destId), item.label, 'Failed', {
      ...(nowSkipped ? { code: 'sameErrorTwice' as const } : code ? { code } : {}),
      why: nowSkipped
        ? `${message} (the same error twice in a row: Skipped until \`bcsync retry\`)`
        : message,
      ...(detail ? { answer: detail } : {}),
    });
  }

  /**
   * Writes the page's results: errors, couplings (one-to-one enforced by the unique index: a coupling
   * that lost the race becomes a Failed record), then the retry queue. The counters are committed by the
   * caller with the page's checkpoint.
   */
  async commit(stores: PassStores, hooks: CommitHooks): Promise<void> {
    const { mapping, direction, jobId, now } = this.ctx;
    await stores.errors.addOnce(this.errors);
    const { duplicates } = await stores.couplings.applyPage(this.couplingWrites);
    for (const doc of this.forgotten) hooks.forget(doc);
    for (const doc of this.remembered) if (!duplicates.has(doc._id)) hooks.remember(doc);
    if (duplicates.size > 0) {
      const dupErrors: SyncErrorDoc[] = [];
      for (const doc of this.remembered.filter((d) => duplicates.has(d._id))) {
        this.counters.failed++;
        const key = this.sourceIsBc ? doc.bcId : doc.crmId!;
        const action = doc[direction].lastAction;
        if (action && action !== 'Failed') this.counters[COUNTER_OF_ACTION[action]]--;
        const entry = this.ctx.lineage?.get(key);
        if (entry) {
          entry.decision = 'Failed';
          entry.code = 'alreadyCoupled';
          entry.why = `not coupled: the ${this.sourceIsBc ? 'CRM' : 'BC'} record is already coupled to another record`;
        }
        dupErrors.push({
          _id: `${jobId}|${key}`,
          jobId,
          mapping,
          direction: jobDirection(direction),
          source: { system: this.ctx.source.name, entity: this.ctx.source.entity, id: key },
          message: `Cannot couple ${mapping} BC record ${doc.bcId} and CRM record ${doc.crmId}: one of them is already coupled to another record. Uncouple it first.`,
          at: now,
        });
      }
      await stores.errors.addOnce(dupErrors);
    }
    hooks.afterCouplings?.();
    const remove = [...new Set(this.retryRemove)];
    // The lineage is final once the couplings are written (a lost coupling amends it): it is stored
    // alongside the retry queue, not after it.
    await Promise.all([
      stores.retries.applyPage(this.retryPut, remove),
      this.ctx.lineage ? stores.lineage?.add(this.ctx.lineage.list()) : undefined,
    ]);
    for (const id of remove) this.ctx.retryDocs.delete(id.slice(id.lastIndexOf('|') + 1));
  }
}
