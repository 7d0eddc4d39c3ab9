// `npm start`: the whole system on this machine, on embedded defaults. Dev servers (or the ones the
// environment names), both API emulators with demo data (unless real BC / Dataverse are configured),
// a worker, the webhook receiver, `setup` of every default entry, the initial full synchronization on
// the first start (as BC's set-up guide does), the operator console (its URL beside the Temporal UI's),
// and a live status table until Ctrl-C.
import { join } from 'node:path';
import { Client, type Connection } from '@temporalio/client';
import { up, down, readState } from '../devservers/devServers';
import { readSettings, requireConnectors, type Settings } from '../config/settings';
import { startEmulators, type RunningEmulators } from '../emulators';
import { startWorker, type RunningWorker } from '../worker/worker';
import { connectDatabase, type Database } from '../activities/store/database';
import { maskSecrets } from '../common/secretMasking';
import { createConnectors } from '../activities/connectors';
import { customEntitySets } from '../activities/mappings/mappingConfig';
import { startWakeupService, type WakeupService } from './wakeups/wakeupService';
import { wakeupSettings } from './wakeups/wakeupSettings';
import { companyRegistry } from './wakeups/companyRegistry';
import { emulatorConnectorConfig } from './emulatorConnection';
import { fixedContext } from './context';
import { setupEntries } from './commands/entries';
import { runFullSync } from './commands/fullSync';
import { describeEntry, entryJson, type EntryDefinition } from './jobQueueEntries';
import { printTable } from './output';
import { tableTime } from './tableTime';
import { createLogger, logFileDestination } from '../activities/logger';
import { startConsole, type RunningConsole } from './console/consoleServer';
import { entryQueryLinks, temporalUi } from './temporalUiLinks';
import { watchStartupSteps } from './startupSteps';
import { clientOptions, connectClient, describeTemporal, temporalConnection } from '../temporal/connection';

const say = (line: string) => process.stdout.write(`${line}\n`);

interface Running {
  startedServers: boolean;
  emulators?: RunningEmulators;
  worker?: RunningWorker;
  wakeups?: WakeupService;
  database?: Database;
  connection?: Connection;
  statusTimer?: NodeJS.Timeout;
  console?: RunningConsole;
}

/**
 * Prints the status table when it differs from the one printed last (a table that did not change is not
 * news); times show their date when it is not today.
 */
async function printStatus(client: Client, defs: EntryDefinition[], last: { table?: string }): Promise<void> {
  const views = await Promise.all(defs.map((d) => describeEntry(client, d, 3000)));
  const rows = views
    .map(entryJson)
    .map((v) => [
      v.entry,
      v.state ?? '',
      tableTime(v.lastRunAt),
      tableTime(v.nextRunAt),
      v.lastRun?.inserted,
      v.lastRun?.modified,
      v.lastRun?.unchanged,
      v.lastRun?.failed,
    ]);
  const table = JSON.stringify(rows);
  if (table === last.table) return;
  last.table = table;
  say(
    `\n${new Date().toISOString().slice(11, 19)}  entries (bcsync entries, bcsync log, bcsync errors for more)`,
  );
  printTable(['Entry', 'State', 'Last run', 'Next run', 'Ins', 'Mod', 'Unch', 'Fail'], rows);
}

async function stopAll(r: Running, settings: Settings): Promise<void> {
  if (r.statusTimer) clearInterval(r.statusTimer);
  await r.wakeups?.stop().catch(() => undefined);
  await r.console?.close().catch(() => undefined);
  if (r.worker) {
    // The SDK also shuts the worker down on SIGINT/SIGTERM by itself; then it is already draining.
    if (r.worker.worker.getState() === 'RUNNING') r.worker.worker.shutdown();
    await r.worker.done.catch(() => undefined);
  }
  await r.connection?.close().catch(() => undefined);
  await r.database?.close().catch(() => undefined);
  await r.emulators?.stop().catch(() => undefined);
  if (r.startedServers) await down({ stateDir: settings.dev.stateDir });
}

async function run(): Promise<void> {
  // The status table is the screen here; logs only for what needs attention (BCSYNC_LOG_LEVEL overrides).
  let settings = readSettings({ BCSYNC_LOG_LEVEL: 'warn', ...process.env });
  const r: Running = { startedServers: false };
  const steps = watchStartupSteps((label, seconds) =>
    say(`  ... still waiting after ${seconds} s: ${label}`),
  );
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    steps.done();
    say('\nstopping...');
    stopAll(r, settings)
      .then(() => process.exit(0))
      .catch((err) => {
        console.error(err);
        process.exit(1);
      });
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);

  try {
    const wasRunning = readState(settings.dev.stateDir) !== undefined;
    steps.step('starting (or finding) the Temporal and MongoDB servers');
    const servers = await up({ dev: settings.dev, install: true });
    r.startedServers = !wasRunning;
    say(`MongoDB:      ${maskSecrets(servers.mongo.address)}`);

    if (!settings.connectorsGiven) {
      // Embedded defaults: the emulators, with BC's webhook window shortened so a change wakes its
      // entry within seconds (BC itself waits 30 s; `bcsync emulate` keeps that default).
      steps.step('starting the BC and Dataverse emulators');
      r.emulators = await startEmulators({
        seed: 'demo',
        stateDir: join(settings.dev.stateDir, 'emulators'),
        webhookCoalesceMs: settings.start.emulatorWebhookCoalesceMs,
        bcPort: settings.start.emulatorBcPort,
        dataversePort: settings.start.emulatorDataversePort,
        credentials: settings.emulators,
      });
      settings = {
        ...settings,
        connectors: { ok: true, config: emulatorConnectorConfig(r.emulators, settings.http) },
      };
      say(`BC emulator:  ${r.emulators.bc.apiUrl}`);
      say(`CRM emulator: ${r.emulators.dataverse.apiUrl}`);
    }

    const connection = {
      temporalAddress: servers.temporal.address,
      mongodbUri: servers.mongo.address,
      ...(servers.temporal.uiUrl ? { temporalUiUrl: servers.temporal.uiUrl } : {}),
    };
    const ctx = fixedContext(settings, connection);
    const temporal = temporalConnection(settings, servers.temporal.address);
    if (servers.temporal.route === 'env') say(`Temporal:     ${describeTemporal(temporal)}`);
    // The terminal shows the status table; the worker's and the wake-ups' log lines (a failed record's
    // ids and reason among them) go to a file beside the servers' logs.
    const logFile = join(settings.dev.stateDir, 'bcsync.log');
    const logDestination = logFileDestination(logFile);
    steps.step('starting the worker (connecting to Temporal and MongoDB)');
    r.worker = await startWorker({ settings, ...connection, logDestination });
    steps.step('connecting to MongoDB');
    r.database = await connectDatabase(servers.mongo.address, {
      dbName: settings.mongo.dbName,
      maxPoolSize: 5,
    });
    steps.step('connecting to Temporal');
    r.connection = await connectClient(temporal);
    const client = new Client({ connection: r.connection, ...clientOptions(temporal) });
    const connectors = createConnectors(requireConnectors(settings), {
      bcCustomEntities: customEntitySets(ctx.mappings()),
    });
    steps.step('starting the console');
    r.console = await startConsole(
      {
        temporal: client,
        database: r.database,
        mappings: ctx.mappings(),
        connectors: { bc: connectors.bc, crm: connectors.dataverse },
        ui: temporalUi(ctx),
        limits: settings.limits,
      },
      settings.console,
    );
    say(`Temporal UI:  ${servers.temporal.uiUrl ?? '(external server)'}`);
    say(`Console:      ${r.console.openUrl}`);
    say(`Log:          ${logFile}`);

    steps.step('reading the job log in MongoDB');
    const firstStart = (await r.database.cols.jobLog.countDocuments({}, { limit: 1 })) === 0;
    if (firstStart) {
      // Before the entries start, so the first scheduled runs find coupled records (BC's set-up guide).
      say('\nfirst start: running the initial full synchronization (all mappings in dependency order)...');
      steps.step('the initial full synchronization');
      const result = await runFullSync(ctx, client, {
        onProgress: (p) => {
          if (!p.current) return;
          steps.step(`the initial full synchronization of ${p.current}`);
          say(`  ${p.done}/${p.total} ${p.current}`);
        },
      });
      printTable(
        ['Mapping', 'Inserted', 'Modified', 'Unchanged', 'Failed', 'Coupled', 'Error'],
        result.results.map((x) => [
          x.mapping,
          x.result?.inserted,
          x.result?.modified,
          x.result?.unchanged,
          x.result?.failed,
          x.result?.coupled,
          x.error ?? '',
        ]),
      );
    }

    const defs = await setupEntries(
      ctx,
      (line) => say(`  setup ${line}`),
      (label) => steps.step(label),
    );
    steps.step('starting the wake-ups (webhook subscriptions in BC, change polls)');

    r.wakeups = await startWakeupService({
      ...wakeupSettings({}, settings.wakeups),
      temporal: client,
      db: r.database.db,
      connectors,
      // Companies registered with `bcsync companies add` are woken too (docs/companies.md).
      registeredCompanies: companyRegistry({
        base: r.database,
        settings,
        connectorsOf: (config, company) =>
          createConnectors(config, { bcCustomEntities: customEntitySets(ctx.mappings()), company }),
      }),
      mappingsFile: settings.mappingsFile,
      logger: createLogger('wakeups', settings.logLevel, logDestination),
    });
    say(`webhooks:     ${r.wakeups.notificationUrl}`);
    const links = entryQueryLinks(temporalUi(ctx));
    if (links.length > 0) {
      say('\nin the Temporal UI:');
      for (const l of links) say(`  ${l.label.padEnd(28)} ${l.url}`);
    }

    const lastStatus: { table?: string } = {};
    steps.step('reading the status of the entries');
    await printStatus(client, defs, lastStatus);
    steps.done();
    r.statusTimer = setInterval(() => {
      printStatus(client, defs, lastStatus).catch((err) =>
        say(`status unavailable: ${(err as Error).message}`),
      );
    }, settings.start.statusIntervalSeconds * 1000);
    say('\nbcsync is running. Ctrl-C stops everything.');
    await r.worker.done;
  } catch (err) {
    steps.done();
    await stopAll(r, settings);
    throw err;
  }
}

run().catch((err) => {
  console.error(`bcsync: ${(err as Error).message}`);
  process.exit(1);
});
