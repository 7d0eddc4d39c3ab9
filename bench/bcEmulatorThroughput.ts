// Business Central rows of the emulator throughput benchmark (bench/emulatorThroughput.ts): seeding N
// records, paging through all customers with 20,000-row pages (the real server page size), a filtered
// `$select` read with smaller pages, and writes through 100-operation `$batch` calls (the BC maximum).
import { startBcEmulator, type RunningBcEmulator } from '../emulators/bc';
import type { ThroughputRow } from './emulatorThroughput';

const elapsedSeconds = (startNs: bigint): number => Number(process.hrtime.bigint() - startNs) / 1e9;

async function bearerToken(bc: RunningBcEmulator): Promise<string> {
  const response = await fetch(bc.tokenUrl, {
    method: 'POST',
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: bc.clientId,
      client_secret: bc.clientSecret,
      scope: 'https://api.businesscentral.dynamics.com/.default',
    }),
  });
  if (!response.ok) throw new Error(`Token request to the BC emulator failed: HTTP ${response.status}`);
  return ((await response.json()) as { access_token: string }).access_token;
}

async function readAll(first: string, token: string, pageSize: number): Promise<number> {
  let next: string | undefined = first;
  let rows = 0;
  while (next) {
    const response: Response = await fetch(next, {
      headers: { Authorization: `Bearer ${token}`, Prefer: `odata.maxpagesize=${pageSize}` },
    });
    if (!response.ok)
      throw new Error(`Read of ${next} failed: HTTP ${response.status} ${await response.text()}`);
    const page = (await response.json()) as { value: unknown[]; '@odata.nextLink'?: string };
    rows += page.value.length;
    next = page['@odata.nextLink'];
  }
  return rows;
}

async function postBatch(bc: RunningBcEmulator, token: string, requests: unknown[]): Promise<void> {
  const response = await fetch(`${bc.apiUrl}/$batch`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', Isolation: 'snapshot' },
    body: JSON.stringify({ requests }),
  });
  const body = (await response.json()) as { responses?: { status: number; body?: unknown }[] };
  const failed = body.responses?.find((r) => r.status >= 400);
  if (response.status !== 200 || failed) {
    throw new Error(
      `BC $batch failed: HTTP ${response.status} ${JSON.stringify(failed ?? body).slice(0, 500)}`,
    );
  }
}

/** BC rows: seed, full paged read of customers, filtered read, batched creates and updates. */
export async function benchBc(records: number): Promise<ThroughputRow[]> {
  const rows: ThroughputRow[] = [];
  let started = process.hrtime.bigint();
  // Default limits: a handful of requests, far below BC's 6,000 per 5 minutes.
  const bc = await startBcEmulator({ port: 0, records, webhookCoalesceMs: 0 });
  const seeded = [...bc.state.tables.values()].reduce((sum, t) => sum + t.size, 0);
  rows.push({
    emulator: 'Business Central',
    operation: 'seed (customers, contacts, items ...)',
    records: seeded,
    seconds: elapsedSeconds(started),
  });
  try {
    bc.faults.set({});
    const token = await bearerToken(bc);
    const customers = `${bc.apiUrl}/companies(${bc.companyId})/customers`;

    started = process.hrtime.bigint();
    const read = await readAll(customers, token, 20_000);
    rows.push({
      emulator: 'Business Central',
      operation: 'read all customers, 20,000-row pages',
      records: read,
      seconds: elapsedSeconds(started),
    });

    started = process.hrtime.bigint();
    const filtered = await readAll(
      `${customers}?$filter=lastModifiedDateTime ge 2000-01-01T00:00:00.000Z and blocked eq ' '&$select=id,number,displayName,lastModifiedDateTime`,
      token,
      5000,
    );
    rows.push({
      emulator: 'Business Central',
      operation: 'read customers, $filter + $select, 5,000-row pages',
      records: filtered,
      seconds: elapsedSeconds(started),
    });

    const writes = Math.min(records, 20_000);
    const perBatch = 100;
    const createdIds: string[] = [];
    started = process.hrtime.bigint();
    for (let offset = 0; offset < writes; offset += perBatch) {
      const requests = [];
      for (let i = offset; i < Math.min(offset + perBatch, writes); i++) {
        const id = `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
        createdIds.push(id);
        requests.push({
          id: String(i),
          method: 'POST',
          url: `companies(${bc.companyId})/customers`,
          headers: { 'Content-Type': 'application/json' },
          body: {
            id,
            displayName: `Bench customer ${i}`,
            city: 'Seattle',
            email: `bench${i}@example.com`,
            phoneNumber: '+1 425 555 0100',
          },
        });
      }
      await postBatch(bc, token, requests);
    }
    rows.push({
      emulator: 'Business Central',
      operation: 'create via $batch (100 per batch)',
      records: writes,
      seconds: elapsedSeconds(started),
    });

    started = process.hrtime.bigint();
    for (let offset = 0; offset < createdIds.length; offset += perBatch) {
      const requests = createdIds.slice(offset, offset + perBatch).map((id, i) => ({
        id: String(offset + i),
        method: 'PATCH',
        url: `companies(${bc.companyId})/customers(${id})`,
        headers: { 'Content-Type': 'application/json', 'If-Match': '*' },
        body: { city: 'Redmond' },
      }));
      await postBatch(bc, token, requests);
    }
    rows.push({
      emulator: 'Business Central',
      operation: 'update via $batch (100 per batch)',
      records: createdIds.length,
      seconds: elapsedSeconds(started),
    });
  } finally {
    await bc.stop();
  }
  return rows;
}
