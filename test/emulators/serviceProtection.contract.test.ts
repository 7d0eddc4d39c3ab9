// Service protection limits of both emulators (emulators/common/serviceProtection.ts, docs/emulator-limits.md):
// on by default with the figures Microsoft documents, 429 with Retry-After when exceeded, BC's queue of 95
// behind 5 concurrent requests, Dataverse's 52 concurrent requests and execution-time budget, and a
// `timeScale` that shrinks the windows for tests. The connectors wait the limits out.
import { createBcClient, createDataverseClient } from '../../activities/connectors';
import { startBcEmulator, type RunningBcEmulator } from '../../emulators/bc';
import { startDataverseEmulator, type RunningDataverseEmulator } from '../../emulators/dataverse';
import { bcConfig, collect, dataverseConfig, http } from '../connectors/emulatorHarness';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { assertBuilt, bcsync } from '../client/bcsyncBinary';
import { bcClient, type BcClient } from './bcTestClient';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

let bc: RunningBcEmulator;
let api: BcClient;
let dv: RunningDataverseEmulator;
let dvToken: string;

async function admin(url: string, path: string, body?: unknown): Promise<Json> {
  const response = await fetch(`${url}/_admin/${path}`, {
    method: body === undefined ? 'GET' : 'PUT',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  expect(response.status).toBe(200);
  return (await response.json()) as Json;
}

async function dvGet(path: string): Promise<{ status: number; headers: Headers; json: Json }> {
  const response = await fetch(`${dv.apiUrl}/${path}`, {
    headers: { Authorization: `Bearer ${dvToken}`, Accept: 'application/json' },
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, json: text ? (JSON.parse(text) as Json) : {} };
}

beforeAll(async () => {
  bc = await startBcEmulator({ port: 0, seed: 'demo', webhookCoalesceMs: 0 });
  api = await bcClient(bc);
  dv = await startDataverseEmulator({ port: 0, seed: 'demo' });
  const response = await fetch(dv.tokenUrl, {
    method: 'POST',
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: dv.clientId,
      client_secret: dv.clientSecret,
      scope: dv.scope,
    }),
  });
  dvToken = ((await response.json()) as { access_token: string }).access_token;
});

afterAll(async () => {
  await bc?.stop();
  await dv?.stop();
});

afterEach(async () => {
  await admin(bc.url, 'limits', {});
  await admin(dv.url, 'limits', {});
  bc.faults.set({});
  dv.faults.set({});
});

describe('Business Central service protection', () => {
  // "Operational limits for Business Central online", OData request limits (per user): max concurrent
  // requests 5, max request queue size 95 (max connections 100), speed 6,000 requests in a 5-minute sliding
  // window; a queued request times out after 8 minutes with 503.
  // https://learn.microsoft.com/dynamics365/business-central/dev-itpro/administration/operational-limits-online
  it('is on by default with the documented per-user figures', async () => {
    const limits = await admin(bc.url, 'limits');
    expect(limits.settings).toMatchObject({
      enabled: true,
      requests: 6000,
      windowSeconds: 300,
      maxConcurrent: 5,
      maxQueued: 95,
      queueTimeoutSeconds: 480,
      timeScale: 1,
    });
    expect(limits.effective).toMatchObject({ requests: 6000, windowMs: 300_000 });
  });

  it('answers 429 with Retry-After once the sliding window is spent; timeScale shrinks the window', async () => {
    // timeScale 0.01 of 500 requests per 6,000 s: 5 requests per minute, the window 100 times shorter.
    const limits = await admin(bc.url, 'limits', { requests: 500, windowSeconds: 6000, timeScale: 0.01 });
    expect(limits.effective).toMatchObject({ requests: 5, windowMs: 60_000 });
    const statuses: number[] = [];
    let retryAfter = '';
    for (let i = 0; i < 7; i++) {
      const res = await api.get('currencies?$top=1');
      statuses.push(res.status);
      if (res.status === 429) {
        retryAfter = res.headers.get('retry-after') ?? '';
        expect(res.json.error.code).toBe('Application_TooManyRequests');
      }
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429]);
    // Whole seconds, never beyond the scaled window.
    expect(retryAfter).toMatch(/^\d+$/);
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
    expect(Number(retryAfter)).toBeLessThanOrEqual(60);
  });

  it('queues requests beyond the concurrent ones and refuses those beyond the queue with 429', async () => {
    await admin(bc.url, 'limits', { concurrency: true, maxConcurrent: 1, maxQueued: 1 });
    bc.faults.set({ latencyMs: 1500 });
    const statuses = (await Promise.all([1, 2, 3].map(() => api.get('currencies?$top=1')))).map(
      (r) => r.status,
    );
    // One processed, one waited in the queue and was processed after it, one found the queue full.
    expect(statuses.sort()).toEqual([200, 200, 429]);
  });

  it('answers 503 to a queued request that gets no slot within the operation timeout', async () => {
    await admin(bc.url, 'limits', {
      concurrency: true,
      maxConcurrent: 1,
      maxQueued: 5,
      queueTimeoutSeconds: 0.2,
    });
    bc.faults.set({ latencyMs: 3000 });
    const answers = await Promise.all([1, 2].map(() => api.get('currencies?$top=1')));
    expect(answers.map((r) => r.status).sort()).toEqual([200, 503]);
  });

  it('can be turned off for a benchmark of the emulator itself', async () => {
    const off = await startBcEmulator({ port: 0, seed: 'empty', limits: false });
    try {
      expect(off.limits.settings.enabled).toBe(false);
    } finally {
      await off.stop();
    }
  });
});

describe('Dataverse service protection', () => {
  // "Service protection API limits": per user, 6,000 requests and 20 minutes (1,200 s) of combined execution
  // time within a 5-minute sliding window, 52 concurrent requests; 429 with Retry-After in seconds and the
  // error codes 0x80072322, 0x80072321, 0x80072326.
  // https://learn.microsoft.com/power-apps/developer/data-platform/api-limits
  it('is on by default with the documented per-user figures', async () => {
    const limits = await admin(dv.url, 'limits');
    expect(limits.settings).toMatchObject({
      enabled: true,
      requests: 6000,
      windowSeconds: 300,
      maxConcurrent: 52,
      maxQueued: 0,
      executionTimeSeconds: 1200,
    });
    const res = await dvGet('transactioncurrencies?$select=isocurrencycode');
    expect(res.status).toBe(200);
    expect(Number(res.headers.get('x-ms-ratelimit-burst-remaining-xrm-requests'))).toBeGreaterThan(5000);
  });

  it('answers 429 0x80072322 with Retry-After above the number of requests', async () => {
    await admin(dv.url, 'limits', { requests: 3 });
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push(await dvGet('transactioncurrencies?$select=isocurrencycode'));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 429]);
    expect(answers[3].json.error.code).toBe('0x80072322');
    expect(answers[3].json.error.message).toContain('Number of requests exceeded the limit of 3');
    expect(Number(answers[3].headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  });

  it('answers 429 0x80072326 at once above the concurrent requests, without queueing', async () => {
    await admin(dv.url, 'limits', { concurrency: true, maxConcurrent: 2 });
    dv.faults.set({ latencyMs: 1500 });
    const answers = await Promise.all([1, 2, 3].map(() => dvGet('transactioncurrencies?$top=1')));
    expect(answers.map((a) => a.status).sort()).toEqual([200, 200, 429]);
    const refused = answers.find((a) => a.status === 429)!;
    expect(refused.json.error.code).toBe('0x80072326');
    expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
  });

  it('answers 429 0x80072321 once the combined execution time of the window is spent', async () => {
    // 1 s of execution time; each request takes at least the 600 ms of injected latency.
    await admin(dv.url, 'limits', { executionTimeSeconds: 1 });
    dv.faults.set({ latencyMs: 600 });
    const answers = [];
    for (let i = 0; i < 3; i++) answers.push(await dvGet('transactioncurrencies?$top=1'));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 429]);
    expect(answers[2].json.error.code).toBe('0x80072321');
  });
});

describe('connectors under the limits', () => {
  // Both pages say the client must wait the Retry-After (Dataverse) or retry with a cool-off period (BC).
  it('wait the limits out: every read succeeds and some were throttled on the way', async () => {
    // 10 requests per 3 s window on each side, the real 429 + Retry-After, honoured exactly.
    await admin(bc.url, 'limits', { requests: 1000, timeScale: 0.01 });
    await admin(dv.url, 'limits', { requests: 1000, timeScale: 0.01 });
    const options = { retry: { baseDelayMs: 5, maxDelayMs: 40, retryAfterScale: 1 } };
    const bcc = createBcClient(bcConfig(bc), http, options);
    const dvc = createDataverseClient(dataverseConfig(dv), http, options);
    const throttled = (): [number, number] => [
      bc.state.stats.snapshot().byStatus['429'] ?? 0,
      dv.stats.snapshot().byStatus['429'] ?? 0,
    ];
    const before = throttled();
    for (let i = 0; i < 14; i++)
      expect((await collect(bcc.readPages('currencies', { pageSize: 50 }))).length).toBeGreaterThan(0);
    for (let i = 0; i < 14; i++) {
      const pages = await collect(dvc.readPages('transactioncurrencies', { pageSize: 50 }));
      expect(pages.length).toBeGreaterThan(0);
    }
    const after = throttled();
    expect(after[0]).toBeGreaterThan(before[0]);
    expect(after[1]).toBeGreaterThan(before[1]);
  });
});

describe('bcsync emulate', () => {
  beforeAll(() => assertBuilt());

  it('refuses a time scale outside 0..1 with exit code 2, naming the option', async () => {
    const run = await bcsync(['emulate', '--limits-time-scale', '2']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      "option '--limits-time-scale <s>' argument '2' is invalid. It must be a number from 0.0001 to 1.",
    );
  });

  it('serves both emulators with the limits scaled down and realistic latency', async () => {
    const child = spawn(
      process.execPath,
      [
        join(__dirname, '..', '..', 'bin', 'bcsync.js'),
        'emulate',
        '--bc-port',
        '0',
        '--dataverse-port',
        '0',
        '--limits-time-scale',
        '0.01',
        '--realistic-latency',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    try {
      let out = '';
      const urls = await new Promise<string[]>((resolve, reject) => {
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          const bcUrl = /Business Central API v2\.0: (http:\/\/[^/\s]+)/.exec(out)?.[1];
          const dvUrl = /Dataverse Web API v9\.2: +(http:\/\/[^/\s]+)/.exec(out)?.[1];
          if (bcUrl && dvUrl) resolve([bcUrl, dvUrl]);
        });
        child.once('exit', (code) => reject(new Error(`emulate exited with ${code}: ${out}`)));
      });
      for (const url of urls) {
        const limits = await admin(url, 'limits');
        expect(limits.settings.timeScale).toBe(0.01);
        expect(limits.effective.requests).toBe(60);
        expect((await admin(url, 'faults')).realisticLatency).toBe(true);
      }
    } finally {
      child.kill('SIGTERM');
    }
  });
});
