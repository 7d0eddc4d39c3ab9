// `npm start`, the README's first promise, through its real entry point: dist/client/start.js is what
// `npm start` runs once it has built the project and checked the dev servers. The environment names the
// test run's Temporal and MongoDB servers (as a user with servers of their own would), so the test gets a
// namespace and database of its own and the emulators, webhook receiver and console take free ports;
// everything else is the embedded default: demo data on both emulators, the first full synchronization,
// the default entries, the wake-ups and the console.
//
// The two tests run in order: the first start, then a second start on the same state (a restart must
// neither run the initial full sync again nor duplicate anything).
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { normalizeMatchValue } from '../../activities/engine/matchCoupling';
import { assertBuilt, bcsync, startScript, type RunningBcsync } from './bcsyncBinary';
import { registerNamespace } from '../support/temporalNamespace';
import { startEmulators } from '../../emulators';

const startJs = join(__dirname, '..', '..', 'dist', 'client', 'start.js');
const suffix = randomUUID().slice(0, 8);
const namespace = `npmstart-${suffix}`;
let connection: Connection;
let stateDir: string;
let env: Record<string, string | undefined>;
let running: RunningBcsync | undefined;

beforeAll(async () => {
  assertBuilt();
  connection = await Connection.connect({ address: process.env.TEMPORAL_ADDRESS! });
  await registerNamespace(connection, namespace);
  stateDir = mkdtempSync(join(tmpdir(), 'bcsync-npmstart-'));
  const fresh = await startEmulators({ seed: 'demo', bcPort: 0, dataversePort: 0 });
  try {
    seeded = await companies(fresh.bc.url, fresh.dataverse.url);
  } finally {
    await fresh.stop();
  }
  env = {
    TEMPORAL_ADDRESS: process.env.TEMPORAL_ADDRESS!,
    TEMPORAL_NAMESPACE: namespace,
    MONGODB_URI: process.env.MONGODB_URI!,
    BCSYNC_DB_NAME: `npmstart_${suffix}`,
    BCSYNC_STATE_DIR: stateDir,
    BCSYNC_EMULATOR_BC_PORT: '0',
    BCSYNC_EMULATOR_DATAVERSE_PORT: '0',
    BCSYNC_WEBHOOK_PORT: '0',
    BCSYNC_CONSOLE_PORT: '0',
    BCSYNC_STATUS_INTERVAL_SECONDS: '2',
    // Embedded defaults: no real BC or Dataverse named, no mapping file of the developer's.
    BCSYNC_BC_API_URL: undefined,
    BCSYNC_DATAVERSE_URL: undefined,
    BCSYNC_MAPPINGS_FILE: undefined,
    BCSYNC_LOG_LEVEL: undefined,
  };
});

afterAll(async () => {
  await running?.stop('SIGINT');
  if (connection) {
    // The entries would otherwise wait on the test run's server for a worker that is gone.
    const client = new Client({ connection, namespace });
    for await (const wf of client.workflow.list({ query: 'ExecutionStatus = "Running"' })) {
      await client.workflow
        .getHandle(wf.workflowId)
        .terminate('test finished')
        .catch(() => undefined);
    }
    await connection.close();
  }
  if (stateDir) rmSync(stateDir, { recursive: true, force: true });
});

const line = (out: string, label: string): string => {
  const m = new RegExp(`^${label}:\\s+(\\S+)`, 'm').exec(out);
  if (!m) throw new Error(`npm start printed no "${label}:" line:\n${out}`);
  return m[1]!;
};

async function records(url: string, entitySet: string): Promise<Record<string, unknown>[]> {
  const res = await fetch(`${url}/_admin/records/${entitySet}`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { value: Record<string, unknown>[] }).value;
}

type Counts = Map<string, number>;

/** Companies by normalized name + city, and how many records each has. */
function byCompany(rows: Record<string, unknown>[], name: string, city: string): Counts {
  const seen: Counts = new Map();
  for (const r of rows) {
    const key = `${normalizeMatchValue(r[name])}|${normalizeMatchValue(r[city])}`;
    seen.set(key, (seen.get(key) ?? 0) + 1);
  }
  return seen;
}

/** The emulators' URLs from the banner (the admin routes sit at the server's root). */
const origin = (apiUrl: string) => new URL(apiUrl).origin;

async function companies(
  bcUrl: string,
  crmUrl: string,
): Promise<{ bc: Counts; bcUnblocked: Counts; crm: Counts }> {
  const customers = await records(bcUrl, 'customers');
  return {
    bc: byCompany(customers, 'displayName', 'city'),
    bcUnblocked: byCompany(
      customers.filter((c) => c.blocked === ' '),
      'displayName',
      'city',
    ),
    crm: byCompany(await records(crmUrl, 'accounts'), 'name', 'address1_city'),
  };
}

/** The demo data as `npm start` seeds it, before any sync: a fresh pair of emulators. */
let seeded: { bc: Counts; bcUnblocked: Counts; crm: Counts };

/**
 * No company is on a side more often than it was on either side before the first sync: the demo has
 * companies on one side only, on both, and two entered twice in the CRM (ambiguous pairs, left for
 * `bcsync review`), and a record synced twice would exceed that.
 */
async function expectNoDuplicates(out: string): Promise<{ accounts: number; customers: number }> {
  const now = await companies(origin(line(out, 'BC emulator')), origin(line(out, 'CRM emulator')));
  const excess = (side: 'bc' | 'crm') =>
    [...now[side]]
      .filter(([k, n]) => n > Math.max(seeded.bc.get(k) ?? 0, seeded.crm.get(k) ?? 0))
      .map(([k, n]) => `${k} x${n}`);
  expect(excess('bc')).toEqual([]);
  expect(excess('crm')).toEqual([]);
  const total = (c: Counts) => [...c.values()].reduce((a, b) => a + b, 0);
  // Every company of either side is on both now (the ambiguous CRM pairs count once on the BC side),
  // except the demo's one blocked BC customer, which the CUSTOMER mapping's table filter leaves out.
  for (const k of new Set([...seeded.bcUnblocked.keys(), ...seeded.crm.keys()])) {
    expect([k, now.bc.has(k), now.crm.has(k)]).toEqual([k, true, true]);
  }
  return { accounts: total(now.crm), customers: total(now.bc) };
}

let firstCounts: { accounts: number; customers: number };

/** Ctrl-C, as a user stops it: the exit code, or a failure naming a process that did not stop. */
async function stopWithCtrlC(r: RunningBcsync): Promise<number | null> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('npm start did not stop within 90 s of Ctrl-C')), 90_000);
  });
  try {
    return await Promise.race([r.stop('SIGINT'), late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Node's diagnostic report on a signal (the JS stack if the main thread is busy, the open handles); not
 * Node's default SIGUSR2, which the Temporal SDK takes as a request to shut the worker down.
 */
const reportArgs = () => ['--report-on-signal', '--report-signal=SIGURG', `--report-directory=${stateDir}`];

/** What a stuck `npm start` is doing: its diagnostic report, taken now, in short. */
async function diagnosticReport(r: RunningBcsync): Promise<string> {
  r.signal('SIGURG');
  for (let i = 0; i < 20; i++) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    const files = readdirSync(stateDir).filter((f) => /^report\..*\.json$/.test(f));
    if (files.length === 0) continue;
    const report = JSON.parse(readFileSync(join(stateDir, files[files.length - 1]!), 'utf8')) as {
      javascriptStack?: { message?: string; stack?: string[] };
      libuv?: { type: string; is_active?: boolean; remoteEndpoint?: { port?: number } }[];
    };
    const handles = new Map<string, number>();
    for (const h of report.libuv ?? []) if (h.is_active) handles.set(h.type, (handles.get(h.type) ?? 0) + 1);
    return [
      `main thread: ${report.javascriptStack?.message ?? '?'}`,
      ...(report.javascriptStack?.stack ?? []).slice(0, 15),
      `active handles: ${[...handles].map(([t, n]) => `${t} x${n}`).join(', ')}`,
    ].join('\n');
  }
  return '(no diagnostic report within 5 s)';
}

const tail = (file: string, chars: number) =>
  existsSync(file) ? readFileSync(file, 'utf8').slice(-chars) : `(no ${file})`;

/**
 * A failed step says what `npm start` printed up to then, its log's last lines and, if it still runs,
 * where it is (a hang is otherwise silent); then stops it, so the next test starts on its own.
 */
async function withOutput(step: () => Promise<void>): Promise<void> {
  try {
    await step();
  } catch (err) {
    const r = running;
    running = undefined;
    const out = r?.output() ?? '(stopped)';
    const report = r ? await diagnosticReport(r) : '';
    await r?.stop('SIGKILL');
    // The most telling parts last (a long CI log keeps its tail): the log, what it printed (its last
    // lines name a step that takes long), where it is now.
    const message = (err as Error).message;
    const waited = message.startsWith('no /') ? message.split('\n')[0]! : message;
    throw new Error(
      `${waited}\n--- bcsync.log ---\n${tail(join(stateDir, 'bcsync.log'), 3000)}` +
        `\n--- npm start printed ---\n${out.slice(-4000)}` +
        `\n--- its diagnostic report ---\n${report}`,
    );
  }
}

test(
  'first start: servers named by the environment, emulators with demo data, the initial full sync, every entry set up and shown, no record twice, Ctrl-C stops it',
  () =>
    withOutput(async () => {
      running = startScript(startJs, [], env, reportArgs());
      await running.waitFor(/bcsync is running\. Ctrl-C stops everything\./, 480_000);
      const out = running.output();

      expect(out).toContain('first start: running the initial full synchronization');
      expect(out).toMatch(/^Temporal:\s+\S+/m);
      // Both sides hold the demo's companies once each, including the ones only one side had before.
      firstCounts = await expectNoDuplicates(out);
      expect(firstCounts.accounts).toBeGreaterThanOrEqual(20);
      expect(firstCounts.customers).toBeGreaterThanOrEqual(20);

      // The console answers on the URL printed beside the Temporal UI's.
      const consoleRes = await fetch(line(out, 'Console'));
      expect(consoleRes.status).toBe(200);

      // Every default entry exists and none is in Error after the first sync.
      const entries = await bcsync(['entries', '--json'], env);
      expect(entries.code).toBe(0);
      const list = JSON.parse(entries.stdout) as { entry: string; state: string | null }[];
      expect(list.map((e) => e.entry)).toEqual(expect.arrayContaining(['CUSTOMER', 'CONTACT', 'CURRENCY']));
      expect(list.length).toBeGreaterThanOrEqual(11);
      expect(list.filter((e) => e.state === 'Error')).toEqual([]);
      // The status table lists them too.
      await running.waitFor(/entries \(bcsync entries, bcsync log, bcsync errors for more\)/, 60_000);
      expect(running.output()).toMatch(/CUSTOMER/);

      // Log lines go to the file named in the banner, never between the tables.
      const logFile = line(out, 'Log');
      expect(logFile.startsWith(stateDir)).toBe(true);
      expect(running.output()).not.toMatch(/^\{"level"/m);

      const code = await stopWithCtrlC(running);
      running = undefined;
      expect(code).toBe(0);
      expect(existsSync(logFile)).toBe(true);
      expect(readFileSync(logFile, 'utf8')).not.toContain('bcsync-demo-secret');
    }),
  720_000,
);

test(
  'second start on the same state: no second initial sync, the entries come back, still no record twice',
  () =>
    withOutput(async () => {
      running = startScript(startJs, [], env, reportArgs());
      await running.waitFor(/bcsync is running\. Ctrl-C stops everything\./, 300_000);
      const out = running.output();
      expect(out).not.toContain('first start');
      const counts = await expectNoDuplicates(out);
      // The emulators kept their data in the state directory: the same records, none created again.
      expect(counts).toEqual(firstCounts);

      const entries = await bcsync(['entries', '--json'], env);
      expect(entries.code).toBe(0);
      expect((JSON.parse(entries.stdout) as unknown[]).length).toBeGreaterThanOrEqual(11);

      const code = await stopWithCtrlC(running);
      running = undefined;
      expect(code).toBe(0);
    }),
  420_000,
);
