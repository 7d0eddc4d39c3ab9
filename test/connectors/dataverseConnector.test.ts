// The Dataverse connector against the Dataverse emulator: paging, incremental reads, change tracking
// with deletions, writes with client-chosen ids and ETags, multipart $batch with per-item results.
import { randomUUID } from 'node:crypto';
import { ApiError, createDataverseClient, type DataverseClient } from '../../activities/connectors';
import type { WriteOperation } from '../../activities/connectors/types';
import { startEmulators } from '../../emulators';
import { adminRecords, collect, dataverseConfig, fastOptions, http, stats } from './emulatorHarness';

type Emulators = Awaited<ReturnType<typeof startEmulators>>;
let emulators: Emulators;
let dv: DataverseClient;

beforeAll(async () => {
  emulators = await startEmulators({
    host: '127.0.0.1',
    bcPort: 0,
    dataversePort: 0,
    seed: 'demo',
    records: 40,
  });
  dv = createDataverseClient(dataverseConfig(emulators.dataverse), http, fastOptions);
});

afterAll(async () => {
  await emulators?.stop();
});

const accountsInEmulator = (): Promise<Record<string, unknown>[]> =>
  adminRecords(emulators.dataverse.url, 'accounts');

describe('Dataverse connector reads', () => {
  it('streams all accounts page by page with odata.maxpagesize', async () => {
    const pages = await collect(
      dv.readPages('accounts', { pageSize: 6, select: ['accountid', 'name', 'modifiedon'] }),
    );
    const all = await accountsInEmulator();
    expect(pages.length).toBe(Math.ceil(all.length / 6));
    expect(pages.slice(0, -1).every((p) => p.records.length === 6 && p.nextLink)).toBe(true);
    const ids = pages.flatMap((p) => p.records.map((r) => r.accountid));
    expect(new Set(ids).size).toBe(all.length);
  });

  it('reads rows modified at or after a watermark (whole seconds: a write in the same second is kept)', async () => {
    // The watermark is the start of the current second, as a previous run would have stored it from a
    // row's modifiedon; rows written later in that same second must still be read.
    const since = new Date(Math.floor(Date.now() / 1000) * 1000).toISOString();
    const a = await dv.create('accounts', { name: 'Watermark A' });
    const b = await dv.create('accounts', { name: 'Watermark B' });
    const changed = (await collect(dv.readPages('accounts', { modifiedSince: since }))).flatMap(
      (p) => p.records,
    );
    expect(changed.map((r) => r.accountid).sort()).toEqual([a.accountid, b.accountid].sort());
    expect((await accountsInEmulator()).length).toBeGreaterThan(2);
  });

  it('tracks changes: a deltaLink returns created/updated rows and the ids of deleted rows', async () => {
    let deltaLink: string | undefined;
    let initialRows = 0;
    for await (const page of dv.readChanges('contacts', {
      select: ['contactid', 'lastname'],
      pageSize: 10,
    })) {
      initialRows += page.changed.length;
      if (page.deltaLink) deltaLink = page.deltaLink;
    }
    expect(initialRows).toBe((await adminRecords(emulators.dataverse.url, 'contacts')).length);
    expect(deltaLink).toBeDefined();

    const contacts = await adminRecords(emulators.dataverse.url, 'contacts');
    const created = await dv.create('contacts', { firstname: 'Delta', lastname: 'New' });
    await dv.update('contacts', String(contacts[0]!.contactid), { lastname: 'Changed' });
    await dv.delete('contacts', String(contacts[1]!.contactid));

    const delta = await collect(dv.readChanges('contacts', { deltaLink }));
    const changedIds = delta.flatMap((p) => p.changed.map((r) => r.contactid));
    expect(changedIds.sort()).toEqual([created.contactid, contacts[0]!.contactid].sort());
    expect(delta.flatMap((p) => p.deleted)).toEqual([contacts[1]!.contactid]);
    expect(delta.at(-1)!.deltaLink).toBeDefined();
  });

  it('knows its own application user (WhoAmI) and sees it as _modifiedby_value of its writes', async () => {
    const me = await dv.whoAmI();
    expect(me.UserId).toBe(emulators.dataverse.integrationUserId);
    const row = await dv.create('accounts', { name: 'Mine' });
    expect(row._modifiedby_value).toBe(me.UserId);
  });
});

describe('Dataverse connector writes', () => {
  it('creates with a client-chosen id; creating the same id again returns that row, not a second one', async () => {
    const id = randomUUID();
    const first = await dv.create('accounts', { name: 'Chosen id', accountnumber: 'CID-1' }, id);
    expect(first.accountid).toBe(id);
    const writesBefore = (await stats(emulators.dataverse.url)).writes;
    const second = await dv.create('accounts', { name: 'Chosen id', accountnumber: 'CID-1' }, id);
    expect(second.accountid).toBe(id);
    expect((await stats(emulators.dataverse.url)).writes).toBe(writesBefore);
    expect((await accountsInEmulator()).filter((a) => a.accountid === id)).toHaveLength(1);
  });

  it('a retried batch of creates that already happened adopts the rows with one look-up, not one request each', async () => {
    // The retry after a crash between the writes and their couplings (issue 12): the page's creates are
    // sent again with the same ids; each is answered "already exists" and must be adopted, not reported.
    const ops: WriteOperation[] = Array.from({ length: 60 }, (_, n) => ({
      kind: 'create',
      entity: 'accounts',
      id: randomUUID(),
      body: { name: `Retried create ${n}` },
    }));
    expect((await dv.writeBatch(ops)).every((r) => r.ok)).toBe(true);
    const before = await stats(emulators.dataverse.url);
    const again = await dv.writeBatch(ops);
    expect(again.map((r) => r.ok && r.id)).toEqual(ops.map((o) => o.kind === 'create' && o.id));
    expect(again.every((r) => r.ok && r.record?.name !== undefined)).toBe(true);
    const after = await stats(emulators.dataverse.url);
    expect(after.writes).toBe(before.writes);
    // The $batch plus one read for the 60 ids (per-record look-ups would be 61 requests).
    expect(after.requests - before.requests).toBe(2);
  });

  it('updates with If-Match, classifies a stale ETag as conflict, upserts, creates only, deletes', async () => {
    const created = await dv.create('accounts', { name: 'Etag Co' });
    const id = String(created.accountid);
    const etag = String(created['@odata.etag']);
    const updated = await dv.update('accounts', id, { telephone1: '555-0101' }, etag);
    expect(updated['@odata.etag']).not.toBe(etag);

    const stale = await dv.update('accounts', id, { telephone1: '555-0199' }, etag).catch((e: unknown) => e);
    expect(stale).toBeInstanceOf(ApiError);
    expect((stale as ApiError).info).toMatchObject({ kind: 'conflict', status: 412 });

    const missing = await dv.update('accounts', randomUUID(), { name: 'nobody' }).catch((e: unknown) => e);
    expect((missing as ApiError).kind).toBe('notFound');

    const upsertId = randomUUID();
    const inserted = await dv.upsert('accounts', upsertId, { name: 'Upserted' });
    expect(inserted.accountid).toBe(upsertId);
    const reUpserted = await dv.upsert('accounts', upsertId, { name: 'Upserted twice' });
    expect(reUpserted.name).toBe('Upserted twice');

    const createOnly = await dv
      .createOnly('accounts', upsertId, { name: 'should not overwrite' })
      .catch((e: unknown) => e);
    expect((createOnly as ApiError).kind).toBe('conflict');

    await dv.delete('accounts', id);
    expect(await dv.get('accounts', id)).toBeUndefined();
  });

  it('keeps the Dataverse error code of a validation failure', async () => {
    const failure = await dv.create('accounts', { name: 'n'.repeat(200) }).catch((e: unknown) => e);
    expect((failure as ApiError).info).toMatchObject({ kind: 'validation', status: 400, code: '0x80044331' });
  });

  it('sends a multipart $batch with one result per operation; a bad item fails alone', async () => {
    const target = (await accountsInEmulator())[2]!;
    const ids: string[] = Array.from({ length: 5 }, () => randomUUID());
    const ops: WriteOperation[] = [
      ...ids.map((id, i): WriteOperation => ({
        kind: 'create',
        entity: 'accounts',
        id,
        body: { name: `Batch ${i}` },
      })),
      { kind: 'create', entity: 'accounts', body: { name: 'z'.repeat(200) } },
      { kind: 'update', entity: 'accounts', id: String(target.accountid), body: { telephone1: '555-0123' } },
      { kind: 'upsert', entity: 'accounts', id: ids[0]!, body: { telephone1: '555-0124' } },
      { kind: 'delete', entity: 'accounts', id: randomUUID() },
    ];
    const results = await dv.writeBatch(ops);
    expect(results).toHaveLength(ops.length);
    expect(results.slice(0, 5).map((r) => r.ok && r.id)).toEqual(ids);
    expect(results[5]).toMatchObject({ ok: false, error: { kind: 'validation', code: '0x80044331' } });
    expect(results[6]).toMatchObject({ ok: true, id: target.accountid });
    expect(results[7]).toMatchObject({ ok: true, id: ids[0] });
    expect(results[8]).toMatchObject({ ok: false, error: { kind: 'notFound' } });
    const rows = await accountsInEmulator();
    expect(rows.filter((r) => ids.includes(String(r.accountid)))).toHaveLength(5);
    expect(rows.find((r) => r.accountid === ids[0])!.telephone1).toBe('555-0124');
  });

  it('returns only the asked-for columns of a written row ($select with return=representation)', async () => {
    const id = randomUUID();
    const columns = ['accountid', 'name', 'versionnumber', 'modifiedon'];
    const [created, updated] = await dv.writeBatch([
      { kind: 'create', entity: 'accounts', id, body: { name: 'Returning Co.' }, returnColumns: columns },
      {
        kind: 'update',
        entity: 'accounts',
        id: String((await accountsInEmulator())[3]!.accountid),
        body: { telephone1: '555-0199' },
        returnColumns: columns,
      },
    ]);
    for (const result of [created, updated]) {
      if (!result?.ok) throw new Error(`write failed: ${JSON.stringify(result)}`);
      const fields = Object.keys(result.record ?? {}).filter((k) => !k.startsWith('@'));
      expect(fields.sort()).toEqual([...columns].sort());
    }
    expect(created).toMatchObject({ record: { accountid: id, name: 'Returning Co.' } });
    // Without returnColumns the whole row comes back.
    const [whole] = await dv.writeBatch([
      { kind: 'create', entity: 'accounts', id: randomUUID(), body: { name: 'Whole Co.' } },
    ]);
    expect(Object.keys((whole?.ok && whole.record) || {}).length).toBeGreaterThan(columns.length + 5);
  });

  it('writes all-or-nothing with writeAtomic', async () => {
    const good = randomUUID();
    const results = await dv.writeAtomic([
      { kind: 'create', entity: 'accounts', id: good, body: { name: 'Atomic good' } },
      { kind: 'create', entity: 'accounts', body: { name: 'a'.repeat(200) } },
    ]);
    expect(results.every((r) => !r.ok)).toBe(true);
    expect(await dv.get('accounts', good)).toBeUndefined();
  });
});
