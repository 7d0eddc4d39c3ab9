// "What happened to this record, and why?" told by `bcsync why` and `bcsync sync-record` (the real binary): a customer changed on
// both sides, skipped, then fixed - synchronized by the CUSTOMER entry's workflow on a real worker, so every
// pass names the Temporal run that did it.
import { randomUUID } from 'node:crypto';
import type { WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import { emulatorConnectorEnv } from '../../client/emulatorConnection';
import { couplingKey } from '../../activities/store/couplings';
import type { RecordStory } from '../../client/recordStory';
import type { EngineStack } from '../engine/engineHarness';
import { startCustomerEntry, type CustomerEntry } from '../support/customerEntry';
import { assertBuilt, bcsync } from './bcsyncBinary';

let world: CustomerEntry;
let stack: EngineStack;
let entry: WorkflowHandleWithFirstExecutionRunId;
let entryRunId: string;
let env: Record<string, string>;

beforeAll(async () => {
  assertBuilt();
  // `bcsync why` looks the entry up by its id, `entryWorkflowId('CUSTOMER')`; the run is this test's, on
  // this test's task queue.
  world = await startCustomerEntry({ entry: 'CUSTOMER', taskQueue: `why-${randomUUID().slice(0, 8)}` });
  ({ stack, entry } = world);
  entryRunId = entry.firstExecutionRunId;
  env = { BCSYNC_DB_NAME: stack.db.db.databaseName, ...emulatorConnectorEnv(stack.emulators) };
});
afterAll(async () => {
  await world?.stop();
});

const runNow = (fullSync = false) => world.runNow(fullSync);

test('a record changed on both sides, skipped, then fixed: `bcsync why` tells the story in order', async () => {
  await runNow(true);
  const customer = (await stack.bcRecords('customers')).find((c) => c.number === '40000')!;
  const bcId = String(customer.id).toLowerCase();
  const coupling = await stack.db.cols.couplings.findOne({ _id: couplingKey('CUSTOMER', bcId) });
  const crmId = coupling!.crmId!;

  // Both sides change the phone number: an update conflict in both passes (rule 4.6, resolution None).
  await stack.connectors.bc.update('customers', bcId, { phoneNumber: '+1 425 555 0111' }, '*');
  await stack.salesCrm.update('accounts', crmId, { telephone1: '+1 425 555 0199' });
  const first = await runNow();
  expect(first.failed).toBe(2);
  await runNow(); // the same error twice in a row: Skipped (section 3)

  const skipped = await bcsync(['why', 'CUSTOMER', '--name', '40000', '--json'], env);
  expect(skipped.stderr).toBe('');
  expect(skipped.code).toBe(0);
  const before = JSON.parse(skipped.stdout) as RecordStory;
  expect(before.verdict).toMatch(
    new RegExp(
      `^skipped \\(BC -> CRM\\): Cannot update the record because one or both values have changed.*fix the cause, then \`bcsync retry CUSTOMER ${bcId}\``,
    ),
  );
  // Skipped is the coupling's (both directions, as in BC): the CRM -> BC pass skipped it after that.
  expect(before.coupling).toMatchObject({ skipped: true });
  expect(before.openErrors.map((e) => [e.direction, e.skipped]).sort()).toEqual([
    ['fromCrm', false],
    ['toCrm', true],
  ]);

  // The person makes CRM agree with BC and retries; the next run finds both sides equal.
  await stack.salesCrm.update('accounts', crmId, { telephone1: '+1 425 555 0111' });
  expect((await bcsync(['retry', 'CUSTOMER', bcId], env)).code).toBe(0);
  await runNow();

  const res = await bcsync(['why', 'CUSTOMER', '--crm', crmId, '--json'], env);
  expect(res.code).toBe(0);
  const story = JSON.parse(res.stdout) as RecordStory;
  expect(story).toMatchObject({ bcId, crmId, label: '40000', openErrors: [] });
  expect(story.verdict).toMatch(/^in sync since \d{4}-\d{2}-\d{2}T/);
  const told = [...story.history].reverse().map((e) => [e.direction, e.decision, e.code]);
  expect(told).toEqual([
    // 40000 stands in the CRM demo too (a populated pair): the first sync couples it by match.
    ['toCrm', 'Coupled', null],
    // The CRM -> BC pass reads back the account bcsync just wrote and recognises its own write by the
    // row's version (docs/reading-changes.md).
    ['fromCrm', 'Skipped', 'notChanged'],
    ['toCrm', 'Failed', 'conflict'],
    ['fromCrm', 'Failed', 'conflict'],
    ['toCrm', 'Failed', 'sameErrorTwice'],
    ['fromCrm', 'Skipped', 'skipped'],
    [null, 'Action', null],
    ['toCrm', 'Unchanged', null],
    ['fromCrm', story.history[0]!.decision, null],
  ]);
  // The phone numbers agree now; the CRM -> BC pass may still write other fields (the demo's primary
  // contact lookup is cleared while CONTACT is not coupled: Clear Value on Failed Sync), and says which.
  expect(['Unchanged', 'Modified']).toContain(story.history[0]!.decision);
  expect(story.history[0]!.changes.map((c) => c.field)).not.toContain('Phone No.');
  // Coupled by match, then Synch. after coupling wrote BC's values over the CRM's spelling of it.
  const coupled = story.history.at(-1)!;
  expect(coupled.changes).toEqual(
    expect.arrayContaining([{ field: 'Name', old: 'Alpine Ski House ', new: customer.displayName }]),
  );
  // Every pass names the entry's Temporal run, with a link into the UI.
  const runId = entryRunId;
  for (const e of story.history.filter((h) => h.decision !== 'Action')) {
    expect(e).toMatchObject({ workflowId: 'bcsync-entry-CUSTOMER', runId });
    expect(e.temporalUrl).toBe(
      `${process.env.BCSYNC_TEMPORAL_UI_URL}/namespaces/default/workflows/bcsync-entry-CUSTOMER/${runId}/history`,
    );
  }
  expect(story.history.find((h) => h.decision === 'Action')).toMatchObject({ by: 'cli' });

  // The same story for a person: verdict first, then the history table.
  const table = await bcsync(['why', 'CUSTOMER', '--bc', bcId], env);
  expect(table.stdout).toMatch(/^CUSTOMER: BC .* <-> CRM .*"40000"\nverdict: in sync since/);
  expect(table.stdout).toMatch(/Phone No\.: "\+1 425 555 0111" -> "\+1 425 555 0199"|Failed \(conflict\)/);
});

test('`bcsync sync-record` reports what happened to that record in this run, not the run counts', async () => {
  await runNow(true); // coupled (a no-op after the test above)
  const customer = (await stack.bcRecords('customers')).find((c) => c.number === '30000')!;
  const bcId = String(customer.id).toLowerCase();

  // A BC change: the record is sent now and the answer names the field written and the Temporal run.
  await stack.connectors.bc.update('customers', bcId, { phoneNumber: '+1 425 555 0133' }, '*');
  const sent = await bcsync(['sync-record', 'CUSTOMER', '--bc', bcId, '--json'], env);
  expect(sent.stderr).toBe('');
  expect(sent.code).toBe(0);
  const out = JSON.parse(sent.stdout) as { outcome: RecordStory['history'][number]; run: object };
  expect(out.outcome).toMatchObject({ direction: 'toCrm', decision: 'Modified', runId: entryRunId });
  expect(out.outcome.changes).toContainEqual(
    expect.objectContaining({ field: 'Phone No.', new: '+1 425 555 0133' }),
  );
  expect(out.run).toHaveProperty('modified');

  // Nothing changed since: Unchanged, in a table a person reads.
  const again = await bcsync(['sync-record', 'CUSTOMER', '--bc', bcId], env);
  expect(again.code).toBe(0);
  expect(again.stdout).toMatch(/CUSTOMER\s*│\s*BC -> CRM\s*│\s*[0-9a-f-]{36}\s*│\s*Unchanged/);
  expect(again.stdout).not.toMatch(/Inserted|Failed/);

  // Both sides changed: the record is not synchronized (rule 4.6); exit 1 and where to look.
  const coupling = await stack.db.cols.couplings.findOne({ _id: couplingKey('CUSTOMER', bcId) });
  await stack.connectors.bc.update('customers', bcId, { phoneNumber: '+1 425 555 0144' }, '*');
  await stack.salesCrm.update('accounts', coupling!.crmId!, { telephone1: '+1 425 555 0155' });
  const conflict = await bcsync(['sync-record', 'CUSTOMER', '--bc', bcId], env);
  expect(conflict.code).toBe(1);
  expect(conflict.stdout).toMatch(/Failed \(conflict\)/);
  expect(conflict.stderr).toContain(
    `CUSTOMER: ${bcId} was not synchronized (Failed); \`bcsync why "CUSTOMER" --bc ${bcId}\``,
  );

  // No such customer: the run looked for it and says so (it left the retry list), exit 1.
  const missing = '00000000-0000-4000-8000-000000000001';
  const none = await bcsync(['sync-record', 'CUSTOMER', '--bc', missing], env);
  expect(none.code).toBe(1);
  expect(none.stdout).toMatch(/Skipped \(filtered\)/);
  expect(none.stderr).toContain(`${missing} was not synchronized (Skipped)`);
});
