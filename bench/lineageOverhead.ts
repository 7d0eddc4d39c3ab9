// Benchmark (not a test): what record lineage (docs/lineage.md) costs. The same initial synchronization of
// N BC customers (CUSTOMER full sync, both passes, the engine as a worker runs it) with lineage off (the
// baseline) and on, interleaved and repeated: round 1 off then on, round 2 on then off, ... so that a
// machine that gets busier or quieter weighs on both alike. Every run gets its own fresh emulator world
// (the same seeds: bench/support/benchWorld.ts) and its own fresh MongoDB database. Prints each run, the
// median of each variant and their ratio, and the bytes lineage adds: BSON per entry and per record-sync
// (and the server's own figures for the collection and its indexes when it gives them), and how long
// `bcsync why` takes to read a record's story from that much lineage (the command's own read,
// client/recordStory.ts, for records picked across the table, and a --name search).
//
//   npm run build && nice -n 10 node dist/bench/lineageOverhead.js [--records 20000] [--rounds 3]
//     [--page-size 1000] [--why 15 (records whose story is read after each run with lineage)]
//
// Temporal is not involved (the engine is called directly, as its activity does); MongoDB is
// MONGODB_URI if set, else a fresh dev server. The emulators run in a child process, so this process
// measures the engine alone (its CPU time is printed next to the wall time, and the database server's
// when this benchmark started it: CPU time weighs less than wall time on a machine others load too).
import { BSON } from 'mongodb';
import { createSyncEngine } from '../activities/engine/engine';
import { DEFAULT_PAGE_SIZE } from '../activities/engine/types';
import { loadMappings } from '../activities/mappings/mappingConfig';
import {
  LINEAGE_COLLECTION,
  LineageStore,
  pageEntries,
  type LineagePageDoc,
} from '../activities/store/lineage';
import { readRecordStory } from '../client/recordStory';
import { readSettings } from '../config/settings';
import { startEphemeralServers } from '../devservers/devServers';
import type { Database } from '../activities/store/database';
import { prepareDatabase, startWorld } from './support/benchWorld';
import { cpuSeconds } from './support/processCpu';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

interface Run {
  lineage: boolean;
  round: number;
  ms: number;
  /** CPU time of this process (the engine) during the sync. */
  cpuMs: number;
  /** CPU time of the database server during the sync (when this benchmark started it). */
  dbCpuMs: number | null;
  lookedAt: number;
  inserted: number;
  /** Lineage entries (one per record and pass) and the documents that hold them (one per page). */
  lineageEntries: number;
  lineageDocs: number;
  bsonBytes: number;
  /** `bcsync why`'s read of one record's story (median and slowest of the records tried), and a --name search. */
  whyMs: { median: number; max: number; tried: number; name: number } | null;
  /** The server's figures for the lineage collection (collStats), when it gives them. */
  dataBytes: number | null;
  indexBytes: number | null;
}

interface Setup {
  records: number;
  pageSize: number;
  uri: string;
  mongoPid?: number;
}

async function measure(lineage: boolean, round: number, { records, pageSize, uri, mongoPid }: Setup) {
  const world = await startWorld({ records, organizations: [{}], serviceProtection: 'off' });
  const { db, connectors, drop } = await prepareDatabase(
    world.info,
    0,
    uri,
    `bench_lineage_${round}_${lineage ? 'on' : 'off'}_${Date.now()}`,
  );
  try {
    const engine = createSyncEngine({
      db,
      bc: connectors.bc,
      crm: connectors.dataverse,
      mappings: loadMappings(),
      integrationUserId: world.info.dataverse[0]!.integrationUserId,
      pageSize,
      lineage,
    });
    const dbCpu = () => (mongoPid !== undefined ? cpuSeconds(mongoPid) * 1000 : Number.NaN);
    const dbCpu0 = dbCpu();
    const cpu0 = process.cpuUsage();
    const t0 = Date.now();
    const result = await engine.fullSync(['CUSTOMER']);
    const ms = Date.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    const dbCpuMs = dbCpu() - dbCpu0;
    const counters = result.flatMap((m) => m.passes.map((p) => p.counters));
    const sum = (k: keyof (typeof counters)[number]) => counters.reduce((n, c) => n + Number(c[k] ?? 0), 0);
    let bsonBytes = 0;
    let lineageDocs = 0;
    let lineageEntries = 0;
    for await (const doc of db.db
      .collection<LineagePageDoc>(LINEAGE_COLLECTION)
      .find({ mapping: 'CUSTOMER' })) {
      bsonBytes += BSON.calculateObjectSize(doc);
      lineageDocs++;
      lineageEntries += pageEntries(doc).length;
    }
    const whyMs = lineage ? await timeWhy(db) : null;
    const stats = (await db.db.command({ collStats: LINEAGE_COLLECTION }).catch(() => null)) as {
      size?: number;
      totalIndexSize?: number;
    } | null;
    const run: Run = {
      lineage,
      round,
      ms,
      cpuMs: (cpu.user + cpu.system) / 1000,
      dbCpuMs: Number.isNaN(dbCpuMs) ? null : dbCpuMs,
      lookedAt: sum('inserted') + sum('modified') + sum('unchanged') + sum('skipped') + sum('failed'),
      inserted: sum('inserted'),
      lineageEntries,
      lineageDocs,
      whyMs,
      bsonBytes,
      dataBytes: lineage && typeof stats?.size === 'number' ? stats.size : null,
      indexBytes: lineage && typeof stats?.totalIndexSize === 'number' ? stats.totalIndexSize : null,
    };
    return run;
  } finally {
    await drop();
    await world.stop();
  }
}

/**
 * `bcsync why CUSTOMER --bc <id>` without the process start: the story of records spread over the table
 * (first, last and between, so early and late pages alike), then one `--name` search.
 */
async function timeWhy(db: Database): Promise<Run['whyMs']> {
  const mapping = loadMappings().mappings.find((m) => m.name === 'CUSTOMER')!;
  const couplings = await db.cols.couplings
    .find({ mapping: 'CUSTOMER' })
    .project<{ bcId: string }>({ bcId: 1 })
    .toArray();
  if (couplings.length === 0) return null;
  const tries = Math.max(2, arg('why', 15));
  const picked = Array.from(
    { length: tries },
    (_, i) => couplings[Math.floor((i * (couplings.length - 1)) / (tries - 1))]!,
  );
  const times: number[] = [];
  for (const c of picked) {
    const t0 = performance.now();
    const story = await readRecordStory(db, mapping, { bcId: c.bcId }, null);
    times.push(performance.now() - t0);
    if (story.history.length === 0) throw new Error(`why found no history for BC record ${c.bcId}`);
  }
  const middle = picked[Math.floor(tries / 2)]!;
  const label = (await new LineageStore(db.db).history({ mapping: 'CUSTOMER', bcId: middle.bcId }))[0]?.label;
  const t0 = performance.now();
  const found = label ? await new LineageStore(db.db).findByLabel('CUSTOMER', label) : [];
  const name = performance.now() - t0;
  if (found.length === 0) throw new Error(`why --name found nothing for "${label}"`);
  return { median: median(times), max: Math.max(...times), tried: tries, name };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

async function main(): Promise<void> {
  const records = arg('records', 20_000);
  const rounds = arg('rounds', 3);
  const pageSize = arg('page-size', DEFAULT_PAGE_SIZE);
  const servers = process.env.MONGODB_URI
    ? undefined
    : await startEphemeralServers(readSettings(process.env).dev, 'bcsync-bench-lineage-');
  const uri = process.env.MONGODB_URI ?? servers!.mongodbUri;
  const runs: Run[] = [];
  try {
    for (let round = 1; round <= rounds; round++) {
      const order = round % 2 ? [false, true] : [true, false];
      for (const lineage of order) {
        const run = await measure(lineage, round, { records, pageSize, uri, mongoPid: servers?.mongoPid });
        runs.push(run);
        // Each run as it ends: a long benchmark that is stopped still leaves its figures.
        console.error(`run done: ${JSON.stringify(run)}`);
      }
    }
  } finally {
    await servers?.stop();
  }
  const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  console.log(
    `\nrecords: ${records}; page size: ${pageSize}; CUSTOMER full sync (both passes) by the engine; ${rounds} rounds, each run in a fresh world\n`,
  );
  console.log(
    '| Round | Lineage | Inserted | Records looked at | Lineage entries (documents) | Time | Engine CPU | Database CPU | `why` read (median / max; --name) |\n|---|---|---|---|---|---|---|---|---|',
  );
  for (const r of runs)
    console.log(
      `| ${r.round} | ${r.lineage ? 'on' : 'off'} | ${r.inserted} | ${r.lookedAt} | ${r.lineageEntries} (${r.lineageDocs}) | ${s(r.ms)} | ${s(r.cpuMs)} | ${r.dbCpuMs === null ? '-' : s(r.dbCpuMs)} | ${r.whyMs ? `${r.whyMs.median.toFixed(0)} / ${r.whyMs.max.toFixed(0)} ms; ${r.whyMs.name.toFixed(0)} ms` : '-'} |`,
    );
  const off = runs.filter((r) => !r.lineage);
  const on = runs.filter((r) => r.lineage);
  const offMs = median(off.map((r) => r.ms));
  const onMs = median(on.map((r) => r.ms));
  const offCpu = median(off.map((r) => r.cpuMs));
  const onCpu = median(on.map((r) => r.cpuMs));
  const pct = (a: number, b: number) => {
    const p = ((a - b) / b) * 100;
    return `${p >= 0 ? '+' : ''}${p.toFixed(1)}%`;
  };
  console.log(
    `\nMedian time: lineage off ${s(offMs)}, on ${s(onMs)}: on/off ${(onMs / offMs).toFixed(3)} (${pct(onMs, offMs)}; target < +10%)`,
  );
  console.log(`Median engine CPU: off ${s(offCpu)}, on ${s(onCpu)} (${pct(onCpu, offCpu)})`);
  if (runs.every((r) => r.dbCpuMs !== null)) {
    const offDb = median(off.map((r) => r.dbCpuMs!));
    const onDb = median(on.map((r) => r.dbCpuMs!));
    console.log(`Median database server CPU: off ${s(offDb)}, on ${s(onDb)} (${pct(onDb, offDb)})`);
  }
  const last = on[on.length - 1]!;
  const perEntry = last.lineageEntries ? last.bsonBytes / last.lineageEntries : 0;
  const perRecordSync = last.lookedAt ? last.bsonBytes / last.lookedAt : 0;
  const mb = (b: number) => `${(b / 1024 / 1024).toFixed(1)} MB`;
  console.log(
    `Bytes: ${perEntry.toFixed(0)} B of BSON per lineage entry, ${perRecordSync.toFixed(0)} B per record-sync (${mb(last.bsonBytes)} for ${last.lineageEntries} entries in ${last.lineageDocs} documents, ${last.lookedAt} records looked at)` +
      (last.dataBytes !== null ? `; the server reports ${mb(last.dataBytes)} of data` : '') +
      (last.indexBytes !== null ? ` and ${mb(last.indexBytes)} of indexes` : ''),
  );
  const whys = on.map((r) => r.whyMs).filter((w): w is NonNullable<Run['whyMs']> => w !== null);
  if (whys.length)
    console.log(
      `\`bcsync why\` read (client/recordStory.ts) from ${last.lineageEntries} entries: median ${median(whys.map((w) => w.median)).toFixed(0)} ms per record (slowest ${Math.max(...whys.map((w) => w.max)).toFixed(0)} ms, ${whys[0]!.tried} records per run); --name search ${median(whys.map((w) => w.name)).toFixed(0)} ms`,
    );
  console.log(
    `At 30 days' retention a mapping with ${records} records each synchronized once a day keeps about ${((perRecordSync * records * 30) / 1024 / 1024 / 1024).toFixed(2)} GB of lineage BSON.`,
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
