// A worker's Prometheus metrics and health endpoint, through the real `bcsync worker` binary
// (README "Metrics and health"): the SDK runtime's own series and bcsync's after `setup` and a
// synchronization, and GET /health answering 503 while MongoDB does not answer and 200 again once it
// does. The worker reaches MongoDB through a TCP relay the test can cut, as a network partition would.
// The test has a namespace of its own, so the entry counts are exactly its entries.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, Socket, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { loadMappings } from '../../activities/mappings/mappingConfig';
import { emulatorConnectorEnv } from '../../client/emulatorConnection';
import { LINEAGE_RETENTION_SCHEDULE_ID } from '../../client/lineageRetentionSchedule';
import { EntryState } from '../../common/jobQueue';
import { assertBuilt, bcsync, startBcsync, type RunningBcsync } from '../client/bcsyncBinary';
import { startEngineStack, type EngineStack } from '../engine/engineHarness';
import { prepareReferenceData } from '../engine/engineTestData';
import { mongoUri } from '../support/database';

/** A TCP relay to MongoDB that can be cut (connections dropped, new ones refused) and restored. */
class MongoRelay {
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  port = 0;
  constructor(private readonly target: { host: string; port: number }) {}

  async open(): Promise<void> {
    const server = createServer((client) => {
      const upstream = new Socket();
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => undefined);
      }
      upstream.connect(this.target.port, this.target.host);
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  async cut(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  }
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The samples of a Prometheus text exposition. */
function parseMetrics(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g))
      labels[l[1]!] = l[2]!;
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return samples;
}

const sum = (samples: Sample[]) => samples.reduce((s, x) => s + x.value, 0);
const select = (samples: Sample[], name: string, labels: Record<string, string> = {}) =>
  samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));

async function health(port: number): Promise<{ status: number; body: Record<string, string> }> {
  const res = await fetch(`http://127.0.0.1:${port}/health`);
  return { status: res.status, body: (await res.json()) as Record<string, string> };
}

/** Polls until `check` holds (the worker reacts on its own time); never a timed assertion. */
async function eventually<T>(what: string, read: () => Promise<T>, check: (v: T) => boolean): Promise<T> {
  const deadline = Date.now() + 90_000;
  let last: T | undefined;
  let error: unknown;
  for (;;) {
    try {
      last = await read();
      if (check(last)) return last;
    } catch (err) {
      error = err;
    }
    if (Date.now() > deadline)
      throw new Error(`${what}: last seen ${JSON.stringify(last)} ${error ? String(error) : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

const namespace = `bcsync-metrics-${randomUUID().slice(0, 8)}`;
let connection: Connection;
let stack: EngineStack;
let relay: MongoRelay;
let worker: RunningBcsync | undefined;
let env: Record<string, string>;
const ports = { metrics: 0, health: 0 };

async function scrape(): Promise<Sample[]> {
  const res = await fetch(`http://127.0.0.1:${ports.metrics}/metrics`);
  if (res.status !== 200) throw new Error(`GET /metrics: HTTP ${res.status}`);
  const text = await res.text();
  return parseMetrics(text);
}

beforeAll(async () => {
  assertBuilt();
  connection = await Connection.connect({ address: process.env.TEMPORAL_ADDRESS });
  await connection.workflowService.registerNamespace({
    namespace,
    workflowExecutionRetentionPeriod: msToTs('1 day'),
  });
  await eventually(
    'the new namespace',
    () => connection.workflowService.describeNamespace({ namespace }),
    () => true,
  );
  stack = await startEngineStack();
  await prepareReferenceData(stack);
  const target = new URL(mongoUri());
  relay = new MongoRelay({ host: target.hostname, port: Number(target.port || 27017) });
  await relay.open();
  const viaRelay = new URL(mongoUri());
  viaRelay.port = String(relay.port);
  ports.metrics = await freePort();
  ports.health = await freePort();
  const mappingsFile = join(mkdtempSync(join(tmpdir(), 'bcsync-metrics-')), 'bcsync.json');
  // The default entries, created on hold: `setup` starts them, none runs by itself.
  writeFileSync(
    mappingsFile,
    JSON.stringify({
      mappings: loadMappings().mappings.map((m) => ({ name: m.name, jobQueue: { startOnHold: true } })),
    }),
  );
  env = {
    TEMPORAL_NAMESPACE: namespace,
    BCSYNC_MAPPINGS_FILE: mappingsFile,
    MONGODB_URI: viaRelay.toString(),
    BCSYNC_DB_NAME: stack.db.db.databaseName,
    BCSYNC_STATE_DIR: mkdtempSync(join(tmpdir(), 'bcsync-metrics-')),
    ...emulatorConnectorEnv(stack.emulators),
    // A small client-side budget for BC, so the run waits for it and the throttling series has samples.
    BCSYNC_BC_REQUESTS_PER_WINDOW: '10',
    BCSYNC_BC_WINDOW_SECONDS: '1',
  };
  worker = startBcsync(
    ['worker', '--metrics', `127.0.0.1:${ports.metrics}`, '--health', `127.0.0.1:${ports.health}`],
    env,
  );
}, 120_000);

afterAll(async () => {
  const code = await worker?.stop();
  if (connection) {
    const client = new Client({ connection, namespace });
    for await (const w of client.workflow.list({ query: 'ExecutionStatus = "Running"' }))
      await client.workflow
        .getHandle(w.workflowId)
        .terminate('test finished')
        .catch(() => undefined);
    await client.schedule
      .getHandle(LINEAGE_RETENTION_SCHEDULE_ID)
      .delete()
      .catch(() => undefined);
    await connection.close();
  }
  await relay?.cut();
  await stack?.stop();
  expect(code).toBe(0);
});

test('health: 200 with the worker RUNNING and MongoDB answering', async () => {
  const ok = await eventually(
    'a healthy worker',
    () => health(ports.health),
    (h) => h.status === 200,
  );
  expect(ok.body).toEqual({ status: 'ok', worker: 'RUNNING', mongodb: 'ok' });
  const other = await fetch(`http://127.0.0.1:${ports.health}/metrics`);
  expect(other.status).toBe(404);
});

test("metrics: the SDK's series and bcsync's records, run durations, throttling waits and entry states", async () => {
  const setup = await bcsync(['setup'], env);
  expect(setup.stderr).toBe('');
  expect(setup.code).toBe(0);
  const started = setup.stdout.split('\n').filter((l) => / started/.test(l)).length;
  expect(started).toBeGreaterThan(5);

  const full = await bcsync(['full-sync', '--mapping', 'CUSTOMER', '--json'], env);
  expect(full.stderr).toBe('');
  expect(full.code).toBe(0);
  const result = (
    JSON.parse(full.stdout) as {
      mapping: string;
      result: { inserted: number; modified: number; deleted: number; failed: number };
    }[]
  ).find((r) => r.mapping === 'CUSTOMER')!.result;
  const written = result.inserted + result.modified + result.deleted;
  expect(written).toBeGreaterThan(0);

  // Entries by state, counted from Temporal's visibility (every 30 s): the entries `setup` started, on hold.
  const samples = await eventually(
    'bcsync_entries counting the entries on hold',
    scrape,
    (all) => sum(select(all, 'bcsync_entries', { state: EntryState.OnHold })) === started,
  );
  const entries = select(samples, 'bcsync_entries');
  expect(entries.map((s) => s.labels.state).sort()).toEqual(Object.values(EntryState).sort());
  expect(sum(entries)).toBe(started);
  const named = (name: string, labels: Record<string, string> = {}) => select(samples, name, labels);

  // The SDK runtime's own metrics, with its temporal_ prefix (e.g. workflow task and activity latencies).
  expect(named('temporal_activity_execution_latency_count').length).toBeGreaterThan(0);
  expect(samples.some((s) => s.name.startsWith('temporal_workflow_task'))).toBe(true);

  // Records synced per mapping, direction and change add up to what the full sync reported.
  const synced = named('bcsync_records_synced_total', { mapping: 'CUSTOMER' });
  for (const s of synced) {
    expect(['toCrm', 'fromCrm']).toContain(s.labels.direction);
    expect(['inserted', 'modified', 'deleted']).toContain(s.labels.change);
  }
  expect(sum(synced)).toBe(written);
  // Failed records: one series per pass direction, even at 0.
  const failed = named('bcsync_records_failed_total', { mapping: 'CUSTOMER' });
  expect(failed.map((s) => s.labels.direction).sort()).toEqual(['fromCrm', 'toCrm']);
  expect(sum(failed)).toBe(result.failed);

  // One successful run of the full sync's CUSTOMER step, with its duration.
  const runs = named('bcsync_run_duration_count', { outcome: 'succeeded' });
  expect(sum(runs)).toBeGreaterThanOrEqual(1);
  expect(sum(named('bcsync_run_duration_sum', { outcome: 'succeeded' }))).toBeGreaterThan(0);

  // The BC budget of 10 requests a second made requests wait; Dataverse's (6,000 in 5 minutes) did not.
  expect(sum(named('bcsync_throttling_wait_count', { system: 'bc', reason: 'budget' }))).toBeGreaterThan(0);
  expect(sum(named('bcsync_throttling_wait_sum', { system: 'bc', reason: 'budget' }))).toBeGreaterThan(0);
  expect(named('bcsync_throttling_wait_count', { system: 'dataverse' })).toEqual([]);
}, 300_000);

test('health: 503 naming MongoDB while it does not answer, 200 again once it does', async () => {
  await relay.cut();
  const failing = await eventually(
    'an unhealthy worker',
    () => health(ports.health),
    (h) => h.status === 503,
  );
  expect(failing.body).toMatchObject({ status: 'failing', worker: 'RUNNING' });
  expect(failing.body.mongodb).toMatch(/^unreachable: /);
  // No address or credentials in the answer.
  expect(JSON.stringify(failing.body)).not.toContain(String(relay.port));

  await relay.open();
  const back = await eventually(
    'a recovered worker',
    () => health(ports.health),
    (h) => h.status === 200,
  );
  expect(back.body).toEqual({ status: 'ok', worker: 'RUNNING', mongodb: 'ok' });
}, 300_000);

test('a bad address is a usage error naming the option or the setting', async () => {
  const badOption = await bcsync(['worker', '--metrics', 'nonsense'], env);
  expect(badOption.code).toBe(2);
  expect(badOption.stderr).toMatch(/--metrics: "nonsense" is not host:port/);
  const badSetting = await bcsync(['worker'], { ...env, BCSYNC_HEALTH_ADDRESS: 'localhost' });
  expect(badSetting.code).toBe(2);
  expect(badSetting.stderr).toMatch(/BCSYNC_HEALTH_ADDRESS is invalid \(expected host:port\)/);
});
