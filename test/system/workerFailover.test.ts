// Failover (mission.md: "start as many workers as the load needs"): two real worker processes poll one
// task queue; the one running a CUSTOMER full sync is killed with SIGKILL mid-run (no graceful shutdown,
// no last heartbeat), and the other worker finishes the run. The result must be as if nothing happened:
// one CRM account per BC customer, every customer coupled once, and every customer counted once.
//
// Temporal only notices a killed worker when the activity's heartbeat times out, and the entry workflow
// uses JOB_QUEUE_ACTIVITY_HEARTBEAT_TIMEOUT (2 minutes). To keep the test short it lowers the timeout of
// this one running activity from outside, as an operator would (`temporal activity update-options`);
// the workflow code is unchanged.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
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
import { emulatorConnectorEnv } from '../../client/emulatorConnection';
import { entryWorkflowId, type RunResult } from '../../common/jobQueue';
import { startDataverseEmulator, type RunningEmulators } from '../../emulators';
import { startBcEmulator } from '../../emulators/bc';
import type { jobQueueEntry } from '../../workflows';
import { runNowUpdate } from '../../workflows/messages';
import { syncReferenceData } from '../../bench/support/syncReferenceData';

const temporalAddress = process.env.TEMPORAL_ADDRESS;
const mongodbUri = process.env.MONGODB_URI;
const describeWithServers = temporalAddress && mongodbUri ? describe : describe.skip;

// 1,500 customers in pages of 25: 60 pages, several seconds of work, so the kill lands mid-run.
const CUSTOMERS = 1500;
const PAGE_SIZE = 25;
const taskQueue = `failover-${randomUUID().slice(0, 8)}`;
const dbName = `failover_${randomUUID().slice(0, 8)}`;

interface WorkerProcess {
  child: ChildProcess;
  pid: number;
  /** `page <pid> <mapping> <direction> <pageSeq>` lines seen so far. */
  pages: string[];
  exited: Promise<NodeJS.Signals | number | null>;
}

function startWorkerProcess(env: NodeJS.ProcessEnv, bundlePath: string): Promise<WorkerProcess> {
  const child = spawn(
    process.execPath,
    [
      join(__dirname, 'runTypeScript.js'),
      join(__dirname, 'failoverWorker.ts'),
      taskQueue,
      dbName,
      String(PAGE_SIZE),
      bundlePath,
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

async function until<T>(what: string, probe: () => T | undefined, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function adminRecords(url: string, entitySet: string): Promise<JsonRecord[]> {
  const res = await fetch(`${url}/_admin/records/${entitySet}`);
  if (!res.ok) throw new Error(`admin records ${entitySet}: HTTP ${res.status}`);
  return ((await res.json()) as { value: JsonRecord[] }).value;
}

describeWithServers('two workers, one killed mid-sync', () => {
  let em: RunningEmulators;
  let db: Database;
  let connection: Connection;
  let client: Client;
  let stateDir: string;
  const workers: WorkerProcess[] = [];
  let handle: WorkflowHandle<typeof jobQueueEntry> | undefined;

  beforeAll(async () => {
    stateDir = mkdtempSync(join(tmpdir(), 'bcsync-failover-'));
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
    const bc = await startBcEmulator({ port: 0, records: CUSTOMERS, webhookCoalesceMs: 60_000 });
    em = { bc, dataverse, stop: async () => void (await Promise.all([bc.stop(), dataverse.stop()])) };
    const env = { ...process.env, ...emulatorConnectorEnv(em), BCSYNC_LOG_LEVEL: 'warn' };
    db = await connectDatabase(mongodbUri!, { dbName });
    await syncReferenceData({
      db,
      connectors: createConnectors(loadConnectorConfig(env)),
      mappings: loadMappings(),
      integrationUserId: em.dataverse.integrationUserId,
    });

    workers.push(
      ...(await Promise.all([startWorkerProcess(env, bundlePath), startWorkerProcess(env, bundlePath)])),
    );
    connection = await Connection.connect({ address: temporalAddress });
    client = new Client({ connection });
  }, 120_000);

  afterAll(async () => {
    await handle?.terminate('test finished').catch(() => undefined);
    for (const w of workers) {
      if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGTERM');
      await w.exited;
    }
    await connection?.close();
    await db?.db.dropDatabase().catch(() => undefined);
    await db?.close();
    await em?.stop();
    if (stateDir) rmSync(stateDir, { recursive: true, force: true });
  });

  it('the other worker finishes the full sync: no duplicate account, each customer coupled and counted once', async () => {
    const customers = (await adminRecords(em.bc.url, 'customers')).filter((c) => c.blocked === ' ');
    const accountsBefore = await adminRecords(em.dataverse.url, 'accounts');
    expect(customers.length).toBeGreaterThan(CUSTOMERS / 2);

    handle = await client.workflow.start<typeof jobQueueEntry>('jobQueueEntry', {
      taskQueue,
      workflowId: entryWorkflowId('CUSTOMER', `failover-${randomUUID().slice(0, 8)}`),
      args: [{ entry: 'CUSTOMER', mappings: ['CUSTOMER'], startOnHold: true }],
    });
    const run = handle.executeUpdate(runNowUpdate, { args: [{ fullSync: true }] });
    run.catch(() => undefined); // awaited below; keeps an early failure from being unhandled

    // The first committed page of the BC -> CRM pass names the worker that holds the activity.
    const firstPage = await until('the first committed page', () =>
      workers.flatMap((w) => w.pages).find((line) => line.includes(' CUSTOMER toCrm ')),
    );
    const victim = workers.find((w) => firstPage.startsWith(`page ${w.pid} `))!;
    const survivor = workers.find((w) => w !== victim)!;

    // The running attempt gives up after 5 s without a heartbeat instead of 2 minutes.
    const described = await handle.describe();
    const activityId = described.raw.pendingActivities?.[0]?.activityId;
    expect(activityId).toBeTruthy();
    await connection.workflowService.updateActivityOptions({
      namespace: client.options.namespace,
      execution: { workflowId: handle.workflowId },
      id: activityId!,
      activityOptions: { heartbeatTimeout: msToTs('5 seconds') },
      updateMask: { paths: ['heartbeat_timeout'] },
    });

    victim.child.kill('SIGKILL');
    expect(await victim.exited).toBe('SIGKILL');
    const pagesAtKill = victim.pages.filter((l) => l.includes(' CUSTOMER toCrm ')).length;

    const result: RunResult = await run;

    // The kill was mid-run: the victim had committed some pages, the survivor committed the rest.
    expect(pagesAtKill).toBeGreaterThan(0);
    const survivorPages = survivor.pages.filter((l) => l.includes(' CUSTOMER toCrm '));
    expect(survivorPages.length).toBeGreaterThan(0);
    // It resumed after the last committed page rather than starting the pass again.
    expect(Number(survivorPages[0]!.split(' ').pop())).toBeGreaterThan(1);
    // No record failed (the errors are shown if one did).
    const errors = await db.cols.syncErrors.find({}).limit(3).toArray();
    expect({ failed: result.failed, errors: errors.map((e) => e.message) }).toEqual({
      failed: 0,
      errors: [],
    });

    // One account per customer, and no account beyond the ones the run inserted.
    const accounts = await adminRecords(em.dataverse.url, 'accounts');
    const accountsByName = new Map<string, number>();
    for (const a of accounts)
      accountsByName.set(String(a.name), (accountsByName.get(String(a.name)) ?? 0) + 1);
    const duplicated = customers.filter((c) => accountsByName.get(String(c.displayName)) !== 1);
    expect(duplicated.map((c) => c.displayName)).toEqual([]);

    // Every customer coupled exactly once, each to its own account.
    const couplings = await db.cols.couplings.find({ mapping: 'CUSTOMER' }).toArray();
    const byBcId = new Map<string, number>();
    for (const c of couplings) {
      if (c.state !== 'coupled') continue;
      const bcId = c.bcId.toLowerCase();
      byBcId.set(bcId, (byBcId.get(bcId) ?? 0) + 1);
    }
    const uncoupled = customers.filter((c) => byBcId.get(String(c.id).toLowerCase()) !== 1);
    expect(uncoupled.map((c) => c.number)).toEqual([]);
    expect(new Set(couplings.map((c) => c.crmId)).size).toBe(couplings.length);

    // Counted once: the BC -> CRM job counts each customer once across both attempts.
    const jobs = await db.cols.jobLog
      .find({ mapping: 'CUSTOMER', direction: 'ToIntegrationTable' })
      .toArray();
    expect(jobs).toHaveLength(1);
    const [job] = jobs;
    expect(job!.inserted + job!.modified + job!.unchanged).toBe(customers.length);
    expect(job!.finishedAt).toBeDefined();
    expect(accounts.length - accountsBefore.length).toBe(job!.inserted);
  }, 150_000);
});
