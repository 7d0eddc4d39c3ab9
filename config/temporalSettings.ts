// Where and how bcsync reaches Temporal, the Temporal way: the SDK's env-config (`@temporalio/envconfig`)
// reads the profile file (TEMPORAL_CONFIG_FILE, else ~/.config/temporalio/temporal.toml; profile
// TEMPORAL_PROFILE, else "default") and the TEMPORAL_* variables over it, so a profile that works for the
// `temporal` CLI works for bcsync unchanged: the dev server, a self-hosted cluster with TLS or mTLS, and
// Temporal Cloud with an API key or a client certificate (README "Connecting to Temporal").
// Only the variables of TEMPORAL_SETTING_HINTS reach env-config (plus HOME / XDG_CONFIG_HOME / APPDATA to
// find the default profile file), so the README table stays the complete list of what bcsync reads.
import { loadClientConnectConfig } from '@temporalio/envconfig';
import type { TLSConfig } from '@temporalio/common/lib/internal-non-workflow';
import { z } from 'zod';
import type { Env, EnvReader } from './envReader';

export const TEMPORAL_SETTING_HINTS: Readonly<Record<string, string>> = {
  TEMPORAL_ADDRESS: 'host:port of the Temporal frontend (e.g. temporal.example.com:7233)',
  TEMPORAL_NAMESPACE: 'a Temporal namespace (default default)',
  TEMPORAL_API_KEY: 'a Temporal Cloud API key (or a JWT the server accepts); turns TLS on',
  TEMPORAL_TLS: 'true or false: TLS with the system roots (default: on with an API key or TLS files)',
  TEMPORAL_TLS_SERVER_CA_CERT_PATH: "the path of the PEM CA certificate of the server's certificate",
  TEMPORAL_TLS_SERVER_NAME: "the server name the frontend's certificate is checked against",
  TEMPORAL_TLS_CLIENT_CERT_PATH:
    'the path of the PEM client certificate (mTLS; with TEMPORAL_TLS_CLIENT_KEY_PATH)',
  TEMPORAL_TLS_CLIENT_KEY_PATH: 'the path of its PEM private key',
  TEMPORAL_CONFIG_FILE: 'the path of a Temporal profile file (default ~/.config/temporalio/temporal.toml)',
  TEMPORAL_PROFILE: 'a profile of that file (default default)',
};

/** What the profile file's location depends on (not bcsync settings: the user's directories). */
const PROFILE_LOCATION = ['HOME', 'XDG_CONFIG_HOME', 'APPDATA'];

export interface TemporalSettings {
  /** From TEMPORAL_ADDRESS or the profile; undefined: a running `bcsync servers up`, else 127.0.0.1:7233. */
  address?: string;
  namespace: string;
  uiUrl?: string;
  apiKey?: string;
  /** `true`: TLS with the system's roots; an object: own CA, client certificate (mTLS), server name. */
  tls?: TLSConfig | boolean;
  /** Extra gRPC headers (`grpc_meta` of the profile). */
  metadata?: Record<string, string>;
}

const tlsFlag = z.enum(['true', 'false', '1', '0']);

/** The Temporal connection settings; problems go to `r` (never a key or certificate content). */
export function readTemporalSettings(env: Env, r: EnvReader): Omit<TemporalSettings, 'uiUrl'> {
  const given: Record<string, string> = {};
  for (const name of [...Object.keys(TEMPORAL_SETTING_HINTS), ...PROFILE_LOCATION]) {
    const value = r.raw(name);
    if (value !== undefined) given[name] = value;
  }
  r.optional('TEMPORAL_TLS', tlsFlag, undefined);
  if (given.TEMPORAL_TLS_CLIENT_CERT_PATH && !given.TEMPORAL_TLS_CLIENT_KEY_PATH)
    r.problems.push(
      'TEMPORAL_TLS_CLIENT_CERT_PATH is set but TEMPORAL_TLS_CLIENT_KEY_PATH is not: mTLS needs both (set it to the path of the PEM private key)',
    );
  if (given.TEMPORAL_TLS_CLIENT_KEY_PATH && !given.TEMPORAL_TLS_CLIENT_CERT_PATH)
    r.problems.push(
      'TEMPORAL_TLS_CLIENT_KEY_PATH is set but TEMPORAL_TLS_CLIENT_CERT_PATH is not: mTLS needs both (set it to the path of the PEM client certificate)',
    );
  let config: ReturnType<typeof loadClientConnectConfig>;
  try {
    config = loadClientConnectConfig({ overrideEnvVars: given });
  } catch (err) {
    r.problems.push(
      `Temporal connection settings: ${(err as Error).message} (check TEMPORAL_CONFIG_FILE, TEMPORAL_PROFILE and the TEMPORAL_TLS_*_PATH files)`,
    );
    return { namespace: given.TEMPORAL_NAMESPACE ?? 'default' };
  }
  const { address, apiKey, tls, metadata } = config.connectionOptions;
  return {
    ...(address ? { address } : {}),
    namespace: config.namespace || 'default',
    ...(apiKey ? { apiKey } : {}),
    // `false` stays: TEMPORAL_TLS=false turns off the TLS an API key would otherwise turn on.
    ...(tls != null ? { tls } : {}),
    ...(metadata && Object.keys(metadata).length > 0 ? { metadata: metadata as Record<string, string> } : {}),
  };
}
