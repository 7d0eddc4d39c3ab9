// What the failover tests share: real worker processes on one task queue (failoverWorker.ts), the emulators
// with a sized BC seed, the workflow bundle built once, lowering the heartbeat timeout of the running
// activity from outside (as an operator would with `temporal activity update-options`), and the checks a
// user would make after a crash: one account per customer, each coupled once, each counted once.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { createConnectors } from '../../activities/connectors';
import { loadConnectorConfig } from '../../activities/connectors/connectorConfig';
import type { JsonRecord } from '../../activities/connectors/types';
import { loadMappings } from '../../activities/mappings/mappingConfig';
import { connectDatabase, type Database } from '../../activities/store/database';
import { syncReferenceData } from '../../bench/support/syncReferenceData';
import { emulatorConnectorEnv } from '../../client/emulatorConnection';
import { startDataverseEmulator, type RunningEmulators } from '../../emulators';
import { startBcEmulator } from '../../emulators/bc';

export const temporalAddress = process.env.TEMPORAL_ADDRESS;
export const mongodbUri = process.env.MONGODB_URI;
export const describeWithServers = temporalAddress && mongodbUri ? describe : describe.skip;

export interface WorkerProcess {
  child: ChildProcess;
  pid: number;
  /** `page <pid> <mapping> <direction> <pageSeq>` lines seen so far. */
  pages: string[];
  exited: Promise<NodeJS.Signals | number | null>;
}

export async function until<T>(what: string, probe: () => T | undefined, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export async function adminRecords(url: string, entitySet: string): Promise<JsonRecord[]> {
  const res = await fetch(`${url}/_admin/records/${entitySet}`);
  if (!res.ok) throw new Error(`admin records ${entitySet}: HTTP ${res.status}`);
  return ((await res.json()) as { value: JsonRecord[] }).value;
}

/** Two worker processes, the emulators, the database and a Temporal client: one failover scenario. */
export interface FailoverStack {
  em: RunningEmulators;
  db: Database;
  connection: Connection;
  client: Client;
  taskQueue: string;
  workers: WorkerProcess[];
  stop(): Promise<void>;
}

export async function startFailoverStack(options: {
  name: string;
  customers: number;
  pageSize: number;
  /** Added to every Dataverse request once the reference data is in place (a real Dataverse: ~300 ms). */
  crmLatencyMs?: number;
}): Promise<FailoverStack> {
  const suffix = Math.random().toString(36).slice(2, 10);
  const taskQueue = `${options.name}-${suffix}`;
  const dbName = `${options.name.replace(/-/g, '_')}_${suffix}`;
  const stateDir = mkdtempSync(join(tmpdir(), 'bcsync-failover-'));
  // One bundle for both workers, so they do not each build it on a 2-core machine.
  const { code } = await bundleWorkflowCode({
    workflowsPath: require.resolve('../../workflows'),
    logger: new DefaultLogger('WARN'),
  });
  const bundlePath = join(stateDir, 'workflow-bundle.js');
  writeFileSync(bundlePath, code);

  // The sized seed only on the BC side: the CRM starts with the demo's few accounts. Both emulators keep
  // their default service protection limits.
  const dataverse = await startDataverseEmulator({ port: 0, seed: 'demo' });
  const bc = await startBcEmulator({ port: 0, records: options.customers, webhookCoalesceMs: 60_000 });
  const em: RunningEmulators = {
    bc,
    dataverse,
    stop: async () => void (await Promise.all([bc.stop(), dataverse.stop()])),
  };
  const env = { ...process.env, ...emulatorConnectorEnv(em), BCSYNC_LOG_LEVEL: 'warn' };
  const db = await connectDatabase(mongodbUri!, { dbName });
  await syncReferenceData({
    db,
    connectors: createConnectors(loadConnectorConfig(env)),
    mappings: loadMappings(),
    integrationUserId: em.dataverse.integrationUserId,
  });
  if (options.crmLatencyMs) {
    const res = await fetch(`${dataverse.url}/_admin/faults`, {
      method: 'PUT',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ latencyMs: options.crmLatencyMs }),
    });
    if (!res.ok) throw new Error(`setting the CRM latency: HTTP ${res.status}`);
  }

  const start = () => startWorkerProcess(env, { taskQueue, dbName, pageSize: options.pageSize, bundlePath });
  const workers = await Promise.all([start(), start()]);
  const connection = await Connection.connect({ address: temporalAddress });
  const client = new Client({ connection });
  return {
    em,
    db,
    connection,
    client,
    taskQueue,
    workers,
    async stop() {
      for (const w of workers) {
        if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGTERM');
        await w.exited;
      }
      await connection.close();
      await db.db.dropDatabase().catch(() => undefined);
      await db.close();
      await em.stop();
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

function startWorkerProcess(
  env: NodeJS.ProcessEnv,
  args: { taskQueue: string; dbName: string; pageSize: number; bundlePath: string },
): Promise<WorkerProcess> {
  const child = spawn(
    process.execPath,
    [
      join(__dirname, 'runTypeScript.js'),
      join(__dirname, 'failoverWorker.ts'),
      args.taskQueue,
      args.dbName,
      String(args.pageSize),
      args.bundlePath,
    ],
    { env, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) =>
    child.once('exit', (code, signal) => resolve(signal ?? code)),
  );
  const pages: string[] = [];
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`failover worker exited (${code}) before it was ready`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line.startsWith('ready ')) resolve({ child, pid: child.pid!, pages, exited });
      if (line.startsWith('page ')) pages.push(line);
    });
  });
}

/**
 * Waits for the first committed page of `pass` (e.g. ` CUSTOMER toCrm `), shortens the running activity's
 * heartbeat timeout to 5 s (instead of minutes; the retried attempt is told the old timeout, so the workers
 * send heartbeats at least every second, failoverWorker.ts), kills the worker that committed it with SIGKILL, and
 * returns the victim, the survivor and how many pages the victim had committed.
 */
export async function killWorkerMidPass(
  stack: FailoverStack,
  handle: WorkflowHandle,
  pass: string,
): Promise<{ victim: WorkerProcess; survivor: WorkerProcess; pagesAtKill: number }> {
  const firstPage = await until(
    'the first committed page',
    () => stack.workers.flatMap((w) => w.pages).find((line) => line.includes(pass)),
    90_000,
  );
  const victim = stack.workers.find((w) => firstPage.startsWith(`page ${w.pid} `))!;
  const survivor = stack.workers.find((w) => w !== victim)!;
  const described = await handle.describe();
  const activityId = described.raw.pendingActivities?.[0]?.activityId;
  if (!activityId) throw new Error('no running activity to kill');
  await stack.connection.workflowService.updateActivityOptions({
    namespace: stack.client.options.namespace,
    execution: { workflowId: handle.workflowId },
    id: activityId,
    activityOptions: { heartbeatTimeout: msToTs('5 seconds') },
    updateMask: { paths: ['heartbeat_timeout'] },
  });
  victim.child.kill('SIGKILL');
  const how = await victim.exited;
  if (how !== 'SIGKILL') throw new Error(`the victim worker ended with ${String(how)}, not SIGKILL`);
  return { victim, survivor, pagesAtKill: victim.pages.filter((l) => l.includes(pass)).length };
}

/**
 * What a user checks after the crash: one CRM account per active BC customer (no duplicate), each customer
 * coupled exactly once to its own account, and the run's BC -> CRM job (`jobIds`: the run's jobs; default
 * all jobs) counting each customer once.
 */
export async function expectEachCustomerOnce(
  stack: FailoverStack,
  customers: JsonRecord[],
  accountsBefore: JsonRecord[],
  jobIds?: string[],
): Promise<void> {
  const accounts = await adminRecords(stack.em.dataverse.url, 'accounts');
  const accountsByName = new Map<string, number>();
  for (const a of accounts) accountsByName.set(String(a.name), (accountsByName.get(String(a.name)) ?? 0) + 1);
  const duplicated = customers.filter((c) => accountsByName.get(String(c.displayName)) !== 1);
  expect(duplicated.map((c) => c.displayName)).toEqual([]);

  const couplings = await stack.db.cols.couplings.find({ mapping: 'CUSTOMER' }).toArray();
  const byBcId = new Map<string, number>();
  for (const c of couplings) {
    if (c.state !== 'coupled') continue;
    const bcId = c.bcId.toLowerCase();
    byBcId.set(bcId, (byBcId.get(bcId) ?? 0) + 1);
  }
  const uncoupled = customers.filter((c) => byBcId.get(String(c.id).toLowerCase()) !== 1);
  expect(uncoupled.map((c) => c.number)).toEqual([]);
  expect(new Set(couplings.map((c) => c.crmId)).size).toBe(couplings.length);

  const jobs = await stack.db.cols.jobLog
    .find({
      mapping: 'CUSTOMER',
      direction: 'ToIntegrationTable',
      ...(jobIds ? { _id: { $in: jobIds } } : {}),
    })
    .toArray();
  expect(jobs).toHaveLength(1);
  const [job] = jobs;
  expect(job!.inserted + job!.modified + job!.unchanged).toBe(customers.length);
  expect(job!.failed).toBe(0);
  expect(job!.finishedAt).toBeDefined();
  expect(accounts.length - accountsBefore.length).toBe(job!.inserted);
}
