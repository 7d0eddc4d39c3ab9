// Which MongoDB-compatible server a database is on, where the portable subset is not enough: FerretDB
// cannot index an array (activities/store/database.ts, activities/store/lineage.ts).
import type { Db } from 'mongodb';

/** FerretDB names itself in buildInfo (`ferretdbVersion`); MongoDB, Cosmos DB and DocumentDB do not. */
export async function isFerretDb(db: Db): Promise<boolean> {
  const info = await db
    .admin()
    .command({ buildInfo: 1 })
    .catch(() => ({}) as Record<string, unknown>);
  return 'ferretdbVersion' in info;
}
