// Secrets through the real `bcsync` binary: a MongoDB URI with a password and secret options (a TLS key
// file password, an AWS session token) never reaches servers.json, the terminal or an error message,
// and servers.json is readable by its owner only.
import { chmodSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertBuilt, bcsync } from './bcsyncBinary';

const PASSWORD = 'pw-Hunter2-secret';
const KEY_PASSWORD = 'keyfile-pass-77';
const SESSION_TOKEN = 'FwoGZXIvYXdzEsessiontoken';
const SECRETS = [PASSWORD, KEY_PASSWORD, SESSION_TOKEN];
// Nothing listens on port 1: `servers up` records it (route env), other commands fail to connect.
const SECRET_URI =
  `mongodb://bcsync:${PASSWORD}@127.0.0.1:1/?tls=true&tlsCertificateKeyFilePassword=${KEY_PASSWORD}` +
  `&authMechanismProperties=SERVICE_NAME:mongodb,AWS_SESSION_TOKEN:${SESSION_TOKEN}&appName=bcsync`;
const MASKED_URI =
  'mongodb://bcsync:***@127.0.0.1:1/?tls=true&tlsCertificateKeyFilePassword=***' +
  '&authMechanismProperties=SERVICE_NAME:mongodb,AWS_SESSION_TOKEN:***&appName=bcsync';

const expectNoSecret = (text: string) => {
  for (const secret of SECRETS) expect(text).not.toContain(secret);
};

beforeAll(assertBuilt);

test('`servers up` with a secret MONGODB_URI: servers.json is 0600 and holds no secret; up and status print it masked', async () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'bcsync-secrets-'));
  // A servers.json from an older bcsync, readable by everyone: `up` replaces it.
  writeFileSync(join(stateDir, 'servers.json'), '{}');
  chmodSync(join(stateDir, 'servers.json'), 0o644);
  const env = { BCSYNC_STATE_DIR: stateDir, TEMPORAL_ADDRESS: '127.0.0.1:1', MONGODB_URI: SECRET_URI };

  const up = await bcsync(['servers', 'up'], env);
  expect(up.stderr).toBe('');
  expect(up.code).toBe(0);
  expect(up.stdout).toContain(`MONGODB_URI=${MASKED_URI}`);
  expectNoSecret(up.stdout);

  const file = join(stateDir, 'servers.json');
  expect(statSync(file).mode & 0o777).toBe(0o600);
  const saved = readFileSync(file, 'utf8');
  expectNoSecret(saved);
  expect(saved).toContain(MASKED_URI);

  const table = await bcsync(['servers', 'status'], env);
  expect(table.code).toBe(0);
  expectNoSecret(table.stdout);
  expect(table.stdout).toContain('bcsync:***@127.0.0.1:1');
  const json = await bcsync(['servers', 'status', '--json'], env);
  expect(json.code).toBe(0);
  expect(
    (JSON.parse(json.stdout) as { kind: string; address: string }[]).find((r) => r.kind === 'mongo'),
  ).toMatchObject({
    address: MASKED_URI,
  });

  // The recorded (masked) URI is never used to connect: without MONGODB_URI the default applies.
  expect((await bcsync(['servers', 'env'], { ...env, MONGODB_URI: undefined })).stdout).not.toContain(
    'MONGODB_URI',
  );
});

test('a MongoDB connection error names the server with its secrets masked', async () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'bcsync-secrets-'));
  const failed = await bcsync(['log'], { BCSYNC_STATE_DIR: stateDir, MONGODB_URI: SECRET_URI });
  expect(failed.code).toBe(1);
  expect(failed.stderr).toContain(`cannot connect to MongoDB at ${MASKED_URI}`);
  expectNoSecret(failed.stderr + failed.stdout);
});
