// Benchmark (not a test): how close bcsync comes to the request ceiling of the real APIs, with 1, 2 and 3
// workers sharing one throttling budget (docs/throttling.md). Both emulators enforce their service
// protection limits at the real figures (6,000 requests per user per 5-minute sliding window, BC 5
// concurrent + 95 queued, Dataverse 52 concurrent and 1,200 s execution time), with the window scaled by
// `--time-scale` (0.05: 300 requests per 15 s - the same 20 requests per second), and bcsync's budget is
// given the same scaled figures (BCSYNC_*_REQUESTS_PER_WINDOW / _WINDOW_SECONDS).
//
// Workload: six companies registered on one BC environment and app registration (so they share BC's
// per-user ceiling; the BC emulator serves one company, which all of them read), each with its own
// Dataverse organization, run the first full sync of CUSTOMER at the same time; BC is the bottleneck. Six,
// and each worker's activity slots set to companies / workers (BCSYNC_WORKER_ACTIVITY_CONCURRENCY), so
// every worker runs the same number of syncs: a sync is one activity, and Temporal hands an activity task
// to whichever poller asks first - with 3 companies and the default 20 slots, 2 of 3 workers got all three
// syncs and the third measured nothing (runs of 2026-12-01). Measured at
// the emulators (bench/support/admissionLog.ts) over the first `--windows` windows from the first BC
// request: BC requests admitted as a share of what the service allows in that time, 429s answered,
// requests sent while a Retry-After was still running; and the failed records. Runs still going after
// the windows are ended there. Baselines, in the same run: a plain client that keeps 5 requests in flight
// and waits out each Retry-After (what any client gets from the service), and bcsync with no limit
// anywhere (what its engine does by itself on this machine: the most any budget could let through).
//
//   npm run build && node dist/bench/throughputCeiling.js [--records 8000] [--page-size 20]
//     [--time-scale 0.05] [--rate-scale 1] [--windows 3] [--workers 1,2,3] [--companies 6] [--reference false]
//
// `--rate-scale r` gives BC r times its real request budget (Dataverse keeps the real one): at the real
// 20 requests per second the engine, not the budget, is what limits a loaded 2-core machine, so a ceiling
// the machine can drive (e.g. 0.2: 4 per second) is what measures bcsync against the ceiling.
//
// Temporal and MongoDB: fresh dev servers. The emulators: the benchmarks' world (support/benchWorld.ts)
// in a child process, one BC and an organization per company and run; each worker in a process of its
// own (support/benchWorker.ts; BENCH_WORKER_NODE_ARGS adds node flags, e.g. --cpu-prof). A second table
// gives each run's CPU time per BC request by process - worker(s), emulators, MongoDB server, Temporal
// server - which says what limits a run that stays under the ceiling. BENCH_COUNT_MONGO=1 prints each
// worker's MongoDB calls by collection when it stops.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import Table from 'cli-table3';
import { createConnectors } from '../activities/connectors';
import { companyConnectorConfig, companyDatabase } from '../activities/companyScope';
import { loadMappings } from '../activities/mappings/mappingConfig';
import { CompanyStore, type CompanyDoc } from '../activities/store/companies';
import { connectDatabase } from '../activities/store/database';
import { entryWorkflowId, searchAttributeKeys, type RunResult } from '../common/jobQueue';
import { readSettings, type Settings } from '../config/settings';
import { readState, startEphemeralServers, type EphemeralServers } from '../devservers/devServers';
import type { ServiceProtectionOverrides } from '../emulators/common/serviceProtection';
import { startWorker } from '../worker/worker';
import type { jobQueueEntry } from '../workflows';
import { runNowUpdate } from '../workflows/messages';
import { setTimeout as sleep } from 'node:timers/promises';
import { admittedWithin, type AdmissionRecord } from './support/admissionLog';
import { startWorld, type World, type WorldInfo } from './support/benchWorld';
import { startBenchWorker, type BenchWorker } from './support/benchWorker';
import { countMongoCalls } from './support/mongoCalls';
import { cpuSeconds } from './support/processCpu';
import { syncReferenceData } from './support/syncReferenceData';

/** The services' own figures (apis.md): per user, per 5-minute sliding window. */
const REQUESTS_PER_WINDOW = 6000;
const WINDOW_SECONDS = 300;
/**
 * CUSTOMER one way, BC -> Dataverse: the companies read the same BC company, so the other direction would
 * create each organization's CRM-only demo accounts in that one company again (an artifact of the bench).
 */
function mappingsFile(): string {
  const file = join(mkdtempSync(join(tmpdir(), 'bcsync-bench-ceiling-')), 'bcsync.json');
  writeFileSync(file, JSON.stringify({ mappings: [{ name: 'CUSTOMER', direction: 'ToIntegrationTable' }] }));
  return file;
}

const BC_SECRET_VARIABLE = 'BENCH_BC_CLIENT_SECRET';
const DV_SECRET_VARIABLE = 'BENCH_DATAVERSE_CLIENT_SECRET';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
}

interface WorkerJob {
  temporalAddress: string;
  mongodbUri: string;
  taskQueue: string;
  pageSize: number;
  env: Record<string, string>;
}

/** The worker child: `startWorker` on the job's settings, until SIGTERM. */
async function workerProcess(job: WorkerJob): Promise<void> {
  if (process.env.BENCH_COUNT_MONGO) {
    const counts = countMongoCalls();
    process.once('SIGTERM', () =>
      console.error(`worker ${process.pid} MongoDB calls: ${JSON.stringify(counts)}`),
    );
  }
  const running = await startWorker({
    settings: readSettings({ ...process.env, ...job.env }),
    temporalAddress: job.temporalAddress,
    mongodbUri: job.mongodbUri,
    taskQueue: job.taskQueue,
    shutdownGraceTime: '1s',
    activities: { engine: { pageSize: job.pageSize } },
  });
  process.send!('ready');
  await running.done;
}

/** The baseline: 5 requests in flight, each 429 waited out (Retry-After), for `ms`. */
async function plainClient(bc: WorldInfo['bc'], pageSize: number, ms: number): Promise<number> {
  const tokenRes = await fetch(bc.tokenUrl, {
    method: 'POST',
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: bc.clientId,
      client_secret: bc.clientSecret,
      scope: 'https://api.businesscentral.dynamics.com/.default',
    }),
  });
  const { access_token: token } = (await tokenRes.json()) as { access_token: string };
  const url = `${bc.apiUrl}/companies(${bc.companyId})/customers?$top=${pageSize}`;
  const end = Date.now() + ms;
  let throttled = 0;
  const loop = async () => {
    while (Date.now() < end) {
      const res = await fetch(url, { headers: { Authorization: `Bearer ${token}` } });
      await res.arrayBuffer();
      if (res.status === 429) {
        throttled++;
        await new Promise((r) => setTimeout(r, Number(res.headers.get('retry-after') ?? 1) * 1000));
      } else if (!res.ok) throw new Error(`baseline request answered ${res.status}`);
    }
  };
  await Promise.all(Array.from({ length: 5 }, loop));
  return throttled;
}

interface Row {
  run: string;
  /** BC requests admitted in the measured windows, and what the service allows in them. */
  admitted: number;
  allowed: number;
  /** Busiest Dataverse organization, as a share of its ceiling over the same time. */
  dataverseShare: number;
  failed: number | null;
  refused: number;
  refusedBy?: string;
  early: number;
  runSeconds: number;
  /** The runs were ended after the measured windows (not done by then). */
  ended: boolean;
  /** CPU seconds of each process over the whole run (not only the measured windows), by process. */
  cpu?: Array<[string, number]>;
  /** Every BC / Dataverse request admitted over the whole run (the CPU's denominator). */
  bcRequests?: number;
  dataverseRequests?: number;
}

/** The processes whose CPU a run costs: each worker, the emulators, MongoDB, Temporal. */
function benchProcesses(
  servers: EphemeralServers,
  world: World,
  workers: BenchWorker[],
): Array<[string, number]> {
  const temporalPid = readState(servers.stateDir)?.temporal.pid;
  return [
    ...workers.map((w, i): [string, number] => [`worker ${i + 1}`, w.pid]),
    ['emulators', world.pid],
    ...(servers.mongoPid !== undefined ? [['MongoDB server', servers.mongoPid] as [string, number]] : []),
    ...(temporalPid !== undefined ? [['Temporal server', temporalPid] as [string, number]] : []),
    ['bench (client)', process.pid],
  ];
}

const refusedCount = (r: AdmissionRecord) => Object.values(r.refused).reduce((a, b) => a + b, 0);

async function main(): Promise<void> {
  const records = Number(arg('records', '8000'));
  const pageSize = Number(arg('page-size', '20'));
  const timeScale = Number(arg('time-scale', '0.05'));
  const windows = Number(arg('windows', '3'));
  const workerCounts = arg('workers', '1,2,3').split(',').map(Number);
  const companies = Number(arg('companies', '6'));
  // The engine's own request rate on this machine, with no limit anywhere (`--reference false`: skip).
  const reference = arg('reference', 'true') !== 'false';
  const windowMs = WINDOW_SECONDS * 1000 * timeScale;
  // The real ceiling is 20 BC requests per second whatever the window's scale. `--rate-scale` lowers BC's
  // request budget to a ceiling this machine can drive (e.g. 0.2: 4 per second), so the share measures
  // bcsync against the ceiling and not the machine's CPU (README, bench section).
  const rateScale = Number(arg('rate-scale', '1'));
  const perWindow = Math.round(REQUESTS_PER_WINDOW * rateScale * timeScale);
  const dataversePerWindow = Math.round(REQUESTS_PER_WINDOW * timeScale);
  const measuredMs = windows * windowMs;
  const allowed = windows * perWindow;

  // Concurrency limits included (BC 5 + 95 queued, Dataverse 52): the real services enforce them.
  // --rate-scale lowers BC's request budget only (Dataverse keeps the real figure).
  const limits: ServiceProtectionOverrides = { timeScale, concurrency: true };
  const world = await startWorld({
    records,
    organizations: Array.from(
      { length: companies * (workerCounts.length + (reference ? 1 : 0)) },
      () => ({}),
    ),
    serviceProtection: { bc: { ...limits, requests: REQUESTS_PER_WINDOW * rateScale }, dataverse: limits },
    recordAdmissions: true,
    quiet: true,
  });
  const settings = readSettings(process.env);
  const servers = await startEphemeralServers(settings.dev, 'bcsync-bench-ceiling-');
  const connection = await Connection.connect({ address: servers.temporalAddress });
  const client = new Client({ connection });
  const rows: Row[] = [];
  const mappings = mappingsFile();
  try {
    // Baseline: the plain client, with the windows started afresh.
    await world.setLimits(true);
    await world.admissions();
    const t = Date.now();
    const baselineThrottled = await plainClient(world.info.bc, pageSize, measuredMs + 1000);
    const baseline = await world.admissions();
    const first = baseline.bc.admitted[0] ?? t;
    rows.push({
      run: 'baseline: plain client, 5 in flight, waits out each Retry-After',
      admitted: admittedWithin(baseline.bc, first, measuredMs),
      allowed,
      dataverseShare: 0,
      failed: null,
      refused: baselineThrottled,
      early: baseline.bc.early,
      runSeconds: (Date.now() - t) / 1000,
      ended: false,
    });

    const runs = [...workerCounts.map((workers) => ({ workers, unlimited: false }))];
    if (reference) runs.unshift({ workers: 1, unlimited: true });
    for (const [run, { workers, unlimited }] of runs.entries()) {
      rows.push(
        await bcsyncRun({
          unlimited,
          world,
          client,
          servers,
          settings,
          orgs: world.info.dataverse.slice(run * companies, (run + 1) * companies),
          workers,
          pageSize,
          timeScale,
          measuredMs,
          allowed,
          perWindow,
          dataversePerWindow,
          mappings,
        }),
      );
    }
  } finally {
    await connection.close();
    await servers.stop();
    await world.stop();
  }

  console.log(
    `\n${records} BC customers; ${companies} companies on one BC app registration, each with its own Dataverse ` +
      `organization; CUSTOMER first full sync, page size ${pageSize}. Limits at the real figures with the window ` +
      `scaled by ${timeScale}: ${perWindow} BC requests per ${windowMs / 1000} s per user ` +
      `(${(perWindow / (windowMs / 1000)).toFixed(1)} per second${rateScale === 1 ? ', the real rate' : `, the real rate x ${rateScale} (--rate-scale)`}); ` +
      `measured over the first ${windows} windows (${measuredMs / 1000} s) from the first BC request.\n`,
  );
  const table = new Table({
    style: { head: [], border: [] },
    head: [
      'Run',
      'BC requests / allowed',
      'Share of ceiling',
      'Busiest org',
      'Failed records',
      '429 answered',
      'Sent during Retry-After',
      'Run time',
    ],
  });
  for (const r of rows) {
    table.push([
      r.run,
      `${r.admitted} / ${r.allowed}`,
      `${((r.admitted / r.allowed) * 100).toFixed(1)}%`,
      r.failed === null ? '' : `${(r.dataverseShare * 100).toFixed(0)}%`,
      r.failed ?? '',
      r.refused,
      r.early,
      `${r.ended ? 'ended at ' : ''}${r.runSeconds.toFixed(0)} s`,
    ]);
  }
  console.log(table.toString());
  for (const r of rows) if (r.refused && r.refusedBy) console.log(`${r.run}: 429s by limit ${r.refusedBy}`);
  const cpuTable = new Table({
    style: { head: [], border: [] },
    head: ['Run', 'BC / Dataverse requests', 'CPU ms per BC request, by process (CPU s over the run)'],
  });
  for (const r of rows) {
    if (!r.cpu || !r.bcRequests) continue;
    const n = r.bcRequests;
    cpuTable.push([
      r.run,
      `${n} / ${r.dataverseRequests}`,
      r.cpu.map(([name, s]) => `${name} ${((s * 1000) / n).toFixed(1)} (${s.toFixed(1)})`).join('\n'),
    ]);
  }
  console.log(cpuTable.toString());
}

async function bcsyncRun(o: {
  world: World;
  client: Client;
  servers: EphemeralServers;
  settings: Settings;
  orgs: WorldInfo['dataverse'];
  workers: number;
  pageSize: number;
  timeScale: number;
  measuredMs: number;
  allowed: number;
  perWindow: number;
  dataversePerWindow: number;
  mappings: string;
  /** No limit in the emulators and none in bcsync's budget: what the engine does by itself. */
  unlimited: boolean;
}): Promise<Row> {
  const { world, client } = o;
  const dbName = `bench_ceiling_${o.workers}_${randomUUID().slice(0, 6)}`;
  const base = await connectDatabase(o.servers.mongodbUri, { dbName });
  const taskQueue = `ceiling-${randomUUID().slice(0, 8)}`;
  const workers: BenchWorker[] = [];
  const secrets: Record<string, string> = {
    [BC_SECRET_VARIABLE]: world.info.bc.clientSecret,
    [DV_SECRET_VARIABLE]: o.orgs[0]!.clientSecret,
  };
  const names = o.orgs.map((_, i) => `company-${i + 1}`);
  try {
    // Set-up without limits (reference data; the budget's state in MongoDB starts with this run's database).
    await world.setLimits(false);
    const store = new CompanyStore(base.db);
    for (const [i, org] of o.orgs.entries()) {
      const doc: CompanyDoc = await store.add({
        name: names[i]!,
        bc: {
          apiUrl: world.info.bc.url,
          tenant: world.info.bc.tenant,
          environment: world.info.bc.environment,
          companyId: world.info.bc.companyId,
          clientId: world.info.bc.clientId,
          clientSecret: `env:${BC_SECRET_VARIABLE}`,
          tokenUrl: world.info.bc.tokenUrl,
        },
        dataverse: {
          url: org.url,
          tenant: org.tenant,
          clientId: org.clientId,
          clientSecret: `env:${DV_SECRET_VARIABLE}`,
          tokenUrl: org.tokenUrl,
        },
      });
      const connectors = createConnectors(
        companyConnectorConfig(doc, (v) => secrets[v], {
          http: o.settings.http,
          limits: o.settings.limits,
        }),
      );
      await syncReferenceData({
        db: await companyDatabase(base, dbName, doc._id),
        connectors,
        mappings: loadMappings(o.mappings),
        integrationUserId: org.integrationUserId,
      });
    }
    const perWindow = String(o.unlimited ? 1_000_000_000 : o.perWindow);
    const dataversePerWindow = String(o.unlimited ? 1_000_000_000 : o.dataversePerWindow);
    const env: Record<string, string> = {
      ...secrets,
      BCSYNC_DB_NAME: dbName,
      // Runs ended after the measured windows stop their activities: not worth a warning each.
      BCSYNC_LOG_LEVEL: 'error',
      BCSYNC_MAPPINGS_FILE: o.mappings,
      // Each worker takes its share of the syncs and no more (workload, above).
      BCSYNC_WORKER_ACTIVITY_CONCURRENCY: String(Math.ceil(o.orgs.length / o.workers)),
      BCSYNC_BC_REQUESTS_PER_WINDOW: perWindow,
      BCSYNC_BC_WINDOW_SECONDS: String(WINDOW_SECONDS * o.timeScale),
      BCSYNC_DATAVERSE_REQUESTS_PER_WINDOW: dataversePerWindow,
      BCSYNC_DATAVERSE_WINDOW_SECONDS: String(WINDOW_SECONDS * o.timeScale),
    };
    for (let i = 0; i < o.workers; i++)
      workers.push(
        await startBenchWorker(__filename, {
          temporalAddress: o.servers.temporalAddress,
          mongodbUri: o.servers.mongodbUri,
          taskQueue,
          pageSize: o.pageSize,
          env,
        }),
      );
    const handles = [];
    for (const name of names) {
      handles.push(
        await client.workflow.start<typeof jobQueueEntry>('jobQueueEntry', {
          taskQueue,
          workflowId: entryWorkflowId('CUSTOMER', name),
          args: [{ entry: 'CUSTOMER', company: name, mappings: ['CUSTOMER'], startOnHold: true }],
          typedSearchAttributes: [{ key: searchAttributeKeys.company, value: name }],
        }),
      );
    }
    await world.setLimits(!o.unlimited);
    await world.admissions();
    const processes = benchProcesses(o.servers, world, workers);
    const cpu0 = processes.map(([, pid]) => cpuSeconds(pid));
    const t = Date.now();
    // The full syncs run until the measured windows are over (plus a margin for the start); a run that is
    // not done by then is ended: what it did is counted, failed records included.
    let finished = 0;
    const runs = Promise.all(
      handles.map((h) =>
        h
          .executeUpdate<RunResult, [object]>(runNowUpdate.name, { args: [{ fullSync: true }] })
          .then(() => finished++),
      ),
    );
    await Promise.race([runs, sleep(o.measuredMs + 5_000)]);
    const runSeconds = (Date.now() - t) / 1000;
    const taken = await world.admissions();
    const cpu = processes.map(([name, pid], i) => [name, cpuSeconds(pid) - cpu0[i]!] as [string, number]);
    await Promise.all(handles.map((h) => h.terminate('benchmark finished').catch(() => undefined)));
    await runs.catch(() => undefined);
    let failed = 0;
    for (const name of names) {
      const db = await companyDatabase(base, dbName, name);
      failed += await db.cols.syncErrors.countDocuments({});
      for (const f of await db.cols.syncErrors.find({}).limit(2).toArray())
        console.error(`${name}: failed: ${f.source.label}: ${f.message}`);
    }
    const first = taken.bc.admitted[0] ?? t;
    const busiest = Math.max(...taken.dataverse.map((r) => admittedWithin(r, first, o.measuredMs)));
    if (finished === handles.length && runSeconds * 1000 < o.measuredMs + (first - t))
      console.error(`warning: the runs ended before the measured windows did: raise --records`);
    return {
      run: o.unlimited
        ? 'reference: bcsync, 1 worker, no limit anywhere (the engine alone on this machine)'
        : `bcsync, ${o.workers} worker${o.workers > 1 ? 's' : ''} sharing the budget`,
      admitted: admittedWithin(taken.bc, first, o.measuredMs),
      allowed: o.allowed,
      dataverseShare: busiest / ((o.allowed / o.perWindow) * o.dataversePerWindow),
      failed,
      refused: refusedCount(taken.bc) + taken.dataverse.reduce((n, r) => n + refusedCount(r), 0),
      refusedBy: JSON.stringify({ bc: taken.bc.refused, orgs: taken.dataverse.map((r) => r.refused) }),
      early: taken.bc.early + taken.dataverse.reduce((n, r) => n + r.early, 0),
      runSeconds,
      ended: finished < handles.length,
      cpu,
      bcRequests: taken.bc.admitted.length,
      dataverseRequests: taken.dataverse.reduce((n, r) => n + r.admitted.length, 0),
    };
  } finally {
    for (const w of workers) await w.stop();
    for (const name of names)
      await base.client
        .db(`${dbName}-${name}`)
        .dropDatabase()
        .catch(() => undefined);
    await base.db.dropDatabase().catch(() => undefined);
    await base.close();
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
