import { companyDatabase } from '../activities/companyScope';
import { CompanyStore, DEFAULT_COMPANY } from '../activities/store/companies';
import { connectDatabase, type Database } from '../activities/store/database';
import type { CliContext } from './context';
import { CliError } from './output';

/** The base database: the default company's data, the company registry, the throttling budgets. */
export async function withBaseDatabase<T>(ctx: CliContext, fn: (db: Database) => Promise<T>): Promise<T> {
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

/** The database of the selected company (`--company`); a company that is not registered is refused. */
export async function withDatabase<T>(
  ctx: CliContext,
  fn: (db: Database, base: Database) => Promise<T>,
): Promise<T> {
  return withBaseDatabase(ctx, async (base) => {
    const company = ctx.company();
    if (company !== DEFAULT_COMPANY && !(await new CompanyStore(base.db).get(company))) {
      throw new CliError(`no company "${company}": see \`bcsync companies list\``, 2);
    }
    return fn(await companyDatabase(base, ctx.settings().mongo.dbName, company), base);
  });
}
