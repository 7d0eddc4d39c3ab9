// Benchmark (not a test): what record lineage (docs/lineage.md) costs. The same initial synchronization of
// N BC customers (CUSTOMER full sync, both passes, the engine as a worker runs it) twice, each into its
// own fresh Dataverse emulator and MongoDB database: once with lineage off (the baseline), once with it
// on. Prints the time added and the bytes one record-sync adds (BSON size of the lineage documents, and
// the server's own figure for the collection when it gives one).
//
//   npm run build && node dist/bench/lineageOverhead.js [--records 100000] [--page-size 1000] [--lineage-first]
//
// Temporal is not involved (the engine is called directly, as its activity does); MongoDB is
// MONGODB_URI if set, else a fresh dev server. The emulators run in a child process (they hold every
// record in memory), so the engine's process measures the engine alone.
import { fork } from 'node:child_process';
import { BSON } from 'mongodb';
import { createConnectors, type Connectors } from '../activities/connectors';
import { createSyncEngine } from '../activities/engine/engine';
import { DEFAULT_PAGE_SIZE } from '../activities/engine/types';
import { loadMappings } from '../activities/mappings/mappingConfig';
import { connectDatabase, type Database } from '../activities/store/database';
import { LINEAGE_COLLECTION } from '../activities/store/lineage';
import { startEphemeralServers } from '../devservers/devServers';
import { readSettings } from '../config/settings';
import { syncReferenceData } from './support/syncReferenceData';

interface Api {
  url: string;
  tenant: string;
  clientId: string;
  clientSecret: string;
}
interface Emulators {
  bc: Api & { companyId: string; environment: string };
  dataverse: (Api & { integrationUserId: string })[];
}

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

/** Child process: BC with N customers and one demo Dataverse per variant. */
async function hostEmulators(records: number, variants: number): Promise<void> {
  const { startBcEmulator } = await import('../emulators/bc');
  const { startDataverseEmulator } = await import('../emulators/dataverse');
  // Service protection out of the way: this measures bcsync's own work, not the API's limits.
  const budget = { requests: 10_000_000, windowSeconds: 300 };
  const bc = await startBcEmulator({ port: 0, records, faults: { budget } });
  const dvs: Awaited<ReturnType<typeof startDataverseEmulator>>[] = [];
  for (let i = 0; i < variants; i++)
    dvs.push(await startDataverseEmulator({ port: 0, seed: 'demo', faults: { budget } }));
  const api = (e: Api): Api => ({
    url: e.url,
    tenant: e.tenant,
    clientId: e.clientId,
    clientSecret: e.clientSecret,
  });
  const info: Emulators = {
    bc: { ...api(bc), companyId: bc.companyId, environment: bc.environment },
    dataverse: dvs.map((d) => ({ ...api(d), integrationUserId: d.integrationUserId })),
  };
  process.send!(info);
  process.on('message', (m) => {
    if (m === 'stop') void Promise.all([bc.stop(), ...dvs.map((d) => d.stop())]).then(() => process.exit(0));
  });
}

function connectorsFor(info: Emulators, dv: number): Connectors {
  const tokenUrl = (e: Api) => `${e.url}/${e.tenant}/oauth2/v2.0/token`;
  const d = info.dataverse[dv]!;
  return createConnectors({
    bc: {
      ...info.bc,
      company: { id: info.bc.companyId },
      apiUrl: info.bc.url,
      tokenUrl: tokenUrl(info.bc),
      scope: 'https://api.businesscentral.dynamics.com/.default',
      tenantInUrl: false,
      customApiPath: 'bcsync/integration/v1.0',
    },
    dataverse: { ...d, tokenUrl: tokenUrl(d), scope: `${d.url}/.default` },
    http: { timeoutMs: 300_000, retry: { maxAttempts: 8, maxElapsedMs: 300_000, baseDelayMs: 200 } },
  });
}

interface Variant {
  lineage: boolean;
  ms: number;
  lookedAt: number;
  inserted: number;
  lineageDocs: number;
  bsonBytes: number;
  storageBytes: number | null;
}

async function runVariant(
  info: Emulators,
  dv: number,
  uri: string,
  lineage: boolean,
  pageSize: number,
): Promise<Variant> {
  const db: Database = await connectDatabase(uri, {
    dbName: `bench_lineage_${lineage ? 'on' : 'off'}_${Date.now()}`,
  });
  try {
    const connectors = connectorsFor(info, dv);
    const mappings = loadMappings();
    const integrationUserId = info.dataverse[dv]!.integrationUserId;
    await syncReferenceData({ db, connectors, mappings, integrationUserId });
    const engine = createSyncEngine({
      db,
      bc: connectors.bc,
      crm: connectors.dataverse,
      mappings,
      integrationUserId,
      pageSize,
      lineage,
    });
    const t0 = Date.now();
    const run = await engine.fullSync(['CUSTOMER']);
    const ms = Date.now() - t0;
    const counters = run.flatMap((m) => m.passes.map((p) => p.counters));
    const sum = (k: keyof (typeof counters)[number]) => counters.reduce((n, c) => n + Number(c[k] ?? 0), 0);
    let bsonBytes = 0;
    let lineageDocs = 0;
    for await (const doc of db.db.collection(LINEAGE_COLLECTION).find({ mapping: 'CUSTOMER' })) {
      bsonBytes += BSON.calculateObjectSize(doc);
      lineageDocs++;
    }
    const stats = (await db.db.command({ collStats: LINEAGE_COLLECTION }).catch(() => null)) as {
      size?: number;
    } | null;
    return {
      lineage,
      ms,
      lookedAt: sum('inserted') + sum('modified') + sum('unchanged') + sum('skipped') + sum('failed'),
      inserted: sum('inserted'),
      lineageDocs,
      bsonBytes,
      storageBytes: lineage && typeof stats?.size === 'number' ? stats.size : null,
    };
  } finally {
    await db.db.dropDatabase().catch(() => undefined);
    await db.close();
  }
}

async function main(): Promise<void> {
  const records = arg('records', 100_000);
  const pageSize = arg('page-size', DEFAULT_PAGE_SIZE);
  const host = fork(__filename, ['--emulator-host', String(records)], { stdio: 'inherit', execArgv: [] });
  const info = await new Promise<Emulators>((resolve) =>
    host.once('message', (m) => resolve(m as Emulators)),
  );
  const servers = process.env.MONGODB_URI
    ? undefined
    : await startEphemeralServers(readSettings(process.env).dev, 'bcsync-bench-lineage-');
  const uri = process.env.MONGODB_URI ?? servers!.mongodbUri;
  try {
    // --lineage-first: the other order, to see how much the order (a machine busier later) weighs.
    const lineageFirst = process.argv.includes('--lineage-first');
    const on0 = lineageFirst ? await runVariant(info, 1, uri, true, pageSize) : undefined;
    const off = await runVariant(info, 0, uri, false, pageSize);
    const on = on0 ?? (await runVariant(info, 1, uri, true, pageSize));
    const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
    console.log(
      `\nrecords: ${records}; page size: ${pageSize}; CUSTOMER full sync (both passes) by the engine\n`,
    );
    console.log('| Run | Inserted | Records looked at | Lineage entries | Time |\n|---|---|---|---|---|');
    console.log(
      `| Lineage off (baseline) | ${off.inserted} | ${off.lookedAt} | ${off.lineageDocs} | ${s(off.ms)} |`,
    );
    console.log(`| Lineage on | ${on.inserted} | ${on.lookedAt} | ${on.lineageDocs} | ${s(on.ms)} |`);
    const added = ((on.ms - off.ms) / off.ms) * 100;
    console.log(`\nTime added by lineage: ${added >= 0 ? '+' : ''}${added.toFixed(1)}% (target < 10%)`);
    const perEntry = on.lineageDocs ? on.bsonBytes / on.lineageDocs : 0;
    console.log(
      `Bytes per record-sync: ${perEntry.toFixed(0)} B of BSON per lineage entry (${(on.bsonBytes / 1024 / 1024).toFixed(1)} MB for ${on.lineageDocs} entries)` +
        (on.storageBytes !== null
          ? `; the server reports ${(on.storageBytes / 1024 / 1024).toFixed(1)} MB for the collection`
          : ''),
    );
    console.log(
      `At 30 days' retention a mapping with ${records} records each synchronized once a day keeps about ${((perEntry * records * 30) / 1024 / 1024 / 1024).toFixed(2)} GB of lineage.`,
    );
  } finally {
    await servers?.stop();
    host.send('stop');
  }
}

if (process.argv.includes('--emulator-host')) {
  hostEmulators(Number(process.argv[process.argv.indexOf('--emulator-host') + 1]), 2).catch((err) => {
    console.error(err);
    process.exit(1);
  });
} else {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
