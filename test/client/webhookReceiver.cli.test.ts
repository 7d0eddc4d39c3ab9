// The webhook receiver of `bcsync webhooks`, through the real binary, against the BC emulator (which
// makes the subscriptions and their handshakes): the limits a public endpoint needs. An oversized body is
// answered 413 (not a connection reset), only JSON is taken, the echoed validationToken is plain text
// that no browser sniffs and has a length limit, and a caller without the clientState learns nothing
// about the notification schema.
import { request } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { emulatorConnectorEnv } from '../../client/emulatorConnection';
import type { Database } from '../../activities/store/database';
import { WebhookSubscriptionStore } from '../../activities/store/webhookSubscriptions';
import { startEmulators, type RunningEmulators } from '../../emulators';
import { testDatabase } from '../support/database';
import { assertBuilt, startBcsync, type RunningBcsync } from './bcsyncBinary';

let emulators: RunningEmulators;
let database: Database;
let receiver: RunningBcsync;
let notificationUrl: string;
let dir: string;

beforeAll(async () => {
  assertBuilt();
  emulators = await startEmulators({ bcPort: 0, dataversePort: 0, seed: 'empty', webhookCoalesceMs: 0 });
  database = await testDatabase('receiver');
  dir = mkdtempSync(join(tmpdir(), 'bcsync-receiver-'));
  receiver = startBcsync(['webhooks', '--port', '0', '--crm-poll-seconds', '0', '--bc-poll-seconds', '0'], {
    ...emulatorConnectorEnv(emulators),
    BCSYNC_DB_NAME: database.db.databaseName,
    BCSYNC_STATE_DIR: dir,
  });
  [, notificationUrl] = (await receiver.waitFor(/BC calls (\S+);/, 120_000)) as [string, string];
}, 180_000);
afterAll(async () => {
  expect(await receiver?.stop()).toBe(0);
  await emulators?.stop();
  await database?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A POST with node:http, so the test controls the headers and how the body is sent. */
function post(
  body: Buffer | Buffer[],
  headers: Record<string, string | number>,
): Promise<{ status: number; headers: Record<string, unknown>; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(notificationUrl, { method: 'POST', headers }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, text }));
    });
    // The answer may come before the whole body is sent: what counts is that it comes.
    req.on('error', reject);
    for (const chunk of Array.isArray(body) ? body : [body]) req.write(chunk);
    req.end();
  });
}

const json = { 'Content-Type': 'application/json' };

test('a 50 MB body is answered 413, with or without a Content-Length, not with a reset', async () => {
  const big = Buffer.alloc(50 * 1024 * 1024, 0x20);
  const declared = await post(big, { ...json, 'Content-Length': big.length });
  expect(declared.status).toBe(413);
  expect(declared.headers['x-content-type-options']).toBe('nosniff');
  expect(JSON.parse(declared.text)).toMatchObject({ error: { code: 'PayloadTooLarge' } });
  const chunks = Array.from({ length: 50 }, () => Buffer.alloc(1024 * 1024, 0x20));
  const chunked = await post(chunks, { ...json, 'Transfer-Encoding': 'chunked' });
  expect(chunked.status).toBe(413);
  // The receiver still answers afterwards.
  expect((await post(Buffer.from('{}'), json)).status).toBe(400);
});

test('only application/json is taken', async () => {
  const text = await post(Buffer.from('{"value":[]}'), { 'Content-Type': 'text/plain' });
  expect(text.status).toBe(415);
  expect((await post(Buffer.from('{"value":[]}'), {})).status).toBe(415);
});

test('the validationToken is echoed as plain text with nosniff, and only up to 1,024 characters', async () => {
  const token = '<script>alert(1)</script>';
  const ok = await fetch(`${notificationUrl}?validationToken=${encodeURIComponent(token)}`, {
    method: 'POST',
  });
  expect(ok.status).toBe(200);
  expect(ok.headers.get('content-type')).toMatch(/^text\/plain/);
  expect(ok.headers.get('x-content-type-options')).toBe('nosniff');
  expect(await ok.text()).toBe(token);
  const long = 'A'.repeat(1025);
  const refused = await fetch(`${notificationUrl}?validationToken=${long}`, { method: 'POST' });
  expect(refused.status).toBe(400);
  expect(await refused.text()).not.toContain(long);
});

test('schema details go only to a caller that has the clientState', async () => {
  const malformed = (clientState?: string) =>
    Buffer.from(JSON.stringify({ value: [{ subscriptionId: 's', clientState, changeType: 'moved' }] }));
  const stranger = await post(malformed('guess'), json);
  expect(stranger.status).toBe(400);
  expect(JSON.parse(stranger.text)).toEqual({
    error: { code: 'BadRequest', message: 'not a Business Central notification' },
  });
  const secret = await new WebhookSubscriptionStore(database.db).clientState();
  const owner = await post(malformed(secret), json);
  expect(owner.status).toBe(400);
  expect(owner.text).toMatch(/resource/);
  expect(owner.text).toMatch(/changeType/);
});
