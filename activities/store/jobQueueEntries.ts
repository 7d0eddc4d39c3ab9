// Job queue entry settings: what `bcsync setup` starts and `bcsync set` changes. The running state
// (status, next run) lives in the entry's Temporal workflow; this is the durable configuration.
import type { Collection } from 'mongodb';
import type { JobQueueSettings } from '../mappings/integrationTableMapping';

export interface JobQueueEntryDoc extends JobQueueSettings {
  _id: string;
  kind: 'synchronization' | 'statistics';
  mappings: string[];
  updatedAt: Date;
}

export class JobQueueEntryStore {
  constructor(private readonly col: Collection<JobQueueEntryDoc>) {}

  /** Inserts defaults for entries that do not exist; never overwrites a user's changes. */
  async seedDefaults(entries: Omit<JobQueueEntryDoc, 'updatedAt'>[], now = new Date()): Promise<void> {
    if (entries.length === 0) return;
    await this.col.bulkWrite(
      entries.map((e) => ({
        updateOne: {
          filter: { _id: e._id },
          update: { $setOnInsert: { ...e, updatedAt: now } },
          upsert: true,
        },
      })),
    );
  }

  async update(
    id: string,
    changes: Partial<JobQueueSettings>,
    now = new Date(),
  ): Promise<JobQueueEntryDoc | null> {
    return this.col.findOneAndUpdate(
      { _id: id },
      { $set: { ...changes, updatedAt: now } },
      { returnDocument: 'after' },
    );
  }

  all(): Promise<JobQueueEntryDoc[]> {
    return this.col.find({}).sort({ _id: 1 }).toArray();
  }

  get(id: string): Promise<JobQueueEntryDoc | null> {
    return this.col.findOne({ _id: id });
  }
}
