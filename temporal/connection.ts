// How every bcsync process (CLI, worker, webhook receiver, console, `npm start`) connects to Temporal:
// the settings of config/temporalSettings.ts (Temporal's own env-config: address, namespace, API key,
// TLS / mTLS, profile file) and the payload codec of the codec keys, in one place.
import { Connection, type DataConverter } from '@temporalio/client';
import type { TLSConfig } from '@temporalio/common/lib/internal-non-workflow';
import { NativeConnection } from '@temporalio/worker';
import type { Settings } from '../config/settings';
import { codecDataConverter } from './payloadCodec';

export const DEFAULT_TEMPORAL_ADDRESS = '127.0.0.1:7233';

/** A resolved connection: the settings plus the address found (a running `bcsync servers up`, ...). */
export interface TemporalConnection {
  address: string;
  namespace: string;
  apiKey?: string;
  tls?: TLSConfig | boolean;
  metadata?: Record<string, string>;
  /** Failure converter, and the payload codec when keys are set (temporal/payloadCodec.ts). */
  dataConverter: DataConverter;
  /** Payloads are encrypted (BCSYNC_CODEC_KEYS / BCSYNC_CODEC_KEYS_FILE). */
  encrypted: boolean;
}

export class TemporalConnectionError extends Error {
  override name = 'TemporalConnectionError';
}

/** The connection of `settings`, at `address` when the settings name none. */
export function temporalConnection(
  settings: Pick<Settings, 'temporal' | 'codec'>,
  address = settings.temporal.address ?? DEFAULT_TEMPORAL_ADDRESS,
): TemporalConnection {
  const { namespace, apiKey, tls, metadata } = settings.temporal;
  return {
    address,
    namespace,
    ...(apiKey ? { apiKey } : {}),
    ...(tls !== undefined ? { tls } : {}),
    ...(metadata ? { metadata } : {}),
    dataConverter: codecDataConverter(settings.codec.keys),
    encrypted: settings.codec.keys.length > 0,
  };
}

/** For messages and logs: where and how, never the key or certificate contents. */
export function describeTemporal(s: TemporalConnection): string {
  const how = [
    s.tls ? (typeof s.tls === 'object' && s.tls.clientCertPair ? 'mTLS' : 'TLS') : 'plaintext',
    ...(s.apiKey ? ['API key'] : []),
    ...(s.encrypted ? ['encrypted payloads'] : []),
  ];
  return `${s.address} namespace ${s.namespace} (${how.join(', ')})`;
}

function connectionOptions(s: TemporalConnection) {
  return {
    address: s.address,
    ...(s.tls !== undefined ? { tls: s.tls } : {}),
    ...(s.apiKey ? { apiKey: s.apiKey } : {}),
    ...(s.metadata ? { metadata: s.metadata } : {}),
  };
}

const unreachable = (s: TemporalConnection, err: unknown) =>
  new TemporalConnectionError(
    `cannot reach Temporal at ${describeTemporal(s)}: ${(err as Error).message}; run \`bcsync servers up\` or set TEMPORAL_ADDRESS (README "Connecting to Temporal")`,
  );

/** A client connection (CLI, webhook receiver, console, start); the message names what was tried. */
export async function connectClient(
  s: TemporalConnection,
  opts: { connectTimeout?: '5s' | '10s' } = {},
): Promise<Connection> {
  try {
    return await Connection.connect({
      ...connectionOptions(s),
      connectTimeout: opts.connectTimeout ?? '10s',
    });
  } catch (err) {
    throw unreachable(s, err);
  }
}

/** A worker connection. */
export async function connectWorker(s: TemporalConnection): Promise<NativeConnection> {
  try {
    return await NativeConnection.connect(connectionOptions(s));
  } catch (err) {
    throw unreachable(s, err);
  }
}

/** Options for `new Client({ connection, ...clientOptions(s) })`. */
export function clientOptions(s: TemporalConnection): { namespace: string; dataConverter: DataConverter } {
  return { namespace: s.namespace, dataConverter: s.dataConverter };
}
