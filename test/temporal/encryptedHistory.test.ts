// Encrypted payloads end to end on the real dev server: a SALESPEOPLE run fails on a request whose URL
// filtered on e-mail addresses (the incident in issue 11). `temporal workflow show` of that history shows
// only encrypted payloads and no address; through `bcsync codec-server` (the real binary) the same
// history decodes, and the failure names the entity set, not the filter.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { Client, type Connection } from '@temporalio/client';
import { DefaultLogger, Runtime, Worker, type NativeConnection } from '@temporalio/worker';
import { apiErrorFromResponse } from '../../activities/connectors/apiError';
import { classifyFailure } from '../../activities/syncActivities';
import { clientOptions, connectClient, connectWorker, temporalConnection } from '../../temporal/connection';
import { entryWorkflowId } from '../../common/jobQueue';
import { binaries } from '../../devservers/paths';
import { jobQueueEntry } from '../../workflows';
import { eventually, scriptedEngine, statusOf } from '../workflows/entryTestKit';
import { testSettings } from '../support/settings';

const exec = promisify(execFile);
const address = process.env.TEMPORAL_ADDRESS;
const describeWithServer = address ? describe : describe.skip;
const root = join(__dirname, '..', '..');

const emails = "email eq 'anna.lindqvist@contoso.com' or email eq 'bjorn.berg@contoso.com'";
const failingUrl =
  'https://bc.contoso.test/api/v2.0/companies(4fa2a9a5-8c5a-ef11-bfe4-6045bde9c4a1)/salespeoplePurchasers' +
  `?$filter=${encodeURIComponent(emails)}`;

interface JsonPayload {
  path: string;
  metadata: Record<string, string>;
  data?: string;
}

/**
 * Every Temporal payload in a `temporal workflow show -o json` document, except search attributes: the
 * server indexes those, so no codec touches them (they hold entry state and counts, no record values).
 */
function payloadsIn(value: unknown, path = '', out: JsonPayload[] = []): JsonPayload[] {
  if (Array.isArray(value)) value.forEach((v, i) => payloadsIn(v, `${path}[${i}]`, out));
  else if (value && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    if (o.metadata && typeof o.metadata === 'object' && 'encoding' in (o.metadata as object))
      out.push({ path, ...(o as Omit<JsonPayload, 'path'>) });
    else
      for (const [k, v] of Object.entries(o))
        if (k !== 'searchAttributes') payloadsIn(v, `${path}.${k}`, out);
  }
  return out;
}

describeWithServer('encrypted payloads on a Temporal dev server', () => {
  const env = {
    ...process.env,
    BCSYNC_CODEC_KEYS: `2026-12:${randomBytes(32).toString('base64')}`,
    BCSYNC_CODEC_SERVER_TOKEN: randomBytes(24).toString('hex'),
  };
  const settings = temporalConnection(testSettings(env));
  let connection: Connection;
  let nativeConnection: NativeConnection;
  let codecServer: ChildProcess | undefined;

  beforeAll(async () => {
    try {
      Runtime.install({ logger: new DefaultLogger('WARN') });
    } catch {
      // installed by another test file in this jest worker
    }
    connection = await connectClient(settings);
    nativeConnection = await connectWorker(settings);
  });

  afterAll(async () => {
    codecServer?.kill('SIGTERM');
    await nativeConnection?.close();
    await connection?.close();
  });

  it('stores a failed run encrypted, and `bcsync codec-server` decodes it for the CLI and the UI', async () => {
    expect(settings.encrypted).toBe(true);
    const client = new Client({ connection, ...clientOptions(settings) });
    const taskQueue = `encrypted-${randomUUID()}`;
    const workflowId = entryWorkflowId('SALESPEOPLE', `encrypted-${randomUUID()}`);
    const engine = scriptedEngine(() => {
      throw classifyFailure(
        apiErrorFromResponse({
          system: 'bc',
          method: 'GET',
          url: failingUrl,
          status: 400,
          bodyText: JSON.stringify({ error: { code: 'BadRequest', message: 'Invalid filter expression.' } }),
        }),
        'SALESPEOPLE',
      );
    });
    const worker = await Worker.create({
      connection: nativeConnection,
      namespace: settings.namespace,
      taskQueue,
      workflowBundle: { codePath: join(root, 'dist', 'workflow-bundle.js') },
      dataConverter: settings.dataConverter,
      activities: engine.activities,
    });
    await worker.runUntil(async () => {
      const handle = await client.workflow.start(jobQueueEntry, {
        taskQueue,
        workflowId,
        args: [{ entry: 'SALESPEOPLE', mappings: ['SALESPEOPLE'] }],
      });
      const failed = await eventually('the failed run', statusOf(handle), (s) => s.lastError !== null);
      // Our own client reads it back in clear.
      expect(failed.lastError?.message).toMatch(
        /Business Central GET \/api\/v2\.0\/companies\(4fa2a9a5-8c5a-ef11-bfe4-6045bde9c4a1\)\/salespeoplePurchasers failed \(validation, HTTP 400 BadRequest\): Invalid filter expression/,
      );
      await handle.terminate('test finished');
    });

    const show = async (...extra: string[]) =>
      (
        await exec(
          binaries(testSettings().dev.cacheDir).temporal,
          ['workflow', 'show', '--address', address!, '-w', workflowId, '-o', 'json', ...extra],
          { maxBuffer: 64 * 1024 * 1024 },
        )
      ).stdout;

    const raw = await show();
    expect(raw).toMatch(/ACTIVITY_TASK_FAILED|ActivityTaskFailed/);
    const rawPayloads = payloadsIn(JSON.parse(raw));
    expect(rawPayloads.length).toBeGreaterThan(3);
    const plainPayloads = rawPayloads
      .filter((p) => Buffer.from(p.metadata.encoding!, 'base64').toString() !== 'binary/encrypted')
      .map((p) => p.path);
    expect(plainPayloads).toEqual([]);
    expect(raw).not.toMatch(/contoso\.com|salespeoplePurchasers|Invalid filter/);
    expect(raw).toContain('Encoded failure');

    codecServer = spawn(process.execPath, [join(root, 'bin', 'bcsync.js'), 'codec-server', '--port', '0'], {
      env,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const url = await new Promise<string>((resolve, reject) => {
      codecServer!.once('exit', (code) => reject(new Error(`codec-server exited ${code}`)));
      createInterface({ input: codecServer!.stdout! }).on('line', (line) => {
        const m = /listening on (http:\/\/\S+)/.exec(line);
        if (m) resolve(m[1]!);
      });
    });

    const decodedPayloads = payloadsIn(
      JSON.parse(
        await show('--codec-endpoint', url, '--codec-auth', `Bearer ${env.BCSYNC_CODEC_SERVER_TOKEN}`),
      ),
    );
    expect(
      decodedPayloads.filter((p) => Buffer.from(p.metadata.encoding!, 'base64').toString() !== 'json/plain'),
    ).toEqual([]);
    const decoded = decodedPayloads.map((p) => Buffer.from(p.data ?? '', 'base64').toString()).join('\n');
    expect(decoded).toContain('salespeoplePurchasers failed (validation, HTTP 400 BadRequest)');
    expect(decoded).toContain('SALESPEOPLE');
    // The failure names the entity set; the filter with the addresses never reached the history.
    expect(decoded).not.toMatch(/contoso\.com|filter=/);

    // The Web UI's way: token in the endpoint path, a CORS preflight from the UI's origin.
    const body = JSON.stringify({
      payloads: rawPayloads.slice(0, 1).map(({ metadata, data }) => ({ metadata, data })),
    });
    const uiOrigin = { Origin: 'http://localhost:8233' };
    const preflight = await fetch(`${url}/${env.BCSYNC_CODEC_SERVER_TOKEN}/decode`, {
      method: 'OPTIONS',
      headers: { ...uiOrigin, 'Access-Control-Request-Method': 'POST' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('http://localhost:8233');
    const fromUi = await fetch(`${url}/${env.BCSYNC_CODEC_SERVER_TOKEN}/decode`, {
      method: 'POST',
      headers: { ...uiOrigin, 'Content-Type': 'application/json', 'X-Namespace': 'default' },
      body,
    });
    expect(fromUi.status).toBe(200);
    const [plain] = ((await fromUi.json()) as { payloads: { metadata: Record<string, string> }[] }).payloads;
    expect(Buffer.from(plain!.metadata.encoding!, 'base64').toString()).toBe('json/plain');
    // Without the token, or from another origin: nothing decoded.
    const noToken = await fetch(`${url}/decode`, { method: 'POST', headers: uiOrigin, body });
    expect(noToken.status).toBe(401);
    const otherOrigin = await fetch(`${url}/${env.BCSYNC_CODEC_SERVER_TOKEN}/decode`, {
      method: 'POST',
      headers: { Origin: 'https://evil.example' },
      body,
    });
    expect(otherOrigin.status).toBe(403);
  });
});

test('`bcsync codec-server` refuses to start without a token or with a bad key, naming the setting', async () => {
  const run = async (env: NodeJS.ProcessEnv) => {
    try {
      await exec(process.execPath, [join(root, 'bin', 'bcsync.js'), 'codec-server', '--port', '0'], {
        env: { ...process.env, BCSYNC_CODEC_KEYS: '', BCSYNC_CODEC_SERVER_TOKEN: '', ...env },
      });
      return { code: 0, stderr: '' };
    } catch (err) {
      return err as { code: number; stderr: string };
    }
  };
  const noToken = await run({ BCSYNC_CODEC_KEYS: `k:${randomBytes(32).toString('base64')}` });
  expect(noToken.code).toBe(1);
  expect(noToken.stderr).toMatch(/BCSYNC_CODEC_SERVER_TOKEN must be set/);
  const shortKey = randomBytes(8).toString('base64');
  const badKey = await run({ BCSYNC_CODEC_KEYS: `k:${shortKey}`, BCSYNC_CODEC_SERVER_TOKEN: 'x'.repeat(20) });
  expect(badKey.code).toBe(1);
  expect(badKey.stderr).toMatch(/BCSYNC_CODEC_KEYS: key "k" is 8 bytes, AES-256 needs 32/);
  expect(badKey.stderr).not.toContain(shortKey);
  const noKeys = await run({ BCSYNC_CODEC_SERVER_TOKEN: 'x'.repeat(20) });
  expect(noKeys.stderr).toMatch(/no payload keys: set BCSYNC_CODEC_KEYS or BCSYNC_CODEC_KEYS_FILE/);
});
