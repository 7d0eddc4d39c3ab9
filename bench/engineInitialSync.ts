// Benchmark (not a test): initial sync of N BC customers into an (almost) empty CRM by a real bcsync worker
// (Temporal entry workflow, "run now" with full sync), against a raw-copy baseline on the same emulators
// (read BC pages, batch-write Dataverse; no engine, no MongoDB, no Temporal), then an incremental run after
// changing 1% of the records on each side.
//
//   npm run build && node dist/bench/engineInitialSync.js [--records 100000] [--page-size 1000]
//
// Temporal and MongoDB: TEMPORAL_ADDRESS / MONGODB_URI if set, else fresh dev servers (devservers `up`).
// The emulators run in one child process (bench/support/benchWorld.ts) and the worker in another,
// started as `bcsync worker` starts it (with its memory settings, worker/processSettings.ts), so the peak
// RSS printed (the kernel's VmHWM) is the worker process alone. BENCH_ALLOC_PROFILE=<file> writes the worker's allocation profile;
// BENCH_VERBOSE=1 logs its memory every second.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Client, Connection } from '@temporalio/client';
import { createDataverseClient, type Connectors } from '../activities/connectors';
import type { JsonRecord, WriteOperation } from '../activities/connectors/types';
import { DEFAULT_PAGE_SIZE } from '../activities/engine/types';
import type { Database } from '../activities/store/database';
import { entryWorkflowId, type RunResult } from '../common/jobQueue';
import { startEphemeralServers } from '../devservers/devServers';
import { startWorker } from '../worker/worker';
import { workerNodeArgs } from '../worker/processSettings';
import { startBenchWorker, type BenchWorker } from './support/benchWorker';
import type { jobQueueEntry } from '../workflows';
import { runNowUpdate } from '../workflows/messages';
import { readSettings } from '../config/settings';
import {
  BENCH_HTTP,
  prepareDatabase,
  startWorld,
  worldConnectors,
  worldEnv,
  type WorldInfo,
} from './support/benchWorld';

const SALES_USER = { clientId: 'bench-sales-user', clientSecret: 'bench-sales-secret' };

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

/** The raw-copy baseline: BC pages straight into Dataverse batches, the same fields, nothing else. */
async function rawCopy(connectors: Connectors, pageSize: number): Promise<number> {
  let copied = 0;
  for await (const page of connectors.bc.readPages('customers', { filter: "blocked eq ' '", pageSize })) {
    const ops: WriteOperation[] = page.records.map((c: JsonRecord) => ({
      kind: 'create',
      entity: 'accounts',
      id: String(c.id),
      body: {
        name: c.displayName,
        address1_line1: c.addressLine1 || null,
        address1_line2: c.addressLine2 || null,
        address1_postalcode: c.postalCode || null,
        address1_city: c.city || null,
        address1_country: c.country || null,
        address1_stateorprovince: c.state || null,
        emailaddress1: c.email || null,
        websiteurl: c.website || null,
        telephone1: c.phoneNumber || null,
        creditlimit: c.creditLimit,
        customertypecode: 3,
      },
    }));
    const results = await connectors.dataverse.writeBatch(ops);
    copied += results.filter((r) => r.ok).length;
  }
  return copied;
}

/** The kernel's high-water mark of a process's resident set (VmHWM), in MB. */
function peakRssMb(pid: number | 'self'): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

function currentRssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

/**
 * BENCH_ALLOC_PROFILE=<file>: V8's sampling heap profile of everything the worker allocates, garbage
 * included (what makes the heap grow between collections), written as a .heapprofile on SIGTERM.
 */
async function startAllocationProfile(): Promise<(file: string) => Promise<void>> {
  const { Session } = await import('node:inspector/promises');
  const { writeFileSync } = await import('node:fs');
  const session = new Session();
  session.connect();
  await session.post('HeapProfiler.startSampling', {
    samplingInterval: 65536,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  } as never);
  return async (file) => {
    const { profile } = await session.post('HeapProfiler.stopSampling');
    writeFileSync(file, JSON.stringify(profile));
    session.disconnect();
  };
}

interface WorkerJob {
  temporalAddress: string;
  mongodbUri: string;
  dbName: string;
  taskQueue: string;
  pageSize: number;
  env: Record<string, string>;
}

/** The worker child: `startWorker` with connectors from the BCSYNC_* settings, until SIGTERM. */
async function workerProcess(job: WorkerJob): Promise<void> {
  const settings = readSettings({ ...process.env, ...job.env });
  const profile = process.env.BENCH_ALLOC_PROFILE ? await startAllocationProfile() : undefined;
  const mb = (n: number) => (n / 1024 / 1024).toFixed(0);
  const memoryLog = process.env.BENCH_VERBOSE
    ? setInterval(() => {
        const m = process.memoryUsage();
        log(
          `worker memory: rss ${mb(m.rss)} heap ${mb(m.heapUsed)}/${mb(m.heapTotal)} external ${mb(m.external)} buffers ${mb(m.arrayBuffers)} MB`,
        );
      }, 1000)
    : undefined;
  const running = await startWorker({
    settings: { ...settings, mongo: { ...settings.mongo, dbName: job.dbName } },
    temporalAddress: job.temporalAddress,
    mongodbUri: job.mongodbUri,
    taskQueue: job.taskQueue,
    shutdownGraceTime: '1s',
    activities: { engine: { pageSize: job.pageSize } },
  });
  // The Temporal runtime shuts the worker down on SIGTERM; the profile is written first.
  process.once('SIGTERM', () => {
    clearInterval(memoryLog);
    void profile?.(process.env.BENCH_ALLOC_PROFILE!);
  });
  process.send!('ready');
  await running.done;
}

/** 1% of the customers changed in BC and another 1% of them changed in CRM by a sales user. */
async function changeOnePercent(
  db: Database,
  info: WorldInfo,
  connectors: Connectors,
  records: number,
): Promise<{ bc: number; crm: number }> {
  const changes = Math.max(1, Math.floor(records / 100));
  const bcIds: string[] = [];
  for await (const p of connectors.bc.readPages('customers', {
    filter: "blocked eq ' '",
    pageSize: changes,
  })) {
    bcIds.push(...p.records.map((r) => String(r.id)));
    break;
  }
  await connectors.bc.writeBatch(
    bcIds.map((id, i) => ({ kind: 'update', entity: 'customers', id, body: { phoneNumber: `+1 555 ${i}` } })),
  );
  // Other records than the BC changes: a record changed on both sides is an update conflict (rule 4.6).
  const changedInBc = new Set(bcIds);
  const crmIds = (
    await db.cols.couplings
      .find({ mapping: 'CUSTOMER' })
      .limit(changes * 3)
      .toArray()
  )
    .filter((c) => !changedInBc.has(c.bcId))
    .slice(0, changes)
    .map((c) => c.crmId!);
  const dv = info.dataverse[0]!;
  const sales = createDataverseClient(
    {
      url: dv.url,
      tenant: dv.tenant,
      ...SALES_USER,
      tokenUrl: dv.tokenUrl,
      scope: `${dv.url}/.default`,
    },
    BENCH_HTTP,
  );
  await sales.writeBatch(
    crmIds.map((id, i) => ({
      kind: 'update',
      entity: 'accounts',
      id,
      body: { websiteurl: `www.changed-${i}.example` },
    })),
  );
  return { bc: bcIds.length, crm: crmIds.length };
}

async function jobMessages(db: Database, result: RunResult): Promise<string> {
  const jobs = await db.cols.jobLog.find({ _id: { $in: result.jobIds } }).toArray();
  return jobs.map((j) => `${j.direction} ${j.message ?? ''}`).join('; ');
}

const log = (m: string) => {
  if (process.env.BENCH_VERBOSE) console.error(`${new Date().toISOString()} ${m}`);
};

async function main(): Promise<void> {
  const records = arg('records', 100_000);
  const pageSize = arg('page-size', DEFAULT_PAGE_SIZE);
  // Organization 0 is the engine's target, 1 the baseline's; the services' own limits apply
  // (docs/emulator-limits.md).
  const world = await startWorld({
    records,
    organizations: [{ additionalClients: [SALES_USER] }, {}],
    serviceProtection: 'real',
  });
  const { info } = world;
  const servers = await startEphemeralServers(readSettings(process.env).dev, 'bcsync-bench-engine-');
  const dbName = `bench_${Date.now()}`;
  const taskQueue = `bench-${randomUUID().slice(0, 8)}`;
  let prepared: Awaited<ReturnType<typeof prepareDatabase>> | undefined;
  let worker: BenchWorker | undefined;
  let connection: Connection | undefined;
  try {
    // Baseline first (same BC emulator, its own empty-ish Dataverse).
    const t0 = Date.now();
    const copied = await rawCopy(worldConnectors(info, 1), pageSize);
    const baselineMs = Date.now() - t0;
    log(`baseline: ${copied} in ${baselineMs} ms`);

    prepared = await prepareDatabase(info, 0, servers.mongodbUri, dbName);
    const { db, connectors } = prepared;

    worker = await startBenchWorker(__filename, {
      temporalAddress: servers.temporalAddress,
      mongodbUri: servers.mongodbUri,
      dbName,
      taskQueue,
      pageSize,
      env: worldEnv(info, 0),
    });
    const rssAtStartMb = currentRssMb(worker.pid);
    connection = await Connection.connect({ address: servers.temporalAddress });
    const client = new Client({ connection });
    const handle = await client.workflow.start<typeof jobQueueEntry>('jobQueueEntry', {
      taskQueue,
      workflowId: entryWorkflowId('CUSTOMER', taskQueue),
      args: [{ entry: 'CUSTOMER', mappings: ['CUSTOMER'], startOnHold: true }],
    });

    log('initial run');
    let t = Date.now();
    const initial = await handle.executeUpdate(runNowUpdate, { args: [{ fullSync: true }] });
    const engineMs = Date.now() - t;
    const peakMb = peakRssMb(worker.pid);

    const changed = await changeOnePercent(db, info, connectors, records);
    log('incremental run');
    t = Date.now();
    const incremental = await handle.executeUpdate(runNowUpdate, { args: [{}] });
    const incrementalMs = Date.now() - t;
    await handle.terminate('benchmark finished');

    const rate = (n: number, ms: number) => (n / (ms / 1000)).toFixed(0);
    const rows = [
      [
        'Raw copy baseline (BC pages -> Dataverse batches)',
        `${copied}`,
        `${(baselineMs / 1000).toFixed(1)} s`,
        `${rate(copied, baselineMs)}`,
      ],
      [
        'bcsync initial sync (CUSTOMER full sync, both passes, via the worker)',
        `${initial.inserted}`,
        `${(engineMs / 1000).toFixed(1)} s`,
        `${rate(initial.inserted, engineMs)}`,
      ],
      [
        `bcsync incremental run (${changed.bc} BC + ${changed.crm} CRM changes)`,
        `${incremental.modified}`,
        `${(incrementalMs / 1000).toFixed(1)} s`,
        '',
      ],
    ];
    console.log(`\nrecords: ${records}; page size: ${pageSize}\n`);
    console.log('| Run | Records | Time | Records/s |\n|---|---|---|---|');
    for (const row of rows) console.log(`| ${row.join(' | ')} |`);
    console.log(
      `\nbcsync / baseline: ${((initial.inserted / engineMs / (copied / baselineMs)) * 100).toFixed(0)}% (target >= 50%)`,
    );
    console.log(`Initial run: ${await jobMessages(db, initial)}`);
    console.log(`Incremental run: ${await jobMessages(db, incremental)}`);
    const failures = await db.cols.syncErrors
      .find({ jobId: { $in: [...initial.jobIds, ...incremental.jobIds] } })
      .limit(3)
      .toArray();
    for (const f of failures) console.log(`Failed: ${f.source.label}: ${f.message}`);
    console.log(
      `Peak RSS of the worker process (VmHWM) through the initial run: ${peakMb.toFixed(0)} MB (when ready: ${rssAtStartMb.toFixed(0)} MB; node ${workerNodeArgs(process.env, []).join(' ')}; target < 300 MB)`,
    );
  } finally {
    await connection?.close();
    await worker?.stop();
    await prepared?.drop();
    await servers.stop();
    await world.stop();
  }
}

if (process.argv.includes('--worker-process')) {
  process.once('message', (job) => {
    workerProcess(job as WorkerJob).then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(err);
        process.exit(1);
      },
    );
  });
} else {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
