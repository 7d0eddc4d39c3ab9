// With faults on (429 with Retry-After, 503, dropped connections) every connector operation still
// succeeds, and the emulators' write counters prove nothing was written twice. A proxy that loses the
// answer *after* the emulator applied a write covers the case the emulators' own faults do not: the
// connector must find its own write instead of repeating it.
import { randomUUID } from 'node:crypto';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApiError, createBcClient, createDataverseClient } from '../../activities/connectors';
import type { WriteOperation } from '../../activities/connectors/types';
import { startEmulators } from '../../emulators';
import type { ConnectorLogger } from '../../activities/connectors';
import {
  adminRecords,
  bcConfig,
  collect,
  dataverseConfig,
  fastOptions,
  http,
  setFaults,
  stats,
} from './emulatorHarness';

/** Records the status of every retried failure the connector logs (0 = connection lost). */
function retryLog(): { logger: ConnectorLogger; statuses: number[] } {
  const statuses: number[] = [];
  return {
    statuses,
    logger: { warn: (obj) => statuses.push((obj as { status: number }).status), debug: () => undefined },
  };
}

type Emulators = Awaited<ReturnType<typeof startEmulators>>;
let emulators: Emulators;

const FAULTS = { rate429: 0.15, rate5xx: 0.15, dropRate: 0.05, retryAfterSeconds: 1, seed: 42 };

beforeAll(async () => {
  emulators = await startEmulators({
    host: '127.0.0.1',
    bcPort: 0,
    dataversePort: 0,
    seed: 'demo',
    records: 30,
  });
});

afterAll(async () => {
  await emulators?.stop();
});

afterEach(async () => {
  await setFaults(emulators.bc.url, {});
  await setFaults(emulators.dataverse.url, {});
});

describe('under injected faults (30% 429/503 plus dropped connections)', () => {
  it('BC: reads, creates, updates, deletes and batches all succeed, each written exactly once', async () => {
    const log = retryLog();
    const bc = createBcClient(bcConfig(emulators.bc), http, { ...fastOptions, logger: log.logger });
    const before = await stats(emulators.bc.url);
    await setFaults(emulators.bc.url, FAULTS);

    const pages = await collect(bc.readPages('customers', { pageSize: 4 }));
    const created = [];
    for (let i = 0; i < 15; i++)
      created.push(await bc.create('customers', { number: `F-${i}`, displayName: `Faulty ${i}` }));
    for (const row of created.slice(0, 8)) {
      await bc.update('customers', String(row.id), { city: 'Retryville' }, String(row['@odata.etag']));
    }
    for (const row of created.slice(8, 12))
      await bc.delete('customers', String(row.id), String(row['@odata.etag']));
    const batch = await bc.writeBatch(
      Array.from({ length: 30 }, (_, i): WriteOperation => ({
        kind: 'create',
        entity: 'customers',
        body: { number: `FB-${i}`, displayName: `Faulty batch ${i}` },
      })),
    );
    expect(batch.every((r) => r.ok)).toBe(true);

    await setFaults(emulators.bc.url, {});
    const after = await stats(emulators.bc.url);
    expect(after.byStatus['429'] ?? 0).toBeGreaterThan(before.byStatus['429'] ?? 0);
    expect(after.byStatus['503'] ?? 0).toBeGreaterThan(before.byStatus['503'] ?? 0);
    expect(after.writes - before.writes).toBe(15 + 8 + 4 + 30);
    expect(log.statuses).toEqual(expect.arrayContaining([0, 429, 503]));

    const rows = await adminRecords(emulators.bc.url, 'customers');
    expect(pages.flatMap((p) => p.records).length).toBe(rows.length - 15 + 4 - 30);
    const numbers = rows.map((r) => String(r.number));
    for (let i = 0; i < 15; i++)
      expect(numbers.filter((n) => n === `F-${i}`)).toHaveLength(i >= 8 && i < 12 ? 0 : 1);
    for (let i = 0; i < 30; i++) expect(numbers.filter((n) => n === `FB-${i}`)).toHaveLength(1);
    expect(rows.filter((r) => r.city === 'Retryville')).toHaveLength(8);
  });

  it('Dataverse: reads, creates, upserts, updates, deletes and batches all succeed, each written exactly once', async () => {
    const log = retryLog();
    const dv = createDataverseClient(dataverseConfig(emulators.dataverse), http, {
      ...fastOptions,
      logger: log.logger,
    });
    const before = await stats(emulators.dataverse.url);
    await setFaults(emulators.dataverse.url, FAULTS);

    await collect(dv.readPages('accounts', { pageSize: 4 }));
    const ids: string[] = Array.from({ length: 15 }, () => randomUUID());
    const created = [];
    for (const [i, id] of ids.entries())
      created.push(await dv.create('accounts', { name: `Faulty ${i}` }, id));
    for (const row of created.slice(0, 6)) {
      await dv.update(
        'accounts',
        String(row.accountid),
        { telephone1: '555-0777' },
        String(row['@odata.etag']),
      );
    }
    for (const id of ids.slice(6, 9)) await dv.upsert('accounts', id, { fax: '555-0888' });
    for (const row of created.slice(9, 12)) await dv.delete('accounts', String(row.accountid));
    const batchIds = Array.from({ length: 40 }, () => randomUUID());
    const batch = await dv.writeBatch(
      batchIds.map((id, i) => ({ kind: 'create', entity: 'accounts', id, body: { name: `FB ${i}` } })),
    );
    expect(batch.every((r) => r.ok)).toBe(true);

    await setFaults(emulators.dataverse.url, {});
    const after = await stats(emulators.dataverse.url);
    expect(after.byStatus['429'] ?? 0).toBeGreaterThan(before.byStatus['429'] ?? 0);
    expect(after.writes - before.writes).toBe(15 + 6 + 3 + 3 + 40);
    expect(log.statuses).toEqual(expect.arrayContaining([0, 429, 503]));
    const rows = await adminRecords(emulators.dataverse.url, 'accounts');
    for (const id of [...ids.slice(0, 9), ...ids.slice(12), ...batchIds]) {
      expect(rows.filter((r) => r.accountid === id)).toHaveLength(1);
    }
    expect(rows.filter((r) => ids.slice(9, 12).includes(String(r.accountid)))).toHaveLength(0);
  });
});

/**
 * Forwards to `target`; for requests that `shouldLose` picks, the upstream answer is read (the write is
 * applied) and then the client's connection is destroyed, as when a network path fails mid-answer.
 */
async function lossyProxy(
  target: string,
  shouldLose: (method: string, path: string) => boolean,
): Promise<{ url: string; lost: () => number; server: Server }> {
  const upstream = new URL(target);
  let lost = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const proxied = httpRequest(
        {
          host: upstream.hostname,
          port: upstream.port,
          method: req.method,
          path: req.url,
          headers: req.headers,
        },
        (answer) => {
          const body: Buffer[] = [];
          answer.on('data', (c: Buffer) => body.push(c));
          answer.on('end', () => {
            if (shouldLose(req.method ?? 'GET', req.url ?? '')) {
              lost++;
              req.socket.destroy();
              return;
            }
            res.writeHead(answer.statusCode ?? 502, answer.headers).end(Buffer.concat(body));
          });
        },
      );
      proxied.end(Buffer.concat(chunks));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, lost: () => lost, server };
}

describe('answers lost after the write was applied', () => {
  const servers: Server[] = [];
  afterAll(async () => {
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  });

  /** Loses the first answer to each matching request, then lets the rest through. */
  function firstTime(pattern: RegExp, method: string): (m: string, p: string) => boolean {
    const seen = new Set<string>();
    return (m, p) => {
      if (m !== method || !pattern.test(p) || seen.has(p)) return false;
      seen.add(p);
      return true;
    };
  }

  it('BC create and $batch: the lost writes are found by number, not repeated', async () => {
    const proxy = await lossyProxy(emulators.bc.url, firstTime(/\/(customers|\$batch)$/, 'POST'));
    servers.push(proxy.server);
    const bc = createBcClient(bcConfig(emulators.bc, { apiUrl: proxy.url }), http, fastOptions);
    const before = await stats(emulators.bc.url);

    const created = await bc.create('customers', { number: 'LOST-1', displayName: 'Lost answer' });
    expect(created.number).toBe('LOST-1');
    const batch = await bc.writeBatch([
      { kind: 'create', entity: 'customers', body: { number: 'LOST-B1', displayName: 'Lost batch 1' } },
      {
        kind: 'update',
        entity: 'customers',
        id: String(created.id),
        body: { city: 'Lostville' },
        etag: String(created['@odata.etag']),
      },
    ]);
    expect(batch.map((r) => r.ok)).toEqual([true, true]);
    expect(proxy.lost()).toBe(2);

    const after = await stats(emulators.bc.url);
    expect(after.writes - before.writes).toBe(3);
    const rows = await adminRecords(emulators.bc.url, 'customers');
    expect(rows.filter((r) => r.number === 'LOST-1')).toHaveLength(1);
    expect(rows.filter((r) => r.number === 'LOST-B1')).toHaveLength(1);
    expect(rows.find((r) => r.number === 'LOST-1')!.city).toBe('Lostville');
  });

  // The bcsync pages create a record with the id the body gives (docs/bc-custom-api.md, "Client-chosen ids"),
  // so a customer without a number (BC numbers it) is found by that id after its answer was lost.
  it('BC create with a client id on the bcsync pages: the lost create is found by its id, not repeated', async () => {
    const proxy = await lossyProxy(emulators.bc.url, firstTime(/\/(customers|\$batch)$/, 'POST'));
    servers.push(proxy.server);
    const bc = createBcClient(bcConfig(emulators.bc, { apiUrl: proxy.url }), http, fastOptions);
    const before = await stats(emulators.bc.url);
    const id = 'c1d2e3f4-1111-4222-8333-444455556666';
    const batchId = 'c1d2e3f4-1111-4222-8333-444455557777';
    const created = await bc.create('customers', { id, displayName: 'Lost answer, own id' });
    expect(created.id).toBe(id);
    const [batch] = await bc.writeBatch([
      { kind: 'create', entity: 'customers', body: { id: batchId, displayName: 'Lost batch, own id' } },
    ]);
    expect(batch).toMatchObject({ ok: true, id: batchId });
    expect(proxy.lost()).toBe(2);
    expect((await stats(emulators.bc.url)).writes - before.writes).toBe(2);
    const rows = await adminRecords(emulators.bc.url, 'customers');
    expect(rows.filter((r) => r.displayName === 'Lost answer, own id')).toHaveLength(1);
    expect(rows.filter((r) => r.displayName === 'Lost batch, own id')).toHaveLength(1);
  });

  it('BC create without a natural key is reported as outcome unknown, never sent twice', async () => {
    const proxy = await lossyProxy(emulators.bc.url, firstTime(/\/salesInvoices$/, 'POST'));
    servers.push(proxy.server);
    const bc = createBcClient(bcConfig(emulators.bc, { apiUrl: proxy.url }), http, fastOptions);
    const customer = (await adminRecords(emulators.bc.url, 'customers'))[0]!;
    const before = (await adminRecords(emulators.bc.url, 'salesInvoices')).length;
    const failure = await bc.create('salesInvoices', { customerId: customer.id }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ApiError);
    expect((failure as ApiError).info).toMatchObject({ kind: 'transient', outcomeUnknown: true });
    expect((await adminRecords(emulators.bc.url, 'salesInvoices')).length).toBe(before + 1);
  });

  it('Dataverse create, update with ETag and delete: lost answers are settled without a second write', async () => {
    // Loses the first answer of each write method (POST, PATCH, DELETE).
    const lostOnce = new Set<string>();
    const proxy = await lossyProxy(
      emulators.dataverse.url,
      (m) => m !== 'GET' && !lostOnce.has(m) && lostOnce.add(m) !== undefined,
    );
    servers.push(proxy.server);
    const dv = createDataverseClient(
      dataverseConfig(emulators.dataverse, { url: proxy.url }),
      http,
      fastOptions,
    );
    const before = await stats(emulators.dataverse.url);

    const id = randomUUID();
    const created = await dv.create('accounts', { name: 'Lost create' }, id);
    expect(created.accountid).toBe(id);
    const updated = await dv.update('accounts', id, { name: 'Lost update' }, String(created['@odata.etag']));
    expect(updated.name).toBe('Lost update');
    await dv.delete('accounts', id, String(updated['@odata.etag']));
    expect(proxy.lost()).toBe(3);

    const after = await stats(emulators.dataverse.url);
    expect(after.writes - before.writes).toBe(3);
    expect(await dv.get('accounts', id)).toBeUndefined();
  });
});
