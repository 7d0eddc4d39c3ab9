// The one configuration module (config/settings.ts): every variable read and validated there, the README
// tables in step with it, and a wrong value named with what to set (never echoed).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ALL_VARIABLES, readSettings, requireConnectors, SettingsError } from '../../config/settings';

function readmeVariables(): string[] {
  const readme = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('\n## Configuration'), readme.indexOf('\n## Libraries'));
  const names = new Set<string>();
  for (const line of section.split('\n')) {
    const first = line.startsWith('|') ? line.split('|')[1]! : '';
    for (const m of first.matchAll(/`([A-Z][A-Z0-9_]+)`/g)) names.add(m[1]!);
  }
  return [...names].sort();
}

test('the README configuration tables list exactly the variables config/settings.ts reads', () => {
  const documented = readmeVariables();
  expect(documented.length).toBeGreaterThan(40);
  expect(documented).toEqual([...ALL_VARIABLES].sort());
});

test('defaults: nothing is required for the local run', () => {
  const s = readSettings({});
  expect(s).toMatchObject({
    temporal: { namespace: 'default' },
    mongo: { dbName: 'bcsync' },
    logLevel: 'info',
    worker: { activityConcurrency: 20, maxCachedWorkflows: 20, heapMb: 512, memoryTrimSeconds: 30 },
    wakeups: { host: '127.0.0.1', port: 7050, crmPollSeconds: 60 },
    start: {
      statusIntervalSeconds: 15,
      emulatorWebhookCoalesceMs: 1000,
      emulatorBcPort: 7048,
      emulatorDataversePort: 7049,
    },
    dev: { temporalPort: 7233, temporalUiPort: 8233, mongoPort: 27027 },
    emulators: { tenant: 'bcsync-demo', clientId: 'bcsync-demo-client' },
    http: { timeoutMs: 120000, retry: { maxAttempts: 8, maxElapsedMs: 120000, baseDelayMs: 500 } },
    connectorsGiven: false,
  });
  expect(s.temporal.address).toBeUndefined();
  expect(s.mongo.uri).toBeUndefined();
  // A worker starts without connector settings; the first sync fails naming what is missing.
  expect(() => requireConnectors(s)).toThrow(/BCSYNC_BC_TENANT is not set/);
});

test('values from the environment are typed', () => {
  const s = readSettings({
    TEMPORAL_ADDRESS: 'temporal.contoso.internal:7233',
    TEMPORAL_NAMESPACE: 'bcsync-prod',
    MONGODB_URI: 'mongodb+srv://bcsync:s3cret@cluster0.contoso.mongodb.net/',
    BCSYNC_WORKER_ACTIVITY_CONCURRENCY: '8',
    BCSYNC_LOG_LEVEL: 'debug',
    BCSYNC_CRM_POLL_SECONDS: '0',
    BCSYNC_DATAVERSE_URL: 'https://contoso.crm4.dynamics.com',
  });
  expect(s.temporal).toEqual({ address: 'temporal.contoso.internal:7233', namespace: 'bcsync-prod' });
  expect(s.worker.activityConcurrency).toBe(8);
  expect(s.logLevel).toBe('debug');
  expect(s.wakeups.crmPollSeconds).toBe(0);
  expect(s.connectorsGiven).toBe(true);
});

test('every invalid value is named at once, with what to set, and never echoed', () => {
  let error: unknown;
  try {
    readSettings({
      BCSYNC_WORKER_ACTIVITY_CONCURRENCY: 'abc',
      BCSYNC_LOG_LEVEL: 'verbose',
      BCSYNC_WEBHOOK_PORT: '70000',
      BCSYNC_HTTP_TIMEOUT_MS: '-1',
      MONGODB_URI: 'postgres://admin:hunter2@db/',
    });
  } catch (err) {
    error = err;
  }
  expect(error).toBeInstanceOf(SettingsError);
  const message = (error as Error).message;
  for (const name of [
    'BCSYNC_WORKER_ACTIVITY_CONCURRENCY',
    'BCSYNC_LOG_LEVEL',
    'BCSYNC_WEBHOOK_PORT',
    'BCSYNC_HTTP_TIMEOUT_MS',
    'MONGODB_URI',
  ])
    expect(message).toMatch(new RegExp(`${name} is invalid .*: set it to `));
  expect(message).not.toContain('hunter2');
  expect(message).not.toContain('verbose');
});

test("the worker's metrics and health addresses are host:port", () => {
  expect(
    readSettings({ BCSYNC_METRICS_ADDRESS: '0.0.0.0:9464', BCSYNC_HEALTH_ADDRESS: '[::1]:9465' }).worker,
  ).toMatchObject({ metricsAddress: '0.0.0.0:9464', healthAddress: '[::1]:9465' });
  expect(readSettings({}).worker.metricsAddress).toBeUndefined();
  expect(() => readSettings({ BCSYNC_METRICS_ADDRESS: 'localhost' })).toThrow(
    /BCSYNC_METRICS_ADDRESS is invalid \(expected host:port\)/,
  );
  expect(() => readSettings({ BCSYNC_HEALTH_ADDRESS: '127.0.0.1:70000' })).toThrow(
    /BCSYNC_HEALTH_ADDRESS is invalid \(port above 65535\)/,
  );
});
