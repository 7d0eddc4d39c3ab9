// Record lineage: "what happened to this record, and why?" (docs/lineage.md). One small document for every
// record a pass looks at (its decision and the reason, the fields it changed, the destination's answer)
// and for every action a person takes on a record (retry, restore, delete, remove coupling). Read by
// mapping + record id, newest first. FerretDB has no TTL indexes, so old entries are removed by the
// scheduled retention activity (activities/lineageRetention.ts), not by the database.
import { MongoBulkWriteError, type Collection, type Db, type Filter } from 'mongodb';
import { z } from 'zod';

export const LINEAGE_COLLECTION = 'recordLineage';

/** What happened to the record. `Action` is a person's action (the `by` and `why` fields say which). */
export const LineageDecision = z.enum([
  'Inserted',
  'Modified',
  'Unchanged',
  'Coupled',
  'Skipped',
  'Failed',
  'Uncoupled',
  'Action',
]);
export type LineageDecision = z.infer<typeof LineageDecision>;

/**
 * Why a record was skipped or failed, as a code scripts can rely on (the text in `why` is for people).
 * - onlyCoupled: uncoupled and the mapping syncs only coupled records (rule 4.3)
 * - notChanged: not changed since the last sync: an overlap re-read or the engine's own write (rule 4.4)
 * - filtered: no longer in the source table filter, or deleted at the source (leaves the retry list)
 * - conflict: both sides changed (rule 4.6); leftToOtherPass: the other direction wins this run
 * - deletionConflict: coupled to a deleted record (rule 4.7)
 * - sameErrorTwice: the same error twice in a row made the coupling Skipped (section 3)
 * - skipped: the coupling was Skipped before this run (rule 4.6: skipped coupling -> Skip)
 * - dependencyMissing: a looked-up record (currency, salesperson, ...) is not coupled yet
 * - matchAmbiguous: match-based coupling found several candidates
 * - fieldValue: a value cannot be transferred (an option without a counterpart, ...)
 * - destinationRefused: the destination API refused the write
 * - alreadyCoupled: the other record is coupled to a third one (one-to-one, section 3)
 */
export const LineageReason = z.enum([
  'onlyCoupled',
  'notChanged',
  'filtered',
  'conflict',
  'leftToOtherPass',
  'deletionConflict',
  'sameErrorTwice',
  'skipped',
  'dependencyMissing',
  'matchAmbiguous',
  'noMatch',
  'fieldValue',
  'destinationRefused',
  'alreadyCoupled',
]);
export type LineageReason = z.infer<typeof LineageReason>;

/** One changed field: the destination's value before and the value written (masked when sensitive). */
export interface FieldChange {
  field: string;
  old: unknown;
  new: unknown;
}

export interface LineageDoc {
  /** `${jobId}|${sourceId}` for a pass (a replayed page records a record once), a random id for actions. */
  _id: string;
  mapping: string;
  bcId?: string;
  crmId?: string;
  /** A human key (customer number, name) so a person can search by it. */
  label?: string;
  at: Date;
  /** The pass (job log entry); its workflowId/runId name the Temporal run that did it. */
  jobId?: string;
  /** toCrm = BC -> CRM, fromCrm = CRM -> BC. */
  direction?: 'toCrm' | 'fromCrm';
  decision: LineageDecision;
  code?: LineageReason;
  why?: string;
  changes?: FieldChange[];
  /** The destination's answer to the write: `204`, `201 created`, or its error status and code. */
  answer?: string;
  /** Actions: who asked (`cli`, `console`). */
  by?: string;
}

/**
 * The stored form: `changes` as one JSON text. FerretDB converts every nested value of a document it
 * stores, and an Inserted entry's field list is most of its values: as one string an entry costs the
 * server half the CPU (bench/lineageOverhead.ts). No query looks inside `changes`.
 */
export type StoredLineageDoc = Omit<LineageDoc, 'changes'> & { changes?: string | FieldChange[] };

const stored = ({ changes, ...doc }: LineageDoc): StoredLineageDoc =>
  changes?.length ? { ...doc, changes: JSON.stringify(changes) } : doc;

/** Entries written before `changes` was stored as text hold the array itself. */
const read = ({ changes, ...doc }: StoredLineageDoc): LineageDoc =>
  changes === undefined
    ? doc
    : { ...doc, changes: typeof changes === 'string' ? (JSON.parse(changes) as FieldChange[]) : changes };

export interface LineageQuery {
  mapping: string;
  bcId?: string;
  crmId?: string;
  limit?: number;
}

export class LineageStore {
  readonly col: Collection<StoredLineageDoc>;

  constructor(db: Db) {
    this.col = db.collection<StoredLineageDoc>(LINEAGE_COLLECTION);
  }

  /**
   * Adds a page's entries in one unordered insert. Entries of a replayed page have the ids of the first
   * attempt: the duplicates are ignored, so each record has one entry per pass.
   */
  async add(entries: LineageDoc[]): Promise<void> {
    if (entries.length === 0) return;
    try {
      await this.col.insertMany(entries.map(stored), { ordered: false });
    } catch (err) {
      if (!(err instanceof MongoBulkWriteError)) throw err;
      const writeErrors = Array.isArray(err.writeErrors) ? err.writeErrors : [err.writeErrors];
      if (writeErrors.some((e) => e.code !== 11000)) throw err;
    }
  }

  /** Entries matching `filter` (fields of the entry other than `changes`). */
  async find(filter: Filter<StoredLineageDoc>): Promise<LineageDoc[]> {
    return (await this.col.find(filter).toArray()).map(read);
  }

  /** A record's history, newest first: by BC id, CRM id, or both (entries of either side). */
  async history(q: LineageQuery): Promise<LineageDoc[]> {
    const limit = q.limit ?? 100;
    const parts: StoredLineageDoc[][] = [];
    if (q.bcId)
      parts.push(
        await this.col.find({ mapping: q.mapping, bcId: q.bcId }).sort({ at: -1 }).limit(limit).toArray(),
      );
    if (q.crmId)
      parts.push(
        await this.col.find({ mapping: q.mapping, crmId: q.crmId }).sort({ at: -1 }).limit(limit).toArray(),
      );
    const byId = new Map(parts.flat().map((d) => [d._id, d]));
    return [...byId.values()]
      .sort((a, b) => b.at.getTime() - a.at.getTime())
      .slice(0, limit)
      .map(read);
  }

  /**
   * Records of a mapping whose label contains `text` (case-insensitive), newest entry per record; the one
   * record whose label is exactly `text`, when there is one.
   */
  async findByLabel(
    mapping: string,
    text: string,
    limit = 20,
  ): Promise<Pick<LineageDoc, 'bcId' | 'crmId' | 'label' | 'at'>[]> {
    const pattern = new RegExp(text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'i');
    const docs = await this.col
      .find({ mapping, label: pattern })
      .project<Pick<LineageDoc, 'bcId' | 'crmId' | 'label' | 'at'>>({ bcId: 1, crmId: 1, label: 1, at: 1 })
      .sort({ at: -1 })
      .limit(500)
      .toArray();
    const seen = new Map<string, (typeof docs)[number]>();
    for (const d of docs) {
      const key = d.bcId ?? d.crmId ?? '';
      if (!seen.has(key)) seen.set(key, d);
    }
    // A label equal to the text wins over labels that only contain it (40000 vs 140000).
    const all = [...seen.values()];
    const exact = all.filter((d) => d.label?.toLowerCase() === text.trim().toLowerCase());
    return (exact.length === 1 ? exact : all).slice(0, limit);
  }

  /** The retention clean-up: removes entries older than `before`. */
  async pruneOlderThan(before: Date): Promise<number> {
    const res = await this.col.deleteMany({ at: { $lt: before } });
    return res.deletedCount;
  }
}
