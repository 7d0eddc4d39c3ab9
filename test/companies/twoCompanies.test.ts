// Two companies side by side in one deployment (docs/companies.md): each a BC company with its own
// Dataverse organization and its own app credentials, registered through the real `bcsync companies add`,
// synced by one real worker on the test run's Temporal and MongoDB. Nothing may cross: no record reaches
// the other organization, no coupling or job log line lands in the other company's data, no credential
// is stored or used for the other company. Each BC emulator has a currency only it knows (ISK / PLN), so
// a record that crossed would be visible as that currency in the wrong organization.
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { entryWorkflowId, searchAttributeKeys, type RunResult } from '../../common/jobQueue';
import { runNowUpdate } from '../../workflows/messages';
import { startWorker, type RunningWorker } from '../../worker/worker';
import { startBcEmulator, type RunningBcEmulator } from '../../emulators/bc';
import { startDataverseEmulator, type RunningDataverseEmulator } from '../../emulators/dataverse';
import { createEntity } from '../../emulators/bc/entityWriter';
import { entityDef } from '../../emulators/bc/entityModel';
import { companyDatabaseName } from '../../activities/store/companies';
import type { Database } from '../../activities/store/database';
import { testDatabase } from '../support/database';
import { companiesAddArgs, envPrefix, removeCompanyPairs } from './companiesAdd';
import { testSettings, withDbName } from '../support/settings';
import { assertBuilt, bcsync } from '../client/bcsyncBinary';

interface Pair {
  name: string;
  bcCompany: string;
  onlyCurrency: string;
  bc: RunningBcEmulator;
  dataverse: RunningDataverseEmulator;
  secrets: { bc: string; dataverse: string };
}

const taskQueue = `companies-${randomUUID().slice(0, 8)}`;
let base: Database;
let pairs: Pair[];
let worker: RunningWorker;
let connection: Connection;
let client: Client;
let env: Record<string, string>;
const secretValues: Record<string, string> = {};

async function startPair(name: string, bcCompany: string, onlyCurrency: string): Promise<Pair> {
  const secrets = {
    bc: `bc-secret-of-${name}-${randomUUID()}`,
    dataverse: `dv-secret-of-${name}-${randomUUID()}`,
  };
  const bc = await startBcEmulator({
    port: 0,
    seed: 'demo',
    companyName: bcCompany,
    clientId: `bc-app-${name}`,
    clientSecret: secrets.bc,
  });
  const dataverse = await startDataverseEmulator({
    port: 0,
    seed: 'demo',
    clientId: `dv-app-${name}`,
    clientSecret: secrets.dataverse,
    onError: () => undefined,
  });
  createEntity(bc.state, entityDef('currencies'), {
    code: onlyCurrency,
    displayName: `${onlyCurrency} of ${name}`,
    symbol: onlyCurrency,
    amountDecimalPlaces: '2:2',
    amountRoundingPrecision: 0.01,
  });
  secretValues[`${envPrefix(name)}_BC_SECRET`] = secrets.bc;
  secretValues[`${envPrefix(name)}_DV_SECRET`] = secrets.dataverse;
  return { name, bcCompany, onlyCurrency, bc, dataverse, secrets };
}

async function adminRecords(url: string, entitySet: string): Promise<Record<string, unknown>[]> {
  const res = await fetch(`${url}/_admin/records/${entitySet}`);
  return ((await res.json()) as { value: Record<string, unknown>[] }).value;
}

beforeAll(async () => {
  assertBuilt();
  pairs = [];
  pairs.push(await startPair('cronus-us', 'CRONUS USA, Inc.', 'ISK'));
  pairs.push(await startPair('fabrikam', 'Fabrikam, Inc.', 'PLN'));
  base = await testDatabase('companies');
  env = { BCSYNC_DB_NAME: base.db.databaseName };
  worker = await startWorker({
    temporalAddress: process.env.TEMPORAL_ADDRESS!,
    mongodbUri: process.env.MONGODB_URI!,
    // The worker's environment holds the variables the registrations reference (and nothing else of theirs).
    settings: withDbName(testSettings(secretValues), base.db.databaseName),
    taskQueue,
    shutdownGraceTime: '1s',
  });
  connection = await Connection.connect({ address: process.env.TEMPORAL_ADDRESS! });
  client = new Client({ connection });
});

afterAll(async () => {
  await connection?.close();
  worker?.worker.shutdown();
  await worker?.done;
  await removeCompanyPairs(base, pairs ?? []);
  await base?.close();
});

test('two companies sync side by side: no record, coupling, log line or credential crosses', async () => {
  // Registration through the binary; a secret typed where a reference belongs is refused unseen.
  const literal = companiesAddArgs(pairs[0]!).map((a, i, all) =>
    all[i - 1] === '--bc-client-secret' ? pairs[0]!.secrets.bc : a,
  );
  const refused = await bcsync(literal, env);
  expect(refused.code).toBe(2);
  expect(refused.stderr).toMatch(/--bc-client-secret: reference a secret as env:VARIABLE_NAME/);
  expect(refused.stderr + refused.stdout).not.toContain(pairs[0]!.secrets.bc);
  for (const p of pairs) {
    const added = await bcsync(companiesAddArgs(p), env);
    expect(added.stderr).toBe('');
    expect(added.code).toBe(0);
  }
  // One organization per company: a second company on cronus-us's organization is refused.
  const sameOrg = companiesAddArgs(pairs[1]!).map((a, i, all) =>
    all[i - 1] === '--dataverse-url' ? pairs[0]!.dataverse.url : i === 2 ? 'fabrikam-2' : a,
  );
  const taken = await bcsync(sameOrg, env);
  expect(taken.code).toBe(1);
  expect(taken.stderr).toMatch(/already belongs to company cronus-us/);

  // Each company's CURRENCY entry, run on the one worker.
  for (const p of pairs) {
    const handle = await client.workflow.start('jobQueueEntry', {
      taskQueue,
      workflowId: entryWorkflowId('CURRENCY', p.name),
      args: [{ entry: 'CURRENCY', company: p.name, mappings: ['CURRENCY'], startOnHold: true }],
      typedSearchAttributes: [{ key: searchAttributeKeys.company, value: p.name }],
    });
    // A full synchronization: new records are created only then (Synch. Only Coupled Records).
    const result = await handle.executeUpdate<RunResult, [object]>(runNowUpdate.name, {
      args: [{ fullSync: true }],
    });
    expect(result.failed).toBe(0);
    expect(result.inserted).toBeGreaterThanOrEqual(1);
    expect((await handle.describe()).typedSearchAttributes.get(searchAttributeKeys.company)).toBe(p.name);
  }

  for (const [i, p] of pairs.entries()) {
    const other = pairs[1 - i]!;
    // Records: each organization got its own company's currency and not the other's.
    const codes = (await adminRecords(p.dataverse.url, 'transactioncurrencies')).map(
      (c) => c.isocurrencycode,
    );
    expect(codes).toContain(p.onlyCurrency);
    expect(codes).not.toContain(other.onlyCurrency);

    // Couplings: in the company's own database, all between its own BC company and its own organization.
    const db = base.client.db(companyDatabaseName(base.db.databaseName, p.name));
    const couplings = await db.collection<{ bcId: string; crmId: string }>('couplings').find({}).toArray();
    const bcIds = new Set(
      (await adminRecords(p.bc.url, 'currencies')).map((c) => String(c.id).toLowerCase()),
    );
    const crmIds = new Set(
      (await adminRecords(p.dataverse.url, 'transactioncurrencies')).map((c) =>
        String(c.transactioncurrencyid),
      ),
    );
    expect(couplings.length).toBeGreaterThanOrEqual(11);
    for (const c of couplings) {
      expect(bcIds.has(c.bcId.toLowerCase())).toBe(true);
      expect(crmIds.has(c.crmId)).toBe(true);
    }

    // Log lines: `bcsync log --company <name>` shows exactly the company's own jobs.
    const jobIds = (await db.collection('synchronizationJobs').find({}).toArray()).map((j) => String(j._id));
    expect(jobIds.length).toBeGreaterThan(0);
    const log = await bcsync(['log', '--company', p.name, '--json'], env);
    expect(log.code).toBe(0);
    expect((JSON.parse(log.stdout) as { id: string }[]).map((r) => r.id).sort()).toEqual(jobIds.sort());
    const otherDb = base.client.db(companyDatabaseName(base.db.databaseName, other.name));
    const otherJobs = await otherDb.collection('synchronizationJobs').find({}).toArray();
    expect(otherJobs.some((j) => jobIds.includes(String(j._id)))).toBe(false);
  }
  // The default company (no --company) saw nothing of either.
  expect(await base.db.collection('couplings').countDocuments()).toBe(0);
  expect(await base.db.collection('synchronizationJobs').countDocuments()).toBe(0);

  // Credentials: neither MongoDB nor Temporal history nor `companies list` holds a secret.
  const list = await bcsync(['companies', 'list', '--json'], env);
  expect(list.code).toBe(0);
  const stored = JSON.stringify(await base.db.collection('companies').find({}).toArray());
  for (const p of pairs) {
    const history = JSON.stringify(
      await client.workflow.getHandle(entryWorkflowId('CURRENCY', p.name)).fetchHistory(),
    );
    for (const secret of Object.values(p.secrets)) {
      expect(stored).not.toContain(secret);
      expect(list.stdout).not.toContain(secret);
      expect(history).not.toContain(secret);
    }
  }
  expect(JSON.parse(list.stdout)).toMatchObject({
    companies: [
      { name: 'cronus-us', bc: { clientSecret: 'env:CRONUS_US_BC_SECRET' } },
      { name: 'fabrikam', bc: { clientSecret: 'env:FABRIKAM_BC_SECRET' } },
    ],
  });
});
