// Honest CLI errors through the real `bcsync` binary (README "Commands": exit 0 ok, 1 failure, 2 usage
// error, `--json` included): the reason of a failed Workflow Update, run and full sync (not Temporal's
// "Workflow Update failed" / "Activity task failed"), numeric options named when wrong, a closed pipe
// ending quietly, and record names with terminal control characters escaped in tables.
//
// A `bcsync worker` without BC / Dataverse settings makes every run fail with a reason a person can act
// on (the missing settings). It runs in a namespace of this file's own, so it never takes another test
// file's activities from the default task queue.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { Connection } from '@temporalio/client';
import { loadMappings } from '../../activities/mappings/mappingConfig';
import { MatchReviewStore } from '../../activities/store/matchReviews';
import { SyncErrorStore } from '../../activities/store/syncErrors';
import type { Database } from '../../activities/store/database';
import type { FullSyncMappingResult } from '../../workflows/fullSynchronization';
import { testDatabase } from '../support/database';
import { registerNamespace } from '../support/temporalNamespace';
import { assertBuilt, bcsync, startBcsync, type RunningBcsync } from './bcsyncBinary';

const namespace = `clierrors-${randomUUID().slice(0, 8)}`;
const CONNECTOR_VARIABLES = [
  'BCSYNC_BC_TENANT',
  'BCSYNC_BC_ENVIRONMENT',
  'BCSYNC_BC_COMPANY_ID',
  'BCSYNC_BC_COMPANY_NAME',
  'BCSYNC_BC_CLIENT_ID',
  'BCSYNC_BC_CLIENT_SECRET',
  'BCSYNC_BC_API_URL',
  'BCSYNC_BC_TOKEN_URL',
  'BCSYNC_DATAVERSE_URL',
  'BCSYNC_DATAVERSE_TENANT',
  'BCSYNC_DATAVERSE_CLIENT_ID',
  'BCSYNC_DATAVERSE_CLIENT_SECRET',
];
let database: Database;
let connection: Connection;
let worker: RunningBcsync;
let dir: string;
let env: Record<string, string | undefined>;

beforeAll(async () => {
  assertBuilt();
  database = await testDatabase('clierrors');
  connection = await Connection.connect({ address: process.env.TEMPORAL_ADDRESS! });
  await registerNamespace(connection, namespace);
  dir = mkdtempSync(join(tmpdir(), 'bcsync-clierrors-'));
  const mappingsFile = join(dir, 'bcsync.json');
  // Entries start On Hold: they run only when a command says so.
  writeFileSync(
    mappingsFile,
    JSON.stringify({
      mappings: loadMappings().mappings.map((m) => ({ name: m.name, jobQueue: { startOnHold: true } })),
      statistics: { jobQueue: { startOnHold: true } },
    }),
  );
  env = {
    TEMPORAL_NAMESPACE: namespace,
    BCSYNC_DB_NAME: database.db.databaseName,
    BCSYNC_MAPPINGS_FILE: mappingsFile,
    BCSYNC_STATE_DIR: dir,
    ...Object.fromEntries(CONNECTOR_VARIABLES.map((v) => [v, undefined])),
  };
  worker = startBcsync(['worker'], env);
  const setup = await bcsync(['setup'], env);
  expect(setup.stderr).toBe('');
  expect(setup.code).toBe(0);
});
afterAll(async () => {
  expect(await worker?.stop()).toBe(0);
  await connection?.close();
  await database?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const TEMPORAL_WRAPPERS = /Workflow Update failed|Workflow execution failed|Activity task failed/;

test('`set` with a value the entry rejects prints the workflow reason and exits 2 (usage error)', async () => {
  const set = await bcsync(['set', 'CUSTOMER', '--frequency', '0'], env);
  expect(set.code).toBe(2);
  expect(set.stderr).toMatch(/^bcsync: setSchedule of job queue entry CUSTOMER: .*frequencyMinutes/);
  expect(set.stderr).not.toMatch(TEMPORAL_WRAPPERS);
  const json = await bcsync(['set', 'CUSTOMER', '--frequency', '0', '--json'], env);
  expect(json.code).toBe(2);
  expect(json.stdout).toBe('');
});

test('a failed `run` prints the cause (the missing settings) and exits 1, with --json too', async () => {
  const run = await bcsync(['run', 'CUSTOMER'], env);
  expect(run.code).toBe(1);
  expect(run.stderr).toMatch(/^bcsync: Run of job queue entry CUSTOMER failed: /);
  expect(run.stderr).toMatch(/Connector configuration is incomplete/);
  expect(run.stderr).toMatch(/BCSYNC_BC_TENANT is not set/);
  expect(run.stderr).not.toMatch(TEMPORAL_WRAPPERS);
  const json = await bcsync(['run', 'CUSTOMER', '--json'], env);
  expect(json.code).toBe(1);
  expect(json.stderr).toMatch(/BCSYNC_BC_TENANT is not set/);
});

test('a failed `full-sync --json` exits 1 and names the cause per mapping', async () => {
  const full = await bcsync(['full-sync', '--mapping', 'CUSTOMER', '--json'], env);
  expect(full.code).toBe(1);
  const results = JSON.parse(full.stdout) as FullSyncMappingResult[];
  expect(results).toHaveLength(1);
  expect(results[0]).toMatchObject({ mapping: 'CUSTOMER', result: null });
  expect(results[0]!.error).toMatch(/BCSYNC_BC_TENANT is not set/);
  expect(results[0]!.error).not.toMatch(TEMPORAL_WRAPPERS);
  const table = await bcsync(['full-sync', '--mapping', 'CUSTOMER'], env);
  expect(table.code).toBe(1);
  expect(table.stdout).toMatch(/CUSTOMER.*Connector configuration is incomplete/);
});

test.each([
  [['worker', '--concurrency', 'abc'], '--concurrency'],
  [['worker', '--concurrency', '1.5'], '--concurrency'],
  [['worker', '--concurrency', '-2'], '--concurrency'],
  [['set', 'CUSTOMER', '--frequency', '-5'], '--frequency'],
  [['set', 'CUSTOMER', '--max-attempts', '2.5'], '--max-attempts'],
  [['log', '--limit', '1e3'], '--limit'],
  [['errors', '--limit', '0'], '--limit'],
  [['webhooks', '--port', '70000'], '--port'],
  [['webhooks', '--crm-poll-seconds', 'often'], '--crm-poll-seconds'],
  [['console', '--port', 'x'], '--port'],
  [['emulate', '--rate-429', '2'], '--rate-429'],
  [['emulate', '--records', '0x10'], '--records'],
])('`bcsync %j` is a usage error naming %s (exit 2, no hang)', async (args, option) => {
  const r = await bcsync(args, env);
  expect(r.code).toBe(2);
  expect(r.stderr).toContain(`option '${option} `);
  expect(r.stderr).toMatch(/is invalid/);
});

test('`--json` piped into `head -c 10`: no stack trace, the exit code of the command', async () => {
  // `mappings --json` prints about 70 KB, more than a pipe holds, so the writes after head exits fail.
  const cli = join(__dirname, '..', '..', 'bin', 'bcsync.js');
  const child = spawn(
    'bash',
    ['-o', 'pipefail', '-c', `"${process.execPath}" "${cli}" mappings --json | head -c 10 >/dev/null`],
    {
      env: { ...process.env, BCSYNC_STATE_DIR: dir },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  expect(stderr).toBe('');
  expect(code).toBe(0);
});

test('terminal control characters in record names and messages are escaped in `errors` and `review`', async () => {
  // As a BC user could name a customer: a screen clear, a title change (OSC) and a one-byte CSI.
  const evil = 'Evil\u001b[2J\u001b]0;pwned\u0007 Corp\u009b31m';
  const shown = 'Evil\\x1B[2J\\x1B]0;pwned\\x07 Corp\\x9B31m';
  await new SyncErrorStore(database.cols.syncErrors).add([
    {
      jobId: 'job-escape',
      mapping: 'CUSTOMER',
      direction: 'ToIntegrationTable',
      source: { system: 'bc', entity: 'customers', id: randomUUID(), label: evil },
      message: `name ${evil} is too long\rOK`,
      at: new Date(),
    },
  ]);
  const errors = await bcsync(['errors', '--mapping', 'CUSTOMER'], env);
  expect(errors.code).toBe(0);
  expect(errors.stdout).toContain(shown);
  expect(errors.stdout).toContain('too long\\rOK');
  expect(errors.stdout).not.toMatch(/[\u001b\u0007\u009b\r]/);
  // JSON keeps the text (a script gets the real name), escaped as JSON.
  const json = await bcsync(['errors', '--mapping', 'CUSTOMER', '--json'], env);
  expect(json.stdout).not.toMatch(/[\u001b\u0007\u009b\r]/);
  expect((JSON.parse(json.stdout) as { source: { label: string } }[])[0]!.source.label).toBe(evil);

  const bcId = randomUUID();
  await new MatchReviewStore(database.cols.matchReviews).put([
    {
      _id: `CUSTOMER|bc|${bcId}`,
      mapping: 'CUSTOMER',
      source: { side: 'bc', id: bcId, label: evil },
      candidates: [
        { side: 'crm', id: randomUUID(), label: 'Evil Corp' },
        { side: 'crm', id: randomUUID(), label: `Evil\u202eproC` },
      ],
      on: 'displayName = name',
      jobId: 'job-escape',
      at: new Date(),
    },
  ]);
  const review = await bcsync(['review', '--mapping', 'CUSTOMER'], env);
  expect(review.code).toBe(0);
  expect(review.stdout).toContain(shown);
  expect(review.stdout).toContain('Evil\\u202EproC');
  expect(review.stdout).not.toMatch(/[\u001b\u0007\u009b\u202e]/);
});
