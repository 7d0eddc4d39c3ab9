// Integration Synch. Job (section 5): one document per pass, written when the pass starts and
// completed at the end, so a crashed pass is visible as unfinished rather than missing.
import type { Collection } from 'mongodb';
import { randomUUID } from 'node:crypto';

export type JobDirection = 'ToIntegrationTable' | 'FromIntegrationTable';
export type JobType = 'Synchronization' | 'Coupling' | 'Uncoupling' | 'Statistics';

export interface JobCounters {
  inserted: number;
  modified: number;
  deleted: number;
  unchanged: number;
  skipped: number;
  failed: number;
  coupled: number;
  uncoupled: number;
}

export const zeroCounters = (): JobCounters => ({
  inserted: 0,
  modified: 0,
  deleted: 0,
  unchanged: 0,
  skipped: 0,
  failed: 0,
  coupled: 0,
  uncoupled: 0,
});

export interface JobLogDoc extends JobCounters {
  _id: string;
  mapping: string;
  direction: JobDirection;
  type: JobType;
  startedAt: Date;
  finishedAt?: Date;
  message?: string;
  /** The Temporal workflow/run that did it: lineage for "what happened to this record, and why?". */
  workflowId?: string;
  runId?: string;
  /**
   * Where a pass resumes after a crash or an activity retry: the last page whose counters are included
   * above, and the read position after it. Pages up to `pageSeq` are counted exactly once.
   */
  checkpoint?: PassCheckpoint;
  /** The pass's start time, kept so a resumed pass caps its watermark at the same instant (rule 4.5). */
  runStartedAt?: Date;
}

export interface PassCheckpoint {
  /** retry: failures first (rule 4.2); changes: since the watermark; watermark: pages done, move it. */
  phase: 'retry' | 'changes' | 'watermark' | 'done';
  /** Pages committed so far (their counters are in the job document). */
  pageSeq: number;
  /** `@odata.nextLink` to read next (phase `changes`); absent = start of the phase or its end. */
  nextLink?: string;
  /** Newest modified time seen so far (the next watermark, before the cap). */
  maxModifiedOn?: Date;
  /** The watermark the pass reads from (kept so a resumed pass reads the same window). */
  readFrom?: Date;
  /**
   * The source API's own time when it answered the first page of changes (its `Date` header): the cap of
   * the next watermark (rule 4.5), so a worker clock ahead of or behind the server moves nothing.
   */
  readStartedAt?: Date;
}

export class JobLogStore {
  constructor(private readonly col: Collection<JobLogDoc>) {}

  async start(
    entry: Omit<JobLogDoc, '_id' | 'startedAt' | keyof JobCounters> & { _id?: string; startedAt?: Date },
  ): Promise<JobLogDoc> {
    const doc: JobLogDoc = {
      ...zeroCounters(),
      ...entry,
      _id: entry._id ?? randomUUID(),
      startedAt: entry.startedAt ?? new Date(),
    };
    // Upsert by id: a retried activity that re-starts the same pass keeps one row.
    await this.col.updateOne({ _id: doc._id }, { $setOnInsert: doc }, { upsert: true });
    return doc;
  }

  async finish(id: string, counters: JobCounters, message?: string, finishedAt = new Date()): Promise<void> {
    await this.col.updateOne({ _id: id }, { $set: { ...counters, message, finishedAt } });
  }

  /**
   * Commits one page: adds its counters and moves the checkpoint, in one single-document update, so a
   * page is counted exactly when its checkpoint moves (no transaction needed).
   */
  async commitPage(id: string, counters: Partial<JobCounters>, checkpoint: PassCheckpoint): Promise<void> {
    const inc = Object.fromEntries(Object.entries(counters).filter(([, v]) => v !== 0 && v !== undefined));
    await this.col.updateOne(
      { _id: id },
      { ...(Object.keys(inc).length ? { $inc: inc } : {}), $set: { checkpoint } },
    );
  }

  /** Marks a pass finished (its counters were committed page by page). */
  async complete(
    id: string,
    message: string | undefined,
    finishedAt = new Date(),
  ): Promise<JobLogDoc | null> {
    await this.col.updateOne(
      { _id: id },
      { $set: { finishedAt, ...(message !== undefined ? { message } : {}) } },
    );
    return this.get(id);
  }

  /** Newest first. */
  list(filter: { mapping?: string; limit?: number } = {}): Promise<JobLogDoc[]> {
    return this.col
      .find(filter.mapping ? { mapping: filter.mapping } : {})
      .sort({ startedAt: -1 })
      .limit(filter.limit ?? 50)
      .toArray();
  }

  get(id: string): Promise<JobLogDoc | null> {
    return this.col.findOne({ _id: id });
  }
}
