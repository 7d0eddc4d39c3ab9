// The lineage entries of one page (docs/lineage.md): what the pass decided for each record it looked at,
// why, the fields it wrote (old and new, sensitive ones masked) and the destination's answer. Collected
// by PageOutcome as the page is decided and written, stored with the page's commit. One entry per record
// and pass (`${jobId}|${sourceId}`): a later decision on the same page replaces an earlier one (coupled by
// match, then modified), and a replayed page finds its entries already there.
import type { JsonRecord } from '../connectors/types';
import type { FieldMapping } from '../mappings/integrationTableMapping';
import type { FieldChange, LineageDecision, LineageDoc, LineageReason } from '../store/lineage';
import { isBlank, sameValue, type FieldValue } from './fieldMapping';
import type { PassDirection } from './types';

export const MASK = '***';

/** Longest text value kept in a lineage entry: entries stay small, the record itself holds the rest. */
const MAX_TEXT = 120;

export interface LineageNote {
  code?: LineageReason;
  why?: string;
  answer?: string;
  changes?: FieldChange[];
}

export interface PageLineageContext {
  mapping: string;
  direction: PassDirection;
  jobId: string;
  now: Date;
}

const compact = (v: unknown, f: FieldMapping): unknown => {
  if (f.sensitive) return isBlank(v) ? null : MASK;
  if (v === undefined || v === '') return null;
  if (typeof v === 'string' && v.length > MAX_TEXT) return `${v.slice(0, MAX_TEXT)}...`;
  return v;
};

/**
 * The fields a write changes: destination value before (`old`, null for a new record) and the value
 * written. Only fields that differ; values of sensitive field mappings masked.
 */
export function fieldChanges(
  payload: FieldValue[] | undefined,
  before: JsonRecord | undefined,
): FieldChange[] {
  if (!payload) return [];
  const out: FieldChange[] = [];
  for (const v of payload) {
    const old = before?.[v.compareKey];
    if (before ? sameValue(v.compareValue, old, v.field) : isBlank(v.compareValue)) continue;
    out.push({ field: v.field.bcCaption, old: compact(old, v.field), new: compact(v.compareValue, v.field) });
  }
  return out;
}

export class PageLineage {
  private readonly entries = new Map<string, LineageDoc>();

  constructor(private readonly ctx: PageLineageContext) {}

  /**
   * Records a decision for the source record `sourceId`; `otherId` is its counterpart's id when known.
   * BC -> CRM: the source is the BC record; CRM -> BC: the CRM row.
   */
  record(
    sourceId: string,
    otherId: string | undefined,
    label: string | undefined,
    decision: LineageDecision,
    note: LineageNote = {},
  ): void {
    const { mapping, direction, jobId, now } = this.ctx;
    const bcId = direction === 'toCrm' ? sourceId : otherId;
    const crmId = direction === 'toCrm' ? otherId : sourceId;
    const doc: LineageDoc = {
      _id: `${jobId}|${sourceId}`,
      mapping,
      ...(bcId ? { bcId: bcId.toLowerCase() } : {}),
      ...(crmId ? { crmId: crmId.toLowerCase() } : {}),
      ...(label ? { label } : {}),
      at: now,
      jobId,
      direction,
      decision,
      ...(note.code ? { code: note.code } : {}),
      ...(note.why ? { why: note.why } : {}),
      ...(note.changes?.length ? { changes: note.changes } : {}),
      ...(note.answer ? { answer: note.answer } : {}),
    };
    this.entries.set(sourceId, doc);
  }

  /** The entry recorded for a record, to amend (a coupling lost at commit). */
  get(sourceId: string): LineageDoc | undefined {
    return this.entries.get(sourceId);
  }

  list(): LineageDoc[] {
    return [...this.entries.values()];
  }
}
