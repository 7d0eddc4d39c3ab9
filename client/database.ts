import { connectDatabase, type Database } from '../activities/store/database';
import type { CliContext } from './context';

export async function withDatabase<T>(ctx: CliContext, fn: (db: Database) => Promise<T>): Promise<T> {
  const database = await connectDatabase(ctx.connection().mongodbUri, {
    dbName: ctx.settings().mongo.dbName,
    maxPoolSize: 5,
  });
  try {
    return await fn(database);
  } finally {
    await database.close();
  }
}
