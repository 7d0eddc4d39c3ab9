// Dry-run (docs/dry-run.md): a run that decides everything a real run would - match-based coupling,
// inserts, modifications, conflicts - and writes nothing, to either system or to MongoDB. It runs the very
// same passes with every write redirected: the connectors answer writes with what the API would have
// returned, and the stores keep their writes in memory on top of what MongoDB holds, so a later mapping of
// the same dry run sees the couplings an earlier one would have made (a customer's new currency).
import { randomUUID } from 'node:crypto';
import type { Collection, Db } from 'mongodb';
import type {
  CallOptions,
  ChangeQuery,
  ChoiceOption,
  ChangePage,
  EntityPage,
  JsonRecord,
  ReadQuery,
  TableClient,
  WriteOperation,
  WriteResult,
} from '../connectors/types';
import { CouplingStore, couplingKey, type CouplingDoc, type CouplingWrite } from '../store/couplings';
import {
  JobLogStore,
  zeroCounters,
  type JobCounters,
  type JobLogDoc,
  type PassCheckpoint,
} from '../store/jobLog';
import { MappingStore, type MappingDoc, type Watermarks } from '../store/mappingStore';
import { MatchReviewStore, matchReviewKey, type MatchReviewDoc, type MatchSide } from '../store/matchReviews';
import { RetryQueueStore, type RetryDoc } from '../store/retryQueue';
import { SyncErrorStore, type SyncErrorDoc } from '../store/syncErrors';
import type { PassDirection } from './types';
import { PLAN_KINDS, type MappingPlan, type PlanKind, type RecordOutcome } from '../../common/runPlan';

export {
  PLAN_KINDS,
  type MappingPlan,
  type PlanKind,
  type PlanSample,
  type RecordOutcome,
} from '../../common/runPlan';

/** Answers writes as the API would, without sending them. */
export class DryRunTableClient implements TableClient {
  writes = 0;
  constructor(
    private readonly inner: TableClient,
    private readonly now: () => Date,
  ) {}

  get system() {
    return this.inner.system;
  }
  keyField(entity: string): string {
    return this.inner.keyField(entity);
  }
  modifiedField(entity: string): string {
    return this.inner.modifiedField(entity);
  }
  /** Ids this dry run wrote, per entity set. */
  private readonly written = new Map<string, Set<string>>();
  wouldHaveWritten(entity: string, id: string): boolean {
    return this.written.get(entity)?.has(id.toLowerCase()) ?? false;
  }

  readPages(entity: string, query: ReadQuery): AsyncIterable<EntityPage> {
    const pages = this.inner.readPages(entity, query);
    // Echo suppression (rule 4.4): a real run recognises its own writes by the version it stored; a dry run
    // stored a made-up version for the rows it would have written, which the API still shows unchanged, so
    // its reads of changes leave them out (look-ups still see them).
    const mine = this.written.get(entity);
    if (!mine || !query.changes) return pages;
    const key = this.inner.keyField(entity);
    return (async function* () {
      for await (const page of pages)
        yield { ...page, records: page.records.filter((r) => !mine.has(String(r[key]).toLowerCase())) };
    })();
  }
  get(entity: string, id: string, select?: string[], options?: CallOptions) {
    return this.inner.get(entity, id, select, options);
  }
  readChanges(entity: string, query: ChangeQuery): AsyncIterable<ChangePage> {
    return (
      this.inner as unknown as { readChanges(e: string, q: ChangeQuery): AsyncIterable<ChangePage> }
    ).readChanges(entity, query);
  }

  private simulated(entity: string, id: string, body: JsonRecord): JsonRecord {
    // The modified time of the write is now: the next pass of the dry run sees the record as synced.
    return {
      ...body,
      [this.inner.keyField(entity)]: id,
      [this.inner.modifiedField(entity)]: this.now().toISOString(),
      '@odata.etag': 'W/"dry-run"',
    };
  }

  private answer(op: WriteOperation): WriteResult {
    this.writes++;
    const id = op.kind === 'create' ? undefined : op.id.toLowerCase();
    const note = (written: string) => {
      const set = this.written.get(op.entity) ?? new Set<string>();
      set.add(written);
      this.written.set(op.entity, set);
    };
    if (id) note(id);
    switch (op.kind) {
      case 'create': {
        const created = String(op.id ?? op.body.id ?? randomUUID()).toLowerCase();
        note(created);
        return { ok: true, status: 201, id: created, record: this.simulated(op.entity, created, op.body) };
      }
      case 'update':
      case 'upsert':
        return { ok: true, status: 200, id: op.id, record: this.simulated(op.entity, op.id, op.body) };
      case 'delete':
        return { ok: true, status: 204, id: op.id };
    }
  }

  async writeBatch(ops: WriteOperation[]): Promise<WriteResult[]> {
    return ops.map((op) => this.answer(op));
  }
  async create(entity: string, body: JsonRecord, id?: string): Promise<JsonRecord> {
    const r = this.answer({ kind: 'create', entity, body, ...(id ? { id } : {}) });
    return r.ok ? (r.record ?? {}) : {};
  }
  async update(entity: string, id: string, body: JsonRecord): Promise<JsonRecord> {
    const r = this.answer({ kind: 'update', entity, id, body });
    return r.ok ? (r.record ?? {}) : {};
  }
  async delete(entity: string, id: string): Promise<void> {
    this.answer({ kind: 'delete', entity, id });
  }

  /** Options this dry run would have added, per column: read back as if they had been added. */
  private readonly addedOptions = new Map<string, ChoiceOption[]>();
  async readOptions(entity: string, attribute: string, options?: CallOptions): Promise<ChoiceOption[]> {
    if (!this.inner.readOptions)
      throw new Error(`${this.inner.system} has no choice columns (${entity}.${attribute})`);
    const real = await this.inner.readOptions(entity, attribute, options);
    return [...real, ...(this.addedOptions.get(`${entity}.${attribute}`) ?? [])];
  }
  async insertOption(
    entity: string,
    attribute: string,
    label: string,
    options?: CallOptions,
  ): Promise<number> {
    this.writes++;
    const column = `${entity}.${attribute}`;
    const known = await this.readOptions(entity, attribute, options);
    // New options of a local option set are numbered from the publisher prefix's base (100000000) up.
    const value = Math.max(99_999_999, ...known.map((o) => o.value)) + 1;
    this.addedOptions.set(column, [...(this.addedOptions.get(column) ?? []), { value, label }]);
    return value;
  }
}

/**
 * Couplings: MongoDB's, with the dry run's writes laid over them. The overlay is indexed by coupling id
 * and by (mapping, CRM id), so each lookup costs the same however many records the dry run has coupled
 * (a dry run of a 10,000-record first sync makes 10,000 couplings).
 */
export class DryRunCouplingStore extends CouplingStore {
  private readonly docs = new Map<string, CouplingDoc>();
  /** `mapping|crmId` -> coupling id, for the overlay's documents. */
  private readonly byCrm = new Map<string, string>();
  /** Ids removed by the dry run (still in MongoDB). */
  private readonly deleted = new Set<string>();
  /** Every write of the dry run, for the report. */
  readonly written: CouplingWrite[] = [];

  constructor(col: Collection<CouplingDoc>) {
    super(col);
  }

  private put(doc: CouplingDoc): void {
    const old = this.docs.get(doc._id);
    if (old?.crmId) this.byCrm.delete(`${old.mapping}|${old.crmId}`);
    this.deleted.delete(doc._id);
    this.docs.set(doc._id, doc);
    if (doc.crmId) this.byCrm.set(`${doc.mapping}|${doc.crmId}`, doc._id);
  }

  private remove(id: string): void {
    const old = this.docs.get(id);
    if (old?.crmId) this.byCrm.delete(`${old.mapping}|${old.crmId}`);
    this.docs.delete(id);
    this.deleted.add(id);
  }

  /** A MongoDB document as the dry run sees it: replaced, removed, or as it is. */
  private view(d: CouplingDoc): CouplingDoc | undefined {
    if (this.deleted.has(d._id)) return undefined;
    return this.docs.get(d._id) ?? d;
  }

  override async findByBc(
    mapping: Parameters<CouplingStore['findByBc']>[0],
    bcId: Parameters<CouplingStore['findByBc']>[1],
  ) {
    return (await this.loadByBcIds(mapping, [bcId]))[0] ?? null;
  }
  override async findByCrm(
    mapping: Parameters<CouplingStore['findByCrm']>[0],
    crmId: Parameters<CouplingStore['findByCrm']>[1],
  ) {
    return (await this.loadByCrmIds(mapping, [crmId]))[0] ?? null;
  }
  override async loadByBcIds(mapping: string, bcIds: string[]): Promise<CouplingDoc[]> {
    const out = new Map<string, CouplingDoc>();
    for (const d of await super.loadByBcIds(mapping, bcIds)) {
      const seen = this.view(d);
      if (seen) out.set(seen._id, seen);
    }
    for (const bcId of bcIds) {
      const own = this.docs.get(couplingKey(mapping, bcId));
      if (own) out.set(own._id, own);
    }
    return [...out.values()];
  }
  override async pendingIntents(mapping: string): Promise<CouplingDoc[]> {
    const out = new Map<string, CouplingDoc>();
    for (const d of await super.pendingIntents(mapping)) {
      const seen = this.view(d);
      if (seen?.state === 'pending') out.set(seen._id, seen);
    }
    for (const d of this.docs.values()) if (d.mapping === mapping && d.state === 'pending') out.set(d._id, d);
    return [...out.values()];
  }
  override async loadByCrmIds(mapping: string, crmIds: string[]): Promise<CouplingDoc[]> {
    const wanted = new Set(crmIds);
    const out = new Map<string, CouplingDoc>();
    for (const d of await super.loadByCrmIds(mapping, crmIds)) {
      const seen = this.view(d);
      // A coupling the dry run re-pointed to another CRM record no longer answers for this one.
      if (seen?.crmId && wanted.has(seen.crmId)) out.set(seen._id, seen);
    }
    for (const crmId of crmIds) {
      const id = this.byCrm.get(`${mapping}|${crmId}`);
      const own = id ? this.docs.get(id) : undefined;
      if (own) out.set(own._id, own);
    }
    return [...out.values()];
  }
  override async *streamMapping(mapping: string): AsyncIterable<CouplingDoc> {
    const seen = new Set<string>();
    for await (const d of super.streamMapping(mapping)) {
      seen.add(d._id);
      const view = this.view(d);
      if (view) yield view;
    }
    for (const d of this.docs.values()) if (d.mapping === mapping && !seen.has(d._id)) yield d;
  }
  override async count(mapping: Parameters<CouplingStore['count']>[0]): Promise<number> {
    let n = 0;
    for await (const _ of this.streamMapping(mapping)) n++;
    return n;
  }

  override async applyPage(writes: CouplingWrite[]): Promise<{ duplicates: Set<string> }> {
    const duplicates = new Set<string>();
    // The unique indexes' one-to-one rule (section 3), checked against MongoDB and the overlay with one
    // query per side for the whole page, then against the page's own earlier inserts.
    const inserts = writes.flatMap((w) => (w.kind === 'insert' ? [w.doc] : []));
    const takenBc = new Set<string>();
    const takenCrm = new Map<string, string>();
    for (const mapping of new Set(inserts.map((d) => d.mapping))) {
      const mine = inserts.filter((d) => d.mapping === mapping);
      for (const d of await this.loadByBcIds(
        mapping,
        mine.map((x) => x.bcId),
      ))
        takenBc.add(d._id);
      const crmIds = mine.flatMap((x) => (x.crmId ? [x.crmId] : []));
      for (const d of await this.loadByCrmIds(mapping, crmIds)) takenCrm.set(`${mapping}|${d.crmId}`, d._id);
    }
    for (const w of writes) {
      this.written.push(w);
      if (w.kind === 'insert') {
        const crmKey = w.doc.crmId ? `${w.doc.mapping}|${w.doc.crmId}` : undefined;
        const crmHolder = crmKey ? takenCrm.get(crmKey) : undefined;
        if (takenBc.has(w.doc._id) || (crmHolder !== undefined && crmHolder !== w.doc._id)) {
          duplicates.add(w.doc._id);
          continue;
        }
        takenBc.add(w.doc._id);
        if (crmKey) takenCrm.set(crmKey, w.doc._id);
        this.put(w.doc);
      } else if (w.kind === 'delete') {
        this.remove(w.id);
      } else {
        const cut = w.id.lastIndexOf('|');
        const base = (await this.loadByBcIds(w.id.slice(0, cut), [w.id.slice(cut + 1)]))[0];
        if (!base) continue;
        const next = { ...base, ...w.set } as CouplingDoc & Record<string, unknown>;
        for (const f of w.unset ?? []) delete next[f];
        this.put(next);
      }
    }
    return { duplicates };
  }

  /** As CouplingStore.couple, on the overlay (the option mappings couple one record at a time). */
  override async couple(
    mapping: Parameters<CouplingStore['couple']>[0],
    bcId: Parameters<CouplingStore['couple']>[1],
    crmId: Parameters<CouplingStore['couple']>[2],
    now = new Date(),
  ): Promise<CouplingDoc> {
    const doc = await this.coupledDoc(mapping, bcId, crmId, now);
    this.written.push({ kind: 'insert', doc });
    this.put(doc);
    return doc;
  }
  override async uncouple(
    mapping: Parameters<CouplingStore['uncouple']>[0],
    ids: Parameters<CouplingStore['uncouple']>[1],
  ): Promise<boolean> {
    const doc = ids.bcId ? await this.findByBc(mapping, ids.bcId) : await this.findByCrm(mapping, ids.crmId!);
    if (!doc) return false;
    this.written.push({ kind: 'delete', id: doc._id });
    this.remove(doc._id);
    return true;
  }
  override async clearSkipped(): Promise<number> {
    return 0;
  }
}

/** The job log of a dry run lives in memory only. */
export class DryRunJobLogStore extends JobLogStore {
  private readonly jobs = new Map<string, JobLogDoc>();
  constructor(col: Collection<JobLogDoc>) {
    super(col);
  }
  override async start(entry: Parameters<JobLogStore['start']>[0]): Promise<JobLogDoc> {
    const doc: JobLogDoc = {
      ...zeroCounters(),
      ...entry,
      _id: entry._id ?? randomUUID(),
      startedAt: entry.startedAt ?? new Date(),
    };
    if (!this.jobs.has(doc._id)) this.jobs.set(doc._id, doc);
    return this.jobs.get(doc._id)!;
  }
  override async finish(id: string, counters: JobCounters, message?: string, finishedAt = new Date()) {
    const doc = this.jobs.get(id);
    if (doc) Object.assign(doc, counters, { message, finishedAt });
  }
  override async commitPage(id: string, counters: Partial<JobCounters>, checkpoint: PassCheckpoint) {
    const doc = this.jobs.get(id);
    if (!doc) return;
    for (const [k, v] of Object.entries(counters)) doc[k as keyof JobCounters] += v ?? 0;
    doc.checkpoint = checkpoint;
  }
  override async complete(id: string, message: string | undefined, finishedAt = new Date()) {
    const doc = this.jobs.get(id);
    if (doc) Object.assign(doc, { finishedAt, ...(message !== undefined ? { message } : {}) });
    return doc ?? null;
  }
  override async get(id: string): Promise<JobLogDoc | null> {
    return this.jobs.get(id) ?? null;
  }
  override async list(): Promise<JobLogDoc[]> {
    return [...this.jobs.values()];
  }
}

export class DryRunErrorStore extends SyncErrorStore {
  readonly errors: SyncErrorDoc[] = [];
  constructor(col: Collection<SyncErrorDoc>) {
    super(col);
  }
  override async add(errors: Omit<SyncErrorDoc, '_id'>[]): Promise<void> {
    for (const e of errors) this.errors.push({ ...e, _id: randomUUID() });
  }
  override async addOnce(errors: SyncErrorDoc[]): Promise<void> {
    const ids = new Set(this.errors.map((e) => e._id));
    for (const e of errors) if (!ids.has(e._id)) this.errors.push(e);
  }
}

export class DryRunRetryQueueStore extends RetryQueueStore {
  private readonly docs = new Map<string, RetryDoc>();
  private readonly removed = new Set<string>();
  constructor(db: Db) {
    super(db);
  }
  override async load(mapping: string, direction: PassDirection): Promise<RetryDoc[]> {
    const out = new Map<string, RetryDoc>();
    for (const d of await super.load(mapping, direction)) if (!this.removed.has(d._id)) out.set(d._id, d);
    for (const d of this.docs.values())
      if (d.mapping === mapping && d.direction === direction) out.set(d._id, d);
    return [...out.values()];
  }
  override async applyPage(put: RetryDoc[], remove: string[]): Promise<void> {
    for (const d of put) {
      this.docs.set(d._id, d);
      this.removed.delete(d._id);
    }
    for (const id of remove) {
      this.docs.delete(id);
      this.removed.add(id);
    }
  }
  override async clearSkipped(): Promise<number> {
    return 0;
  }
}

export class DryRunMappingStore extends MappingStore {
  private readonly watermarks = new Map<string, Watermarks>();
  constructor(col: Collection<MappingDoc>) {
    super(col);
  }
  override async seed(): Promise<void> {}
  override async get(name: string): Promise<MappingDoc | null> {
    const doc = await super.get(name);
    const own = this.watermarks.get(name);
    if (!doc || !own) return doc;
    return { ...doc, watermarks: own };
  }
  override async advanceWatermark(name: string, side: keyof Watermarks, to: Date): Promise<void> {
    const current = this.watermarks.get(name) ?? (await super.get(name))?.watermarks ?? {};
    const at = current[side];
    if (!at || at < to) this.watermarks.set(name, { ...current, [side]: to });
  }
  override async clearWatermarks(name: string): Promise<void> {
    this.watermarks.set(name, {});
  }
}

export class DryRunMatchReviewStore extends MatchReviewStore {
  readonly docs = new Map<string, MatchReviewDoc>();
  constructor(col: Collection<MatchReviewDoc>) {
    super(col);
  }
  override async put(docs: MatchReviewDoc[]): Promise<void> {
    for (const d of docs) this.docs.set(d._id, d);
  }
  override async remove(ids: string[]): Promise<void> {
    for (const id of ids) this.docs.delete(id);
  }
  /** The reviews this dry run would have written, then those already stored. */
  override async find(mapping: string, side: MatchSide, ids: string[]): Promise<MatchReviewDoc[]> {
    const planned = ids.map((id) => this.docs.get(matchReviewKey(mapping, side, id)));
    const rest = ids.filter((_, i) => !planned[i]);
    return [...planned.filter((d): d is MatchReviewDoc => !!d), ...(await super.find(mapping, side, rest))];
  }
}

// ---- the dry-run report --------------------------------------------------------------------------

/** Collects outcomes into per-mapping, per-direction counts and the first `samplesPerKind` records. */
export class PlanCollector {
  private readonly plans = new Map<string, MappingPlan>();
  constructor(private readonly samplesPerKind = 5) {}

  record(o: RecordOutcome): void {
    const key = `${o.mapping}|${o.direction}`;
    let plan = this.plans.get(key);
    if (!plan) {
      plan = {
        mapping: o.mapping,
        direction: o.direction,
        counts: Object.fromEntries(PLAN_KINDS.map((k) => [k, 0])) as Record<PlanKind, number>,
        samples: {},
      };
      this.plans.set(key, plan);
    }
    plan.counts[o.kind]++;
    const list = (plan.samples[o.kind] ??= []);
    if (list.length < this.samplesPerKind)
      list.push({
        sourceId: o.sourceId,
        ...(o.destId ? { destId: o.destId } : {}),
        label: o.label,
        ...(o.message ? { message: o.message } : {}),
      });
  }

  result(): MappingPlan[] {
    return [...this.plans.values()];
  }
}
