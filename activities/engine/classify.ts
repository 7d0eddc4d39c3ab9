// The first decision about each record of a page, before any API call (rules 4.3, 4.4, 4.6 and the
// exactly-once replay): pure, so each rule is tested without a server (test/unit/classify.test.ts).
import type { JsonRecord } from '../connectors/types';
import type { CouplingDoc, RecordAction } from '../store/couplings';
import type { RetryDoc } from '../store/retryQueue';
import { labelOf, type Item } from './pageItem';
import { changedSinceSync, recordId, type SideShape } from './recordVersion';
import type { PassDirection } from './types';

export type Classification =
  /**
   * Replay after a crash: this job already handled the record on a page it did not commit - count it from
   * what the coupling recorded (`countAs`), without writing again; on a committed page it was counted.
   */
  | { kind: 'replayed'; countAs?: RecordAction; succeeded: boolean }
  /** Rule 4.6: a Skipped coupling (or a Skipped failed insert) -> Skip. */
  | { kind: 'skip' }
  /** A create intent whose outcome is not known yet (exactly-once create). */
  | { kind: 'pending' }
  /** Rule 4.6: no coupling -> insert (after an optional match, section 7). */
  | { kind: 'insert' }
  /** Rule 4.6: coupled and changed since the last sync -> update (or Unchanged after transfer). */
  | { kind: 'update' }
  /** Rule 4.3 (Only Coupled) or rule 4.4 (not changed since the last sync: overlap re-read, echo). */
  | { kind: 'ignore'; rule: 'onlyCoupled' | 'notChanged' };

export interface ClassifyContext {
  direction: PassDirection;
  jobId: string;
  /** The last page of this job whose counters are committed. */
  countedThrough: number;
  retryPhase: boolean;
  syncOnlyCoupled: boolean;
  source: SideShape;
  integrationUserId: string;
}

export function classifyRecord(
  rec: JsonRecord,
  coupling: CouplingDoc | undefined,
  retryDoc: RetryDoc | undefined,
  ctx: ClassifyContext,
): Classification {
  const st = coupling?.[ctx.direction];
  if (st?.lastJobId === ctx.jobId && st.lastPageSeq !== undefined && coupling?.state === 'coupled') {
    return {
      kind: 'replayed',
      succeeded: st.lastResult === 'Success',
      ...(st.lastPageSeq > ctx.countedThrough && st.lastAction ? { countAs: st.lastAction } : {}),
    };
  }
  if (coupling?.skipped || (!coupling && retryDoc?.skipped)) return { kind: 'skip' };
  if (coupling?.state === 'pending') return { kind: 'pending' };
  if (!coupling) {
    // A record that failed before it could be coupled is retried though (retry phase).
    if (ctx.syncOnlyCoupled && !ctx.retryPhase) return { kind: 'ignore', rule: 'onlyCoupled' };
    return { kind: 'insert' };
  }
  const changed = ctx.retryPhase || changedSinceSync(ctx.source, rec, coupling, ctx.integrationUserId);
  return changed ? { kind: 'update' } : { kind: 'ignore', rule: 'notChanged' };
}

/** The page's distinct records with an id, in read order. */
export function pageItems(source: SideShape, records: JsonRecord[]): Item[] {
  const items: Item[] = [];
  const seen = new Set<string>();
  for (const rec of records) {
    const id = recordId(source, rec);
    if (!id || seen.has(id)) continue;
    seen.add(id);
    items.push({ rec, id, label: labelOf(rec) });
  }
  return items;
}

export interface ClassifiedPage {
  updates: Item[];
  inserts: Item[];
  pendings: Item[];
  skipped: Item[];
  replayed: Array<{ item: Item; countAs?: RecordAction; succeeded: boolean }>;
  /** Looked at and left alone (rules 4.3, 4.4): not counted, but recorded in the lineage. */
  ignored: Array<{ item: Item; rule: 'onlyCoupled' | 'notChanged' }>;
}

/** Every item of the page by its classification; items get their coupling attached. */
export function classify(
  items: Item[],
  couplings: Map<string, CouplingDoc>,
  retryDocs: Map<string, RetryDoc>,
  ctx: ClassifyContext,
): ClassifiedPage {
  const out: ClassifiedPage = {
    updates: [],
    inserts: [],
    pendings: [],
    skipped: [],
    replayed: [],
    ignored: [],
  };
  for (const original of items) {
    const coupling = couplings.get(original.id);
    const item: Item = coupling ? { ...original, coupling } : original;
    const c = classifyRecord(item.rec, coupling, retryDocs.get(item.id), ctx);
    switch (c.kind) {
      case 'replayed':
        out.replayed.push({ item, succeeded: c.succeeded, ...(c.countAs ? { countAs: c.countAs } : {}) });
        break;
      case 'skip':
        out.skipped.push(item);
        break;
      case 'pending':
        out.pendings.push(item);
        break;
      case 'insert':
        out.inserts.push(item);
        break;
      case 'update':
        out.updates.push(item);
        break;
      case 'ignore':
        out.ignored.push({ item, rule: c.rule });
        break;
    }
  }
  return out;
}
