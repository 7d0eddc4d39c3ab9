// Benchmark (not a test): initial sync of N BC customers into an (almost) empty CRM through the engine,
// against a raw-copy baseline on the same emulators (read BC pages, batch-write Dataverse; no engine, no
// MongoDB, no Temporal), then an incremental run after changing 1% of the records on each side.
//
//   npm run build && node dist/bench/engineInitialSync.js [--records 100000] [--page-size 2000]
//     [--engine-heap-mb N]   run the engine process with --max-old-space-size=N (a memory-capped worker)
//
// MongoDB: MONGODB_URI if set, else a FerretDB started by devservers (`up`). BENCH_FERRETDB=<binary> starts
// that FerretDB binary instead. The emulators run in one child process and the engine in another (as in a
// worker), so the peak RSS printed (the kernel's VmHWM) is the engine's process alone.
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnectors, createDataverseClient, type Connectors } from '../activities/connectors';
import type { JsonRecord, WriteOperation } from '../activities/connectors/types';
import { createSyncEngine } from '../activities/engine/engine';
import { DEFAULT_PAGE_SIZE } from '../activities/engine/types';
import { loadMappings } from '../activities/mappings/mappingConfig';
import { connectDatabase } from '../activities/store/database';
import { bcRecordId, crmRecordId, mappingName } from '../common/ids';
import { CouplingStore } from '../activities/store/couplings';
import { down, up } from '../devservers/devServers';
import { freePort, waitForPort } from '../devservers/processes';

interface EmulatorInfo {
  bc: {
    url: string;
    tenant: string;
    clientId: string;
    clientSecret: string;
    companyId: string;
    environment: string;
  };
  dataverse: Array<{
    url: string;
    tenant: string;
    clientId: string;
    clientSecret: string;
    integrationUserId: string;
  }>;
}

const SALES_USER = { clientId: 'bench-sales-user', clientSecret: 'bench-sales-secret' };

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

/** Child process: BC with N customers, two Dataverse emulators (engine target and baseline target). */
async function hostEmulators(records: number): Promise<void> {
  const { startBcEmulator } = await import('../emulators/bc');
  const { startDataverseEmulator } = await import('../emulators/dataverse');
  const budget = { requests: 10_000_000, windowSeconds: 300 };
  const bc = await startBcEmulator({ port: 0, records, faults: { budget } });
  const dvs = [
    await startDataverseEmulator({
      port: 0,
      seed: 'demo',
      additionalClients: [SALES_USER],
      faults: { budget },
    }),
    await startDataverseEmulator({ port: 0, seed: 'demo', faults: { budget } }),
  ];
  const info: EmulatorInfo = {
    bc: {
      url: bc.url,
      tenant: bc.tenant,
      clientId: bc.clientId,
      clientSecret: bc.clientSecret,
      companyId: bc.companyId,
      environment: bc.environment,
    },
    dataverse: dvs.map((d) => ({
      url: d.url,
      tenant: d.tenant,
      clientId: d.clientId,
      clientSecret: d.clientSecret,
      integrationUserId: d.integrationUserId,
    })),
  };
  process.send!(info);
  process.on('message', (m) => {
    if (m === 'stop') void Promise.all([bc.stop(), ...dvs.map((d) => d.stop())]).then(() => process.exit(0));
  });
}

function connectorsFor(info: EmulatorInfo, dvIndex: number): Connectors {
  const tokenUrl = (e: { url: string; tenant: string }) => `${e.url}/${e.tenant}/oauth2/v2.0/token`;
  const dv = info.dataverse[dvIndex]!;
  return createConnectors(
    {
      bc: {
        ...info.bc,
        company: { id: info.bc.companyId },
        apiUrl: info.bc.url,
        tokenUrl: tokenUrl(info.bc),
        scope: 'https://api.businesscentral.dynamics.com/.default',
        tenantInUrl: false,
        customApiPath: 'bcsync/integration/v1.0',
      },
      dataverse: { ...dv, tokenUrl: tokenUrl(dv), scope: `${dv.url}/.default` },
      http: { timeoutMs: 300_000, retry: { maxAttempts: 8, maxElapsedMs: 300_000, baseDelayMs: 200 } },
    },
    {},
  );
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

async function startMongo(
  stateDir: string,
): Promise<{ uri: string; stop: () => Promise<void>; route: string }> {
  if (process.env.MONGODB_URI)
    return { uri: process.env.MONGODB_URI, stop: async () => undefined, route: 'MONGODB_URI' };
  const custom = process.env.BENCH_FERRETDB;
  if (custom) {
    const port = await freePort();
    const child: ChildProcess = spawn(
      custom,
      [
        '--handler=sqlite',
        `--sqlite-url=file:${stateDir}/`,
        `--listen-addr=127.0.0.1:${port}`,
        '--debug-addr=-',
        '--state-dir=-',
        '--telemetry=disable',
        '--log-level=warn',
      ],
      { stdio: 'ignore' },
    );
    await waitForPort(port, 'ferretdb', 30_000);
    return {
      uri: `mongodb://127.0.0.1:${port}/`,
      stop: async () => void child.kill('SIGTERM'),
      route: `FerretDB (${custom})`,
    };
  }
  process.env.TEMPORAL_ADDRESS ??= 'unused-by-this-bench:0';
  const state = await up({ stateDir, mongoPort: 0, ephemeral: true });
  return {
    uri: state.mongo.address,
    stop: async () => void (await down({ stateDir })),
    route: state.mongo.route,
  };
}

const log = (m: string) => {
  if (process.env.BENCH_VERBOSE) console.error(`${new Date().toISOString()} ${m}`);
};

interface EngineJob {
  info: EmulatorInfo;
  mongoUri: string;
  dbName: string;
  pageSize: number;
  records: number;
}

interface EngineResult {
  engineMs: number;
  inserted: number;
  initialPasses: string;
  incrementalMs: number;
  incrementalModified: string;
  incrementalPasses: string;
  bcChanges: number;
  crmChanges: number;
  failures: string[];
  rssBeforeMb: number;
  peakRssMb: number;
}

/** The kernel's high-water mark of this process's resident set (VmHWM), in MB. */
function peakRssMb(): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) / 1024 : process.memoryUsage().rss / 1024 / 1024;
}

/**
 * BENCH_ALLOC_PROFILE=<file>: V8's sampling heap profile of everything the engine process allocates,
 * garbage included (what makes the heap grow between collections), written as a .heapprofile.
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

/** Runs in the engine child process: what a worker does for the CUSTOMER mapping, nothing else. */
async function engineProcess(job: EngineJob): Promise<EngineResult> {
  const { info, pageSize } = job;
  const db = await connectDatabase(job.mongoUri, { dbName: job.dbName });
  const profile = process.env.BENCH_ALLOC_PROFILE ? await startAllocationProfile() : undefined;
  const mb = (n: number) => (n / 1024 / 1024).toFixed(0);
  const memoryLog = process.env.BENCH_VERBOSE
    ? setInterval(() => {
        (globalThis as { gc?: () => void }).gc?.();
        const m = process.memoryUsage();
        log(
          `memory: rss ${mb(m.rss)} heap ${mb(m.heapUsed)}/${mb(m.heapTotal)} external ${mb(m.external)} buffers ${mb(m.arrayBuffers)} MB`,
        );
      }, 1000)
    : undefined;
  try {
    const mappings = loadMappings();
    const engineConnectors = connectorsFor(info, 0);
    // Reference data the CUSTOMER mapping needs: salespeople coupled to users, currencies synced.
    const engine = createSyncEngine({
      db,
      bc: engineConnectors.bc,
      crm: engineConnectors.dataverse,
      mappings,
      integrationUserId: info.dataverse[0]!.integrationUserId,
      pageSize,
      ...(process.env.BENCH_VERBOSE
        ? {
            heartbeat: (p) =>
              console.error(
                `${new Date().toISOString()} ${p.mapping} ${p.direction} page ${p.pageSeq}: ${JSON.stringify(p.counters)}`,
              ),
          }
        : {}),
    });
    const couplings = new CouplingStore(db.cols.couplings);
    const users: JsonRecord[] = [];
    for await (const p of engineConnectors.dataverse.readPages('systemusers', {})) users.push(...p.records);
    const salespeople: JsonRecord[] = [];
    for await (const p of engineConnectors.bc.readPages('salespeoplePurchasers', {}))
      salespeople.push(...p.records);
    const spare = users.filter(
      (u) =>
        !u.isintegrationuser && !u.isdisabled && !salespeople.some((sp) => sp.displayName === u.fullname),
    );
    {
      for (const sp of salespeople) {
        const user = users.find((u) => u.fullname === sp.displayName) ?? spare.shift();
        await couplings.couple(
          mappingName('SALESPEOPLE'),
          bcRecordId(String(sp.id)),
          crmRecordId(String(user!.systemuserid)),
        );
      }
    }
    await engine.fullSync(['CURRENCY']);

    const rssBeforeMb = process.memoryUsage().rss / 1024 / 1024;
    let t = Date.now();
    const [initial] = await engine.fullSync(['CUSTOMER']);
    const engineMs = Date.now() - t;
    const initialPeakMb = peakRssMb();
    const inserted = initial!.passes[0]!.counters.inserted;

    // Incremental: 1% changed on each side.
    const changes = Math.max(1, Math.floor(job.records / 100));
    const bcIds: string[] = [];
    for await (const p of engineConnectors.bc.readPages('customers', {
      filter: "blocked eq ' '",
      pageSize: changes,
    })) {
      bcIds.push(...p.records.map((r) => String(r.id)));
      break;
    }
    await engineConnectors.bc.writeBatch(
      bcIds.map((id, i) => ({
        kind: 'update',
        entity: 'customers',
        id,
        body: { phoneNumber: `+1 555 ${i}` },
      })),
    );
    const sales = createDataverseClient(
      {
        url: info.dataverse[0]!.url,
        tenant: info.dataverse[0]!.tenant,
        ...SALES_USER,
        tokenUrl: `${info.dataverse[0]!.url}/${info.dataverse[0]!.tenant}/oauth2/v2.0/token`,
        scope: `${info.dataverse[0]!.url}/.default`,
      },
      { timeoutMs: 300_000, retry: { maxAttempts: 8, maxElapsedMs: 300_000, baseDelayMs: 200 } },
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
    await sales.writeBatch(
      crmIds.map((id, i) => ({
        kind: 'update',
        entity: 'accounts',
        id,
        body: { websiteurl: `www.changed-${i}.example` },
      })),
    );
    log('incremental run');
    t = Date.now();
    const incremental = await engine.runMapping('CUSTOMER');
    const incrementalMs = Date.now() - t;

    const failures = await db.cols.syncErrors
      .find({ jobId: { $in: incremental.passes.map((p) => p.jobId) } })
      .limit(3)
      .toArray();
    for (const f of failures) console.error(`failed: ${f.source.label}: ${f.message}`);
    return {
      engineMs,
      inserted,
      initialPasses: initial!.passes.map((p) => `${p.direction} ${p.message}`).join('; '),
      incrementalMs,
      incrementalModified: incremental.passes.map((p) => p.counters.modified).join(' + '),
      incrementalPasses: incremental.passes.map((p) => `${p.direction} ${p.message}`).join('; '),
      bcChanges: bcIds.length,
      crmChanges: crmIds.length,
      failures: failures.map((f) => `${f.source.label}: ${f.message}`),
      rssBeforeMb,
      peakRssMb: initialPeakMb,
    };
  } finally {
    await profile?.(process.env.BENCH_ALLOC_PROFILE!);
    clearInterval(memoryLog);
    await db.close();
  }
}

function runEngineProcess(job: EngineJob): Promise<EngineResult> {
  const heapMb = arg('engine-heap-mb', 0);
  const child = fork(__filename, ['--engine-process'], {
    stdio: 'inherit',
    execArgv: [
      ...(heapMb > 0 ? [`--max-old-space-size=${heapMb}`] : []),
      // e.g. BENCH_ENGINE_NODE_ARGS="--heap-prof --heap-prof-dir=/tmp/prof" to see what the engine allocates.
      ...(process.env.BENCH_ENGINE_NODE_ARGS?.split(' ').filter(Boolean) ?? []),
    ],
  });
  return new Promise<EngineResult>((resolve, reject) => {
    child.once('message', (m) => {
      const reply = m as { ok: true; result: EngineResult } | { ok: false; error: string };
      if (reply.ok) resolve(reply.result);
      else reject(new Error(`engine process: ${reply.error}`));
    });
    child.once('exit', (code) => reject(new Error(`engine process exited with ${code}`)));
    child.send(job);
  });
}

async function main(): Promise<void> {
  const records = arg('records', 100_000);
  const pageSize = arg('page-size', DEFAULT_PAGE_SIZE);
  const stateDir = mkdtempSync(join(tmpdir(), 'bcsync-bench-engine-'));
  // The emulators hold every record in memory: they get their own heap, whatever limit this process has.
  const host = fork(__filename, ['--emulator-host', String(records)], {
    stdio: 'inherit',
    execArgv: process.execArgv.filter((a) => !a.startsWith('--max-old-space-size')),
  });
  const info = await new Promise<EmulatorInfo>((resolve) =>
    host.once('message', (m) => resolve(m as EmulatorInfo)),
  );
  const mongo = await startMongo(stateDir);
  const dbName = `bench_${Date.now()}`;
  try {
    // Baseline first (same BC emulator, its own empty-ish Dataverse).
    const t = Date.now();
    const copied = await rawCopy(connectorsFor(info, 1), pageSize);
    const baselineMs = Date.now() - t;
    log(`baseline: ${copied} in ${baselineMs} ms`);

    const r = await runEngineProcess({ info, mongoUri: mongo.uri, dbName, records, pageSize });
    const rate = (n: number, ms: number) => (n / (ms / 1000)).toFixed(0);
    const rows = [
      [
        'Raw copy baseline (BC pages -> Dataverse batches)',
        `${copied}`,
        `${(baselineMs / 1000).toFixed(1)} s`,
        `${rate(copied, baselineMs)}`,
      ],
      [
        'Engine initial sync (CUSTOMER, both passes)',
        `${r.inserted}`,
        `${(r.engineMs / 1000).toFixed(1)} s`,
        `${rate(r.inserted, r.engineMs)}`,
      ],
      [
        `Engine incremental (${r.bcChanges} BC + ${r.crmChanges} CRM changes)`,
        r.incrementalModified,
        `${(r.incrementalMs / 1000).toFixed(1)} s`,
        '',
      ],
    ];
    console.log(`\nMongoDB: ${mongo.route}; records: ${records}; page size: ${pageSize}\n`);
    console.log('| Run | Records | Time | Records/s |\n|---|---|---|---|');
    for (const row of rows) console.log(`| ${row.join(' | ')} |`);
    console.log(
      `\nEngine / baseline: ${((r.inserted / r.engineMs / (copied / baselineMs)) * 100).toFixed(0)}% (target >= 50%)`,
    );
    console.log(`Initial passes: ${r.initialPasses}`);
    console.log(`Incremental passes: ${r.incrementalPasses}`);
    for (const f of r.failures) console.log(`Failed: ${f}`);
    console.log(
      `Peak RSS of the engine process (VmHWM) through the initial run: ${r.peakRssMb.toFixed(0)} MB (at its start: ${r.rssBeforeMb.toFixed(0)} MB; target < 300 MB)`,
    );
  } finally {
    const db = await connectDatabase(mongo.uri, { dbName }).catch(() => undefined);
    await db?.db.dropDatabase().catch(() => undefined);
    await db?.close();
    await mongo.stop();
    host.send('stop');
    rmSync(stateDir, { recursive: true, force: true });
  }
}

if (process.argv.includes('--emulator-host')) {
  hostEmulators(Number(process.argv[process.argv.indexOf('--emulator-host') + 1])).catch((err) => {
    console.error(err);
    process.exit(1);
  });
} else if (process.argv.includes('--engine-process')) {
  process.once('message', (job) => {
    engineProcess(job as EngineJob)
      .then((result) => process.send!({ ok: true, result }, () => process.exit(0)))
      .catch((err: unknown) =>
        process.send!(
          { ok: false, error: err instanceof Error ? (err.stack ?? err.message) : String(err) },
          () => process.exit(1),
        ),
      );
  });
} else {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
