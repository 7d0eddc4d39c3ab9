// Match-based coupling (bc-integration-behaviour.md section 7; docs/match-based-coupling.md): before an
// uncoupled record is inserted, find the record on the other side that stands for the same thing.
//
// Both sides are read once per run of a mapping (key and match columns only, within the mapping's
// filters) and grouped by normalized match key per field set. Matching happens here, on the client,
// because the APIs cannot do it: Business Central `$filter` compares text case-sensitively and neither API
// ignores extra blanks or punctuation. A group decides symmetrically: exactly one uncoupled record on
// each side -> couple; more on either side -> ambiguous (never coupled, listed for review); none on the
// other side -> the next set, then no match.
import type { JsonRecord, TableClient } from '../connectors/types';
import type { IntegrationTableMapping, MatchFieldSet } from '../mappings/integrationTableMapping';

import type { MatchCandidate, MatchSide } from '../store/matchReviews';

export type { MatchCandidate, MatchSide };

export type MatchDecision =
  | { kind: 'couple'; destId: string; priority: number }
  | { kind: 'ambiguous'; priority: number; on: string; candidates: MatchCandidate[] }
  | { kind: 'none' };

/** The match field sets of a mapping: its own list, else BC's form (flagged field mappings by priority). */
export function matchSetsOf(mapping: IntegrationTableMapping): MatchFieldSet[] {
  if (mapping.matchFieldSets) return [...mapping.matchFieldSets].sort((a, b) => a.priority - b.priority);
  const byPriority = new Map<number, MatchFieldSet>();
  for (const f of mapping.fieldMappings) {
    if (!f.useForMatchBasedCoupling || !f.bcField || !f.crmField || f.status !== 'Enabled') continue;
    const set = byPriority.get(f.matchPriority) ?? { priority: f.matchPriority, fields: [] };
    set.fields.push({ bcField: f.bcField, crmField: f.crmField, caseSensitive: f.caseSensitiveMatching });
    byPriority.set(f.matchPriority, set);
  }
  return [...byPriority.values()].sort((a, b) => a.priority - b.priority);
}

/**
 * The comparable form of a match value: Unicode-normalized, punctuation dropped, blanks collapsed, upper
 * case unless case-sensitive. Blank values never match (undefined).
 */
export function normalizeMatchValue(value: unknown, caseSensitive = false): string | undefined {
  if (value === null || value === undefined) return undefined;
  let s = String(value).normalize('NFKC');
  s = s
    .replace(/[.,;:'"`´()[\]{}\-_/\\]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  if (s === '') return undefined;
  return caseSensitive ? s : s.toLocaleUpperCase('en-US');
}

function keyOf(rec: JsonRecord, set: MatchFieldSet, side: MatchSide): string | undefined {
  const parts: string[] = [];
  for (const f of set.fields) {
    const v = normalizeMatchValue(rec[side === 'bc' ? f.bcField : f.crmField], f.caseSensitive);
    if (v === undefined) return undefined;
    parts.push(v);
  }
  return parts.join('\u0000');
}

const describeSet = (set: MatchFieldSet, side: MatchSide): string =>
  set.fields.map((f) => (side === 'bc' ? f.bcField : f.crmField)).join(' + ');

interface Group {
  bc: string[];
  crm: string[];
}

export interface MatchIndexSource {
  bc: TableClient;
  crm: TableClient;
  mapping: IntegrationTableMapping;
  signal?: AbortSignal;
}

/** Which of the given ids (of one side) are coupled already. */
export type CoupledLookup = (side: MatchSide, ids: string[]) => Promise<Set<string>>;

export class MatchIndex {
  /** Ids coupled by match in this run (not yet committed): never a candidate again. */
  private readonly claimed = new Set<string>();

  private constructor(
    private readonly sets: MatchFieldSet[],
    private readonly groups: Array<Map<string, Group>>,
    private readonly labels: Map<string, string>,
  ) {}

  get empty(): boolean {
    return this.groups.every((g) => g.size === 0);
  }

  /**
   * Reads both sides (the destination first: when it holds nothing there is nothing to match, and the
   * source is not read at all - a first sync into an empty system costs no extra read).
   */
  static async build(
    src: MatchIndexSource,
    sets: MatchFieldSet[] = matchSetsOf(src.mapping),
  ): Promise<MatchIndex> {
    const groups = sets.map(() => new Map<string, Group>());
    const labels = new Map<string, string>();
    if (sets.length === 0) return new MatchIndex(sets, groups, labels);
    const { mapping } = src;
    const read = async (side: MatchSide): Promise<number> => {
      const client = side === 'bc' ? src.bc : src.crm;
      const entity = side === 'bc' ? mapping.bc.entitySet : mapping.crm.entitySet;
      const key = side === 'bc' ? client.keyField(entity) : mapping.crm.key;
      const fields = [
        ...new Set(sets.flatMap((s) => s.fields.map((f) => (side === 'bc' ? f.bcField : f.crmField)))),
      ];
      let n = 0;
      for await (const page of client.readPages(entity, {
        filter: side === 'bc' ? mapping.tableFilter : mapping.integrationTableFilter,
        select: [key, ...fields],
        pageSize: side === 'bc' ? 20000 : 5000,
        signal: src.signal,
      })) {
        for (const rec of page.records) {
          const id = String(rec[key] ?? '').toLowerCase();
          if (!id) continue;
          n++;
          labels.set(
            id,
            fields
              .map((f) => rec[f])
              .filter((v) => v !== null && v !== undefined && v !== '')
              .join(' / '),
          );
          sets.forEach((set, i) => {
            const k = keyOf(rec, set, side);
            if (k === undefined) return;
            const g = groups[i]!.get(k) ?? { bc: [], crm: [] };
            g[side].push(id);
            groups[i]!.set(k, g);
          });
        }
      }
      return n;
    };
    // Either side may be the source of a pass; an empty side means no record can match in any pass.
    const crmRows = await read('crm');
    if (crmRows === 0)
      return new MatchIndex(
        sets,
        sets.map(() => new Map()),
        labels,
      );
    const bcRows = await read('bc');
    if (bcRows === 0)
      return new MatchIndex(
        sets,
        sets.map(() => new Map()),
        labels,
      );
    return new MatchIndex(sets, groups, labels);
  }

  /**
   * Decides for a page of uncoupled source records. Group members' couplings are looked up once for the
   * page; a decision to couple claims both records, so no later record of the run can take them.
   */
  async decide(
    source: MatchSide,
    records: Array<{ id: string; rec: JsonRecord; ownId?: string }>,
    coupled: CoupledLookup,
  ): Promise<Map<string, MatchDecision>> {
    const out = new Map<string, MatchDecision>();
    if (this.empty) {
      for (const r of records) out.set(r.id, { kind: 'none' });
      return out;
    }
    const dest: MatchSide = source === 'bc' ? 'crm' : 'bc';
    const touched: Array<{ id: string; ownId?: string; groups: Array<Group | undefined> }> = [];
    const members = { bc: new Set<string>(), crm: new Set<string>() };
    for (const r of records) {
      const groups = this.sets.map((set, i) => {
        const k = keyOf(r.rec, set, source);
        return k === undefined ? undefined : this.groups[i]!.get(k);
      });
      touched.push({ id: r.id, ...(r.ownId ? { ownId: r.ownId } : {}), groups });
      for (const g of groups) {
        // A group with no other-side record cannot couple (below): its members' couplings are not needed,
        // and a page of records without candidates costs no look-up at all.
        if (!g || !g[dest].some((d) => d !== r.ownId)) continue;
        for (const id of g.bc) members.bc.add(id);
        for (const id of g.crm) members.crm.add(id);
      }
    }
    const taken = new Set<string>([
      ...(await coupled('bc', [...members.bc])),
      ...(await coupled('crm', [...members.crm])),
    ]);
    const free = (ids: string[]) => ids.filter((id) => !taken.has(id) && !this.claimed.has(id));
    for (const { id, ownId, groups } of touched) {
      let decision: MatchDecision = { kind: 'none' };
      for (let i = 0; i < this.sets.length; i++) {
        const g = groups[i];
        if (!g) continue;
        // The record's own earlier create (a retried page whose commit was lost) is no candidate: the
        // insert path recognises it by its id and counts it once, as Inserted.
        const destIds = free(g[dest]).filter((d) => d !== ownId);
        if (destIds.length === 0) continue;
        const sourceIds = free(g[source]);
        if (!sourceIds.includes(id)) sourceIds.push(id);
        const set = this.sets[i]!;
        if (destIds.length === 1 && sourceIds.length === 1) {
          decision = { kind: 'couple', destId: destIds[0]!, priority: set.priority };
          this.claimed.add(destIds[0]!);
          this.claimed.add(id);
        } else {
          decision = {
            kind: 'ambiguous',
            priority: set.priority,
            on: `${describeSet(set, 'bc')} = ${describeSet(set, 'crm')}`,
            candidates: [
              ...destIds.map((d) => ({ side: dest, id: d, label: this.labels.get(d) ?? '' })),
              ...sourceIds
                .filter((s) => s !== id)
                .map((s) => ({ side: source, id: s, label: this.labels.get(s) ?? '' })),
            ],
          };
        }
        break;
      }
      out.set(id, decision);
    }
    return out;
  }

  /** Label (match values) of a record seen by the index. */
  label(id: string): string {
    return this.labels.get(id) ?? '';
  }
}
