// A throw-away certificate authority for the local Temporal cluster's frontend TLS (and the mTLS client
// of a test): made on the spot with the `openssl` command, valid for two days, never committed. Real
// deployments bring their own certificates (README "Connecting to Temporal").
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { onPath } from './binaryLookup';

export interface ClusterCertificates {
  dir: string;
  /** The name the frontend's certificate is issued to (TEMPORAL_TLS_SERVER_NAME). */
  serverName: string;
  caCert: string;
  serverCert: string;
  serverKey: string;
  /** A client certificate of the same CA, for a frontend that requires client certificates (mTLS). */
  clientCert: string;
  clientKey: string;
}

export const DEFAULT_FRONTEND_SERVER_NAME = 'frontend.temporal.bcsync.test';

function openssl(args: string[], cwd: string, path: string): void {
  const bin = onPath('openssl', path);
  if (!bin) throw new Error('the `openssl` command is needed to make the test CA: apt-get install openssl');
  const res = spawnSync(bin, args, { cwd, encoding: 'utf8' });
  if (res.status !== 0)
    throw new Error(`\`openssl ${args.join(' ')}\` failed: ${res.stderr || res.error?.message}`);
}

/** A P-256 key and a certificate for `subject`, signed by the CA in `dir`, with the given extensions. */
function issue(dir: string, path: string, name: string, subject: string, extensions: string[]): void {
  openssl(
    [
      'req',
      '-new',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.csr`,
      '-subj',
      subject,
    ],
    dir,
    path,
  );
  writeFileSync(join(dir, `${name}.ext`), `${extensions.join('\n')}\n`);
  openssl(
    [
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-days',
      '2',
      '-sha256',
      '-extfile',
      `${name}.ext`,
      '-out',
      `${name}.pem`,
    ],
    dir,
    path,
  );
  chmodSync(join(dir, `${name}.key`), 0o600);
}

/**
 * A CA, a frontend certificate for `serverName`, localhost and 127.0.0.1, and a client certificate, in
 * `dir` (created; keys 0600).
 */
export function makeClusterCertificates(
  dir: string,
  /** PATH, to find `openssl` (DevSettings.path). */
  path: string,
  serverName = DEFAULT_FRONTEND_SERVER_NAME,
): ClusterCertificates {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  openssl(
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      'ca.key',
      '-out',
      'ca.pem',
      '-days',
      '2',
      '-sha256',
      '-subj',
      '/O=bcsync/CN=bcsync local cluster CA',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ],
    dir,
    path,
  );
  chmodSync(join(dir, 'ca.key'), 0o600);
  issue(dir, path, 'frontend', `/O=bcsync/CN=${serverName}`, [
    'basicConstraints=CA:FALSE',
    'keyUsage=critical,digitalSignature',
    // The cluster's own services connect to the frontend with this certificate too.
    'extendedKeyUsage=serverAuth,clientAuth',
    `subjectAltName=DNS:${serverName},DNS:localhost,IP:127.0.0.1`,
  ]);
  issue(dir, path, 'client', '/O=bcsync/CN=bcsync worker', [
    'basicConstraints=CA:FALSE',
    'keyUsage=critical,digitalSignature',
    'extendedKeyUsage=clientAuth',
  ]);
  return {
    dir,
    serverName,
    caCert: join(dir, 'ca.pem'),
    serverCert: join(dir, 'frontend.pem'),
    serverKey: join(dir, 'frontend.key'),
    clientCert: join(dir, 'client.pem'),
    clientKey: join(dir, 'client.key'),
  };
}
