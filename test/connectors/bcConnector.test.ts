// The Business Central connector against the BC emulator: paging, incremental reads, writes with ETags,
// $batch with per-item results, the custom API, and webhook subscriptions with the validation handshake.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  ApiError,
  BcWebhooks,
  answerValidation,
  createBcClient,
  type BcClient,
} from '../../activities/connectors';
import type { WriteOperation } from '../../activities/connectors/types';
import { startEmulators } from '../../emulators';
import { adminRecords, bcConfig, collect, fastOptions, http, sleepMs } from './emulatorHarness';

type Emulators = Awaited<ReturnType<typeof startEmulators>>;
let emulators: Emulators;
let bc: BcClient;

beforeAll(async () => {
  emulators = await startEmulators({
    host: '127.0.0.1',
    bcPort: 0,
    dataversePort: 0,
    seed: 'demo',
    records: 40,
  });
  bc = createBcClient(bcConfig(emulators.bc), http, fastOptions);
});

afterAll(async () => {
  await emulators?.stop();
});

const customersInEmulator = async (): Promise<Record<string, unknown>[]> =>
  adminRecords(emulators.bc.url, 'customers');

describe('BC connector reads', () => {
  it('streams every customer page by page through @odata.nextLink', async () => {
    const pages = await collect(bc.readPages('customers', { pageSize: 7 }));
    const all = await customersInEmulator();
    expect(pages.length).toBe(Math.ceil(all.length / 7));
    expect(pages.slice(0, -1).every((p) => p.records.length === 7 && p.nextLink)).toBe(true);
    expect(pages.at(-1)!.nextLink).toBeUndefined();
    const ids = pages.flatMap((p) => p.records.map((r) => r.id));
    expect(new Set(ids).size).toBe(all.length);
  });

  it('resumes from a saved nextLink without repeating or skipping rows', async () => {
    const reader = bc.readPages('customers', { pageSize: 5 });
    const first = (await reader[Symbol.asyncIterator]().next()).value!;
    const rest = await collect(bc.readPages('customers', { nextLink: first.nextLink, pageSize: 5 }));
    const ids = [...first.records, ...rest.flatMap((p) => p.records)].map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBe((await customersInEmulator()).length);
  });

  it('reads only rows modified since a watermark, combined with the mapping filter', async () => {
    const all = await customersInEmulator();
    await sleepMs(5);
    const since = new Date().toISOString();
    await sleepMs(5);
    const target = all[0]!;
    const updated = await bc.update('customers', String(target.id), { phoneNumber: '555-0100' });
    const created = await bc.create('customers', { number: 'INC-1', displayName: 'Incremental Ltd' });
    const changed = (await collect(bc.readPages('customers', { modifiedSince: since }))).flatMap(
      (p) => p.records,
    );
    expect(changed.map((r) => r.id).sort()).toEqual([updated.id, created.id].sort());
    const filtered = (
      await collect(bc.readPages('customers', { modifiedSince: since, filter: "number eq 'INC-1'" }))
    ).flatMap((p) => p.records);
    expect(filtered.map((r) => r.id)).toEqual([created.id]);
  });

  it('reads the custom API entities (resources, customer statistics)', async () => {
    const resources = (await collect(bc.readPages('resources', {}))).flatMap((p) => p.records);
    expect(resources.length).toBeGreaterThan(0);
    expect(resources[0]).toHaveProperty('baseUnitOfMeasureCode');
    const statistics = (await collect(bc.readPages('customerStatistics', { pageSize: 10 }))).flatMap(
      (p) => p.records,
    );
    expect(statistics.length).toBe((await customersInEmulator()).length);
    expect(statistics[0]).toHaveProperty('balance');
  });

  it('reads posted sales invoices with their lines ($expand)', async () => {
    const pages = await collect(
      bc.readPages('salesInvoices', {
        filter: "status ne 'Draft'",
        expand: ['salesInvoiceLines'],
        pageSize: 5,
      }),
    );
    const invoices = pages.flatMap((p) => p.records);
    expect(invoices.length).toBeGreaterThan(0);
    expect(invoices.every((i) => i.status !== 'Draft')).toBe(true);
    const lines = invoices.flatMap((i) => i.salesInvoiceLines as Array<Record<string, unknown>>);
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.every((l) => invoices.some((i) => i.id === l.documentId))).toBe(true);
  });

  it('finds the company by name and accepts the tenant in the URL path', async () => {
    const byName = createBcClient(
      bcConfig(emulators.bc, { company: { name: 'CRONUS USA, Inc.' }, tenantInUrl: true }),
      http,
      fastOptions,
    );
    expect(await byName.companyId()).toBe(emulators.bc.companyId);
    expect(byName.standardBase).toContain(
      `/v2.0/${emulators.bc.tenant}/${emulators.bc.environment}/api/v2.0`,
    );
    const first = await byName.readPages('customers', { pageSize: 1 })[Symbol.asyncIterator]().next();
    expect(first.value!.records).toHaveLength(1);

    const wrongName = createBcClient(
      bcConfig(emulators.bc, { company: { name: 'No Such Company' } }),
      http,
      fastOptions,
    );
    const failure = await wrongName.companyId().catch((e: unknown) => e);
    expect((failure as ApiError).message).toContain('BCSYNC_BC_COMPANY_NAME');
    expect((failure as ApiError).message).toContain('CRONUS USA, Inc.');
  });

  it('answers get for a missing id with undefined', async () => {
    expect(await bc.get('customers', '00000000-0000-0000-0000-0000000000aa')).toBeUndefined();
  });
});

describe('BC connector writes', () => {
  it('creates, updates with the ETag, rejects a stale ETag as conflict, deletes', async () => {
    const created = await bc.create('customers', { number: 'CRUD-1', displayName: 'Crud Inc' });
    const firstEtag = String(created['@odata.etag']);
    const updated = await bc.update(
      'customers',
      String(created.id),
      { displayName: 'Crud Inc 2' },
      firstEtag,
    );
    expect(updated.displayName).toBe('Crud Inc 2');
    expect(updated['@odata.etag']).not.toBe(firstEtag);

    const stale = await bc
      .update('customers', String(created.id), { displayName: 'Lost update' }, firstEtag)
      .catch((e: unknown) => e);
    expect(stale).toBeInstanceOf(ApiError);
    expect((stale as ApiError).info).toMatchObject({
      kind: 'conflict',
      status: 409,
      code: 'Request_EntityChanged',
    });
    expect((await bc.get('customers', String(created.id)))!.displayName).toBe('Crud Inc 2');

    const missingEtagFree = await bc.upsert('customers', String(created.id), { city: 'Atlanta' });
    expect(missingEtagFree.city).toBe('Atlanta');

    await bc.delete('customers', String(created.id), String(missingEtagFree['@odata.etag']));
    expect(await bc.get('customers', String(created.id))).toBeUndefined();
    const again = await bc.delete('customers', String(created.id)).catch((e: unknown) => e);
    expect((again as ApiError).kind).toBe('notFound');
  });

  it('keeps the API error code of a validation failure', async () => {
    const failure = await bc
      .create('customers', { number: 'VAL-1', displayName: 'x'.repeat(101) })
      .catch((e: unknown) => e);
    expect((failure as ApiError).info).toMatchObject({
      kind: 'validation',
      status: 400,
      code: 'Application_StringExceededLength',
    });
  });

  it('batches in chunks of 100 with one result per operation; a bad item fails alone', async () => {
    const existing = (await customersInEmulator())[1]!;
    const ops: WriteOperation[] = [
      ...Array.from({ length: 120 }, (_, i): WriteOperation => ({
        kind: 'create',
        entity: 'customers',
        body: { number: `B-${i}`, displayName: `Batch ${i}` },
      })),
      { kind: 'create', entity: 'customers', body: { number: 'B-BAD', displayName: 'y'.repeat(150) } },
      { kind: 'update', entity: 'customers', id: String(existing.id), body: { city: 'Batchville' } },
      {
        kind: 'update',
        entity: 'customers',
        id: String(existing.id),
        body: { city: 'Stale' },
        etag: 'W/"stale"',
      },
      {
        kind: 'create',
        entity: 'resources',
        body: { number: 'R-B1', name: 'Batch resource', type: 'Person' },
      },
    ];
    const results = await bc.writeBatch(ops);
    expect(results).toHaveLength(ops.length);
    expect(results.slice(0, 120).every((r) => r.ok)).toBe(true);
    expect(results[120]).toMatchObject({
      ok: false,
      error: { kind: 'validation', code: 'Application_StringExceededLength' },
    });
    expect(results[121]).toMatchObject({ ok: true, id: existing.id });
    expect(results[122]).toMatchObject({ ok: false, error: { kind: 'conflict' } });
    expect(results[123]).toMatchObject({ ok: true });
    const numbers = (await customersInEmulator()).map((c) => c.number);
    expect(numbers.filter((n) => typeof n === 'string' && /^B-\d+$/.test(n))).toHaveLength(120);
    expect(numbers).not.toContain('B-BAD');
    const first = results[0]!;
    expect(first.ok && first.record?.number).toBe('B-0');
  });
});

describe('BC webhook subscriptions', () => {
  let receiver: Server;
  let receiverUrl: string;
  const validations: string[] = [];

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      const answer = answerValidation(req.url ?? '/');
      if (answer) {
        validations.push(answer.body);
        res.writeHead(answer.status, answer.headers).end(answer.body);
        return;
      }
      req.resume();
      res.writeHead(202).end();
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks/bc`;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => receiver.close(() => resolve()));
  });

  it('creates (after the handshake), renews and deletes a subscription', async () => {
    const webhooks = new BcWebhooks(bc);
    const sub = await webhooks.create({
      notificationUrl: receiverUrl,
      entity: 'customers',
      clientState: 'state-123',
    });
    expect(validations.length).toBe(1);
    expect(sub.resource).toContain(`companies(${emulators.bc.companyId})/customers`);
    expect(Date.parse(sub.expirationDateTime!)).toBeGreaterThan(Date.now() + 2.9 * 24 * 3600_000);
    expect((await webhooks.list()).map((s) => s.subscriptionId)).toContain(sub.subscriptionId);

    await sleepMs(20);
    const renewed = await webhooks.renew(sub);
    expect(validations.length).toBe(2);
    expect(Date.parse(renewed.expirationDateTime!)).toBeGreaterThan(Date.parse(sub.expirationDateTime!));

    // Not due within a day of slack: renewExpiring leaves it; due with a 4-day margin: renews it.
    expect(await webhooks.renewExpiring()).toHaveLength(0);
    expect(
      (await webhooks.renewExpiring({ marginMs: 4 * 24 * 3600_000 })).map((s) => s.subscriptionId),
    ).toEqual([sub.subscriptionId]);

    await webhooks.delete(
      await webhooks.list().then((all) => all.find((s) => s.subscriptionId === sub.subscriptionId)!),
    );
    expect((await webhooks.list()).map((s) => s.subscriptionId)).not.toContain(sub.subscriptionId);
  });
});
