// Emulator throughput: proves the emulators are not the bottleneck of 100,000-record benchmarks.
// Run: `npx tsc -p tsconfig.build.json && node dist/bench/emulatorThroughput.js [records]`.
// Measures, over real HTTP on loopback: seeding N records, reading them all page by page (5,000-row pages)
// and writing through 1,000-request `$batch` calls.
import Table from 'cli-table3';
import { randomUUID } from 'node:crypto';
import { startDataverseEmulator, type RunningDataverseEmulator } from '../emulators/dataverse';
import { benchBc } from './bcEmulatorThroughput';

export interface ThroughputRow {
  emulator: 'Dataverse' | 'Business Central';
  operation: string;
  records: number;
  seconds: number;
}

/** Benchmarks that produce table rows. The BC helper adds `benchBc` here (see BC_BENCHMARKS below). */
export type ThroughputBenchmark = (records: number) => Promise<ThroughputRow[]>;

const elapsedSeconds = (startNs: bigint): number => Number(process.hrtime.bigint() - startNs) / 1e9;

async function bearerToken(dv: RunningDataverseEmulator): Promise<string> {
  const response = await fetch(dv.tokenUrl, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: dv.clientId,
      client_secret: dv.clientSecret,
      scope: dv.scope,
    }),
  });
  if (!response.ok)
    throw new Error(`Token request to the Dataverse emulator failed: HTTP ${response.status}`);
  return ((await response.json()) as { access_token: string }).access_token;
}

/** Reads every row of `entitySet` with `Prefer: odata.maxpagesize`, following @odata.nextLink. */
async function readAll(
  dv: RunningDataverseEmulator,
  token: string,
  path: string,
  pageSize: number,
): Promise<number> {
  let next: string | undefined = `${dv.apiUrl}/${path}`;
  let rows = 0;
  while (next) {
    const response: Response = await fetch(next, {
      headers: {
        Authorization: `Bearer ${token}`,
        Prefer: `odata.maxpagesize=${pageSize}`,
        Accept: 'application/json',
      },
    });
    if (!response.ok)
      throw new Error(`Read of ${next} failed: HTTP ${response.status} ${await response.text()}`);
    const page = (await response.json()) as { value: unknown[]; '@odata.nextLink'?: string };
    rows += page.value.length;
    next = page['@odata.nextLink'];
  }
  return rows;
}

function batchOfCreates(boundary: string, start: number, count: number): string {
  const parts: string[] = [];
  for (let i = start; i < start + count; i++) {
    const body = JSON.stringify({
      name: `Bench account ${i}`,
      accountnumber: `BENCH${i}`,
      telephone1: '+1 555 0100',
      address1_city: 'Seattle',
      emailaddress1: `bench${i}@example.com`,
    });
    parts.push(
      `--${boundary}\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\n` +
        `POST /api/data/v9.2/accounts HTTP/1.1\r\nContent-Type: application/json; type=entry\r\n\r\n${body}`,
    );
  }
  return `${parts.join('\r\n')}\r\n--${boundary}--\r\n`;
}

/** Dataverse rows: seed, full paged read of accounts, batched creates. */
export async function benchDataverse(records: number): Promise<ThroughputRow[]> {
  const rows: ThroughputRow[] = [];
  let started = process.hrtime.bigint();
  const dv = await startDataverseEmulator({ port: 0, seed: 'empty', records });
  rows.push({
    emulator: 'Dataverse',
    operation: 'seed (accounts + contacts)',
    records: records * 2,
    seconds: elapsedSeconds(started),
  });
  try {
    const token = await bearerToken(dv);

    started = process.hrtime.bigint();
    const read = await readAll(dv, token, 'accounts', 5000);
    rows.push({
      emulator: 'Dataverse',
      operation: 'read all accounts, 5,000-row pages',
      records: read,
      seconds: elapsedSeconds(started),
    });

    started = process.hrtime.bigint();
    const selected = await readAll(
      dv,
      token,
      'contacts?$select=fullname,emailaddress1,_parentcustomerid_value&$orderby=lastname',
      5000,
    );
    rows.push({
      emulator: 'Dataverse',
      operation: 'read contacts, $select + $orderby',
      records: selected,
      seconds: elapsedSeconds(started),
    });

    const writes = Math.min(records, 20_000);
    const perBatch = 1000;
    started = process.hrtime.bigint();
    for (let offset = 0; offset < writes; offset += perBatch) {
      const boundary = `batch_${randomUUID()}`;
      const response = await fetch(`${dv.apiUrl}/$batch`, {
        method: 'POST',
        headers: {
          Authorization: `Bearer ${token}`,
          'Content-Type': `multipart/mixed; boundary="${boundary}"`,
        },
        body: batchOfCreates(boundary, offset, Math.min(perBatch, writes - offset)),
      });
      const text = await response.text();
      if (response.status !== 200)
        throw new Error(`Batch at ${offset} failed: HTTP ${response.status} ${text.slice(0, 500)}`);
    }
    rows.push({
      emulator: 'Dataverse',
      operation: 'create via $batch (1,000 per batch)',
      records: writes,
      seconds: elapsedSeconds(started),
    });

    started = process.hrtime.bigint();
    const initial = await fetch(`${dv.apiUrl}/accounts?$select=name`, {
      headers: { Authorization: `Bearer ${token}`, Prefer: 'odata.track-changes,odata.maxpagesize=5000' },
    });
    let body = (await initial.json()) as {
      '@odata.nextLink'?: string;
      '@odata.deltaLink'?: string;
      value: unknown[];
    };
    let tracked = body.value.length;
    while (body['@odata.nextLink']) {
      const page = await fetch(body['@odata.nextLink'], {
        headers: { Authorization: `Bearer ${token}`, Prefer: 'odata.track-changes,odata.maxpagesize=5000' },
      });
      body = (await page.json()) as typeof body;
      tracked += body.value.length;
    }
    rows.push({
      emulator: 'Dataverse',
      operation: 'initial change-tracking read',
      records: tracked,
      seconds: elapsedSeconds(started),
    });
  } finally {
    await dv.stop();
  }
  return rows;
}

// ---- Business Central rows ------------------------------------------------------------------------------
// BC helper: implement `benchBc(records): Promise<ThroughputRow[]>` (seed, paged read with 20,000-row
// pages, 100-request $batch writes) in bench/ and add it to this list. Nothing else here needs to change.
export const BC_BENCHMARKS: ThroughputBenchmark[] = [benchBc];

export async function runEmulatorThroughput(records: number): Promise<ThroughputRow[]> {
  const rows = await benchDataverse(records);
  for (const benchmark of BC_BENCHMARKS) rows.push(...(await benchmark(records)));
  return rows;
}

export function renderThroughputTable(rows: ThroughputRow[]): string {
  const table = new Table({
    head: ['Emulator', 'Operation', 'Records', 'Seconds', 'Records/s'],
    colAligns: ['left', 'left', 'right', 'right', 'right'],
  });
  for (const row of rows) {
    table.push([
      row.emulator,
      row.operation,
      row.records.toLocaleString('en-US'),
      row.seconds.toFixed(2),
      Math.round(row.records / Math.max(row.seconds, 1e-9)).toLocaleString('en-US'),
    ]);
  }
  return table.toString();
}

async function main(): Promise<void> {
  const records = Number(process.argv[2] ?? 100_000);
  if (!Number.isInteger(records) || records <= 0)
    throw new Error(`Usage: node dist/bench/emulatorThroughput.js [records > 0], got '${process.argv[2]}'.`);
  console.log(
    `Emulator throughput with ${records.toLocaleString('en-US')} records (loopback HTTP, one client)`,
  );
  console.log(renderThroughputTable(await runEmulatorThroughput(records)));
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
