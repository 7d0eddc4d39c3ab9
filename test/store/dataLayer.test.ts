// The MongoDB data layer on the real server of the test run (FerretDB in CI).
import { bcRecordId, crmRecordId, mappingName } from '../../common/ids';
import { ensureIndexes, type Database } from '../../activities/store/database';
import { CouplingStore } from '../../activities/store/couplings';
import { MappingStore } from '../../activities/store/mappingStore';
import { JobLogStore } from '../../activities/store/jobLog';
import { JobQueueEntryStore } from '../../activities/store/jobQueueEntries';
import { loadMappings } from '../../activities/mappings/mappingConfig';
import { testDatabase } from '../support/database';

let database: Database;
beforeAll(async () => {
  database = await testDatabase('datalayer');
});
afterAll(async () => {
  await database?.close();
});

const CUSTOMER = mappingName('CUSTOMER');

test('indexes are created idempotently at every start', async () => {
  await ensureIndexes(database.db);
  await ensureIndexes(database.db);
  const names = (await database.cols.couplings.listIndexes().toArray()).map((i) => i.name);
  expect(names).toEqual(expect.arrayContaining(['mapping_bcId', 'mapping_crmId']));
});

test('a coupling is unique per (mapping, BC id) and per (mapping, CRM id)', async () => {
  const store = new CouplingStore(database.cols.couplings);
  await store.couple(CUSTOMER, bcRecordId('b1'), crmRecordId('c1'));
  await expect(store.couple(CUSTOMER, bcRecordId('b2'), crmRecordId('c1'))).rejects.toThrow(
    /already coupled to BC record b1/,
  );
  await expect(store.couple(CUSTOMER, bcRecordId('b1'), crmRecordId('c2'))).rejects.toThrow(
    /already coupled to CRM record c1/,
  );
  // The database itself refuses a second coupling of the same CRM record, even past the store's checks.
  await expect(
    database.cols.couplings.insertOne({
      _id: 'CUSTOMER|b3',
      mapping: 'CUSTOMER',
      bcId: 'b3',
      crmId: 'c1',
      state: 'coupled',
      toCrm: {},
      fromCrm: {},
      skipped: false,
      createdAt: new Date(),
      updatedAt: new Date(),
    }),
  ).rejects.toThrow(/E11000|duplicate/i);
  // Another mapping may couple the same ids.
  await store.couple(mappingName('CONTACT'), bcRecordId('b1'), crmRecordId('c1'));
  expect(await store.findByCrm(CUSTOMER, crmRecordId('c1'))).toMatchObject({ bcId: 'b1' });
  expect(await store.uncouple(CUSTOMER, { crmId: crmRecordId('c1') })).toBe(true);
  await store.couple(CUSTOMER, bcRecordId('b2'), crmRecordId('c1'));
});

test('mappings are stored with watermarks that only move forward', async () => {
  const store = new MappingStore(database.cols.mappings);
  const { mappings } = loadMappings();
  await store.seed(mappings);
  await store.seed(mappings);
  expect(await database.cols.mappings.countDocuments()).toBe(13); // the ten record mappings and the three option mappings, each once
  const t1 = new Date('2026-01-01T10:00:00Z');
  await store.advanceWatermark('CUSTOMER', 'crmModifiedOn', t1);
  await store.advanceWatermark('CUSTOMER', 'crmModifiedOn', new Date('2025-12-31T00:00:00Z'));
  expect((await store.get('CUSTOMER'))?.watermarks.crmModifiedOn).toEqual(t1);
  await store.seed(mappings); // re-seeding keeps watermarks
  expect((await store.get('CUSTOMER'))?.watermarks.crmModifiedOn).toEqual(t1);
  await store.clearWatermarks('CUSTOMER');
  expect((await store.get('CUSTOMER'))?.watermarks).toEqual({});
});

test('job log rows are started, finished and listed newest first', async () => {
  const log = new JobLogStore(database.cols.jobLog);
  const a = await log.start({
    mapping: 'CURRENCY',
    direction: 'ToIntegrationTable',
    type: 'Synchronization',
    startedAt: new Date('2026-01-01T00:00:00Z'),
  });
  const b = await log.start({
    mapping: 'CURRENCY',
    direction: 'ToIntegrationTable',
    type: 'Synchronization',
    startedAt: new Date('2026-01-02T00:00:00Z'),
  });
  await log.start({
    _id: b._id,
    mapping: 'CURRENCY',
    direction: 'ToIntegrationTable',
    type: 'Synchronization',
  }); // retried start
  await log.finish(
    a._id,
    { inserted: 3, modified: 0, deleted: 0, unchanged: 1, skipped: 0, failed: 1, coupled: 3, uncoupled: 0 },
    'done',
  );
  const rows = await log.list({ mapping: 'CURRENCY' });
  expect(rows.map((r) => r._id)).toEqual([b._id, a._id]);
  expect(rows[1]).toMatchObject({ inserted: 3, failed: 1, message: 'done' });
});

test('job queue entry defaults never overwrite a user change', async () => {
  const store = new JobQueueEntryStore(database.cols.jobQueueEntries);
  const entry = {
    _id: 'CUSTOMER',
    kind: 'synchronization' as const,
    mappings: ['CUSTOMER'],
    entry: 'CUSTOMER',
    minutesBetweenRuns: 30,
    inactivityTimeoutMinutes: 720,
    maxAttempts: 10,
    rerunDelaySeconds: 30,
    startOnHold: false,
    crmWakeEnabled: false,
  };
  await store.seedDefaults([entry]);
  await store.update('CUSTOMER', { minutesBetweenRuns: 5 });
  await store.seedDefaults([entry]);
  expect((await store.get('CUSTOMER'))?.minutesBetweenRuns).toBe(5);
});
