// Temporal's own connection conventions (the SDK's env-config): the same variables and profile file the
// `temporal` CLI reads configure every bcsync process (config/temporalSettings.ts, temporal/connection.ts).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readSettings, SettingsError, type Env } from '../../config/settings';
import { describeTemporal, temporalConnection } from '../../temporal/connection';

/** As a process with `env` connects (`fallbackAddress`: a running `bcsync servers up`). */
const temporalConnectionSettings = (env: Env, fallbackAddress?: string) => {
  const settings = readSettings(env);
  return temporalConnection(settings, settings.temporal.address ?? fallbackAddress);
};

const dir = mkdtempSync(join(tmpdir(), 'bcsync-conn-'));
// No profile file from the machine running the tests.
const base = { HOME: dir, XDG_CONFIG_HOME: dir };

test('without settings: the fallback address (a running `bcsync servers up`), namespace default, plaintext', () => {
  const s = temporalConnectionSettings(base, '127.0.0.1:7999');
  expect(s).toMatchObject({ address: '127.0.0.1:7999', namespace: 'default', encrypted: false });
  expect(s.tls).toBeUndefined();
  expect(describeTemporal(s)).toBe('127.0.0.1:7999 namespace default (plaintext)');
});

test('Temporal Cloud with an API key: TLS is on, the key is sent, and never shown', () => {
  const s = temporalConnectionSettings({
    ...base,
    TEMPORAL_ADDRESS: 'eu-west-1.aws.api.temporal.io:7233',
    TEMPORAL_NAMESPACE: 'contoso-sync.a1b2c',
    TEMPORAL_API_KEY: 'eyJhbGciOi.secret-api-key',
  });
  expect(s).toMatchObject({
    address: 'eu-west-1.aws.api.temporal.io:7233',
    namespace: 'contoso-sync.a1b2c',
    apiKey: 'eyJhbGciOi.secret-api-key',
    tls: true,
  });
  expect(describeTemporal(s)).toBe(
    'eu-west-1.aws.api.temporal.io:7233 namespace contoso-sync.a1b2c (TLS, API key)',
  );
});

test('mTLS from TEMPORAL_TLS_* files: CA, client pair and server name reach the connection', () => {
  for (const f of ['ca.pem', 'client.pem', 'client.key']) writeFileSync(join(dir, f), `-----${f}-----\n`);
  const s = temporalConnectionSettings({
    ...base,
    TEMPORAL_ADDRESS: 'temporal.contoso.internal:7233',
    TEMPORAL_TLS_SERVER_CA_CERT_PATH: join(dir, 'ca.pem'),
    TEMPORAL_TLS_CLIENT_CERT_PATH: join(dir, 'client.pem'),
    TEMPORAL_TLS_CLIENT_KEY_PATH: join(dir, 'client.key'),
    TEMPORAL_TLS_SERVER_NAME: 'frontend.temporal',
  });
  expect(s.tls).toEqual({
    serverNameOverride: 'frontend.temporal',
    serverRootCACertificate: Buffer.from('-----ca.pem-----\n'),
    clientCertPair: {
      crt: Buffer.from('-----client.pem-----\n'),
      key: Buffer.from('-----client.key-----\n'),
    },
  });
  expect(describeTemporal(s)).toMatch(/\(mTLS\)$/);
});

test('a profile file (TEMPORAL_CONFIG_FILE + TEMPORAL_PROFILE), with the environment overriding it', () => {
  const file = join(dir, 'temporal.toml');
  writeFileSync(
    file,
    [
      '[profile.default]',
      'address = "localhost:7233"',
      '[profile.prod]',
      'address = "temporal.contoso.internal:7233"',
      'namespace = "bcsync-prod"',
      '[profile.prod.tls]',
      'server_name = "frontend.temporal"',
    ].join('\n'),
  );
  const prod = temporalConnectionSettings({ ...base, TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'prod' });
  expect(prod).toMatchObject({ address: 'temporal.contoso.internal:7233', namespace: 'bcsync-prod' });
  expect(prod.tls).toMatchObject({ serverNameOverride: 'frontend.temporal' });
  const overridden = temporalConnectionSettings({
    ...base,
    TEMPORAL_CONFIG_FILE: file,
    TEMPORAL_PROFILE: 'prod',
    TEMPORAL_NAMESPACE: 'bcsync-test',
  });
  expect(overridden.namespace).toBe('bcsync-test');
});

test('bad settings name what to fix', () => {
  expect(() =>
    temporalConnectionSettings({ ...base, TEMPORAL_TLS_SERVER_CA_CERT_PATH: join(dir, 'missing-ca.pem') }),
  ).toThrow(/missing-ca\.pem.*TEMPORAL_TLS_\*_PATH/);
  expect(() =>
    temporalConnectionSettings({ ...base, TEMPORAL_TLS_CLIENT_CERT_PATH: join(dir, 'client.pem') }),
  ).toThrow(/TEMPORAL_TLS_CLIENT_CERT_PATH is set but TEMPORAL_TLS_CLIENT_KEY_PATH is not/);
  expect(() => temporalConnectionSettings({ ...base, TEMPORAL_TLS: 'yes' })).toThrow(SettingsError);
  expect(() =>
    temporalConnectionSettings({
      ...base,
      TEMPORAL_PROFILE: 'nope',
      TEMPORAL_CONFIG_FILE: join(dir, 'temporal.toml'),
    }),
  ).toThrow(/Profile 'nope' not found/);
});
