// The smallest proof that the stack is wired: a workflow on a real worker runs this activity, which
// writes to MongoDB and reads the document back. `bcsync check` and the end-to-end test use it.
import type { Db } from 'mongodb';

export interface StackCheckResult {
  token: string;
  database: string;
  writtenAt: string;
  readBack: boolean;
}

interface StackCheckDoc {
  _id: string;
  writtenAt: Date;
}

export function createStackCheckActivities(deps: { db: Db }) {
  return {
    async recordStackCheck(token: string): Promise<StackCheckResult> {
      const col = deps.db.collection<StackCheckDoc>('stackChecks');
      const writtenAt = new Date();
      await col.replaceOne({ _id: token }, { writtenAt }, { upsert: true });
      const doc = await col.findOne({ _id: token });
      return {
        token,
        database: deps.db.databaseName,
        writtenAt: writtenAt.toISOString(),
        readBack: doc?.writtenAt?.getTime() === writtenAt.getTime(),
      };
    },
  };
}
