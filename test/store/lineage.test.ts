// The lineage store on the real MongoDB-compatible server, and its retention clean-up run the way
// production runs it: the `bcsync-lineage-retention` Temporal Schedule starting the workflow on a worker.
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { LineageStore, type LineageDoc } from '../../activities/store/lineage';
import { ensureLineageRetentionSchedule } from '../../client/lineageRetentionSchedule';
import { startWorker, type RunningWorker } from '../../worker/worker';
import { isFerretDb, type Database } from '../../activities/store/database';
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
  expect((await store.history({ mapping: 'CUSTOMER', crmId })).map((h) => h.decision)).toEqual([
    'Failed',
    'Modified',
  ]);
  expect(await store.findByLabel('CUSTOMER', 'adatum')).toEqual([
    expect.objectContaining({ bcId, label: '10000 Adatum' }),
  ]);
  expect(await store.findByLabel('CUSTOMER', 'Ada.um')).toEqual([]);
});

test('a page of a pass is one document; each record reads back its own entry of it', async () => {
  const store = new LineageStore(db.db);
  const jobId = randomUUID();
  const at = new Date();
  const records = Array.from({ length: 300 }, (_, i) => ({
    bcId: randomUUID().toUpperCase(),
    crmId: randomUUID(),
    label: `${10000 + i * 10} Customer ${i}`,
  }));
  await store.add(
    records.map((r, i) =>
      entry({
        _id: `${jobId}|${r.bcId}`,
        jobId,
        direction: 'toCrm',
        at,
        ...r,
        decision: i % 2 ? 'Inserted' : 'Unchanged',
        ...(i % 2
          ? { changes: [{ field: 'Name', old: null, new: `Customer ${i}` }], answer: '201 created' }
          : {}),
      }),
    ),
  );
  expect(await store.col.countDocuments({ jobId })).toBe(1);
  // The multikey index on MongoDB; none on FerretDB, whose PostgreSQL backend would refuse this page's
  // insert with it (the page's ids as one index row, over its 8 kB limit).
  const indexes = (await store.col.listIndexes().toArray()).map((i) => i.name as string);
  expect(indexes.includes('mapping_ids_at')).toBe(!(await isFerretDb(db.db)));
  const r7 = records[7]!;
  expect(await store.history({ mapping: 'CUSTOMER', bcId: r7.bcId })).toEqual([
    {
      _id: `${jobId}|${r7.bcId.toLowerCase()}`,
      mapping: 'CUSTOMER',
      at,
      jobId,
      direction: 'toCrm',
      bcId: r7.bcId.toLowerCase(),
      crmId: r7.crmId,
      label: r7.label,
      decision: 'Inserted',
      changes: [{ field: 'Name', old: null, new: 'Customer 7' }],
      answer: '201 created',
    },
  ]);
  expect(
    (await store.history({ mapping: 'CUSTOMER', crmId: records[8]!.crmId })).map((h) => h.decision),
  ).toEqual(['Unchanged']);
  // "Customer 7" is also part of "Customer 70".."Customer 79": the exact label wins.
  expect(await store.findByLabel('CUSTOMER', '10070 Customer 7')).toEqual([
    { bcId: r7.bcId.toLowerCase(), crmId: r7.crmId, label: r7.label, at },
  ]);
  expect((await store.findByLabel('CUSTOMER', 'Customer 7', 100)).length).toBe(11);
});

test('entries stored one per document before lineage was kept by page are still read', async () => {
  const store = new LineageStore(db.db);
  const bcId = randomUUID();
  const changes = [
    { field: 'Name', old: 'Adatum', new: 'Adatum Corporation' },
    { field: 'Credit Limit (LCY)', old: null, new: 25000 },
  ];
  await store.add([
    entry({ _id: `job2|${bcId}`, jobId: 'job2', direction: 'toCrm', bcId, decision: 'Modified', changes }),
  ]);
  // Written by earlier versions: `changes` as the list itself, then as JSON text.
  await store.legacy.insertMany([
    {
      ...entry({ _id: `job0|${bcId}`, bcId, at: new Date(Date.now() - 2000), label: '30000 Legacy Ltd' }),
      changes,
    },
    {
      ...entry({ _id: `job1|${bcId}`, bcId, at: new Date(Date.now() - 1000), decision: 'Modified' }),
      changes: JSON.stringify(changes),
    },
  ]);
  const history = await store.history({ mapping: 'CUSTOMER', bcId });
  expect(history.map((h) => h._id)).toEqual([`job2|${bcId}`, `job1|${bcId}`, `job0|${bcId}`]);
  expect(history.map((h) => h.changes)).toEqual([changes, changes, changes]);
  expect(await store.findByLabel('CUSTOMER', 'legacy ltd')).toEqual([
    expect.objectContaining({ bcId, label: '30000 Legacy Ltd' }),
  ]);
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
    // An entry of the layout before pages: cleaned up alike.
    await store.legacy.insertOne(entry({ mapping: 'RETENTION', at: new Date(Date.now() - 40 * DAY) }));
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
    // The clean-up's two deletes (pages, legacy entries) finish each at its own pace: wait for both.
    const legacyLeft = () => store.legacy.countDocuments({ mapping: 'RETENTION' });
    let left = await store.col.find({ mapping: 'RETENTION' }).toArray();
    while ((left.length > 1 || (await legacyLeft()) > 0) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 500));
      left = await store.col.find({ mapping: 'RETENTION' }).toArray();
    }
    expect(left.map((d) => d._id)).toEqual([recent._id]);
    expect(await legacyLeft()).toBe(0);
  });
});
