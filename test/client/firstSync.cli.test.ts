// Issue 9 through the real `bcsync` binary, as an admin connecting two populated systems would go: a dry
// run of the first full sync (nothing written: the emulators' write counters), the full sync itself (no
// record twice in the CRM, the ambiguous pairs for review), then the blast-radius guard on the CUSTOMER
// entry: stopped before writing, On Hold with the reason in `bcsync status`, the Temporal UI and the job
// log; `bcsync approve`, `--force`, and a full sync exempt only when asked.
//
// The entry workflow ids are fixed names (`bcsync run CUSTOMER` addresses the entry CUSTOMER), so this file
// works in a namespace of its own on the test run's Temporal server.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { emulatorConnectorEnv } from '../../client/emulatorConnection';
import { loadMappings } from '../../activities/mappings/mappingConfig';
import { normalizeMatchValue } from '../../activities/engine/matchCoupling';
import {
  EntryState,
  JOB_QUEUE_TASK_QUEUE,
  LastResult,
  entryWorkflowId,
  searchAttributeKeys,
  type EntryStatus,
} from '../../common/jobQueue';
import type { MappingPlan } from '../../common/runPlan';
import type { FullSyncMappingResult } from '../../workflows/fullSynchronization';
import { startWorker, type RunningWorker } from '../../worker/worker';
import { startEngineStack, type EngineStack } from '../engine/engineHarness';
import { emulatorWrites } from '../engine/engineTestData';
import { assertBuilt, bcsync } from './bcsyncBinary';
import { testSettings, withDbName } from '../support/settings';
import { registerNamespace } from '../support/temporalNamespace';

const namespace = `firstsync-${randomUUID().slice(0, 8)}`;
let stack: EngineStack;
let worker: RunningWorker;
let connection: Connection;
let client: Client;
let env: Record<string, string>;
let configDir: string;

beforeAll(async () => {
  assertBuilt();
  stack = await startEngineStack({ seed: 'demo' });
  // The guard's minimum is lowered to the demo's size (19 active customers) in the mapping config file.
  configDir = mkdtempSync(join(tmpdir(), 'bcsync-firstsync-'));
  const mappingsFile = join(configDir, 'bcsync.json');
  writeFileSync(
    mappingsFile,
    JSON.stringify({
      mappings: [
        { name: 'CUSTOMER', blastRadiusGuard: { enabled: true, maxShare: 0.25, minCoupledRecords: 10 } },
      ],
    }),
  );
  connection = await Connection.connect({ address: process.env.TEMPORAL_ADDRESS! });
  client = new Client({ connection, namespace });
  await registerNamespace(connection, namespace);
  const bundle = join(__dirname, '..', '..', 'dist', 'workflow-bundle.js');
  worker = await startWorker({
    temporalAddress: process.env.TEMPORAL_ADDRESS!,
    mongodbUri: process.env.MONGODB_URI!,
    settings: withDbName(testSettings({ TEMPORAL_NAMESPACE: namespace }), stack.db.db.databaseName),
    taskQueue: JOB_QUEUE_TASK_QUEUE,
    shutdownGraceTime: '1s',
    ...(existsSync(bundle) ? { workflowBundlePath: bundle } : {}),
    activities: {
      connectors: { bc: stack.connectors.bc, dataverse: stack.connectors.dataverse },
      engine: { integrationUserId: stack.integrationUserId, mappings: loadMappings(mappingsFile) },
    },
  });
  env = {
    TEMPORAL_NAMESPACE: namespace,
    BCSYNC_DB_NAME: stack.db.db.databaseName,
    BCSYNC_MAPPINGS_FILE: mappingsFile,
    ...emulatorConnectorEnv(stack.emulators),
  };
});
afterAll(async () => {
  await client?.workflow
    .getHandle(entryWorkflowId('CUSTOMER'))
    .terminate('test finished')
    .catch(() => undefined);
  worker?.worker.shutdown();
  await worker?.done;
  await connection?.close();
  await stack?.stop();
  if (configDir) rmSync(configDir, { recursive: true, force: true });
});

const writes = async () => ({
  bc: await emulatorWrites(stack.emulators.bc.url),
  crm: await emulatorWrites(stack.emulators.dataverse.url),
});
const json = <T>(stdout: string): T => JSON.parse(stdout) as T;
const key = (name: unknown, city: unknown) => `${normalizeMatchValue(name)}|${normalizeMatchValue(city)}`;

let plan: MappingPlan[];

test('`full-sync --dry-run` shows per mapping what the first sync would do, and writes nothing', async () => {
  const before = await writes();
  const run = await bcsync(['full-sync', '--dry-run', '--json'], env);
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  const out = json<{ dryRun: boolean; plan: MappingPlan[] }>(run.stdout);
  expect(out.dryRun).toBe(true);
  plan = out.plan;
  const customers = plan.find((p) => p.mapping === 'CUSTOMER' && p.direction === 'toCrm')!;
  expect(customers.counts.couple).toBeGreaterThanOrEqual(9);
  expect(customers.counts.ambiguous).toBe(2);
  expect(customers.samples.couple!.length).toBeGreaterThan(0);
  expect(customers.samples.ambiguous!.map((s) => s.label).sort()).toEqual(['50000', '70000']);
  expect(plan.map((p) => p.mapping)).toEqual(
    expect.arrayContaining(['CURRENCY', 'CONTACT', 'ITEM-PRODUCT', 'PAYMENT TERMS', 'SHIPMENT METHOD']),
  );

  // The same as a table, with the first records of each kind.
  const table = await bcsync(['full-sync', '--dry-run', '--mapping', 'CUSTOMER'], env);
  expect(table.code).toBe(0);
  expect(table.stdout).toMatch(/^Dry run: nothing was written/);
  expect(table.stdout).toMatch(/Couple \(match\)/);
  expect(table.stdout).toMatch(/CUSTOMER BC -> CRM, Ambiguous \(first 2 of 2\):/);

  // Nothing written to either system or to MongoDB.
  expect(await writes()).toEqual(before);
  expect(await stack.db.cols.couplings.countDocuments({})).toBe(0);
  expect(await stack.db.cols.jobLog.countDocuments({})).toBe(0);
  expect(await stack.db.cols.matchReviews.countDocuments({})).toBe(0);

  // Usage errors name the problem.
  const both = await bcsync(['full-sync', '--dry-run', '--force'], env);
  expect(both.code).toBe(2);
  expect(both.stderr).toMatch(/--force does not apply/);
});

test('the first full sync couples the shared records, copies no record twice, and does what the dry run said', async () => {
  const run = await bcsync(['full-sync', '--json'], env);
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  const results = json<FullSyncMappingResult[]>(run.stdout);
  // Every mapping, the option mappings (PAYMENT TERMS, SHIPMENT METHOD, SHIPPING AGENT) included, did
  // what the dry run planned.
  expect(results.map((r) => r.mapping)).toEqual(
    expect.arrayContaining(['PAYMENT TERMS', 'SHIPMENT METHOD', 'SHIPPING AGENT']),
  );
  for (const r of results) {
    const planned = plan.filter((p) => p.mapping === r.mapping);
    const sum = (k: 'couple' | 'insert' | 'modify') => planned.reduce((n, p) => n + p.counts[k], 0);
    expect({ mapping: r.mapping, coupled: r.result?.coupled, inserted: r.result?.inserted }).toEqual({
      mapping: r.mapping,
      coupled: sum('couple'),
      inserted: sum('insert'),
    });
  }

  // Counted by name (and city): no two CRM accounts stand for one BC customer. The two pairs the CRM
  // held twice already stay two, uncoupled, with no third copy.
  const accounts = await stack.crmRecords('accounts');
  const ambiguous = new Set([key('Fabrikam, Inc.', 'Buffalo'), key('Relecloud', 'Atlanta')]);
  for (const c of (await stack.bcRecords('customers')).filter((x) => x.blocked === ' ')) {
    const k = key(c.displayName, c.city);
    const same = accounts.filter((a) => key(a.name, a.address1_city) === k).length;
    expect(`${String(c.displayName)}: ${same}`).toBe(`${String(c.displayName)}: ${ambiguous.has(k) ? 2 : 1}`);
  }
  const products = await stack.crmRecords('products');
  const numbers = products.map((p) => String(p.productnumber).toUpperCase());
  expect(numbers.length).toBe(new Set(numbers).size);
  const contacts = await stack.crmRecords('contacts');
  const mails = contacts.filter((c) => c.emailaddress1).map((c) => String(c.emailaddress1).toLowerCase());
  expect(mails.length).toBe(new Set(mails).size);
});

test('`bcsync review` lists the ambiguous pairs with both candidates', async () => {
  const run = await bcsync(['review', '--mapping', 'CUSTOMER', '--json'], env);
  expect(run.code).toBe(0);
  const open = json<Array<{ source: { side: string; label: string }; candidates: unknown[] }>>(run.stdout);
  const fromBc = open.filter((r) => r.source.side === 'bc');
  expect(fromBc.map((r) => r.source.label).sort()).toEqual(['50000', '70000']);
  for (const r of fromBc) expect(r.candidates).toHaveLength(2);
  const table = await bcsync(['review'], env);
  expect(table.code).toBe(0);
  expect(table.stdout).toMatch(/Fabrikam, Inc\./);
  expect(table.stdout).toMatch(/CRM Fabrikam Inc /);
  expect(table.stdout).toMatch(/bcsync couple/);
});

test('a contact whose customer waits in `bcsync review` says so in `errors` and `why`, names the candidates, and is never Skipped', async () => {
  // Lisa Andrews works at Fabrikam, Inc. (Buffalo), which the CRM holds twice: customer 70000 waits in
  // `bcsync review`, and synchronizing CUSTOMER first cannot help her; only a person can.
  const fabrikam = (await stack.bcRecords('customers')).find((c) => c.displayName === 'Fabrikam, Inc.')!;
  const candidates = (await stack.crmRecords('accounts'))
    .filter((a) => key(a.name, a.address1_city) === key('Fabrikam, Inc.', 'Buffalo'))
    .map((a) => String(a.accountid));
  expect(candidates).toHaveLength(2);
  const lisa = (await stack.bcRecords('contacts')).find((c) => c.displayName === 'Lisa Andrews')!;
  const errors = json<Array<{ source: { id: string }; message: string }>>(
    (await bcsync(['errors', '--mapping', 'CONTACT', '--json'], env)).stdout,
  ).filter((e) => e.source.id.toLowerCase() === String(lisa.id).toLowerCase());
  expect(errors.length).toBeGreaterThan(0);
  for (const e of errors) {
    expect(e.message).toMatch(
      new RegExp(
        `^Company No\\. '${String(fabrikam.id).toUpperCase()}' waits for \`bcsync review\`: CUSTOMER BC ${String(fabrikam.number)} \\(${String(fabrikam.id)}\\) matches CRM .+ and CRM .+ equally on `,
      ),
    );
    for (const id of candidates) expect(e.message).toContain(`(${id})`);
    expect(e.message).toMatch(/bcsync couple CUSTOMER /);
    expect(e.message).not.toMatch(/synchronize mapping CUSTOMER first/);
  }

  const why = async () => {
    const run = await bcsync(['why', 'CONTACT', '--bc', String(lisa.id), '--json'], env);
    expect(run.code).toBe(0);
    return json<{ verdict: string; openErrors: Array<{ skipped: boolean; failures: number }> }>(run.stdout);
  };
  const story = await why();
  expect(story.verdict).toMatch(
    /^waiting \(BC -> CRM\): Company No\. '.+' waits for `bcsync review`: CUSTOMER BC 70000/,
  );
  expect(story.openErrors.map((e) => e.skipped)).toEqual([false]);
  const table = await bcsync(['why', 'CONTACT', '--bc', String(lisa.id)], env);
  expect(table.stdout).toMatch(/verdict: waiting \(BC -> CRM\): .*waits for `bcsync review`/);

  // The same failure again on the next run: still waiting, not Skipped (the same error twice would be).
  const again = await bcsync(['full-sync', '--mapping', 'CONTACT', '--json'], env);
  expect(again.code).toBe(0);
  const later = await why();
  expect(later.openErrors).toEqual([expect.objectContaining({ skipped: false })]);
  expect(later.openErrors[0]!.failures).toBeGreaterThan(story.openErrors[0]!.failures);
  expect(later.verdict).toMatch(/^waiting \(BC -> CRM\): .*waits for `bcsync review`/);
});

describe('the blast-radius guard on the CUSTOMER entry', () => {
  let entry: WorkflowHandle;
  const status = async (): Promise<EntryStatus> => {
    const run = await bcsync(['status', 'CUSTOMER', '--json'], env);
    expect(run.stderr).toBe('');
    return json<EntryStatus>(run.stdout);
  };
  /** 60% of the coupled customers get a new phone number in BC. */
  const bulkChange = async (phone: string) => {
    const coupled = await stack.db.cols.couplings.find({ mapping: 'CUSTOMER', state: 'coupled' }).toArray();
    const bulk = coupled.slice(0, Math.ceil(coupled.length * 0.6));
    for (const c of bulk) await stack.connectors.bc.update('customers', c.bcId, { phoneNumber: phone }, '*');
    return bulk;
  };
  const crmPhones = async (ids: string[]) => {
    const accounts = await stack.crmRecords('accounts');
    return ids.map((id) => accounts.find((a) => a.accountid === id)?.telephone1);
  };

  beforeAll(async () => {
    // The entry workflow as `bcsync setup` starts it, held so that it runs only when the test says.
    entry = await client.workflow.start('jobQueueEntry', {
      taskQueue: JOB_QUEUE_TASK_QUEUE,
      workflowId: entryWorkflowId('CUSTOMER'),
      args: [{ entry: 'CUSTOMER', mappings: ['CUSTOMER'], startOnHold: true }],
    });
  });

  test('stops a run that would modify 60% of the coupled customers before writing; `approve` lets it finish', async () => {
    const bulk = await bulkChange('+1 425 555 0160');
    const before = await writes();

    // The dry run of the entry shows the change, and writes nothing.
    const dry = await bcsync(['run', 'CUSTOMER', '--dry-run', '--json'], env);
    expect(dry.code).toBe(0);
    const toCrm = json<{ plan: MappingPlan[] }>(dry.stdout).plan.find((p) => p.direction === 'toCrm')!;
    expect(toCrm.counts.modify).toBe(bulk.length);

    const stopped = await bcsync(['run', 'CUSTOMER'], env);
    expect(stopped.code).toBe(1);
    expect(stopped.stderr).toMatch(
      new RegExp(
        `blast-radius guard before writing: this run would modify or remove ${bulk.length} of \\d+ coupled CUSTOMER records`,
      ),
    );
    expect(stopped.stderr).toMatch(/bcsync approve CUSTOMER/);
    expect(await writes()).toEqual(before);

    // On Hold with the reason: in `bcsync status` ...
    const held = await bcsync(['status', 'CUSTOMER'], env);
    expect(held.stdout).toMatch(/On Hold/);
    expect(held.stdout).toMatch(/on hold: Stopped by the blast-radius guard/);
    const s = await status();
    expect(s).toMatchObject({ state: EntryState.OnHold, lastRun: { outcome: LastResult.GuardStopped } });
    // ... in the Temporal UI (search attributes, the workflow's current details) ...
    const described = await entry.describe();
    expect(described.typedSearchAttributes.get(searchAttributeKeys.state)).toBe(EntryState.OnHold);
    expect(described.typedSearchAttributes.get(searchAttributeKeys.lastResult)).toBe(LastResult.GuardStopped);
    const metadata = await entry.query<{ currentDetails?: string }>('__temporal_workflow_metadata');
    expect(metadata.currentDetails).toMatch(/On Hold.*Stopped by the blast-radius guard/s);
    const listed: string[] = [];
    for await (const w of client.workflow.list({
      query: `${searchAttributeKeys.lastResult.name} = '${LastResult.GuardStopped}'`,
    }))
      listed.push(w.workflowId);
    expect(listed).toEqual([entryWorkflowId('CUSTOMER')]);
    // ... and in the job log.
    const log = json<Array<{ mapping: string; message: string | null }>>(
      (await bcsync(['log', '--mapping', 'CUSTOMER', '--json'], env)).stdout,
    );
    expect(log[0]!.message).toMatch(/Stopped by the blast-radius guard/);

    // Approved: the run goes through at once.
    const approved = await bcsync(['approve', 'CUSTOMER'], env);
    expect(approved.stderr).toBe('');
    expect(approved.code).toBe(0);
    for (let i = 0; (await status()).lastRun?.outcome === LastResult.GuardStopped; i++) {
      if (i > 600) throw new Error('the approved run did not finish');
      await new Promise((r) => setTimeout(r, 100));
    }
    const after = await status();
    expect(after.state).not.toBe(EntryState.OnHold);
    expect(after.holdReason).toBeNull();
    expect(after.lastRun?.result).toMatchObject({ modified: bulk.length, failed: 0 });
    expect(await crmPhones(bulk.map((c) => c.crmId!))).toEqual(bulk.map(() => '+1 425 555 0160'));
  });

  test('`run --force` skips the guard once and lifts its hold; the next bulk change is checked again', async () => {
    const bulk = await bulkChange('+1 425 555 0161');
    expect((await bcsync(['run', 'CUSTOMER'], env)).code).toBe(1);
    expect((await status()).state).toBe(EntryState.OnHold);
    const forced = await bcsync(['run', 'CUSTOMER', '--force', '--json'], env);
    expect(forced.code).toBe(0);
    expect(json<{ modified: number; stoppedByGuard?: boolean }>(forced.stdout)).toMatchObject({
      modified: bulk.length,
    });
    expect(await crmPhones(bulk.map((c) => c.crmId!))).toEqual(bulk.map(() => '+1 425 555 0161'));
    const s = await status();
    expect(s.state).not.toBe(EntryState.OnHold);
    expect(s.holdReason).toBeNull();

    await bulkChange('+1 425 555 0162');
    const again = await bcsync(['run', 'CUSTOMER', '--json'], env);
    expect(again.code).toBe(1);
    expect(json<{ stoppedByGuard?: boolean }>(again.stdout).stoppedByGuard).toBe(true);
  });

  test('a full sync is guarded too, and exempt only with --force', async () => {
    const bulk = await bulkChange('+1 425 555 0163');
    const before = await writes();
    const guarded = await bcsync(['full-sync', '--mapping', 'CUSTOMER', '--json'], env);
    expect(guarded.code).toBe(1);
    const [result] = json<FullSyncMappingResult[]>(guarded.stdout);
    expect(result!.error).toMatch(/blast-radius guard/);
    expect(await writes()).toEqual(before);

    const forced = await bcsync(['full-sync', '--mapping', 'CUSTOMER', '--force', '--json'], env);
    expect(forced.stderr).toBe('');
    expect(forced.code).toBe(0);
    const [done] = json<FullSyncMappingResult[]>(forced.stdout);
    expect(done!.error).toBeNull();
    expect(done!.result?.modified).toBeGreaterThanOrEqual(bulk.length);
    expect(await crmPhones(bulk.map((c) => c.crmId!))).toEqual(bulk.map(() => '+1 425 555 0163'));
  });
});
