// Couplings: the CRM Integration Record table (5331), one document per coupled pair and mapping.
// The `_id` is `${mapping}|${bcId}`, so the BC-side lookup is by `_id`; the CRM side has a unique index.
import { z } from 'zod';
import { MongoBulkWriteError, type AnyBulkWriteOperation, type Collection } from 'mongodb';
import type { BcRecordId, CrmRecordId, JobId, MappingName } from '../../common/ids';

export const SyncResult = z.enum(['Success', 'Failure']);
export type SyncResult = z.infer<typeof SyncResult>;

/** What a pass did with a record; kept on the coupling so a replayed page counts it exactly once. */
export const RecordAction = z.enum(['Inserted', 'Modified', 'Unchanged', 'Failed', 'Coupled']);
export type RecordAction = z.infer<typeof RecordAction>;

/** Per-direction bookkeeping (section 3): the source modified time at last sync, result, job, last error. */
export const DirectionState = z.object({
  lastSyncModifiedOn: z.date().optional(),
  lastResult: SyncResult.optional(),
  lastJobId: z.string().optional(),
  /** A fingerprint of the last error, to detect "same error twice in a row" (-> Skipped). */
  lastError: z.string().optional(),
  /** What the last job did with the record, and on which page of that job (exactly-once counting). */
  lastAction: RecordAction.optional(),
  lastPageSeq: z.number().int().optional(),
});
export type DirectionState = z.infer<typeof DirectionState>;

export const CouplingDoc = z.object({
  _id: z.string(),
  mapping: z.string(),
  bcId: z.string(),
  /** Absent while a BC -> CRM insert is only intended (exactly-once create, resolved on retry). */
  crmId: z.string().optional(),
  /** `pending`: the create intent was recorded but not yet confirmed by the destination. */
  state: z.enum(['coupled', 'pending']),
  /** toCrm = BC -> CRM (Last Synch. CRM Result), fromCrm = CRM -> BC (Last Synch. Result). */
  toCrm: DirectionState.default({}),
  fromCrm: DirectionState.default({}),
  skipped: z.boolean().default(false),
  /**
   * The BC record's ETag and the CRM row's versionnumber as of the last sync (read as source or written
   * as destination). Both change on every write, so they tell a real change from the engine's own write
   * (echo suppression, rule 4.4) more precisely than a modified time.
   */
  bcVersion: z.string().optional(),
  crmVersion: z.string().optional(),
  /** The create intent of a pending coupling (which side is being created, a natural key to find it). */
  intent: z
    .object({
      side: z.enum(['bc', 'crm']),
      at: z.date(),
      naturalKey: z.record(z.string(), z.string()).optional(),
      /** The name sent, where BC neither took bcsync's id nor has a natural key (exactly-once-creates.md). */
      sentName: z.record(z.string(), z.string()).optional(),
    })
    .optional(),
  createdAt: z.date(),
  updatedAt: z.date(),
});
export type CouplingDoc = z.infer<typeof CouplingDoc>;

export const couplingKey = (mapping: MappingName | string, bcId: BcRecordId | string): string =>
  `${mapping}|${bcId}`;

/** Statements per update/delete command (see applyPage). */
export const WRITE_CHUNK = 90;

export class CouplingConflictError extends Error {
  override name = 'CouplingConflictError';
}

/** One coupling write of a page: a new coupling or a `$set` on an existing one. */
export type CouplingWrite =
  | { kind: 'insert'; doc: CouplingDoc }
  | { kind: 'set'; id: string; set: Record<string, unknown>; unset?: string[] }
  | { kind: 'delete'; id: string };

export class CouplingStore {
  constructor(private readonly col: Collection<CouplingDoc>) {}

  findByBc(mapping: MappingName, bcId: BcRecordId): Promise<CouplingDoc | null> {
    return this.col.findOne({ _id: couplingKey(mapping, bcId) });
  }

  findByCrm(mapping: MappingName, crmId: CrmRecordId): Promise<CouplingDoc | null> {
    return this.col.findOne({ mapping, crmId });
  }

  /** The mapping's create intents whose outcome is not known yet (few: only crashes leave them). */
  pendingIntents(mapping: MappingName | string): Promise<CouplingDoc[]> {
    return this.col.find({ mapping, state: 'pending' }).toArray();
  }

  /** The couplings of one page, by BC id: `$in` queries on `_id`. */
  loadByBcIds(mapping: string, bcIds: string[]): Promise<CouplingDoc[]> {
    return inChunks(bcIds, (ids) =>
      this.col.find({ _id: { $in: ids.map((id) => couplingKey(mapping, id)) } }).toArray(),
    );
  }

  /** The couplings of one page, by CRM id: `$in` queries on the unique (mapping, crmId) index. */
  loadByCrmIds(mapping: string, crmIds: string[]): Promise<CouplingDoc[]> {
    return inChunks(crmIds, (ids) => this.col.find({ mapping, crmId: { $in: ids } }).toArray());
  }

  /** Every coupling of a mapping, streamed (the per-pass snapshot, see engine/couplingIndex.ts). */
  streamMapping(mapping: string): AsyncIterable<CouplingDoc> {
    return this.col.find({ mapping }).batchSize(5000);
  }

  /**
   * Applies a page's coupling writes in one unordered bulk write. Returns the ids whose write failed with
   * a duplicate key (the one-to-one rule of section 3, enforced by the unique indexes), so the caller can
   * fail just those records.
   */
  async applyPage(writes: CouplingWrite[]): Promise<{ duplicates: Set<string> }> {
    const duplicates = new Set<string>();
    if (writes.length === 0) return { duplicates };
    const ops: AnyBulkWriteOperation<CouplingDoc>[] = writes.map((w) => {
      switch (w.kind) {
        case 'insert':
          return { insertOne: { document: w.doc } };
        case 'set':
          return {
            updateOne: {
              filter: { _id: w.id },
              update: {
                $set: w.set,
                ...(w.unset?.length ? { $unset: Object.fromEntries(w.unset.map((f) => [f, ''])) } : {}),
              },
            },
          };
        case 'delete':
          return { deleteOne: { filter: { _id: w.id } } };
      }
    });
    // Deletes first: a create BC gave another id than the intended one replaces its pending coupling by one
    // for the same CRM record (unique per mapping), so the pending one must be gone before the insert.
    // Inserts go in one command; updates and deletes in commands of fewer than 100 statements, because an
    // unpatched FerretDB v1.24 never answers an update command of 100 or more statements (measured: 99 ok,
    // 100 hangs; the dev servers' build is patched, devservers/install.ts, and concurrent commands adding
    // up to 100 hung it as well).
    const indexes = (kind: string) => ops.flatMap((op, i) => (kind in op ? [i] : []));
    const chunks = (list: number[]) =>
      Array.from({ length: Math.ceil(list.length / WRITE_CHUNK) }, (_, n) =>
        list.slice(n * WRITE_CHUNK, (n + 1) * WRITE_CHUNK),
      );
    const groups = [...chunks(indexes('deleteOne')), indexes('insertOne'), ...chunks(indexes('updateOne'))];
    for (const group of groups) {
      if (group.length === 0) continue;
      try {
        await this.col.bulkWrite(
          group.map((i) => ops[i]!),
          { ordered: false },
        );
      } catch (err) {
        if (!(err instanceof MongoBulkWriteError)) throw err;
        const errors = Array.isArray(err.writeErrors) ? err.writeErrors : [err.writeErrors];
        const other = errors.filter((e) => e.code !== 11000);
        if (other.length > 0) throw err;
        for (const e of errors) {
          const w = writes[group[e.index]!];
          if (w) duplicates.add(w.kind === 'insert' ? w.doc._id : w.id);
        }
      }
    }
    return { duplicates };
  }

  /**
   * Couples a pair by hand or after an insert. One-to-one (section 3): fails with "already coupled" when
   * either side is coupled to another record in this mapping.
   */
  async couple(
    mapping: MappingName,
    bcId: BcRecordId,
    crmId: CrmRecordId,
    now = new Date(),
  ): Promise<CouplingDoc> {
    // The admin's choice settles a create intent of the CRM record that bcsync could not resolve itself
    // (several candidates in BC; docs/exactly-once-creates.md).
    const intent = await this.findByCrm(mapping, crmId);
    if (intent?.state === 'pending' && intent.bcId !== bcId)
      await this.col.deleteOne({ _id: intent._id, state: 'pending' });
    const doc = await this.coupledDoc(mapping, bcId, crmId, now);
    await this.col.replaceOne({ _id: doc._id }, doc, { upsert: true });
    return doc;
  }

  /**
   * The coupling a `couple` writes, after the one-to-one check (section 3) against what `findByCrm` and
   * `findByBc` see (a dry run's in-memory couplings see their own writes too).
   */
  protected async coupledDoc(
    mapping: MappingName,
    bcId: BcRecordId,
    crmId: CrmRecordId,
    now: Date,
  ): Promise<CouplingDoc> {
    const existingCrm = await this.findByCrm(mapping, crmId);
    if (existingCrm && existingCrm.bcId !== bcId) {
      throw new CouplingConflictError(
        `${mapping}: CRM record ${crmId} is already coupled to BC record ${existingCrm.bcId}; uncouple it first`,
      );
    }
    const existingBc = await this.findByBc(mapping, bcId);
    if (existingBc?.crmId && existingBc.crmId !== crmId) {
      throw new CouplingConflictError(
        `${mapping}: BC record ${bcId} is already coupled to CRM record ${existingBc.crmId}; uncouple it first`,
      );
    }
    return existingBc
      ? { ...existingBc, crmId, state: 'coupled', updatedAt: now }
      : newCoupling(mapping, bcId, crmId, now);
  }

  async uncouple(mapping: MappingName, ids: { bcId?: BcRecordId; crmId?: CrmRecordId }): Promise<boolean> {
    const filter = ids.bcId ? { _id: couplingKey(mapping, ids.bcId) } : { mapping, crmId: ids.crmId };
    const res = await this.col.deleteOne(filter);
    return res.deletedCount === 1;
  }

  count(mapping: MappingName): Promise<number> {
    return this.col.countDocuments({ mapping });
  }

  /** Records whose last result in a direction was Failure and are not skipped (rule 4.2). */
  failedNotSkipped(mapping: MappingName, direction: 'toCrm' | 'fromCrm') {
    return this.col.find({ mapping, skipped: false, [`${direction}.lastResult`]: 'Failure' });
  }

  /** Coupled-data errors page "Retry / Retry All": clears Skipped so the next run tries again. */
  async clearSkipped(mapping: string, bcIds?: string[]): Promise<number> {
    const filter = bcIds
      ? { _id: { $in: bcIds.map((id) => couplingKey(mapping, id)) } }
      : { mapping, skipped: true };
    const res = await this.col.updateMany(filter, {
      $set: { skipped: false, 'toCrm.lastError': '', 'fromCrm.lastError': '' },
    });
    return res.modifiedCount;
  }
}

/**
 * Ids per `$in` query, two queries in flight. FerretDB checks `$in` against each returned document by a
 * linear scan of the list, so a query's cost grows with the square of its size (measured at 100,000
 * couplings: 5,000 ids in one query 1.0 s, in 1,000-id chunks 0.4 s); MongoDB does not mind either way.
 */
const IN_CHUNK = 1000;

async function inChunks<T>(ids: string[], query: (chunk: string[]) => Promise<T[]>): Promise<T[]> {
  const chunks: string[][] = [];
  for (let i = 0; i < ids.length; i += IN_CHUNK) chunks.push(ids.slice(i, i + IN_CHUNK));
  const out: T[] = [];
  for (let i = 0; i < chunks.length; i += 2) {
    for (const docs of await Promise.all(chunks.slice(i, i + 2).map(query))) out.push(...docs);
  }
  return out;
}

export function newCoupling(
  mapping: string,
  bcId: string,
  crmId: string | undefined,
  now: Date,
): CouplingDoc {
  return {
    _id: couplingKey(mapping, bcId),
    mapping,
    bcId,
    ...(crmId !== undefined ? { crmId } : {}),
    state: 'coupled',
    toCrm: {},
    fromCrm: {},
    skipped: false,
    createdAt: now,
    updatedAt: now,
  };
}

export type { JobId };
