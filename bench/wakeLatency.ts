// Benchmark (not a test): how long a BC change takes to reach the CRM when the webhook wakes the entry.
// Each change PATCHes one BC customer's displayName and polls the Dataverse emulator's state every 20 ms
// until the coupled account has the new name. Three ways of getting the change across, in the same run:
//   1. the engine called directly (no Temporal): the floor of one incremental CUSTOMER run;
//   2. `runNow` on the CUSTOMER entry (Temporal update + activity + engine), with no webhook;
//   3. the product path: BC webhook (coalescing window 0) -> wake-up service -> `bcChanged` signal ->
//      entry debounce -> run.
//
//   npm run build && node dist/bench/wakeLatency.js [--changes 100] [--debounce-ms 200]
//
// Temporal and MongoDB: fresh ephemeral dev servers (devservers startEphemeralServers). Worker, wake-up service
// and both emulators run in this process.
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import Table from 'cli-table3';
import { createConnectors } from '../activities/connectors';
import { loadConnectorConfig } from '../activities/connectors/connectorConfig';
import { createSyncEngine } from '../activities/engine/engine';
import { createLogger } from '../activities/logger';
import { loadMappings } from '../activities/mappings/mappingConfig';
import { connectDatabase } from '../activities/store/database';
import { emulatorConnectorEnv } from '../client/emulatorConnection';
import { ensureEntryStarted, entryDefinitions, entryHandle } from '../client/jobQueueEntries';
import { startWakeupService } from '../client/wakeups/wakeupService';
import { startEmulators } from '../emulators';
import { startWorker } from '../worker/worker';
import { runNowUpdate, statusQuery } from '../workflows/messages';
import { startEphemeralServers } from '../devservers/devServers';
import { syncReferenceData } from './support/syncReferenceData';
import { readSettings } from '../config/settings';
import { DEFAULT_COMPANY } from '../activities/store/companies';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function main(): Promise<void> {
  const changes = arg('changes', 100);
  const debounceMs = arg('debounce-ms', 200);
  const pollMs = 20;
  const settings = readSettings(process.env);
  const servers = await startEphemeralServers(settings.dev, 'bcsync-bench-');
  const em = await startEmulators({ bcPort: 0, dataversePort: 0, seed: 'demo', webhookCoalesceMs: 0 });
  const env = emulatorConnectorEnv(em);
  const connectors = createConnectors(loadConnectorConfig(env));
  const mappings = loadMappings();
  const integrationUserId = em.dataverse.integrationUserId;
  const dbName = `bench_wake_${randomUUID().slice(0, 8)}`;
  const db = await connectDatabase(servers.mongodbUri, { dbName });
  const connection = await Connection.connect({ address: servers.temporalAddress });
  const client = new Client({ connection });
  const worker = await startWorker({
    temporalAddress: servers.temporalAddress,
    mongodbUri: servers.mongodbUri,
    settings: { ...settings, mongo: { ...settings.mongo, dbName } },
    shutdownGraceTime: '1s',
    activities: { connectors, engine: { mappings, integrationUserId } },
  });
  let wakeups: Awaited<ReturnType<typeof startWakeupService>> | undefined;
  try {
    await syncReferenceData({ db, connectors, mappings, integrationUserId });
    const engine = createSyncEngine({
      db,
      bc: connectors.bc,
      crm: connectors.dataverse,
      mappings,
      integrationUserId,
    });
    await engine.fullSync(['CUSTOMER']);
    const coupled = (
      await db.cols.couplings.find({ mapping: 'CUSTOMER', state: 'coupled' }).toArray()
    ).filter((c) => c.crmId);
    if (coupled.length === 0) throw new Error('the initial full sync coupled no customer');

    /** One change: PATCH a customer's name, `deliver` it, and time until the CRM account shows it. */
    let seq = 0;
    // Stages of the wake-up path, per change: notification at the wake-up service, signal accepted.
    let stages: { notified?: number; signalled?: number } = {};
    const measure = async (deliver: () => Promise<void>): Promise<number> => {
      stages = {};
      const coupling = coupled[seq % coupled.length]!;
      const name = `Wake ${seq++} ${randomUUID().slice(0, 6)}`;
      const started = performance.now();
      await connectors.bc.update('customers', coupling.bcId, { displayName: name }, '*');
      const delivering = deliver();
      for (;;) {
        if (em.dataverse.state.get('accounts', coupling.crmId!)?.name === name) break;
        if (performance.now() - started > 60_000)
          throw new Error(`customer ${coupling.bcId}: the CRM account did not get "${name}" within 60 s`);
        await sleep(pollMs);
      }
      const latency = performance.now() - started;
      await delivering;
      if (stages.notified !== undefined) stageSamples.notified.push(stages.notified - started);
      if (stages.signalled !== undefined) stageSamples.signalled.push(stages.signalled - started);
      return latency;
    };

    const stageSamples = { notified: [] as number[], signalled: [] as number[] };
    const series: Array<{ how: string; samples: number[] }> = [];
    const run = async (how: string, deliver: () => Promise<void>, settle: () => Promise<void>) => {
      const samples: number[] = [];
      for (let i = 0; i < changes; i++) {
        samples.push(await measure(deliver));
        await settle();
      }
      series.push({ how, samples });
    };

    // 1. Engine alone.
    await run(
      'Engine run called directly (no Temporal)',
      async () => void (await engine.runMapping('CUSTOMER')),
      async () => undefined,
    );

    // 2. runNow on the entry (no wake-up service yet, so nothing else wakes it).
    const def = entryDefinitions(mappings).find((d) => d.mapping === 'CUSTOMER')!;
    def.input = { ...def.input, schedule: { ...def.input.schedule, debounceMs } };
    await ensureEntryStarted(client, def);
    const handle = entryHandle(client, def);
    const runs = async () => (await handle.query(statusQuery)).runs;
    // Its first run (at start) finds nothing and the entry goes On Hold with Inactivity Timeout.
    while ((await runs().catch(() => 0)) < 1) await sleep(50);
    await run(
      'runNow update on the CUSTOMER entry',
      async () => void (await handle.executeUpdate(runNowUpdate, { args: [{}] })),
      async () => undefined,
    );

    // 3. The product path: webhook -> wake-up service -> signal -> debounce -> run.
    wakeups = await startWakeupService({
      temporal: client,
      db: db.db,
      connectors,
      port: 0,
      crmPollSeconds: 0,
      logger: createLogger('wakeups', 'error'),
    });
    const signaller = wakeups.company(DEFAULT_COMPANY)!.signaller;
    const send = signaller.send.bind(signaller);
    signaller.send = async (entry, source, notice) => {
      if (entry === def.entry) stages.notified ??= performance.now();
      const outcome = await send(entry, source, notice);
      if (entry === def.entry) stages.signalled ??= performance.now();
      return outcome;
    };
    let expectedRuns = await runs();
    await run(
      `BC webhook wake-up (coalescing 0 ms, entry debounce ${debounceMs} ms)`,
      async () => undefined,
      async () => {
        // The next change only after this run finished, so each change is one run.
        expectedRuns += 1;
        while ((await runs()) < expectedRuns) await sleep(pollMs);
      },
    );

    series.push(
      { how: '  of which: BC PATCH -> notification at the wake-up service', samples: stageSamples.notified },
      { how: '  of which: BC PATCH -> bcChanged signal accepted', samples: stageSamples.signalled },
    );
    const table = new Table({
      head: ['Change delivered by', 'Changes', 'p50', 'p99', 'max'],
      style: { head: [], border: [] },
    });
    for (const { how, samples } of series) {
      const sorted = [...samples].sort((a, b) => a - b);
      const ms = (v: number) => `${v.toFixed(0)} ms`;
      table.push([
        how,
        String(sorted.length),
        ms(percentile(sorted, 50)),
        ms(percentile(sorted, 99)),
        ms(sorted.at(-1)!),
      ]);
    }
    console.log(
      `\nBC customer displayName PATCH -> CRM account name visible (polled every ${pollMs} ms); ` +
        `${coupled.length} coupled customers, changed in turn.\n`,
    );
    console.log(table.toString());
  } finally {
    await wakeups?.stop();
    await client.workflow
      .getHandle('bcsync-entry-CUSTOMER')
      .terminate('bench finished')
      .catch(() => undefined);
    worker.worker.shutdown();
    await worker.done;
    await connection.close();
    await db.db.dropDatabase().catch(() => undefined);
    await db.close();
    await em.stop();
    await servers.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
