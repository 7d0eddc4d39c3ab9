// "What happened to this record, and why?" from the worker's own log: a `bcsync worker` (the real binary,
// JSON lines on stdout) logs a record that fails with the ids an operator looks it up by - the entry, the
// Temporal workflow and run, the mapping, the pass and its job log id, and the record on both sides - and
// never a secret. The failure: a Dynamics 365 account name of 150 characters, valid in Dataverse (Name is
// 160) but longer than Business Central's Customer Name (Text[100]), which BC refuses on the create.
// The worker runs in a namespace of this file's own, so it takes no other test file's activities.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import { emulatorConnectorEnv } from '../../client/emulatorConnection';
import type { FullSyncMappingResult } from '../../workflows/fullSynchronization';
import { startEngineStack, type EngineStack } from '../engine/engineHarness';
import { prepareReferenceData } from '../engine/engineTestData';
import { registerNamespace } from '../support/temporalNamespace';
import { assertBuilt, bcsync, startBcsync, type RunningBcsync } from './bcsyncBinary';

const namespace = `workerlog-${randomUUID().slice(0, 8)}`;
let stack: EngineStack;
let connection: Connection;
let worker: RunningBcsync;
let env: Record<string, string>;
let dir: string;

beforeAll(async () => {
  assertBuilt();
  stack = await startEngineStack();
  await prepareReferenceData(stack);
  connection = await Connection.connect({ address: process.env.TEMPORAL_ADDRESS! });
  await registerNamespace(connection, namespace);
  dir = mkdtempSync(join(tmpdir(), 'bcsync-workerlog-'));
  env = {
    TEMPORAL_NAMESPACE: namespace,
    BCSYNC_DB_NAME: stack.db.db.databaseName,
    BCSYNC_STATE_DIR: dir,
    BCSYNC_LOG_LEVEL: 'info',
    ...emulatorConnectorEnv(stack.emulators),
  };
  worker = startBcsync(['worker'], env);
  await worker.waitFor(/worker started/);
});
afterAll(async () => {
  expect(await worker?.stop()).toBe(0);
  await connection?.close();
  await stack?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The worker's JSON log lines (pino), skipping anything that is not JSON. */
function logLines(output: string): Array<Record<string, unknown>> {
  return output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => {
      try {
        return JSON.parse(line) as Record<string, unknown>;
      } catch {
        return {};
      }
    });
}

test('a failed record is logged with its entry, workflow run, mapping, job and both record ids', async () => {
  const name = `Contoso Pharmaceuticals ${'Research '.repeat(14)}`.slice(0, 150);
  const account = await stack.salesCrm.create('accounts', { name, customertypecode: 3 });
  const crmId = String(account.accountid).toLowerCase();

  const full = await bcsync(['full-sync', '--mapping', 'CUSTOMER', '--json'], env);
  expect(full.stderr).toBe('');
  expect(full.code).toBe(0);
  const [customer] = JSON.parse(full.stdout) as FullSyncMappingResult[];
  expect(customer!.result!.failed).toBeGreaterThanOrEqual(1);

  // The error log says which job failed it and which BC id the create was meant to get.
  const errors = (
    await Promise.all(customer!.result!.jobIds.map((jobId) => stack.engine.stores.errors.list({ jobId })))
  ).flat();
  const error = errors.find((e) => e.source.id === crmId)!;
  expect(error).toBeDefined();
  const bcId = error.destination!.id!;

  const lines = await (async () => {
    for (let wait = 0; wait < 100; wait++) {
      const found = logLines(worker.output()).filter(
        (l) => l.crmId === crmId && String(l.msg).startsWith('record failed'),
      );
      if (found.length > 0) return found;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`no "record failed" line for ${crmId} in the worker's log:\n${worker.output()}`);
  })();
  expect(lines[0]).toMatchObject({
    level: 40,
    component: 'activity',
    entry: 'FULL SYNC CUSTOMER',
    workflowId: expect.stringMatching(/^bcsync-full-sync-/),
    runId: expect.stringMatching(/^[0-9a-f-]{36}$/),
    mapping: 'CUSTOMER',
    direction: 'fromCrm',
    jobId: error.jobId,
    crmId,
    bcId,
    record: name,
  });
  expect(String(lines[0]!.msg)).toMatch(/record failed: .*/);

  // Secrets stay out of the log, as before.
  const output = worker.output();
  expect(output).not.toContain(env.BCSYNC_BC_CLIENT_SECRET!);
  expect(output).not.toContain(env.BCSYNC_DATAVERSE_CLIENT_SECRET!);
});
