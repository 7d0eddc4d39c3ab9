// Integration Synch. Job Errors (section 5): one document per failed record of a pass.
import { MongoBulkWriteError, type Collection } from 'mongodb';
import { randomUUID } from 'node:crypto';
import type { JobDirection } from './jobLog';

export interface RecordRef {
  system: 'bc' | 'crm';
  entity: string;
  id?: string;
  /** A human key (customer number, account name) so a person can find the record. */
  label?: string;
}

export interface SyncErrorDoc {
  _id: string;
  jobId: string;
  mapping: string;
  direction: JobDirection;
  source: RecordRef;
  destination?: RecordRef;
  message: string;
  /** Exception detail: the API's own code, status, or a stack. Never secrets. */
  detail?: string;
  at: Date;
}

export class SyncErrorStore {
  constructor(private readonly col: Collection<SyncErrorDoc>) {}

  async add(errors: Omit<SyncErrorDoc, '_id'>[]): Promise<void> {
    if (errors.length === 0) return;
    await this.col.insertMany(errors.map((e) => ({ ...e, _id: randomUUID() })));
  }

  /**
   * Adds errors with caller-chosen ids (`${jobId}|${sourceId}`): a replayed page after a crash inserts the
   * same ids again and the duplicates are ignored, so one failed record gives one error entry per job.
   */
  async addOnce(errors: SyncErrorDoc[]): Promise<void> {
    if (errors.length === 0) return;
    try {
      await this.col.insertMany(errors, { ordered: false });
    } catch (err) {
      if (!(err instanceof MongoBulkWriteError)) throw err;
      const writeErrors = Array.isArray(err.writeErrors) ? err.writeErrors : [err.writeErrors];
      if (writeErrors.some((e) => e.code !== 11000)) throw err;
    }
  }

  /** Newest first. */
  list(filter: { mapping?: string; jobId?: string; limit?: number } = {}): Promise<SyncErrorDoc[]> {
    const q: Partial<Pick<SyncErrorDoc, 'mapping' | 'jobId'>> = {};
    if (filter.mapping) q.mapping = filter.mapping;
    if (filter.jobId) q.jobId = filter.jobId;
    return this.col
      .find(q)
      .sort({ at: -1 })
      .limit(filter.limit ?? 100)
      .toArray();
  }
}
