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
