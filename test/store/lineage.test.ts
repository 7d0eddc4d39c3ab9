// The lineage store on the real MongoDB-compatible server, and its retention clean-up run the way
// production runs it: the `bcsync-lineage-retention` Temporal Schedule starting the workflow on a worker.
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { LineageStore, type LineageDoc } from '../../activities/store/lineage';
import { ensureLineageRetentionSchedule } from '../../client/lineageRetentionSchedule';
import { startWorker, type RunningWorker } from '../../worker/worker';
import type { Database } from '../../activities/store/database';
import { testDatabase } from '../support/database';
import { testSettings, withDbName } from '../support/settings';
import { readSettings } from '../../config/settings';

let db: Database;
beforeAll(async () => {
  db = await testDatabase('lineage');
});
afterAll(async () => {
  await db?.close();
});

const DAY = 86_400_000;
const entry = (over: Partial<LineageDoc>): LineageDoc => ({
  _id: randomUUID(),
  mapping: 'CUSTOMER',
  at: new Date(),
  decision: 'Unchanged',
  ...over,
});

test('a record’s history is found by either id, newest first, and a replayed page records once', async () => {
  const store = new LineageStore(db.db);
  const bcId = randomUUID();
  const crmId = randomUUID();
  const now = Date.now();
  await store.add([
    entry({ _id: 'job1|a', bcId, at: new Date(now - 3000), decision: 'Inserted', label: '10000 Adatum' }),
    entry({ _id: 'job2|b', bcId, crmId, at: new Date(now - 2000), decision: 'Modified' }),
    entry({ _id: 'job3|c', crmId, at: new Date(now - 1000), decision: 'Failed', code: 'fieldValue' }),
    entry({ mapping: 'CONTACT', bcId, at: new Date(now) }),
  ]);
  // The same page again (a retried activity): ignored, no duplicate.
  await store.add([entry({ _id: 'job2|b', bcId, crmId, at: new Date(now - 2000), decision: 'Modified' })]);

  const byBoth = await store.history({ mapping: 'CUSTOMER', bcId, crmId });
  expect(byBoth.map((h) => h.decision)).toEqual(['Failed', 'Modified', 'Inserted']);
  expect((await store.history({ mapping: 'CUSTOMER', crmId })).map((h) => h._id)).toEqual([
    'job3|c',
    'job2|b',
  ]);
  expect(await store.findByLabel('CUSTOMER', 'adatum')).toEqual([
    expect.objectContaining({ bcId, label: '10000 Adatum' }),
  ]);
  expect(await store.findByLabel('CUSTOMER', 'Ada.um')).toEqual([]);
});

test('the fields a write changed come back as written, from entries stored before and after they were kept as text', async () => {
  const store = new LineageStore(db.db);
  const bcId = randomUUID();
  const changes = [
    { field: 'Name', old: 'Adatum', new: 'Adatum Corporation' },
    { field: 'Credit Limit (LCY)', old: null, new: 25000 },
  ];
  await store.add([entry({ _id: `job1|${bcId}`, bcId, decision: 'Modified', changes })]);
  // An entry written by an earlier version, with the list itself.
  await store.col.insertOne({
    ...entry({ _id: `job0|${bcId}`, bcId, at: new Date(Date.now() - 1000) }),
    changes,
  });
  const history = await store.history({ mapping: 'CUSTOMER', bcId });
  expect(history.map((h) => h.changes)).toEqual([changes, changes]);
  expect((await store.find({ _id: `job1|${bcId}` }))[0]!.changes).toEqual(changes);
});

test('retention: default 30 days, configurable, a bad value is named', () => {
  expect(readSettings({}).lineage.retentionDays).toBe(30);
  expect(readSettings({ BCSYNC_LINEAGE_RETENTION_DAYS: '7' }).lineage.retentionDays).toBe(7);
  expect(() => readSettings({ BCSYNC_LINEAGE_RETENTION_DAYS: 'a month' })).toThrow(
    /BCSYNC_LINEAGE_RETENTION_DAYS.*positive number of days/,
  );
});

describe('the retention schedule on the Temporal dev server', () => {
  let connection: Connection;
  let worker: RunningWorker;
  const taskQueue = `lineage-retention-${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    connection = await Connection.connect({ address: process.env.TEMPORAL_ADDRESS! });
    worker = await startWorker({
      temporalAddress: process.env.TEMPORAL_ADDRESS!,
      mongodbUri: process.env.MONGODB_URI!,
      settings: withDbName(testSettings(), db.db.databaseName),
      taskQueue,
      shutdownGraceTime: '1s',
    });
  });
  afterAll(async () => {
    const client = new Client({ connection });
    await client.schedule
      .getHandle('bcsync-lineage-retention')
      .delete()
      .catch(() => undefined);
    worker?.worker.shutdown();
    await worker?.done;
    await connection?.close();
  });

  test('`setup` creates it once; triggered, it removes entries older than the retention only', async () => {
    const store = new LineageStore(db.db);
    const old = entry({ mapping: 'RETENTION', at: new Date(Date.now() - 31 * DAY) });
    const recent = entry({ mapping: 'RETENTION', at: new Date(Date.now() - 29 * DAY) });
    await store.add([old, recent]);
    const client = new Client({ connection });
    // The dev server is shared by the suite: another file's `bcsync setup` may have made the schedule.
    await client.schedule
      .getHandle('bcsync-lineage-retention')
      .delete()
      .catch(() => undefined);
    expect(await ensureLineageRetentionSchedule(client, taskQueue)).toBe('created');
    expect(await ensureLineageRetentionSchedule(client, taskQueue)).toBe('exists');
    const handle = client.schedule.getHandle('bcsync-lineage-retention');
    const description = await handle.describe();
    expect(description.action).toMatchObject({ type: 'startWorkflow', workflowType: 'lineageRetention' });
    expect(description.spec.intervals?.[0]?.every).toBe(DAY);

    await handle.trigger();
    const deadline = Date.now() + 60_000;
    let left = await store.col.find({ mapping: 'RETENTION' }).toArray();
    while (left.length > 1 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 500));
      left = await store.col.find({ mapping: 'RETENTION' }).toArray();
    }
    expect(left.map((d) => d._id)).toEqual([recent._id]);
  });
});
