// Benchmark (not a test): the first full synchronization of a populated company pair (issue 9). BC holds
// N customers, the CRM N accounts of which a share stands for BC customers (other case, blanks, phone
// format; every 1,000th shared one entered twice). A dry run first (docs/dry-run.md): its counts, and that
// it wrote nothing (the emulators' write counters); then the real CUSTOMER full sync: time, records/s,
// whether it did what the dry run said, and the duplicates it made (0 expected). Baseline, measured in the
// same run: the same full sync of a disjoint pair of the same size (overlap 0), where nothing matches.
//
//   npm run build && node dist/bench/populatedFirstSync.js [--records 10000] [--overlap 0.8]
//
// MongoDB: MONGODB_URI if set, else a fresh dev server (devservers). The engine runs in this process
// (no Temporal: the work measured is the engine's); the emulators too.
import { randomUUID } from 'node:crypto';
import { createConnectors } from '../activities/connectors';
import { createSyncEngine } from '../activities/engine/engine';
import { normalizeMatchValue } from '../activities/engine/matchCoupling';
import { loadMappings } from '../activities/mappings/mappingConfig';
import { connectDatabase } from '../activities/store/database';
import { emulatorConnectorConfig } from '../client/emulatorConnection';
import type { MappingPlan, PlanKind } from '../common/runPlan';
import { readSettings } from '../config/settings';
import { startEphemeralServers } from '../devservers/devServers';
import { startBcEmulator } from '../emulators/bc';
import { startDataverseEmulator } from '../emulators/dataverse';
import { syncReferenceData } from './support/syncReferenceData';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

interface Measured {
  overlap: number;
  dryRunS: number;
  dryRunWrites: number;
  plan: Record<'couple' | 'insert' | 'modify' | 'ambiguous', number>;
  runS: number;
  run: Record<'couple' | 'insert' | 'modify', number>;
  /** Records the run considered: active BC customers and CRM accounts. */
  records: number;
  duplicates: number;
}

const key = (name: unknown, city: unknown) => `${normalizeMatchValue(name)}|${normalizeMatchValue(city)}`;

async function measure(records: number, overlap: number, mongodbUri: string): Promise<Measured> {
  const budget = { requests: 10_000_000, windowSeconds: 300 };
  const bc = await startBcEmulator({ port: 0, records, faults: { budget } });
  const dataverse = await startDataverseEmulator({ port: 0, records, overlap, faults: { budget } });
  const db = await connectDatabase(mongodbUri, { dbName: `bench_populated_${randomUUID().slice(0, 8)}` });
  try {
    const connectors = createConnectors(
      emulatorConnectorConfig(
        { bc, dataverse },
        { timeoutMs: 300_000, retry: { maxAttempts: 8, maxElapsedMs: 300_000, baseDelayMs: 200 } },
      ),
    );
    const mappings = loadMappings();
    const integrationUserId = dataverse.integrationUserId;
    await syncReferenceData({ db, connectors, mappings, integrationUserId });
    const engine = createSyncEngine({
      db,
      bc: connectors.bc,
      crm: connectors.dataverse,
      mappings,
      integrationUserId,
    });
    const input = {
      entry: 'CUSTOMER',
      mappings: ['CUSTOMER'],
      kind: 'synchronization' as const,
      fullSync: true,
    };
    const writes = () => bc.state.stats.snapshot().writes + dataverse.stats.snapshot().writes;
    const readAll = async (set: string) => {
      const out = [];
      for await (const page of connectors.dataverse.readPages(set, {})) out.push(...page.records);
      return out;
    };
    const keysBefore = new Map<string, number>();
    const accountsBefore = await readAll('accounts');
    for (const a of accountsBefore) {
      const k = key(a.name, a.address1_city);
      keysBefore.set(k, (keysBefore.get(k) ?? 0) + 1);
    }

    const w0 = writes();
    let t = performance.now();
    const dry = await engine.runEntry({ ...input, dryRun: true });
    const dryRunS = (performance.now() - t) / 1000;
    const dryRunWrites = writes() - w0;
    const sum = (plan: MappingPlan[], k: PlanKind) => plan.reduce((n, p) => n + p.counts[k], 0);
    const plan = {
      couple: sum(dry.plan!, 'couple'),
      insert: sum(dry.plan!, 'insert'),
      modify: sum(dry.plan!, 'modify'),
      ambiguous: sum(dry.plan!, 'ambiguous'),
    };

    t = performance.now();
    const real = await engine.runEntry({ ...input, force: true });
    const runS = (performance.now() - t) / 1000;

    // A duplicate: a BC customer the CRM now holds more often than before the run (at least once).
    const keysAfter = new Map<string, number>();
    for (const a of await readAll('accounts')) {
      const k = key(a.name, a.address1_city);
      keysAfter.set(k, (keysAfter.get(k) ?? 0) + 1);
    }
    let duplicates = 0;
    const customers = [];
    for await (const page of connectors.bc.readPages('customers', { filter: "blocked eq ' '" }))
      customers.push(...page.records);
    for (const c of customers) {
      const k = key(c.displayName, c.city);
      duplicates += Math.max(0, (keysAfter.get(k) ?? 0) - Math.max(1, keysBefore.get(k) ?? 0));
    }
    return {
      overlap,
      dryRunS,
      dryRunWrites,
      plan,
      runS,
      run: { couple: real.coupled, insert: real.inserted, modify: real.modified },
      records: customers.length + accountsBefore.length,
      duplicates,
    };
  } finally {
    await db.db.dropDatabase();
    await db.close();
    await Promise.all([bc.stop(), dataverse.stop()]);
  }
}

async function run(): Promise<void> {
  const records = arg('records', 10_000);
  const overlap = arg('overlap', 0.8);
  const settings = readSettings(process.env);
  let mongodbUri = settings.mongo.uri;
  let stop: (() => Promise<void>) | undefined;
  if (!mongodbUri) {
    const servers = await startEphemeralServers(settings.dev, 'bcsync-bench-populated-');
    mongodbUri = servers.mongodbUri;
    stop = servers.stop;
  }
  try {
    const baseline = await measure(records, 0, mongodbUri);
    const populated = await measure(records, overlap, mongodbUri);
    console.log(
      `\nFirst CUSTOMER full sync, ${records} BC customers + ${records} CRM accounts (engine, in-process emulators)`,
    );
    console.table(
      [baseline, populated].map((m) => ({
        pair: m.overlap === 0 ? 'disjoint (baseline)' : `${Math.round(m.overlap * 100)}% shared`,
        'dry run s': m.dryRunS.toFixed(1),
        'dry run writes': m.dryRunWrites,
        'planned couple/insert/modify': `${m.plan.couple}/${m.plan.insert}/${m.plan.modify}`,
        'ambiguous (review)': m.plan.ambiguous,
        'run couple/insert/modify': `${m.run.couple}/${m.run.insert}/${m.run.modify}`,
        'as planned':
          m.plan.couple === m.run.couple && m.plan.insert === m.run.insert && m.plan.modify === m.run.modify,
        'run s': m.runS.toFixed(1),
        'records/s': Math.round(m.records / m.runS),
        duplicates: m.duplicates,
      })),
    );
  } finally {
    await stop?.();
  }
}

run().catch((err) => {
  console.error(err);
  process.exit(1);
});
