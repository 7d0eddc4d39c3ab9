// The MongoDB side of bcsync: collection names, typed handles and idempotent index creation.
// Portable subset only (dev-servers.md): no transactions, change streams, TTL indexes or $lookup;
// atomic single-document writes and unique indexes instead, so FerretDB, Cosmos DB and DocumentDB work.
import { MongoClient, type Collection, type Db, type IndexDescription } from 'mongodb';
import { maskSecrets } from '../../common/secretMasking';
import type { CouplingDoc } from './couplings';
import type { JobLogDoc } from './jobLog';
import type { SyncErrorDoc } from './syncErrors';
import type { MappingDoc } from './mappingStore';
import type { JobQueueEntryDoc } from './jobQueueEntries';
import { LINEAGE_COLLECTION, type LineagePageDoc } from './lineage';
import { isFerretDb } from './serverKind';
import type { MatchReviewDoc } from './matchReviews';
import type { MappingLeaseDoc } from './mappingLeases';

export const collectionNames = {
  mappings: 'integrationTableMappings',
  couplings: 'couplings',
  jobLog: 'synchronizationJobs',
  syncErrors: 'synchronizationErrors',
  jobQueueEntries: 'jobQueueEntries',
  lineage: LINEAGE_COLLECTION,
  matchReviews: 'matchReviews',
  mappingLeases: 'mappingLeases',
} as const;

export interface Collections {
  mappings: Collection<MappingDoc>;
  couplings: Collection<CouplingDoc>;
  jobLog: Collection<JobLogDoc>;
  syncErrors: Collection<SyncErrorDoc>;
  jobQueueEntries: Collection<JobQueueEntryDoc>;
  lineage: Collection<LineagePageDoc>;
  matchReviews: Collection<MatchReviewDoc>;
  mappingLeases: Collection<MappingLeaseDoc>;
}

export function collections(db: Db): Collections {
  return {
    mappings: db.collection<MappingDoc>(collectionNames.mappings),
    couplings: db.collection<CouplingDoc>(collectionNames.couplings),
    jobLog: db.collection<JobLogDoc>(collectionNames.jobLog),
    syncErrors: db.collection<SyncErrorDoc>(collectionNames.syncErrors),
    jobQueueEntries: db.collection<JobQueueEntryDoc>(collectionNames.jobQueueEntries),
    lineage: db.collection<LineagePageDoc>(collectionNames.lineage),
    matchReviews: db.collection<MatchReviewDoc>(collectionNames.matchReviews),
    mappingLeases: db.collection<MappingLeaseDoc>(collectionNames.mappingLeases),
  };
}

/**
 * An index on an array field (multikey) is left out on FerretDB: FerretDB v1 indexes the whole array as
 * one value (its PostgreSQL backend refuses a row whose key passes 8 kB, as a page's ids do) and filters
 * on an array element never use it.
 */
type IndexSpec = IndexDescription & { multikey?: true };

const indexes: Record<keyof Collections, IndexSpec[]> = {
  mappings: [],
  couplings: [
    // One-to-one coupling (section 3): a record is coupled at most once per mapping on each side.
    { key: { mapping: 1, bcId: 1 }, name: 'mapping_bcId', unique: true },
    { key: { mapping: 1, crmId: 1 }, name: 'mapping_crmId', unique: true },
  ],
  jobLog: [
    { key: { mapping: 1, startedAt: -1 }, name: 'mapping_startedAt' },
    { key: { startedAt: -1 }, name: 'startedAt' },
  ],
  syncErrors: [
    { key: { jobId: 1 }, name: 'jobId' },
    { key: { mapping: 1, at: -1 }, name: 'mapping_at' },
  ],
  jobQueueEntries: [],
  lineage: [
    // A record's history by either side (`ids` holds a page's `b:<BC id>` and `c:<CRM id>`), newest
    // first; `at` alone for the retention clean-up.
    { key: { mapping: 1, ids: 1, at: -1 }, name: 'mapping_ids_at', multikey: true },
    { key: { at: 1 }, name: 'at' },
  ],
  matchReviews: [{ key: { mapping: 1 }, name: 'mapping' }],
  // A mapping's newest lease first (one run of a mapping at a time, mappingLeases.ts).
  mappingLeases: [{ key: { mapping: 1, n: -1 }, name: 'mapping_n' }],
};

/**
 * Creates the indexes that do not exist yet; safe at every start. Existing ones are listed first because
 * FerretDB v1 drops the connection on a createIndexes whose indexes all exist already.
 */
export async function ensureIndexes(db: Db): Promise<void> {
  const cols = collections(db);
  const ferretDb = await isFerretDb(db);
  for (const [name, all] of Object.entries(indexes) as [keyof Collections, IndexSpec[]][]) {
    const specs = all.filter((s) => !(ferretDb && s.multikey)).map(({ multikey: _, ...s }) => s);
    if (specs.length === 0) continue;
    const existing = new Set(
      (
        await cols[name]
          .listIndexes()
          .toArray()
          .catch(() => [] as { name?: string }[])
      ).map((i) => i.name),
    );
    const toCreate = specs.filter((s) => !existing.has(s.name));
    if (toCreate.length > 0) await cols[name].createIndexes(toCreate);
  }
}

export { isFerretDb } from './serverKind';

export interface Database {
  client: MongoClient;
  db: Db;
  cols: Collections;
  close(): Promise<void>;
}

export async function connectDatabase(
  uri: string,
  options: { dbName?: string; maxPoolSize?: number } = {},
): Promise<Database> {
  let client: MongoClient;
  try {
    // The constructor parses the URI (and throws on a bad option): inside the try, so its message is
    // masked as well.
    client = new MongoClient(uri, {
      maxPoolSize: options.maxPoolSize ?? 20,
      serverSelectionTimeoutMS: 15000,
    });
    await client.connect();
  } catch (err) {
    // The driver's message can echo the URI; never let a password or a secret option through.
    throw new Error(
      `cannot connect to MongoDB at ${maskSecrets(uri)}: ${maskSecrets((err as Error).message).replace(/\.$/, '')}. Check MONGODB_URI or run \`bcsync servers up\`.`,
    );
  }
  const db = client.db(options.dbName ?? 'bcsync');
  await ensureIndexes(db);
  return { client, db, cols: collections(db), close: () => client.close() };
}
