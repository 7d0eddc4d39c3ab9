// Each test file gets its own database on the shared server, dropped afterwards.
import { randomUUID } from 'node:crypto';
import { connectDatabase, type Database } from '../../activities/store/database';

export function mongoUri(): string {
  const uri = process.env.MONGODB_URI;
  if (!uri)
    throw new Error('MONGODB_URI is not set: tests run through jest, whose global setup starts the servers');
  return uri;
}

export async function testDatabase(prefix = 'test'): Promise<Database> {
  const dbName = `${prefix}_${randomUUID().slice(0, 8)}`.replace(/[^a-zA-Z0-9_]/g, '_');
  const database = await connectDatabase(mongoUri(), { dbName, maxPoolSize: 10 });
  const close = database.close;
  return {
    ...database,
    close: async () => {
      await database.db.dropDatabase().catch(() => undefined);
      await close();
    },
  };
}
