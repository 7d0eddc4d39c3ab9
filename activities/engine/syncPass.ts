// One synchronization pass of one mapping in one direction (bc-integration-behaviour.md section 4): select
// the records (failures first, rule 4.2; then the changes since the watermark), decide per record (rule
// 4.6), write in batches, keep the couplings (section 3), the job log and the error log (section 5).
// Page by page: one coupling query, one batch of API writes, one coupling bulk write and one job log
// update per page, so memory stays bounded and a crash anywhere loses at most the page in flight - which
// the retry re-reads and recognises (exactly-once: the replay rule in classify.ts). The per-record rules
// live in classify.ts (4.3, 4.4, 4.6), planWrites.ts (4.6, 4.7) and pageOutcome.ts (section 3, Skipped).
import { recordsMatching } from '../connectors/recordsMatching';
import { withIds } from '../logger';
import type { JsonRecord, TableClient, WriteOperation, WriteResult } from '../connectors/types';
import type { FieldMapping } from '../mappings/integrationTableMapping';
import type { CouplingWrite } from '../store/couplings';
import { newCoupling } from '../store/couplings';
import { zeroCounters, type JobCounters, type PassCheckpoint } from '../store/jobLog';
import type { RetryDoc } from '../store/retryQueue';
import { classify, pageItems } from './classify';
import { bcTakesClientId, mayFulfil, SENT_NAME_CLOCK_MARGIN_MS } from './createIntent';
import { CouplingIndex } from './couplingIndex';
import {
  activeFields,
  bcColumns,
  buildPayload,
  crmColumns,
  sourceKey,
  type FieldValue,
} from './fieldMapping';
import { withExchangeRates } from './exchangeRates';
import { invoiceLineOperations, lineProducts } from './invoiceLines';
import { LookupResolver } from './lookups';
import { destinationId } from './deterministicId';
import { MatchIndex, matchSetsOf } from './matchCoupling';
import { matchReviewKey, type MatchReviewDoc } from '../store/matchReviews';
import { andFilter, orFilters } from './odataFilters';
import { modifiedSinceFilter } from '../connectors/odataQuery';
import type { Item, PassSetup } from './pageItem';
import { PageLineage } from './pageLineage';
import { countersOf, jobDirection, PageOutcome, recordIds, summary } from './pageOutcome';
import { planInsert, planUpdate, type PlanContext } from './planWrites';
import { laterOf, recordId, recordModified, type Side } from './recordVersion';
import { DEFAULT_PAGE_SIZE, type CrashPoint, type EngineLogger, type PassResult } from './types';
import { nextWatermark, readWindowStart, watermarkSide, DEFAULT_OVERLAP_MS } from './watermarks';

export type { PassSetup, PassStores } from './pageItem';

const sourceIsBcOf = (side: Side): boolean => side.name === 'bc';

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
      client: mapping.bc.exchangeRates ? withExchangeRates(deps.bc, deps.now ?? (() => new Date())) : deps.bc,
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
    this.logger = withIds(deps.logger, { mapping: mapping.name, direction: s.direction, jobId: s.jobId });
    this.now = deps.now ?? (() => new Date());
    this.lookups = new LookupResolver({
      bc: deps.bc,
      crm: deps.crm,
      couplings: s.stores.couplings,
      mappings: s.allMappings,
      direction: s.direction,
      reviews: s.stores.reviews,
    });
  }

  /** Engine progress at debug level, with the ids an operator needs (BCSYNC_LOG_LEVEL=debug). */
  private debug(fields: object, msg: string): void {
    this.logger?.debug?.(fields, msg);
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
        // The Temporal run that does it: lineage links each record's history to it.
        ...(this.s.deps.temporalRun ?? {}),
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
    this.index =
      this.s.index ??
      (await CouplingIndex.open(
        stores.couplings,
        mapping.name,
        this.s.deps.couplingLookup ?? 'perPage',
        this.s.deps.snapshotLimit ?? 500_000,
      ));
    this.debug({ couplingLookup: this.index.mode }, 'coupling index open');
    if (this.index.mode === 'snapshot') {
      this.lookups = new LookupResolver({
        bc: this.s.deps.bc,
        crm: this.s.deps.crm,
        couplings: stores.couplings,
        mappings: this.s.allMappings,
        direction,
        wholeTables: true,
        reviews: stores.reviews,
      });
    }
    for (const r of await stores.retries.load(mapping.name, direction)) this.retryDocs.set(r.sourceId, r);
    await this.learnBcFields();

    const retried = new Set<string>();
    if (this.checkpoint.phase === 'retry') {
      await this.retryPhase(retried);
      this.checkpoint = { ...this.checkpoint, phase: 'changes', nextLink: undefined };
    }
    if (this.checkpoint.phase === 'changes') await this.changesPhase(retried);
    if (this.checkpoint.phase === 'watermark') {
      this.crash('beforeWatermark', this.checkpoint.pageSeq);
      // The server's clock caps it; the worker's only when the API sent no Date header.
      const to = nextWatermark(
        this.checkpoint.maxModifiedOn,
        this.checkpoint.readStartedAt ?? this.runStartedAt,
      );
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
    const bc = this.source.name === 'bc' ? this.source : this.dest;
    for await (const page of bc.client.readPages(this.s.mapping.bc.entitySet, { pageSize: 1 })) {
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
    const ids = [
      ...new Set([
        ...[...this.retryDocs.values()].filter((r) => !r.skipped).map((r) => r.sourceId),
        // Records other mappings wait for (dependency first) are taken like retries: Only Coupled aside.
        ...(this.s.needed ?? []),
      ]),
    ];
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
      filter,
      changes: true,
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
        if (!this.checkpoint.readStartedAt && page.servedAt)
          this.checkpoint = { ...this.checkpoint, readStartedAt: page.servedAt };
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

  private async fetchByIds(side: Side, ids: string[], filter?: string): Promise<JsonRecord[]> {
    return recordsMatching(
      side.client,
      side.entity,
      orFilters(side.keyField, ids, { guids: true }).map((chunk) => andFilter(filter, chunk.filter)!),
      { select: this.readSelect(side), expand: this.readExpand(side), signal: this.s.deps.signal },
    );
  }

  /**
   * One page: classify -> pending creates -> match -> lookups and destination rows -> write plan -> one
   * batch of writes -> the page's outcome. `nextLink`: the read position after this page (null = last page
   * of the changes phase; undefined = a retry-phase page, which keeps the checkpoint's position). Returns
   * the commit, which the caller runs in page order.
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
    const now = this.now();
    const sourceIsBc = this.source.name === 'bc';
    const outcome = new PageOutcome({
      mapping: mapping.name,
      direction,
      jobId,
      pageSeq,
      now,
      source: this.source,
      dest: this.dest,
      retryDocs: this.retryDocs,
      ...(stores.lineage
        ? { lineage: new PageLineage({ mapping: mapping.name, direction, jobId, now }) }
        : {}),
      ...(this.s.deps.onOutcome ? { observe: this.s.deps.onOutcome } : {}),
      ...(this.logger ? { logger: this.logger } : {}),
    });
    for (const id of gone) outcome.gone(id);

    const items = pageItems(this.source, records);
    const couplings = await this.index.forPage(
      this.source.name,
      items.map((i) => i.id),
    );
    this.debug({ pageSeq, records: items.length }, 'page read');

    const page = classify(items, couplings, this.retryDocs, {
      direction,
      jobId,
      countedThrough: this.checkpoint.pageSeq,
      retryPhase,
      syncOnlyCoupled: this.s.syncOnlyCoupled,
      source: this.source,
      integrationUserId: this.s.deps.integrationUserId,
    });
    for (const r of page.replayed) {
      if (r.countAs) outcome.count(r.countAs);
      if (r.succeeded) outcome.leaveRetryQueue(r.item.id);
      outcome.replayed(r.item, r.countAs);
    }
    for (const item of page.skipped) outcome.skip(item, 'skipped');
    for (const { item, rule } of page.ignored) outcome.ignore(item, rule);
    const { updates, inserts, pendings } = page;

    // Only a mapping that creates records in BC has intents to claim.
    if (
      sourceIsBc &&
      inserts.length > 0 &&
      mapping.direction !== 'ToIntegrationTable' &&
      !bcTakesClientId(mapping)
    )
      await this.claimForPendingCreates(inserts, pendings, outcome);
    if (pendings.length > 0) await this.resolvePendings(pendings, inserts, updates, outcome);
    // Section 7; rule 4.6 "no coupling -> optional match".
    const coupleOnly: Item[] = [];
    if (inserts.length > 0) await this.matchBeforeInsert(inserts, updates, coupleOnly, outcome);

    // ---- lookups of the page, then destination rows of the updates --------------------------------
    // A look-up query the API refuses fails only the records that need it (lookups.ts); an outage fails
    // the attempt, which the activity retries.
    await this.lookups.prefetch(
      [...inserts, ...updates].map((i) => i.rec),
      this.fields,
      (f) => sourceKey(f, direction),
    );
    this.debug({ pageSeq, updates: updates.length, inserts: inserts.length }, 'page classified');
    const needDest = [...updates, ...coupleOnly]
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

    // Synch. After Bulk Coupling off: the pair is coupled as it is, both versions recorded, nothing written.
    for (const item of coupleOnly) {
      const destId = sourceIsBc ? item.coupling!.crmId! : item.coupling!.bcId;
      outcome.succeed(item, 'Coupled', destRows.get(destId), destId);
    }

    // ---- the write plan ---------------------------------------------------------------------------
    const plan: PlanContext = {
      mapping,
      direction,
      source: this.source,
      dest: this.dest,
      integrationUserId: this.s.deps.integrationUserId,
      payloadFor: (item) => this.payloadFor(item),
      returning: this.returning(),
    };
    const ops: Item[] = [];
    for (const item of updates) {
      const c = item.coupling!;
      const p = planUpdate(item, item.dest ?? destRows.get(sourceIsBc ? c.crmId! : c.bcId), plan);
      switch (p.kind) {
        case 'fail':
          outcome.fail(item, p.message, undefined, p.destId, p.code);
          break;
        case 'uncouple':
          outcome.uncouple(c, true, item);
          break;
        case 'restore':
          inserts.push({ ...item, coupling: { ...c }, destId: p.destId });
          break;
        case 'leaveToOtherPass':
          outcome.skip(item, 'leftToOtherPass');
          break;
        case 'unchanged':
          outcome.succeed(item, 'Unchanged', p.destRec, p.destId);
          break;
        case 'modify':
          ops.push({
            ...item,
            dest: p.destRec,
            destId: p.destId,
            payload: p.payload,
            action: 'Modified',
            op: p.op,
          });
          break;
      }
    }
    const intents: CouplingWrite[] = [];
    for (const item of inserts) {
      if (item.op) continue;
      const p = planInsert(item, {
        ...plan,
        now,
        ...(this.bcFieldsKnown ? { bcFieldsKnown: this.bcFieldsKnown } : {}),
      });
      if (p.kind === 'fail') {
        outcome.fail(item, p.message, undefined, undefined, p.code);
        continue;
      }
      const planned: Item = { ...item, destId: p.destId, payload: p.payload, action: 'Inserted', op: p.op };
      if (p.intent) {
        intents.push({ kind: 'insert', doc: p.intent });
        planned.coupling = p.intent;
      }
      ops.push(planned);
    }
    if (intents.length > 0) {
      // The intent is durable before the create is sent (BC cannot be asked "did my create happen?").
      const { duplicates } = await stores.couplings.applyPage(intents);
      for (const w of intents)
        if (w.kind === 'insert' && !duplicates.has(w.doc._id)) this.index.remember(w.doc);
      this.crash('afterIntent', pageSeq, ops.length);
    }

    // ---- write the page in batches ----------------------------------------------------------------
    this.debug({ pageSeq, writes: ops.length }, 'page writing');
    this.crash('beforeWrite', pageSeq, ops.length);
    const results: WriteResult[] = ops.length
      ? await this.dest.client.writeBatch(
          ops.map((i) => i.op!),
          { signal: this.s.deps.signal },
        )
      : [];
    await this.applyAfterCreate(ops, results);
    this.crash('afterWrite', pageSeq, ops.length);
    const lineWork: Array<{ item: Item; destId: string; record?: JsonRecord }> = [];
    ops.forEach((item, n) => {
      const result = results[n]!;
      if (result.ok) {
        const destId = (result.id || item.destId!).toLowerCase();
        if (mapping.bc.lines && mapping.crm.lines && sourceIsBc)
          lineWork.push({ item, destId, record: result.record });
        else outcome.succeed(item, item.action!, result.record, destId, `${item.op!.kind} ${result.status}`);
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
        outcome.uncouple(item.coupling, false);
        item.coupling = undefined;
      }
      outcome.fail(
        item,
        e.message,
        `${e.system} ${e.method} ${e.url} -> ${e.status} ${e.code}${e.outcomeUnknown ? ' (outcome unknown: looked up before any new attempt)' : ''}`,
        item.destId,
        'destinationRefused',
      );
    });
    if (lineWork.length > 0) await this.writeLines(lineWork, outcome);

    // ---- the page's commit: errors, couplings, retry queue, then counters + checkpoint ------------
    // Returned to the caller, which runs it after the previous page's commit and while the next page's
    // API work goes on: commits stay in page order, and a crash still replays from the last commit.
    return async () => {
      await outcome.commit(stores, {
        remember: (doc) => this.index.remember(doc),
        forget: (doc) => this.index.forget(doc),
        afterCouplings: () => this.crash('afterCoupling', pageSeq, ops.length),
      });
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
      await stores.jobLog.commitPage(jobId, outcome.counters, this.checkpoint);
      this.crash('afterPageCommit', pageSeq, ops.length);
      this.progress(outcome.counters);
    };
  }

  /**
   * Values a new CRM row gets by an update right after its create (`crm.afterCreate`): a Dataverse product is
   * created in Draft and published by setting its state to Active (docs/strict-apis.md). A failed update
   * fails the record with the reason in the error log; the created row stays (Draft) and is coupled when the
   * record is retried, so a product left in Draft this way is published by hand in Dynamics 365 Sales.
   */
  private async applyAfterCreate(ops: Item[], results: WriteResult[]): Promise<void> {
    const extra = this.s.mapping.crm.afterCreate;
    if (!extra || this.dest.client.system !== 'dataverse') return;
    const created: number[] = [];
    ops.forEach((item, n) => {
      if (item.action === 'Inserted' && results[n]!.ok) created.push(n);
    });
    if (created.length === 0) return;
    const updates = await this.dest.client.writeBatch(
      created.map((n) => {
        const r = results[n] as Extract<WriteResult, { ok: true }>;
        return {
          kind: 'update' as const,
          entity: this.dest.entity,
          id: (r.id || ops[n]!.destId!).toLowerCase(),
          body: extra,
          etag: '*',
          ...this.returning(),
        };
      }),
      { signal: this.s.deps.signal },
    );
    created.forEach((n, k) => {
      const update = updates[k]!;
      const before = results[n] as Extract<WriteResult, { ok: true }>;
      results[n] = update.ok
        ? { ...update, id: before.id }
        : {
            ok: false,
            error: {
              ...update.error,
              message: `Created, but ${JSON.stringify(extra)} right after the create failed: ${update.error.message}`,
            },
          };
    });
  }

  private payloadFor(item: Item): FieldValue[] {
    const logger = withIds(this.logger, recordIds(this.source, item));
    return buildPayload(item.rec, this.fields, {
      direction: this.s.direction,
      resolveLookup: (f, v) => this.lookups.resolve(f, v),
      ...(this.bcFieldsKnown ? { bcFieldsKnown: this.bcFieldsKnown } : {}),
      ...(this.bcSample ? { destinationSample: this.bcSample } : {}),
      ...(logger ? { logger } : {}),
      warned: this.warned,
      recordLabel: `${this.source.entity} ${item.label || item.id}`,
    });
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
    outcome: PageOutcome,
  ): Promise<void> {
    if (this.source.name === 'bc') {
      // The BC record exists (it was just read): the intent is fulfilled; compare it like any coupled one.
      for (const item of pendings) {
        item.coupling = { ...item.coupling!, state: 'coupled' };
        updates.push(item);
      }
      return;
    }
    // By the intended id first, then - for the intents not found, where BC may have ignored the id - by
    // natural key: one query per page of ids and one per page of keys, not one request per record.
    const byId = new Map<string, JsonRecord>();
    for (const r of await this.fetchByIds(
      this.dest,
      pendings.map((i) => i.coupling!.bcId),
    ))
      byId.set(recordId(this.dest, r), r);
    const byKey = await this.findByNaturalKeys(pendings.filter((i) => !byId.has(i.coupling!.bcId)));
    const byName = await this.findBySentNames(
      pendings.filter((i) => !byId.has(i.coupling!.bcId) && !byKey.has(i.coupling!.bcId)),
    );
    for (const item of pendings) {
      const c = item.coupling!;
      const found = byId.get(c.bcId) ?? byKey.get(c.bcId);
      const named = byName.get(c.bcId);
      if (found) outcome.succeed(item, 'Inserted', found, recordId(this.dest, found));
      else if (named?.candidates.length === 1 && !named.shared) {
        const [record] = named.candidates as [JsonRecord];
        outcome.succeed(item, 'Inserted', record, recordId(this.dest, record));
      } else if (named && named.candidates.length > 0) {
        // Never a second record, and never a guess: the admin couples the right one (docs/exactly-once-creates.md).
        const ids = named.candidates.map((r) => recordId(this.dest, r)).join(', ');
        outcome.fail(
          item,
          `A create of this record may have reached BC before a crash; uncoupled BC ${this.dest.entity} named '${named.name}' changed since then: ${ids}${named.shared ? ' (and another pending create has the same name)' : ''}. Couple the right one by hand (bcsync couple): bcsync creates none.`,
          undefined,
          undefined,
          'matchAmbiguous',
        );
      } else {
        item.destId = c.bcId;
        inserts.push(item);
      }
    }
  }

  /**
   * Where BC took neither bcsync's id nor a natural key (a customer through API v2.0): the records a pending
   * intent may have created - uncoupled BC records with the name the create sent, changed since the intent
   * (less a clock margin) - keyed by the intent's BC id; `shared` when another intent has the same name.
   * One query per page of names.
   */
  private async findBySentNames(
    pendings: Item[],
  ): Promise<Map<string, { name: string; candidates: JsonRecord[]; shared: boolean }>> {
    const wanted = new Map<string, Map<string, string[]>>(); // field -> name -> intended BC ids
    let since = Infinity;
    for (const item of pendings) {
      const intent = item.coupling!.intent;
      const [field, name] = intent?.sentName ? (Object.entries(intent.sentName)[0] ?? []) : [];
      if (!field || !name) continue;
      const names = wanted.get(field) ?? new Map<string, string[]>();
      names.set(name, [...(names.get(name) ?? []), item.coupling!.bcId]);
      wanted.set(field, names);
      since = Math.min(since, intent!.at.getTime() - SENT_NAME_CLOCK_MARGIN_MS);
    }
    const found = new Map<string, { name: string; candidates: JsonRecord[]; shared: boolean }>();
    if (wanted.size === 0) return found;
    const changed = modifiedSinceFilter('bc', this.dest.modifiedField, new Date(since).toISOString());
    for (const [field, names] of wanted) {
      const rows = await recordsMatching(
        this.dest.client,
        this.dest.entity,
        orFilters(field, [...names.keys()]).map((chunk) => andFilter(changed, chunk.filter)!),
        { signal: this.s.deps.signal },
      );
      const coupled = await this.index.forPage(
        'bc',
        rows.map((r) => recordId(this.dest, r)),
      );
      for (const [name, bcIds] of names) {
        const candidates = rows.filter(
          (r) => String(r[field] ?? '') === name && !coupled.has(recordId(this.dest, r)),
        );
        for (const bcId of bcIds) found.set(bcId, { name, candidates, shared: bcIds.length > 1 });
      }
    }
    return found;
  }

  /**
   * New BC records (BC -> CRM) that a pending CRM -> BC create may have made, where BC did not take its id
   * (docs/exactly-once-creates.md): one record for one intent fulfils it (moved to `pendings`, coupled
   * there); a record that several intents, or an intent that several records, may explain is held back for
   * review rather than copied to CRM as a new account.
   */
  private async claimForPendingCreates(
    inserts: Item[],
    pendings: Item[],
    outcome: PageOutcome,
  ): Promise<void> {
    const intents = (await this.s.stores.couplings.pendingIntents(this.s.mapping.name)).filter(
      (c) => c.intent?.side === 'bc',
    );
    if (intents.length === 0) return;
    const fulfils = (c: (typeof intents)[number], item: Item) =>
      mayFulfil(c.intent, item.rec, recordModified(this.source, item.rec));
    const kept: Item[] = [];
    for (const item of inserts) {
      const mine = intents.filter((c) => fulfils(c, item));
      if (mine.length === 0) kept.push(item);
      else if (mine.length === 1 && inserts.filter((other) => fulfils(mine[0]!, other)).length === 1)
        pendings.push({ ...item, coupling: mine[0]! });
      else
        outcome.skip(
          item,
          'ambiguous',
          `may be the record a create from Dynamics 365 Sales made before a crash (CRM ${mine.map((c) => c.crmId).join(', ')}); couple the right pair by hand (bcsync couple)`,
        );
    }
    inserts.splice(0, inserts.length, ...kept);
  }

  /**
   * BC records of pending intents found by the natural key the intent holds (Code fields, stored
   * upper-cased), keyed by the intent's BC id; the first match per key, as a look-up of one key would.
   */
  private async findByNaturalKeys(pendings: Item[]): Promise<Map<string, JsonRecord>> {
    const wanted = new Map<string, Map<string, string>>(); // field -> key value -> intended BC id
    for (const item of pendings) {
      const key = item.coupling!.intent?.naturalKey;
      const [field, value] = key ? (Object.entries(key)[0] ?? []) : [];
      if (!field || !value) continue;
      const values = wanted.get(field) ?? new Map<string, string>();
      if (!values.has(value)) values.set(value, item.coupling!.bcId);
      wanted.set(field, values);
    }
    const found = new Map<string, JsonRecord>();
    for (const [field, values] of wanted) {
      const rows = await recordsMatching(
        this.dest.client,
        this.dest.entity,
        orFilters(field, [...values.keys()]),
        {
          signal: this.s.deps.signal,
        },
      );
      for (const r of rows) {
        const bcId = values.get(String(r[field] ?? '').toUpperCase());
        if (bcId && !found.has(bcId)) found.set(bcId, r);
      }
    }
    return found;
  }

  /**
   * Match-based coupling (section 7; rule 4.6 "no coupling -> optional match") for the records about to be
   * inserted: coupled to the one record that matches (then synchronized, or only coupled), never coupled
   * when several match (listed for review), created when none does and Create New in Case of No Match is on.
   */
  private async matchBeforeInsert(
    inserts: Item[],
    updates: Item[],
    coupleOnly: Item[],
    outcome: PageOutcome,
  ): Promise<void> {
    const { mapping, deps, stores, jobId, direction } = this.s;
    const sets = matchSetsOf(mapping);
    const remaining: Item[] = [];
    if (sets.length > 0) {
      const holder = this.s.matches ?? (this.s.matches = {});
      holder.index ??= MatchIndex.build({ bc: deps.bc, crm: deps.crm, mapping, signal: deps.signal }, sets);
      const index = await holder.index;
      const decisions = await index.decide(
        this.source.name,
        inserts.map((i) => ({
          id: i.id,
          rec: i.rec,
          ownId: i.destId ?? destinationId(mapping.name, direction, i.id),
        })),
        async (side, ids) => new Set((await this.index.forPage(side, ids)).keys()),
      );
      const now = this.now();
      const reviews: MatchReviewDoc[] = [];
      const settled: string[] = [];
      for (const item of inserts) {
        const d = decisions.get(item.id) ?? { kind: 'none' as const };
        if (d.kind === 'couple') {
          item.coupling = sourceIsBcOf(this.source)
            ? newCoupling(mapping.name, item.id, d.destId, now)
            : newCoupling(mapping.name, d.destId, item.id, now);
          item.justCoupled = true;
          settled.push(matchReviewKey(mapping.name, this.source.name, item.id));
          settled.push(matchReviewKey(mapping.name, this.dest.name, d.destId));
          if (mapping.synchAfterCoupling) {
            outcome.count('Coupled');
            outcome.tell(item, 'couple', d.destId);
            updates.push(item);
          } else coupleOnly.push(item);
        } else if (d.kind === 'ambiguous') {
          const message = `Match-based coupling found ${d.candidates.filter((c) => c.side === this.dest.name).length} ${this.dest.entity} record(s) and ${d.candidates.filter((c) => c.side === this.source.name).length + 1} ${this.source.entity} record(s) with equal ${d.on}: couple the right pair by hand (bcsync couple), nothing was coupled or created`;
          reviews.push({
            _id: matchReviewKey(mapping.name, this.source.name, item.id),
            mapping: mapping.name,
            source: { side: this.source.name, id: item.id, label: item.label || index.label(item.id) },
            candidates: d.candidates,
            on: d.on,
            jobId,
            at: now,
          });
          outcome.skip(item, 'ambiguous', message);
        } else remaining.push(item);
      }
      await stores.reviews.put(reviews);
      await stores.reviews.remove(settled);
    } else remaining.push(...inserts);
    inserts.splice(0, inserts.length);
    for (const item of remaining) {
      if (mapping.createNewInCaseOfNoMatch) inserts.push(item);
      else
        outcome.skip(
          item,
          'noMatch',
          `No ${this.dest.entity} record matches; Create New in Case of No Match is off for ${mapping.name} (${direction})`,
        );
    }
  }

  /** Posted invoice lines (POSTEDSALESINV-INV): written after their header, no job of their own. */
  private async writeLines(
    work: Array<{ item: Item; destId: string; record?: JsonRecord }>,
    outcome: PageOutcome,
  ): Promise<void> {
    const lineOps: WriteOperation[] = [];
    const owner: number[] = [];
    const products = await lineProducts(
      { bc: this.s.deps.bc, crm: this.s.deps.crm, couplings: this.s.stores.couplings },
      this.s.mapping,
      work.map((w) => w.item.rec),
    );
    work.forEach((w, n) => {
      for (const op of invoiceLineOperations(this.s.mapping, w.item.rec, w.destId, products)) {
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
      if (lineError)
        outcome.fail(
          w.item,
          `An invoice line could not be written: ${lineError}`,
          undefined,
          w.destId,
          'destinationRefused',
        );
      else outcome.succeed(w.item, w.item.action!, w.record, w.destId);
    });
  }
}
