// Benchmark (not a test): initial sync of N BC customers into an (almost) empty CRM through the engine,
// against a raw-copy baseline on the same emulators (read BC pages, batch-write Dataverse; no engine, no
// MongoDB, no Temporal), then an incremental run after changing 1% of the records on each side.
//
//   npm run build && node dist/bench/engineInitialSync.js [--records 100000] [--page-size 5000]
//
// MongoDB: MONGODB_URI if set, else a FerretDB started by devservers (`up`). BENCH_FERRETDB=<binary> starts
// that FerretDB binary instead (e.g. one built with an indexed `_id`, see the report). The emulators run in
// a child process, so the peak RSS printed is the engine's process alone.
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnectors, createDataverseClient, type Connectors } from '../activities/connectors';
import type { JsonRecord, WriteOperation } from '../activities/connectors/types';
import { createSyncEngine } from '../activities/engine/engine';
import { loadMappings } from '../activities/mappings/mappingConfig';
import { connectDatabase, type Database } from '../activities/store/database';
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

async function main(): Promise<void> {
  const records = arg('records', 100_000);
  const pageSize = arg('page-size', 5000);
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
  let db: Database | undefined;
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 100);
  try {
    db = await connectDatabase(mongo.uri, { dbName: `bench_${Date.now()}` });
    const mappings = loadMappings();
    const engineConnectors = connectorsFor(info, 0);
    const baselineConnectors = connectorsFor(info, 1);

    // Baseline first (same BC emulator, its own empty-ish Dataverse).
    let t = Date.now();
    const copied = await rawCopy(baselineConnectors, pageSize);
    const baselineMs = Date.now() - t;
    if (process.env.BENCH_VERBOSE) console.error(`baseline: ${copied} in ${baselineMs} ms`);

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

    const rssBefore = process.memoryUsage().rss;
    peakRss = rssBefore;
    t = Date.now();
    const [initial] = await engine.fullSync(['CUSTOMER']);
    const engineMs = Date.now() - t;
    const initialPeak = peakRss;
    const inserted = initial!.passes[0]!.counters.inserted;

    // Incremental: 1% changed on each side.
    const changes = Math.max(1, Math.floor(records / 100));
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
    const crmIds = (
      await db.cols.couplings
        .find({ mapping: 'CUSTOMER' })
        .limit(changes * 2)
        .toArray()
    )
      .slice(changes)
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
        `${inserted}`,
        `${(engineMs / 1000).toFixed(1)} s`,
        `${rate(inserted, engineMs)}`,
      ],
      [
        `Engine incremental (${changes} BC + ${crmIds.length} CRM changes)`,
        `${incremental.passes.map((p) => p.counters.modified).join(' + ')}`,
        `${(incrementalMs / 1000).toFixed(1)} s`,
        '',
      ],
    ];
    console.log(`\nMongoDB: ${mongo.route}; records: ${records}; page size: ${pageSize}\n`);
    console.log('| Run | Records | Time | Records/s |\n|---|---|---|---|');
    for (const r of rows) console.log(`| ${r.join(' | ')} |`);
    console.log(
      `\nEngine / baseline: ${((inserted / engineMs / (copied / baselineMs)) * 100).toFixed(0)}% (target >= 50%)`,
    );
    console.log(`Initial passes: ${initial!.passes.map((p) => `${p.direction} ${p.message}`).join('; ')}`);
    console.log(
      `Incremental passes: ${incremental.passes.map((p) => `${p.direction} ${p.message}`).join('; ')}`,
    );
    console.log(
      `Peak RSS of this process during the initial run: ${(initialPeak / 1024 / 1024).toFixed(0)} MB (before: ${(rssBefore / 1024 / 1024).toFixed(0)} MB; target < 300 MB)`,
    );
  } finally {
    clearInterval(sampler);
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
} else {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
