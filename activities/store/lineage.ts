// Record lineage: "what happened to this record, and why?" (docs/lineage.md). One small entry for every
// record a pass looks at (its decision and the reason, the fields it changed, the destination's answer)
// and for every action a person takes on a record (retry, restore, delete, remove coupling). A page's
// entries are stored as ONE document: the database's cost is per document and per value (FerretDB), not
// per byte. Read by mapping + record id, newest first. FerretDB has no TTL indexes, so old pages are
// removed by the scheduled retention activity (activities/lineageRetention.ts), not by the database.
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { MongoBulkWriteError, type Binary, type Collection, type Db, type Filter } from 'mongodb';
import { z } from 'zod';
import { isFerretDb } from './serverKind';

export const LINEAGE_COLLECTION = 'recordLineagePages';
/** One document per entry, written before lineage was stored by page: read until the retention empties it. */
export const LEGACY_LINEAGE_COLLECTION = 'recordLineage';

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

/** What a page's entries share: stored once on the page document. */
type PageKey = Pick<LineageDoc, 'mapping' | 'at' | 'jobId' | 'direction' | 'by'>;

/** One entry inside a page document (its `entries` JSON text). */
type PageEntry = Omit<LineageDoc, '_id' | keyof PageKey>;

/**
 * The stored form: the entries of one page (or of one action on several records) in one document.
 * `entriesZ` is the entries' JSON text, deflated: FerretDB converts every value of a document it stores
 * (a page's entries as nested documents would be ten thousand values) and every byte of a text, while a
 * binary value is copied as it is. A record's history is found by `ids` on MongoDB, Cosmos DB and
 * DocumentDB (the multikey index `mapping_ids_at`), by `idText` on FerretDB, which cannot index an array
 * and converts each of its elements: there the ids are one text, `|b:<id>|c:<id>|...|`, matched as a
 * pattern (measured on the dev server, 20 pages of 1,000 entries: FerretDB's CPU per page insert 0.25 ->
 * 0.09 s with both, a record's look-up 350 -> 80 ms). `labels` is what `--name` searches.
 */
export interface LineagePageDoc {
  /** The page's first entry's id (`${jobId}|${sourceId}`): a replayed page finds its document there. */
  _id: string;
  mapping: string;
  at: Date;
  jobId?: string;
  direction?: 'toCrm' | 'fromCrm';
  by?: string;
  /** `b:<BC id>` and `c:<CRM id>` of every entry (not on FerretDB). */
  ids?: string[];
  /** FerretDB: the same ids as one text, each between `|`. */
  idText?: string;
  /** The entries' labels, one per line. */
  labels?: string;
  /** PageEntry[] as JSON text, deflated (raw deflate). */
  entriesZ?: Binary | Uint8Array;
  /** PageEntry[] as JSON text (pages written before the entries were deflated). */
  entries?: string;
}

/** How the page documents of a server hold their ids. */
export interface PageLayout {
  idsAsText: boolean;
}

/** One document per entry (before lineage was stored by page); `changes` as JSON text or as the list. */
export type LegacyLineageDoc = Omit<LineageDoc, 'changes'> & { changes?: string | FieldChange[] };

const readLegacy = ({ changes, ...doc }: LegacyLineageDoc): LineageDoc =>
  changes === undefined
    ? doc
    : { ...doc, changes: typeof changes === 'string' ? (JSON.parse(changes) as FieldChange[]) : changes };

export const bcKey = (bcId: string) => `b:${bcId.toLowerCase()}`;
export const crmKey = (crmId: string) => `c:${crmId.toLowerCase()}`;

/**
 * Largest `entries` text per document (a page of 1,000 records is about 0.4 MB): far under the 16 MiB
 * document limit whatever a mapping's field list, while a page stays one document.
 */
const MAX_PAGE_TEXT = 4 * 1024 * 1024;

const pageKeyOf = (e: LineageDoc): string =>
  JSON.stringify([e.mapping, e.at.getTime(), e.jobId ?? null, e.direction ?? null, e.by ?? null]);

/** An entry as a page stores it: without what the page holds once, ids in lower case. */
function pageEntry(e: LineageDoc): PageEntry {
  return {
    ...(e.bcId ? { bcId: e.bcId.toLowerCase() } : {}),
    ...(e.crmId ? { crmId: e.crmId.toLowerCase() } : {}),
    ...(e.label ? { label: e.label } : {}),
    decision: e.decision,
    ...(e.code ? { code: e.code } : {}),
    ...(e.why ? { why: e.why } : {}),
    ...(e.changes?.length ? { changes: e.changes } : {}),
    ...(e.answer ? { answer: e.answer } : {}),
  };
}

/** The stored pages of a list of entries: one per shared page key, split only past MAX_PAGE_TEXT. */
export function lineagePages(
  entries: LineageDoc[],
  layout: PageLayout = { idsAsText: false },
): LineagePageDoc[] {
  const groups = new Map<string, LineageDoc[]>();
  for (const e of entries) {
    const key = pageKeyOf(e);
    const group = groups.get(key);
    if (group) group.push(e);
    else groups.set(key, [e]);
  }
  const pages: LineagePageDoc[] = [];
  for (const group of groups.values()) {
    const { mapping, at, jobId, direction, by } = group[0]!;
    let chunk: { items: PageEntry[]; ids: string[]; labels: string[]; text: number } | undefined;
    let part = 0;
    const flush = () => {
      if (!chunk) return;
      pages.push({
        _id: part === 0 ? group[0]!._id : `${group[0]!._id}#${part}`,
        mapping,
        at,
        ...(jobId ? { jobId } : {}),
        ...(direction ? { direction } : {}),
        ...(by ? { by } : {}),
        ...(layout.idsAsText ? { idText: `|${chunk.ids.join('|')}|` } : { ids: chunk.ids }),
        ...(chunk.labels.length ? { labels: chunk.labels.join('\n') } : {}),
        entriesZ: deflateRawSync(JSON.stringify(chunk.items)),
      });
      part++;
      chunk = undefined;
    };
    for (const e of group) {
      const item = pageEntry(e);
      const size = JSON.stringify(item).length;
      if (chunk && chunk.text + size > MAX_PAGE_TEXT) flush();
      chunk ??= { items: [], ids: [], labels: [], text: 0 };
      chunk.items.push(item);
      chunk.text += size;
      if (item.bcId) chunk.ids.push(bcKey(item.bcId));
      if (item.crmId) chunk.ids.push(crmKey(item.crmId));
      if (item.label) chunk.labels.push(item.label.replace(/\n/g, ' '));
    }
    flush();
  }
  return pages;
}

function entriesText(page: LineagePageDoc): string {
  const z = page.entriesZ;
  if (!z) return page.entries ?? '[]';
  return inflateRawSync(z instanceof Uint8Array ? z : z.buffer).toString('utf8');
}

/** Whether a server stores a page's ids as text (FerretDB), asked once per database handle. */
const layouts = new WeakMap<Db, Promise<PageLayout>>();
function layoutOf(db: Db): Promise<PageLayout> {
  let layout = layouts.get(db);
  if (!layout) {
    layout = isFerretDb(db).then((idsAsText) => ({ idsAsText }));
    layouts.set(db, layout);
  }
  return layout;
}

/** The entries of a stored page, with the ids readers know them by. */
export function pageEntries(page: LineagePageDoc): LineageDoc[] {
  const { mapping, at, jobId, direction, by } = page;
  return (JSON.parse(entriesText(page)) as PageEntry[]).map((e, i) => {
    const sourceId = direction === 'fromCrm' ? e.crmId : e.bcId;
    return {
      _id: jobId && sourceId ? `${jobId}|${sourceId}` : `${page._id}|${i}`,
      mapping,
      at,
      ...(jobId ? { jobId } : {}),
      ...(direction ? { direction } : {}),
      ...(by ? { by } : {}),
      ...e,
    };
  });
}

export interface LineageQuery {
  mapping: string;
  bcId?: string;
  crmId?: string;
  limit?: number;
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export class LineageStore {
  readonly col: Collection<LineagePageDoc>;
  readonly legacy: Collection<LegacyLineageDoc>;

  constructor(private readonly db: Db) {
    this.col = db.collection<LineagePageDoc>(LINEAGE_COLLECTION);
    this.legacy = db.collection<LegacyLineageDoc>(LEGACY_LINEAGE_COLLECTION);
  }

  /**
   * Stores entries as page documents (one per page: the entries of a pass's page share its job, direction
   * and time). A replayed page has the ids of its first attempt: the duplicate is ignored, and readers keep
   * one entry per record and pass.
   */
  async add(entries: LineageDoc[]): Promise<void> {
    if (entries.length === 0) return;
    try {
      await this.col.insertMany(lineagePages(entries, await layoutOf(this.db)), { ordered: false });
    } catch (err) {
      if (!(err instanceof MongoBulkWriteError)) throw err;
      const writeErrors = Array.isArray(err.writeErrors) ? err.writeErrors : [err.writeErrors];
      if (writeErrors.some((e) => e.code !== 11000)) throw err;
    }
  }

  /** A record's history, newest first: by BC id, CRM id, or both (entries of either side). */
  async history(q: LineageQuery): Promise<LineageDoc[]> {
    const limit = q.limit ?? 100;
    const bcId = q.bcId?.toLowerCase();
    const crmId = q.crmId?.toLowerCase();
    const pages = new Map<string, LineagePageDoc>();
    const legacy: LegacyLineageDoc[] = [];
    const { idsAsText } = await layoutOf(this.db);
    for (const [key, field, id] of [
      [bcId && bcKey(bcId), 'bcId', bcId],
      [crmId && crmKey(crmId), 'crmId', crmId],
    ] as const) {
      if (!key || !id) continue;
      // A page holds one entry per record at most: `limit` pages hold at least `limit` entries.
      const byId: Filter<LineagePageDoc> = idsAsText
        ? { idText: { $regex: `\\|${escapeRegExp(key)}\\|` } }
        : { ids: { $eq: key } };
      for (const p of await this.col
        .find({ mapping: q.mapping, ...byId })
        .sort({ at: -1 })
        .limit(limit)
        .toArray())
        pages.set(p._id, p);
      legacy.push(
        ...(await this.legacy
          .find({ mapping: q.mapping, [field]: id } as Filter<LegacyLineageDoc>)
          .sort({ at: -1 })
          .limit(limit)
          .toArray()),
      );
    }
    const mine = (e: LineageDoc) =>
      (bcId !== undefined && e.bcId === bcId) || (crmId !== undefined && e.crmId === crmId);
    const all = [...[...pages.values()].flatMap(pageEntries).filter(mine), ...legacy.map(readLegacy)];
    return newestFirstOnce(all).slice(0, limit);
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
    const pattern = new RegExp(escapeRegExp(text), 'i');
    const pages = await this.col.find({ mapping, labels: pattern }).sort({ at: -1 }).limit(100).toArray();
    const legacy = await this.legacy
      .find({ mapping, label: pattern })
      .project<LegacyLineageDoc>({ bcId: 1, crmId: 1, label: 1, at: 1, decision: 1, mapping: 1 })
      .sort({ at: -1 })
      .limit(500)
      .toArray();
    const entries = newestFirstOnce([
      ...pages.flatMap(pageEntries).filter((e) => e.label !== undefined && pattern.test(e.label)),
      ...legacy.map(readLegacy),
    ]);
    const seen = new Map<string, Pick<LineageDoc, 'bcId' | 'crmId' | 'label' | 'at'>>();
    for (const { bcId, crmId, label, at } of entries) {
      const key = bcId ?? crmId ?? '';
      if (!seen.has(key))
        seen.set(key, { ...(bcId ? { bcId } : {}), ...(crmId ? { crmId } : {}), label, at });
    }
    // A label equal to the text wins over labels that only contain it (40000 vs 140000).
    const all = [...seen.values()];
    const exact = all.filter((d) => d.label?.toLowerCase() === text.trim().toLowerCase());
    return (exact.length === 1 ? exact : all).slice(0, limit);
  }

  /** The retention clean-up: removes the pages (and entries of the earlier layout) older than `before`. */
  async pruneOlderThan(before: Date): Promise<number> {
    const [pages, legacy] = await Promise.all([
      this.col.deleteMany({ at: { $lt: before } }),
      this.legacy.deleteMany({ at: { $lt: before } }),
    ]);
    return pages.deletedCount + legacy.deletedCount;
  }
}

/**
 * Newest first, one entry per record and pass: a page replayed after a crash under other ids keeps its
 * first attempt's entry (as the unique `_id` did when entries were documents).
 */
function newestFirstOnce(entries: LineageDoc[]): LineageDoc[] {
  const byId = new Map<string, LineageDoc>();
  for (const e of [...entries].sort((a, b) => a.at.getTime() - b.at.getTime()))
    if (!byId.has(e._id)) byId.set(e._id, e);
  return [...byId.values()].sort((a, b) => b.at.getTime() - a.at.getTime());
}
