// The match review list: uncoupled records whose match-based coupling found more than one candidate
// (docs/match-based-coupling.md). They are never coupled or created by a run; a person couples the right
// pair (`bcsync couple`) and the entry leaves the list. One document per mapping and source record.
import type { Collection } from 'mongodb';

export type MatchSide = 'bc' | 'crm';

/** A record a match found: which side, its id, and a label a person recognises (number or name). */
export interface MatchCandidate {
  side: MatchSide;
  id: string;
  label: string;
}

export interface MatchReviewDoc {
  /** `${mapping}|${side}|${id}` */
  _id: string;
  mapping: string;
  source: MatchCandidate;
  candidates: MatchCandidate[];
  /** The match field set that found them, e.g. `displayName + city = name + address1_city`. */
  on: string;
  jobId: string;
  at: Date;
}

export const matchReviewKey = (mapping: string, side: MatchSide, id: string): string =>
  `${mapping}|${side}|${id}`;

export class MatchReviewStore {
  constructor(private readonly col: Collection<MatchReviewDoc>) {}

  async put(docs: MatchReviewDoc[]): Promise<void> {
    if (docs.length === 0) return;
    await this.col.bulkWrite(
      docs.map((d) => ({ replaceOne: { filter: { _id: d._id }, replacement: d, upsert: true } })),
      { ordered: false },
    );
  }

  async remove(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.col.deleteMany({ _id: { $in: ids } });
  }

  /** The reviews whose source is one of `ids` on `side` (by `_id`: one indexed query). */
  find(mapping: string, side: MatchSide, ids: string[]): Promise<MatchReviewDoc[]> {
    if (ids.length === 0) return Promise.resolve([]);
    return this.col.find({ _id: { $in: ids.map((id) => matchReviewKey(mapping, side, id)) } }).toArray();
  }

  list(filter: { mapping?: string; limit?: number } = {}): Promise<MatchReviewDoc[]> {
    return this.col
      .find(filter.mapping ? { mapping: filter.mapping } : {})
      .sort({ mapping: 1, _id: 1 })
      .limit(filter.limit ?? 1000)
      .toArray();
  }
}
