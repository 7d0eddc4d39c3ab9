// One synchronization pass of one mapping in one direction (bc-integration-behaviour.md section 4): select
// the records (failures first, rule 4.2; then the changes since the watermark), decide per record (rule
// 4.6), write in batches, keep the couplings (section 3), the job log and the error log (section 5).
// Page by page: one coupling query, one batch of API writes, one coupling bulk write and one job log
// update per page, so memory stays bounded and a crash anywhere loses at most the page in flight - which
// the retry re-reads and recognises (exactly-once, see the comments on replay below).
import type { JsonRecord, TableClient, WriteOperation, WriteResult } from '../connectors/types';
import type { FieldMapping, IntegrationTableMapping } from '../mappings/integrationTableMapping';
import {
  newCoupling,
  type CouplingDoc,
  type CouplingStore,
  type CouplingWrite,
  type DirectionState,
  type RecordAction,
} from '../store/couplings';
import {
  zeroCounters,
  type JobCounters,
  type JobDirection,
  type JobLogStore,
  type PassCheckpoint,
} from '../store/jobLog';
import type { MappingStore } from '../store/mappingStore';
import { retryKey, type RetryDoc, type RetryQueueStore } from '../store/retryQueue';
import type { SyncErrorDoc, SyncErrorStore } from '../store/syncErrors';
import { decideConflict } from './conflicts';
import { CouplingIndex } from './couplingIndex';
import { bcCreateDefaults, bcCreateIntent } from './createIntent';
import { destinationId } from './deterministicId';
import {
  activeFields,
  bodyOf,
  bcColumns,
  buildPayload,
  changedFields,
  crmColumns,
  FieldMappingError,
  sourceKey,
  transform,
  type FieldValue,
} from './fieldMapping';
import { invoiceLineOperations } from './invoiceLines';
import { LookupResolver } from './lookups';
import { andFilter, orFilter } from './odataFilters';
import {
  changedSinceSync,
  laterOf,
  recordId,
  recordModified,
  recordVersion,
  type Side,
} from './recordVersion';
import {
  DEFAULT_PAGE_SIZE,
  type CrashPoint,
  type EngineLogger,
  type PassDirection,
  type PassResult,
  type SyncEngineDeps,
} from './types';
import { nextWatermark, readWindowStart, watermarkSide, DEFAULT_OVERLAP_MS } from './watermarks';

export interface PassStores {
  couplings: CouplingStore;
  jobLog: JobLogStore;
  errors: SyncErrorStore;
  retries: RetryQueueStore;
  mappingStore: MappingStore;
}

export interface PassSetup {
  deps: SyncEngineDeps;
  stores: PassStores;
  mapping: IntegrationTableMapping;
  allMappings: IntegrationTableMapping[];
  direction: PassDirection;
  jobId: string;
  syncOnlyCoupled: boolean;
  /** The coupling index of the mapping's previous pass in this run (a snapshot is read once per run). */
  index?: CouplingIndex;
}

/** Ids per `or` filter when records are fetched by id (URLs stay around 5 KB). */
const ID_CHUNK = 100;

const trace = (msg: string): void => {
  if (process.env.BCSYNC_ENGINE_TRACE) console.error(`${new Date().toISOString()} engine: ${msg}`);
};

interface Item {
  rec: JsonRecord;
  id: string;
  label: string;
  coupling?: CouplingDoc;
  /** The pass coupled it by match just now: no base to detect a conflict against. */
  justCoupled?: boolean;
  dest?: JsonRecord;
  destId?: string;
  op?: WriteOperation;
  action?: 'Inserted' | 'Modified';
  payload?: FieldValue[];
}

const jobDirection = (d: PassDirection): JobDirection =>
  d === 'toCrm' ? 'ToIntegrationTable' : 'FromIntegrationTable';

/** "Same error twice in a row" compares the message without volatile parts (correlation ids, times). */
export function errorFingerprint(message: string): string {
  return message
    .replace(/CorrelationId:\s*[\w-]+/gi, '')
    .replace(/\d{4}-\d{2}-\d{2}T[\d:.]+Z?/g, '')
    .trim()
    .slice(0, 300);
}

function labelOf(rec: JsonRecord): string {
  for (const k of [
    'number',
    'code',
    'displayName',
    'name',
    'fullname',
    'productnumber',
    'isocurrencycode',
    'invoicenumber',
  ]) {
    const v = rec[k];
    if (typeof v === 'string' && v !== '') return v;
  }
  return '';
}

export class SyncPass {
  private readonly source: Side;
  private readonly dest: Side;
  private readonly fields: FieldMapping[];
  private lookups: LookupResolver;
  private readonly logger?: EngineLogger;
  private readonly now: () => Date;
  private readonly warned = new Set<string>();
  private bcFieldsKnown?: Set<string>;
  private bcSample?: JsonRecord;
  private index!: CouplingIndex;

  /** The coupling index this pass used (hand it to the next pass of the same run). */
  get couplingIndex(): CouplingIndex | undefined {
    return this.index;
  }
  private retryDocs = new Map<string, RetryDoc>();
  private checkpoint!: PassCheckpoint;
  private runStartedAt!: Date;

  constructor(private readonly s: PassSetup) {
    const { deps, mapping } = s;
    const bc: Side = {
      name: 'bc',
      client: deps.bc,
      entity: mapping.bc.entitySet,
      keyField: deps.bc.keyField(mapping.bc.entitySet),
      modifiedField: deps.bc.modifiedField(mapping.bc.entitySet),
    };
    const crm: Side = {
      name: 'crm',
      client: deps.crm,
      entity: mapping.crm.entitySet,
      keyField: mapping.crm.key,
      modifiedField: mapping.crm.modifiedOn,
    };
    this.source = s.direction === 'toCrm' ? bc : crm;
    this.dest = s.direction === 'toCrm' ? crm : bc;
    this.fields = activeFields(mapping, s.direction);
    this.logger = deps.logger;
    this.now = deps.now ?? (() => new Date());
    this.lookups = new LookupResolver({
      bc: deps.bc,
      crm: deps.crm,
      couplings: s.stores.couplings,
      mappings: s.allMappings,
      direction: s.direction,
    });
  }

  private crash(point: CrashPoint, pageSeq: number, writes?: number): void {
    this.s.deps.crashAt?.(point, {
      mapping: this.s.mapping.name,
      direction: this.s.direction,
      pageSeq,
      ...(writes !== undefined ? { writes } : {}),
    });
  }

  private readSelect(side: Side): string[] | undefined {
    if (side.name === 'crm') return crmColumns(this.s.mapping);
    // Lines are expanded whole (invoices); an empty table taught us nothing: read every field.
    if (this.s.mapping.bc.lines || !this.bcFieldsKnown) return undefined;
    return bcColumns(this.s.mapping, this.bcFieldsKnown, [side.keyField, side.modifiedField]);
  }

  private readExpand(side: Side): string[] | undefined {
    return side.name === 'bc' && this.s.mapping.bc.lines ? [this.s.mapping.bc.lines] : undefined;
  }

  async run(): Promise<PassResult> {
    const { stores, mapping, direction, jobId } = this.s;
    let job = await stores.jobLog.get(jobId);
    if (job?.finishedAt) return { jobId, direction, counters: countersOf(job), message: job.message };
    if (!job) {
      const startedAt = this.now();
      await stores.jobLog.start({
        _id: jobId,
        mapping: mapping.name,
        direction: jobDirection(direction),
        type: 'Synchronization',
        startedAt,
        runStartedAt: startedAt,
        checkpoint: { phase: 'retry', pageSeq: 0 },
      });
      job = await stores.jobLog.get(jobId);
    }
    this.checkpoint = job?.checkpoint ?? { phase: 'retry', pageSeq: 0 };
    this.runStartedAt = job?.runStartedAt ?? job?.startedAt ?? this.now();
    this.issuedSeq = this.checkpoint.pageSeq;
    if (this.checkpoint.readFrom === undefined && this.checkpoint.phase !== 'done') {
      const doc = await stores.mappingStore.get(mapping.name);
      const watermark = doc?.watermarks?.[watermarkSide(direction)];
      const from = readWindowStart(
        watermark ?? undefined,
        this.s.deps.watermarkOverlapMs ?? DEFAULT_OVERLAP_MS,
      );
      if (from) this.checkpoint = { ...this.checkpoint, readFrom: from };
    }
    trace('coupling index');
    this.index =
      this.s.index ??
      (await CouplingIndex.open(
        stores.couplings,
        mapping.name,
        this.s.deps.couplingLookup ?? 'perPage',
        this.s.deps.snapshotLimit ?? 500_000,
      ));
    trace(`index ${this.index.mode}`);
    if (this.index.mode === 'snapshot') {
      this.lookups = new LookupResolver({
        bc: this.s.deps.bc,
        crm: this.s.deps.crm,
        couplings: stores.couplings,
        mappings: this.s.allMappings,
        direction,
        wholeTables: true,
      });
    }
    for (const r of await stores.retries.load(mapping.name, direction)) this.retryDocs.set(r.sourceId, r);
    await this.learnBcFields();
    trace('selection');

    const retried = new Set<string>();
    if (this.checkpoint.phase === 'retry') {
      await this.retryPhase(retried);
      this.checkpoint = { ...this.checkpoint, phase: 'changes', nextLink: undefined };
    }
    if (this.checkpoint.phase === 'changes') await this.changesPhase(retried);
    if (this.checkpoint.phase === 'watermark') {
      this.crash('beforeWatermark', this.checkpoint.pageSeq);
      const to = nextWatermark(this.checkpoint.maxModifiedOn, this.runStartedAt);
      if (to) await stores.mappingStore.advanceWatermark(mapping.name, watermarkSide(direction), to);
      this.crash('afterWatermark', this.checkpoint.pageSeq);
      this.checkpoint = { ...this.checkpoint, phase: 'done' };
      await stores.jobLog.commitPage(jobId, {}, this.checkpoint);
    }
    const finished = await stores.jobLog.get(jobId);
    const counters = finished ? countersOf(finished) : zeroCounters();
    const message = summary(counters);
    await stores.jobLog.complete(jobId, message);
    return { jobId, direction, counters, message };
  }

  /** BC fields the entity exposes, learned from one record (a CRM -> BC create must not send others). */
  private async learnBcFields(): Promise<void> {
    for await (const page of this.s.deps.bc.readPages(this.s.mapping.bc.entitySet, { pageSize: 1 })) {
      const first = page.records[0];
      if (first) {
        this.bcSample = first;
        this.bcFieldsKnown = new Set(Object.keys(first));
      }
      break;
    }
  }

  /** Rule 4.2: records whose last result was Failure and that are not skipped come first. */
  private async retryPhase(retried: Set<string>): Promise<void> {
    const ids = [...this.retryDocs.values()].filter((r) => !r.skipped).map((r) => r.sourceId);
    if (ids.length === 0) return;
    const pageSize = this.s.deps.pageSize ?? DEFAULT_PAGE_SIZE;
    const filter =
      this.s.direction === 'toCrm' ? this.s.mapping.tableFilter : this.s.mapping.integrationTableFilter;
    for (let start = 0; start < ids.length; start += pageSize) {
      const chunk = ids.slice(start, start + pageSize);
      const records = await this.fetchByIds(this.source, chunk, filter);
      const found = new Set(records.map((r) => recordId(this.source, r)));
      // Records gone from the source or out of the filter leave the retry queue.
      const gone = chunk.filter((id) => !found.has(id));
      for (const id of found) retried.add(id);
      await (
        await this.processPage(records, true, gone)
      )();
    }
  }

  private async changesPhase(retried: Set<string>): Promise<void> {
    const { mapping, direction, deps } = this.s;
    const filter = direction === 'toCrm' ? mapping.tableFilter : mapping.integrationTableFilter;
    const pages = this.source.client.readPages(this.source.entity, {
      filter: direction === 'fromCrm' ? andFilter(filter, this.notEchoFilter()) : filter,
      modifiedSince: this.checkpoint.readFrom?.toISOString(),
      pageSize: Math.min(deps.pageSize ?? DEFAULT_PAGE_SIZE, this.source.name === 'crm' ? 5000 : 20000),
      nextLink: this.checkpoint.nextLink,
      select: this.readSelect(this.source),
      expand: this.readExpand(this.source),
      signal: deps.signal,
    });
    // The next page is read while this one is processed (reading has no effect, so the checkpoint order
    // is unchanged): the source API's latency is hidden behind the writes.
    const iterator = pages[Symbol.asyncIterator]();
    let maxSeen = this.checkpoint.maxModifiedOn;
    let committing: Promise<void> | undefined;
    try {
      let ahead = iterator.next();
      ahead.catch(() => undefined);
      for (;;) {
        const step = await ahead;
        if (step.done) break;
        const page = step.value;
        ahead = page.nextLink ? iterator.next() : Promise.resolve({ done: true as const, value: undefined });
        ahead.catch(() => undefined);
        for (const r of page.records) maxSeen = laterOf(maxSeen, recordModified(this.source, r));
        const records = page.records.filter((r) => !retried.has(recordId(this.source, r)));
        const persist = await this.processPage(records, false, [], page.nextLink ?? null, maxSeen);
        if (committing) await committing;
        committing = persist();
        committing.catch(() => undefined);
      }
    } catch (err) {
      // Settle the previous page's commit before failing: no write of this attempt may land after the
      // failure is reported (a retry could otherwise count that page twice).
      await committing?.catch(() => undefined);
      throw err;
    }
    if (committing) await committing;
    await iterator.return?.(undefined);
    if (this.checkpoint.phase === 'changes') {
      this.checkpoint = { ...this.checkpoint, phase: 'watermark', nextLink: undefined };
      await this.s.stores.jobLog.commitPage(this.s.jobId, {}, this.checkpoint);
    }
  }

  /**
   * A CRM write returns only the columns the coupling and the next pass need (its version, modified time
   * and the mapped fields), not the whole row: less to send, parse and hold per page.
   */
  private returning(): { returnColumns?: string[] } {
    return this.dest.name === 'crm' ? { returnColumns: crmColumns(this.s.mapping) } : {};
  }

  /**
   * Echo suppression, rule 4.4: rows last modified by the integration user are left out of the CRM -> BC
   * read, so the engine's own writes are not even read back (after an initial sync of 100,000 records,
   * the CRM -> BC pass would otherwise read all of them to find each unchanged).
   */
  private notEchoFilter(): string | undefined {
    const user = this.s.deps.integrationUserId;
    return /^[0-9a-f-]{36}$/i.test(user) ? `_modifiedby_value ne ${user}` : undefined;
  }

  private async fetchByIds(side: Side, ids: string[], filter?: string): Promise<JsonRecord[]> {
    const out: JsonRecord[] = [];
    for (let i = 0; i < ids.length; i += ID_CHUNK) {
      const idFilter = orFilter(side.keyField, ids.slice(i, i + ID_CHUNK), true);
      for await (const page of side.client.readPages(side.entity, {
        filter: andFilter(filter, idFilter),
        select: this.readSelect(side),
        expand: this.readExpand(side),
        signal: this.s.deps.signal,
      })) {
        out.push(...page.records);
      }
    }
    return out;
  }

  /**
   * One page. `nextLink`: the read position after this page (null = last page of the changes phase;
   * undefined = a retry-phase page, which keeps the checkpoint's position).
   */
  private async processPage(
    records: JsonRecord[],
    retryPhase: boolean,
    gone: string[],
    nextLink?: string | null,
    maxModifiedOn?: Date,
  ): Promise<() => Promise<void>> {
    const { direction, mapping, jobId, stores } = this.s;
    const pageSeq = ++this.issuedSeq;
    const countedThrough = this.checkpoint.pageSeq;
    const counters: JobCounters = zeroCounters();
    const couplingWrites: CouplingWrite[] = [];
    const remembered: CouplingDoc[] = [];
    const forgotten: CouplingDoc[] = [];
    const errors: SyncErrorDoc[] = [];
    const retryPut: RetryDoc[] = [];
    const retryRemove = gone
      .filter((id) => this.retryDocs.has(id))
      .map((id) => retryKey(mapping.name, direction, id));
    const now = this.now();
    const dir = direction;
    const sourceIsBc = this.source.name === 'bc';

    const items: Item[] = [];
    const seen = new Set<string>();
    for (const rec of records) {
      const id = recordId(this.source, rec);
      if (!id || seen.has(id)) continue;
      seen.add(id);
      items.push({ rec, id, label: labelOf(rec) });
    }
    const couplings = await this.index.forPage(
      this.source.name,
      items.map((i) => i.id),
    );
    trace(`page ${pageSeq}: ${items.length} records`);

    // ---- outcome helpers -------------------------------------------------------------------------
    const count = (action: RecordAction | 'Skipped') => {
      const key = (
        {
          Inserted: 'inserted',
          Modified: 'modified',
          Unchanged: 'unchanged',
          Failed: 'failed',
          Coupled: 'coupled',
          Skipped: 'skipped',
        } as const
      )[action];
      counters[key]++;
    };
    const dirState = (prev: DirectionState, patch: Partial<DirectionState>): DirectionState => ({
      ...prev,
      ...patch,
      lastJobId: jobId,
      lastPageSeq: pageSeq,
    });
    const succeed = (item: Item, action: RecordAction, destRec: JsonRecord | undefined, destId: string) => {
      const bcId = sourceIsBc ? item.id : destId;
      const crmId = sourceIsBc ? destId : item.id;
      const base: CouplingDoc =
        item.coupling && item.coupling.bcId === bcId
          ? item.coupling
          : newCoupling(mapping.name, bcId, crmId, now);
      const bcRec = sourceIsBc ? item.rec : destRec;
      const crmRec = sourceIsBc ? destRec : item.rec;
      const bcSide = sourceIsBc ? this.source : this.dest;
      const crmSide = sourceIsBc ? this.dest : this.source;
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
      doc[dir] = dirState(doc[dir], { lastResult: 'Success', lastAction: action, lastError: '' });
      if (item.coupling && item.coupling._id !== doc._id) {
        couplingWrites.push({ kind: 'delete', id: item.coupling._id });
        forgotten.push(item.coupling);
      }
      if (base === item.coupling && !item.justCoupled) {
        const { _id, createdAt: _c, ...set } = doc;
        couplingWrites.push({ kind: 'set', id: _id, set, unset: item.coupling?.intent ? ['intent'] : [] });
      } else {
        couplingWrites.push({ kind: 'insert', doc });
      }
      remembered.push(doc);
      count(action);
      if (this.retryDocs.has(item.id)) retryRemove.push(retryKey(mapping.name, direction, item.id));
    };
    const fail = (item: Item, message: string, detail?: string, destId?: string) => {
      const fingerprint = errorFingerprint(message);
      errors.push({
        _id: `${jobId}|${item.id}`,
        jobId,
        mapping: mapping.name,
        direction: jobDirection(direction),
        source: { system: this.source.name, entity: this.source.entity, id: item.id, label: item.label },
        ...(destId || item.coupling
          ? {
              destination: {
                system: this.dest.name,
                entity: this.dest.entity,
                id: destId ?? (sourceIsBc ? item.coupling?.crmId : item.coupling?.bcId),
              },
            }
          : {}),
        message,
        ...(detail ? { detail } : {}),
        at: now,
      });
      // Section 3: the same error twice in a row in this direction makes the record Skipped. A replay of
      // this job's own page is not a second occurrence.
      const c = item.coupling;
      let skipped: boolean;
      if (c && c.state === 'coupled') {
        const prev = c[dir];
        skipped = prev.lastResult === 'Failure' && prev.lastError === fingerprint && prev.lastJobId !== jobId;
        const doc: CouplingDoc = {
          ...c,
          [dir]: dirState(prev, { lastResult: 'Failure', lastAction: 'Failed', lastError: fingerprint }),
          skipped: c.skipped || skipped,
          updatedAt: now,
        };
        if (item.justCoupled) couplingWrites.push({ kind: 'insert', doc });
        else
          couplingWrites.push({
            kind: 'set',
            id: c._id,
            set: { [dir]: doc[dir], skipped: doc.skipped, updatedAt: now },
          });
        remembered.push(doc);
      } else {
        const prev = this.retryDocs.get(item.id);
        skipped = !!prev && prev.lastError === fingerprint && prev.lastJobId !== jobId;
      }
      const prevRetry = this.retryDocs.get(item.id);
      const retryDoc: RetryDoc = {
        _id: retryKey(mapping.name, direction, item.id),
        mapping: mapping.name,
        direction,
        sourceId: item.id,
        skipped: (prevRetry?.skipped ?? false) || skipped,
        failures: (prevRetry?.lastJobId === jobId ? prevRetry.failures : (prevRetry?.failures ?? 0) + 1) || 1,
        lastError: fingerprint,
        lastJobId: jobId,
        at: now,
      };
      retryPut.push(retryDoc);
      this.retryDocs.set(item.id, retryDoc);
      count('Failed');
    };

    // ---- classify (rules 4.3, 4.4, 4.6) -----------------------------------------------------------
    const updates: Item[] = [];
    const inserts: Item[] = [];
    const pendings: Item[] = [];
    for (const item of items) {
      const c = couplings.get(item.id);
      if (c) item.coupling = c;
      const st = c?.[dir];
      // Replay after a crash: this job already handled the record on an uncommitted page - count it from
      // what the coupling recorded, without writing again; on a committed page it was counted already.
      if (st?.lastJobId === jobId && st.lastPageSeq !== undefined && c?.state === 'coupled') {
        if (st.lastPageSeq > countedThrough && st.lastAction) count(st.lastAction);
        if (st.lastResult === 'Success' && this.retryDocs.has(item.id))
          retryRemove.push(retryKey(mapping.name, direction, item.id));
        continue;
      }
      const retryDoc = this.retryDocs.get(item.id);
      if (c?.skipped || (!c && retryDoc?.skipped)) {
        count('Skipped'); // rule 4.6: skipped coupling -> Skip
        continue;
      }
      if (c?.state === 'pending') {
        pendings.push(item);
        continue;
      }
      if (!c) {
        // Rule 4.3: uncoupled records are ignored (not counted) when Only Coupled is set; a record that
        // failed before it could be coupled is retried though (retry phase).
        if (this.s.syncOnlyCoupled && !retryPhase) continue;
        inserts.push(item);
        continue;
      }
      const changed = retryPhase || changedSinceSync(this.source, item.rec, c, this.s.deps.integrationUserId);
      // Not changed since the last sync: an overlap re-read or the engine's own write (echo, rule 4.4).
      if (!changed) continue;
      updates.push(item);
    }

    // ---- pending create intents: find out whether the earlier create happened ----------------------
    if (pendings.length > 0) await this.resolvePendings(pendings, inserts, updates, succeed);

    // ---- match-based coupling before inserting (section 7; rule 4.6 "no coupling -> optional match") --
    if (inserts.length > 0) await this.matchBeforeInsert(inserts, updates, fail, counters);

    // ---- lookups of the page, then destination rows of the updates --------------------------------
    const lookupItems = [...inserts, ...updates];
    try {
      await this.lookups.prefetch(
        lookupItems.map((i) => i.rec),
        this.fields,
        (f) => sourceKey(f, direction),
      );
    } catch (err) {
      // A lookup query failing (API down) fails the run, not the records: retried by the activity.
      throw err;
    }
    trace(`page ${pageSeq}: lookups done, ${updates.length} updates, ${inserts.length} inserts`);
    const needDest = updates
      .filter((i) => !i.dest)
      .map((i) => (sourceIsBc ? i.coupling!.crmId! : i.coupling!.bcId));
    const destRows = new Map<string, JsonRecord>();
    if (needDest.length > 0) {
      for (const r of await this.fetchByIds(this.dest, needDest)) destRows.set(recordId(this.dest, r), r);
    }
    if (!sourceIsBc && !this.bcFieldsKnown) {
      const sample = destRows.values().next().value;
      if (sample) {
        this.bcSample = sample;
        this.bcFieldsKnown = new Set(Object.keys(sample));
      }
    }

    const payloadFor = (item: Item): FieldValue[] =>
      buildPayload(item.rec, this.fields, {
        direction,
        resolveLookup: (f, v) => this.lookups.resolve(f, v),
        ...(this.bcFieldsKnown ? { bcFieldsKnown: this.bcFieldsKnown } : {}),
        ...(this.bcSample ? { destinationSample: this.bcSample } : {}),
        ...(this.logger ? { logger: this.logger } : {}),
        warned: this.warned,
        recordLabel: `${this.source.entity} ${item.label || item.id}`,
      });

    // ---- updates: deletion conflicts, update conflicts, Unchanged, Modified -----------------------
    const ops: Item[] = [];
    for (const item of updates) {
      const c = item.coupling!;
      const destId = sourceIsBc ? c.crmId! : c.bcId;
      const destRec = item.dest ?? destRows.get(destId);
      if (!destRec) {
        // Rule 4.7, deletion conflict: the coupled destination record is gone.
        switch (mapping.deletionConflictResolution) {
          case 'None':
            fail(
              item,
              `The ${this.source.entity} record is coupled to a deleted ${this.dest.entity} record ${destId}. Restore it, remove the coupling, or set the mapping's Deletion-Conflict Resolution.`,
              undefined,
              destId,
            );
            continue;
          case 'Remove Coupling':
            couplingWrites.push({ kind: 'delete', id: c._id });
            forgotten.push(c);
            counters.uncoupled++;
            continue;
          case 'Restore Records':
            item.coupling = { ...c };
            inserts.push({ ...item, destId });
            continue;
        }
      }
      item.dest = destRec;
      let payload: FieldValue[];
      try {
        payload = payloadFor(item);
      } catch (err) {
        if (err instanceof FieldMappingError) {
          fail(item, err.message, undefined, destId);
          continue;
        }
        throw err;
      }
      const differing = changedFields(payload, destRec!);
      const decision = item.justCoupled
        ? ({ kind: 'none' } as const)
        : decideConflict({
            direction,
            bidirectionalMapping: mapping.direction === 'Bidirectional',
            destinationChanged: changedSinceSync(this.dest, destRec!, c, this.s.deps.integrationUserId),
            differing,
            resolution: mapping.updateConflictResolution,
          });
      if (decision.kind === 'fail') {
        fail(item, decision.message, undefined, destId);
        continue;
      }
      if (decision.kind === 'leaveToOtherPass') {
        count('Skipped');
        continue;
      }
      if (differing.length === 0) {
        // Rule 4.6: nothing changed after transfer -> Unchanged (no write).
        succeed(item, 'Unchanged', destRec, destId);
        continue;
      }
      item.destId = destId;
      item.payload = payload;
      item.action = 'Modified';
      item.op = {
        kind: 'update',
        entity: this.dest.entity,
        id: destId,
        body: bodyOf(differing),
        ...(typeof destRec!['@odata.etag'] === 'string' ? { etag: destRec!['@odata.etag'] } : {}),
        ...this.returning(),
      };
      ops.push(item);
    }

    // ---- inserts from the template, with client-chosen ids (exactly once) -------------------------
    const intents: CouplingWrite[] = [];
    for (const item of inserts) {
      if (item.op) continue;
      let payload: FieldValue[];
      try {
        payload = payloadFor(item);
      } catch (err) {
        if (err instanceof FieldMappingError) {
          fail(item, err.message);
          continue;
        }
        throw err;
      }
      const destId = item.destId ?? destinationId(mapping.name, direction, item.id);
      item.destId = destId;
      item.payload = payload;
      item.action = 'Inserted';
      if (sourceIsBc) {
        const body = { ...mapping.crmTemplate, ...bodyOf(payload) };
        item.op = { kind: 'create', entity: this.dest.entity, id: destId, body, ...this.returning() };
      } else {
        let body: JsonRecord = { ...mapping.bcTemplate, ...bodyOf(payload) };
        if (this.bcFieldsKnown)
          body = Object.fromEntries(Object.entries(body).filter(([k]) => this.bcFieldsKnown!.has(k)));
        body = bcCreateDefaults(mapping, body, item.id);
        item.op = { kind: 'create', entity: this.dest.entity, body: { ...body, id: destId } };
        if (!item.coupling || item.coupling.state !== 'pending') {
          const intent = bcCreateIntent(mapping, destId, item.id, body, now);
          intents.push({ kind: 'insert', doc: intent });
          item.coupling = intent;
        }
      }
      ops.push(item);
    }
    if (intents.length > 0) {
      // The intent is durable before the create is sent (BC cannot be asked "did my create happen?").
      const { duplicates } = await stores.couplings.applyPage(intents);
      for (const w of intents)
        if (w.kind === 'insert' && !duplicates.has(w.doc._id)) this.index.remember(w.doc);
      this.crash('afterIntent', pageSeq, ops.length);
    }

    // ---- write the page in batches ----------------------------------------------------------------
    trace(`page ${pageSeq}: writing ${ops.length}`);
    this.crash('beforeWrite', pageSeq, ops.length);
    const results: WriteResult[] = ops.length
      ? await this.dest.client.writeBatch(
          ops.map((i) => i.op!),
          { signal: this.s.deps.signal },
        )
      : [];
    this.crash('afterWrite', pageSeq, ops.length);
    const lineWork: Array<{ item: Item; destId: string; record?: JsonRecord }> = [];
    ops.forEach((item, n) => {
      const result = results[n]!;
      if (result.ok) {
        const destId = (result.id || item.destId!).toLowerCase();
        if (mapping.bc.lines && mapping.crm.lines && sourceIsBc)
          lineWork.push({ item, destId, record: result.record });
        else succeed(item, item.action!, result.record, destId);
        return;
      }
      const e = result.error;
      if (
        item.action === 'Inserted' &&
        !sourceIsBc &&
        !e.outcomeUnknown &&
        item.coupling?.state === 'pending'
      ) {
        // The create was refused: the intent is void.
        couplingWrites.push({ kind: 'delete', id: item.coupling._id });
        forgotten.push(item.coupling);
        item.coupling = undefined;
      }
      fail(
        item,
        e.message,
        `${e.system} ${e.method} ${e.url} -> ${e.status} ${e.code}${e.outcomeUnknown ? ' (outcome unknown: looked up before any new attempt)' : ''}`,
        item.destId,
      );
    });
    if (lineWork.length > 0) await this.writeLines(lineWork, succeed, fail);

    // ---- persist the page: errors, couplings, retry queue, then counters + checkpoint -------------
    // Returned to the caller, which runs it after the previous page's commit and while the next page's
    // API work goes on: commits stay in page order, and a crash still replays from the last commit.
    return async () => {
      await stores.errors.addOnce(errors);
      const { duplicates } = await stores.couplings.applyPage(couplingWrites);
      for (const doc of forgotten) this.index.forget(doc);
      for (const doc of remembered) if (!duplicates.has(doc._id)) this.index.remember(doc);
      if (duplicates.size > 0) {
        // One-to-one (section 3): another coupling holds one side already.
        const dupErrors: SyncErrorDoc[] = [];
        for (const doc of remembered.filter((d) => duplicates.has(d._id))) {
          counters.failed++;
          const key = sourceIsBc ? doc.bcId : doc.crmId!;
          if (doc[dir].lastAction && doc[dir].lastAction !== 'Failed') {
            const k = (
              {
                Inserted: 'inserted',
                Modified: 'modified',
                Unchanged: 'unchanged',
                Coupled: 'coupled',
              } as const
            )[doc[dir].lastAction as Exclude<RecordAction, 'Failed'>];
            if (k) counters[k]--;
          }
          dupErrors.push({
            _id: `${jobId}|${key}`,
            jobId,
            mapping: mapping.name,
            direction: jobDirection(direction),
            source: { system: this.source.name, entity: this.source.entity, id: key },
            message: `Cannot couple ${mapping.name} BC record ${doc.bcId} and CRM record ${doc.crmId}: one of them is already coupled to another record. Uncouple it first.`,
            at: now,
          });
        }
        await stores.errors.addOnce(dupErrors);
      }
      this.crash('afterCoupling', pageSeq, ops.length);
      await stores.retries.applyPage(retryPut, [...new Set(retryRemove)]);
      for (const id of retryRemove) this.retryDocs.delete(id.slice(id.lastIndexOf('|') + 1));
      this.checkpoint = {
        ...this.checkpoint,
        pageSeq,
        ...(maxModifiedOn ? { maxModifiedOn } : {}),
        ...(nextLink === undefined
          ? {}
          : nextLink === null
            ? { nextLink: undefined, phase: 'watermark' as const }
            : { nextLink }),
      };
      await stores.jobLog.commitPage(jobId, counters, this.checkpoint);
      this.crash('afterPageCommit', pageSeq, ops.length);
      this.progress(counters);
    };
  }

  /** Pages handed out so far (a page's sequence number is fixed before the previous one commits). */
  private issuedSeq = 0;

  private totals = zeroCounters();
  private progress(page: JobCounters): void {
    for (const k of Object.keys(page) as (keyof JobCounters)[]) this.totals[k] += page[k];
    this.s.deps.heartbeat?.({
      mapping: this.s.mapping.name,
      direction: this.s.direction,
      jobId: this.s.jobId,
      pageSeq: this.checkpoint.pageSeq,
      ...(this.checkpoint.nextLink ? { nextLink: this.checkpoint.nextLink } : {}),
      counters: this.totals,
    });
  }

  /** Pending BC create intents (fromCrm) or records created by one found from the BC side (toCrm). */
  private async resolvePendings(
    pendings: Item[],
    inserts: Item[],
    updates: Item[],
    succeed: (item: Item, action: RecordAction, destRec: JsonRecord | undefined, destId: string) => void,
  ): Promise<void> {
    if (this.source.name === 'bc') {
      // The BC record exists (it was just read): the intent is fulfilled; compare it like any coupled one.
      for (const item of pendings) {
        item.coupling = { ...item.coupling!, state: 'coupled' };
        updates.push(item);
      }
      return;
    }
    const bcIds = pendings.map((i) => i.coupling!.bcId);
    const existing = new Map<string, JsonRecord>();
    for (const r of await this.fetchByIds(this.dest, bcIds)) existing.set(recordId(this.dest, r), r);
    for (const item of pendings) {
      const c = item.coupling!;
      let found = existing.get(c.bcId);
      if (!found && c.intent?.naturalKey) {
        const [field, value] = Object.entries(c.intent.naturalKey)[0]!;
        for await (const page of this.dest.client.readPages(this.dest.entity, {
          filter: `${field} eq '${value.replace(/'/g, "''")}'`,
        })) {
          found = page.records[0];
          break;
        }
      }
      if (found) succeed(item, 'Inserted', found, recordId(this.dest, found));
      else {
        item.destId = c.bcId;
        inserts.push(item);
      }
    }
  }

  /** Match-based coupling (section 7) for records about to be inserted, on the mapping's match fields. */
  private async matchBeforeInsert(
    inserts: Item[],
    updates: Item[],
    fail: (item: Item, message: string) => void,
    counters: JobCounters,
  ): Promise<void> {
    const matchFields = this.s.mapping.fieldMappings
      .filter((f) => f.useForMatchBasedCoupling && f.bcField && f.crmField && f.status === 'Enabled')
      .sort((a, b) => a.matchPriority - b.matchPriority);
    if (matchFields.length === 0) return;
    const f = matchFields[0]!;
    // The source side holds the value, the destination is searched (SALESPEOPLE matches CRM -> BC).
    const toBc = this.dest.client.system === 'bc';
    const sourceField = toBc ? f.crmField! : f.bcField!;
    const destField = toBc ? f.bcField! : f.crmField!;
    const values = new Map<Item, string>();
    for (const item of inserts) {
      const v = transform(item.rec[sourceField], f);
      if (typeof v === 'string' && v !== '') values.set(item, v);
    }
    const rows = new Map<string, JsonRecord[]>();
    const norm = (v: string) => (f.caseSensitiveMatching ? v : v.toUpperCase());
    const distinct = [...new Set(values.values())];
    for (let i = 0; i < distinct.length; i += ID_CHUNK) {
      const filter = orFilter(destField, distinct.slice(i, i + ID_CHUNK));
      for await (const page of this.dest.client.readPages(this.dest.entity, {
        filter,
        select: this.readSelect(this.dest),
      })) {
        for (const r of page.records) {
          const key = norm(String(r[destField] ?? ''));
          rows.set(key, [...(rows.get(key) ?? []), r]);
        }
      }
    }
    const candidateIds = [...rows.values()].flat().map((r) => recordId(this.dest, r));
    const coupledAlready = await this.index.forPage(toBc ? 'bc' : 'crm', candidateIds);
    const now = this.now();
    const remaining: Item[] = [];
    for (const item of inserts) {
      const v = values.get(item);
      const matches =
        v === undefined
          ? []
          : (rows.get(norm(v)) ?? []).filter((r) => !coupledAlready.has(recordId(this.dest, r)));
      if (matches.length === 1) {
        const dest = matches[0]!;
        const destId = recordId(this.dest, dest);
        // Written with the record's outcome (succeed / fail), as one insert.
        const doc = toBc
          ? newCoupling(this.s.mapping.name, destId, item.id, now)
          : newCoupling(this.s.mapping.name, item.id, destId, now);
        coupledAlready.set(destId, doc);
        counters.coupled++;
        item.coupling = doc;
        item.justCoupled = true;
        item.dest = dest;
        updates.push(item);
      } else if (matches.length > 1) {
        fail(
          item,
          `Match-based coupling found ${matches.length} uncoupled ${this.dest.entity} rows with ${destField} = '${v}'; couple the right one by hand`,
        );
      } else remaining.push(item);
    }
    inserts.splice(0, inserts.length, ...remaining);
  }

  /** Posted invoice lines (POSTEDSALESINV-INV): written after their header, no job of their own. */
  private async writeLines(
    work: Array<{ item: Item; destId: string; record?: JsonRecord }>,
    succeed: (item: Item, action: RecordAction, destRec: JsonRecord | undefined, destId: string) => void,
    fail: (item: Item, message: string, detail?: string, destId?: string) => void,
  ): Promise<void> {
    const lineOps: WriteOperation[] = [];
    const owner: number[] = [];
    work.forEach((w, n) => {
      for (const op of invoiceLineOperations(this.s.mapping, w.item.rec, w.destId)) {
        lineOps.push(op);
        owner.push(n);
      }
    });
    const results = lineOps.length
      ? await (this.dest.client as TableClient).writeBatch(lineOps, { signal: this.s.deps.signal })
      : [];
    const failedLine = new Map<number, string>();
    results.forEach((r, i) => {
      if (!r.ok && !failedLine.has(owner[i]!)) failedLine.set(owner[i]!, r.error.message);
    });
    work.forEach((w, n) => {
      const lineError = failedLine.get(n);
      if (lineError) fail(w.item, `An invoice line could not be written: ${lineError}`, undefined, w.destId);
      else succeed(w.item, w.item.action!, w.record, w.destId);
    });
  }
}

function countersOf(doc: JobCounters): JobCounters {
  const c = zeroCounters();
  for (const k of Object.keys(c) as (keyof JobCounters)[]) c[k] = doc[k] ?? 0;
  return c;
}

function summary(c: JobCounters): string {
  return `Inserted ${c.inserted}, Modified ${c.modified}, Unchanged ${c.unchanged}, Skipped ${c.skipped}, Failed ${c.failed}, Coupled ${c.coupled}${c.uncoupled ? `, Uncoupled ${c.uncoupled}` : ''}`;
}
