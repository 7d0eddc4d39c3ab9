// The records a pass must try again (rule 4.2: "first retries records whose last result was Failure and
// are not skipped"), including records that never got a coupling because their insert failed: BC only
// retries coupled records, so a failed insert waits until someone edits the record again (peers.md pain
// point 2, "sync stalls silently"). Kept apart from the couplings so that selecting the failures reads a
// small collection, not every coupling (FerretDB scans a collection for any non-`_id` filter).
import type { Collection, Db } from 'mongodb';
import type { PassDirection } from '../../common/passDirection';
import { WRITE_CHUNK } from './couplings';

export interface RetryDoc {
  _id: string;
  mapping: string;
  direction: PassDirection;
  /** Id of the source record (BC id for toCrm, CRM id for fromCrm). */
  sourceId: string;
  /** Same error twice in a row in this direction (section 3): left out until a user retries it. */
  skipped: boolean;
  failures: number;
  lastError: string;
  lastJobId: string;
  at: Date;
}

export const retryKey = (mapping: string, direction: PassDirection, sourceId: string): string =>
  `${mapping}|${direction}|${sourceId}`;

export const RETRY_COLLECTION = 'synchronizationRetries';

export class RetryQueueStore {
  private readonly col: Collection<RetryDoc>;

  constructor(db: Db) {
    this.col = db.collection<RetryDoc>(RETRY_COLLECTION);
  }

  load(mapping: string, direction: PassDirection): Promise<RetryDoc[]> {
    return this.col.find({ mapping, direction }).toArray();
  }

  all(mapping?: string): Promise<RetryDoc[]> {
    return this.col.find(mapping ? { mapping } : {}).toArray();
  }

  async applyPage(put: RetryDoc[], remove: string[]): Promise<void> {
    const ops = [
      ...put.map((doc) => ({ replaceOne: { filter: { _id: doc._id }, replacement: doc, upsert: true } })),
      ...remove.map((id) => ({ deleteOne: { filter: { _id: id } } })),
    ];
    // Fewer than 100 statements per command: FerretDB v1.24 hangs on larger update commands.
    for (let i = 0; i < ops.length; i += WRITE_CHUNK) {
      await this.col.bulkWrite(ops.slice(i, i + WRITE_CHUNK), { ordered: false });
    }
  }

  /** Retry / Retry All of the errors page: the records are tried again at the next run. */
  async clearSkipped(mapping: string, sourceIds?: string[]): Promise<number> {
    const res = await this.col.updateMany(
      sourceIds ? { mapping, sourceId: { $in: sourceIds } } : { mapping, skipped: true },
      { $set: { skipped: false, lastError: '' } },
    );
    return res.modifiedCount;
  }
}
