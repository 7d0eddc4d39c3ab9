import { connectDatabase, type Database } from '../activities/store/database';
import { connectionSettings } from '../devservers/devServers';

export async function withDatabase<T>(fn: (db: Database) => Promise<T>): Promise<T> {
  const database = await connectDatabase(connectionSettings().mongodbUri, { maxPoolSize: 5 });
  try {
    return await fn(database);
  } finally {
    await database.close();
  }
}
