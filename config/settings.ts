// Every environment variable bcsync reads, read and validated here and nowhere else (zod), then passed
// down as `Settings`. Entry points (client/cli.ts, client/start.ts, worker/main.ts, devservers/install.ts)
// call `readSettings(process.env)` once; nothing writes to process.env. README "Configuration" lists the
// same variables (test/unit/settings.test.ts keeps the two in step).
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import {
  CONNECTOR_HINTS,
  ConfigError,
  loadBudgetLimits,
  loadConnectorConfig,
  loadHttpConfig,
  type BudgetLimitSettings,
  type ConnectorConfig,
  type HttpConfig,
} from '../activities/connectors/connectorConfig';
import { DEFAULT_HEARTBEAT_TIMEOUT_MS } from '../common/activityPace';
import { CODEC_KEYS_FILE_HINT, CODEC_KEYS_HINT, readCodecKeys, type CodecKey } from './codecKeys';
import { EnvReader, type Env } from './envReader';
import { readTemporalSettings, TEMPORAL_SETTING_HINTS, type TemporalSettings } from './temporalSettings';

export type { Env } from './envReader';

/**
 * Workflows a worker keeps in its sticky cache (BCSYNC_WORKER_MAX_CACHED_WORKFLOWS). Entries sleep for hours
 * and continue-as-new keeps their histories short, so replaying one on a wake-up costs milliseconds, while
 * each cached one holds its state on the workflow thread's V8 heap: about 1.1 MB each after a full GC
 * (bench/idleCost.ts: 48 MB with 20 cached, 26 MB with none). Cache 100 vs 20 at 500 entries started in one
 * burst (an older idleCost that measured while the burst's last workflow tasks still ran): RSS 779 vs
 * 633 MB, wake-up p99 475 vs 251 ms.
 */
export const DEFAULT_MAX_CACHED_WORKFLOWS = 20;

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Project root: two levels up from dist/config or one up from config/ (ts sources). */
export const projectRoot = resolve(__dirname, __dirname.includes(join('dist', 'config')) ? '../..' : '..');

/** The variables of this module and what each holds (the connectors' own are in CONNECTOR_HINTS). */
export const SETTING_HINTS: Readonly<Record<string, string>> = {
  ...TEMPORAL_SETTING_HINTS,
  BCSYNC_CODEC_KEYS: CODEC_KEYS_HINT,
  BCSYNC_CODEC_KEYS_FILE: CODEC_KEYS_FILE_HINT,
  BCSYNC_CODEC_SERVER_TOKEN: "the codec server's access token, at least 16 characters",
  BCSYNC_METRICS_ADDRESS: "host:port of the worker's Prometheus endpoint /metrics (e.g. 0.0.0.0:9464)",
  BCSYNC_HEALTH_ADDRESS: "host:port of the worker's GET /health (e.g. 0.0.0.0:9465)",
  BCSYNC_TEMPORAL_UI_URL: 'the http(s) base URL of the Temporal UI (e.g. https://temporal.example.com)',
  MONGODB_URI: 'a mongodb:// or mongodb+srv:// connection string',
  BCSYNC_DB_NAME: 'a MongoDB database name (default bcsync)',
  BCSYNC_MAPPINGS_FILE: 'the path of a JSON mapping config file',
  BCSYNC_LINEAGE_RETENTION_DAYS: 'a positive number of days record lineage is kept (default 30)',
  BCSYNC_LOG_LEVEL: `one of ${LOG_LEVELS.join(', ')} (default info)`,
  BCSYNC_WORKER_ACTIVITY_CONCURRENCY: 'a whole number of concurrent activities, at least 1 (default 20)',
  BCSYNC_WORKER_MAX_CACHED_WORKFLOWS: `a whole number of workflows kept in the sticky cache (default ${DEFAULT_MAX_CACHED_WORKFLOWS})`,
  BCSYNC_WORKER_HEAP_MB: "a whole number of MB, at least 64, or 0 for V8's own default (default 512)",
  BCSYNC_WORKER_MEMORY_TRIM_SECONDS:
    'whole seconds between two returns of freed native memory to the OS, 0 = never (default 30)',
  BCSYNC_HEARTBEAT_TIMEOUT_MIN_SECONDS:
    'whole seconds, at least 1: the least heartbeat timeout of a sync run (default 120)',
  BCSYNC_STATE_DIR: 'a directory for dev server data and logs (default <project>/.bcsync)',
  BCSYNC_CACHE_DIR: 'a directory for dev server binaries (default ~/.cache/bcsync)',
  BCSYNC_TEMPORAL_PORT: 'a TCP port 1-65535 (default 7233)',
  BCSYNC_TEMPORAL_UI_PORT: 'a TCP port 1-65535 (default 8233)',
  BCSYNC_MONGO_PORT: 'a TCP port 1-65535 (default 27027)',
  TEMPORAL_TEST_SERVER_PATH: 'the path of a temporal-test-server binary',
  BCSYNC_STATUS_INTERVAL_SECONDS: 'whole seconds, at least 1 (default 15)',
  BCSYNC_EMULATOR_WEBHOOK_COALESCE_MS: 'whole milliseconds (default 1000)',
  BCSYNC_EMULATOR_BC_PORT:
    "a TCP port 0-65535 for `npm start`'s BC emulator (default 7048, 0 = any free port)",
  BCSYNC_EMULATOR_DATAVERSE_PORT:
    "a TCP port 0-65535 for `npm start`'s Dataverse emulator (default 7049, 0 = any free port)",
  BCSYNC_WEBHOOK_PORT: 'a TCP port 0-65535 (default 7050)',
  BCSYNC_WEBHOOK_HOST: 'the interface the webhook receiver listens on (default 127.0.0.1)',
  BCSYNC_WEBHOOK_PUBLIC_URL: 'the http(s) URL Business Central posts notifications to',
  BCSYNC_CRM_POLL_SECONDS: 'whole seconds between Dataverse change polls, 0 = off (default 60)',
  BCSYNC_BC_POLL_SECONDS:
    'whole seconds between polls of BC entity sets without webhooks, 0 = off (default 30)',
  BCSYNC_CONSOLE_HOST: 'the address the operator console listens on (default 127.0.0.1)',
  BCSYNC_CONSOLE_PORT: 'a TCP port 0-65535 for the operator console (default 8234)',
  BCSYNC_CONSOLE_TOKEN: "the console's access token, at least 16 characters",
  BCSYNC_CHROMIUM_PATH: "the path of a Chromium binary for the console's browser tests",
  BCSYNC_EMULATOR_TENANT: "the tenant in the emulators' token URLs (default bcsync-demo)",
  BCSYNC_EMULATOR_CLIENT_ID: 'the client id both emulators accept (default bcsync-demo-client)',
  BCSYNC_EMULATOR_CLIENT_SECRET: 'its secret (default bcsync-demo-secret)',
};

/** How long record lineage is kept unless BCSYNC_LINEAGE_RETENTION_DAYS says (docs/lineage.md). */
export const DEFAULT_LINEAGE_RETENTION_DAYS = 30;

/** Every variable bcsync reads. */
export const ALL_VARIABLES: readonly string[] = [
  ...Object.keys(SETTING_HINTS),
  ...Object.keys(CONNECTOR_HINTS),
];

export interface DevSettings {
  stateDir: string;
  cacheDir: string;
  /** TEMPORAL_ADDRESS / MONGODB_URI given: use those servers, start none. */
  temporalAddress?: string;
  mongodbUri?: string;
  temporalPort: number;
  temporalUiPort: number;
  mongoPort: number;
  temporalTestServerPath?: string;
  /** PATH, to find `temporal`, `mongod`, `ferretdb`, `python3`, `go`, `chromium`. */
  path: string;
  /** The browser of the console's tests, when not `chromium` on PATH. */
  chromiumPath?: string;
}

/** The operator console (client/console/): loopback by default; a token is required beyond it. */
export interface ConsoleSettings {
  host: string;
  port: number;
  token?: string;
}

export interface WakeupEnvSettings {
  host: string;
  port: number;
  publicUrl?: string;
  crmPollSeconds: number;
  bcPollSeconds: number;
}

export interface EmulatorCredentials {
  tenant: string;
  clientId: string;
  clientSecret: string;
}

/**
 * Reads the variable a registered company's secret reference names (`env:NAME`, docs/companies.md), at the
 * moment the secret is needed; undefined when this process does not have it. The names are the operator's,
 * so they are not in the table of variables above.
 */
export type SecretLookup = (variable: string) => string | undefined;

/** The connectors' settings: complete, or what is missing (a worker starts without them). */
export type ConnectorSettings = { ok: true; config: ConnectorConfig } | { ok: false; error: ConfigError };

/** The payload codec (temporal/payloadCodec.ts): no keys, no encryption. */
export interface CodecSettings {
  /** The first encrypts; all decrypt (rotation). */
  keys: CodecKey[];
  /** `bcsync codec-server`'s token. */
  serverToken?: string;
}

export interface Settings {
  temporal: TemporalSettings;
  codec: CodecSettings;
  mongo: { uri?: string; dbName: string };
  mappingsFile?: string;
  logLevel: LogLevel;
  lineage: { retentionDays: number };
  worker: {
    activityConcurrency: number;
    maxCachedWorkflows: number;
    heapMb: number;
    /** How often the worker gives glibc's freed memory back to the OS (worker/memoryTrim.ts); 0: never. */
    memoryTrimSeconds: number;
    /** Floor of a sync run's heartbeat timeout, which is sized from page times (common/activityPace.ts). */
    heartbeatMinimumSeconds: number;
    /** `host:port` of the Prometheus exporter (worker/runtime.ts); none when undefined. */
    metricsAddress?: string;
    /** `host:port` of GET /health (worker/health.ts); none when undefined. */
    healthAddress?: string;
  };
  wakeups: WakeupEnvSettings;
  start: {
    statusIntervalSeconds: number;
    emulatorWebhookCoalesceMs: number;
    emulatorBcPort: number;
    emulatorDataversePort: number;
  };
  console: ConsoleSettings;
  dev: DevSettings;
  emulators: EmulatorCredentials;
  connectors: ConnectorSettings;
  /** BCSYNC_BC_API_URL or BCSYNC_DATAVERSE_URL is set (`npm start` then starts no emulators). */
  connectorsGiven: boolean;
  http: HttpConfig;
  /** The throttling limits of both API identities (registered companies use the deployment's). */
  limits: BudgetLimitSettings;
  secrets: SecretLookup;
}

export class SettingsError extends Error {
  constructor(readonly problems: string[]) {
    super(`Settings are invalid:\n- ${problems.join('\n- ')}`);
    this.name = 'SettingsError';
  }
}

const nonEmpty = z.string().trim().min(1);
const whole = (min: number, max = Number.MAX_SAFE_INTEGER) => z.coerce.number().int().min(min).max(max);
const port = whole(1, 65535);
/** `host:port` to listen on (an IPv6 host in brackets); also checks the worker's --metrics / --health. */
export const listenAddress = z
  .string()
  .trim()
  .regex(/^(\[[0-9a-fA-F:.]+\]|[^\s:[\]]*):\d{1,5}$/, 'expected host:port')
  .refine((a) => Number(a.slice(a.lastIndexOf(':') + 1)) <= 65535, 'port above 65535');

/** Reads every setting; throws SettingsError naming each invalid variable (connector settings excepted). */
export function readSettings(env: Env): Settings {
  const r = new EnvReader(env, SETTING_HINTS);
  const heapMb = r.optional(
    'BCSYNC_WORKER_HEAP_MB',
    whole(0).refine((n) => n === 0 || n >= 64, 'at least 64, or 0'),
    512,
  );
  const temporal = readTemporalSettings(env, r);
  const settings: Settings = {
    temporal: {
      ...temporal,
      uiUrl: r.optional('BCSYNC_TEMPORAL_UI_URL', z.url({ protocol: /^https?$/ }), undefined),
    },
    codec: {
      keys: readCodecKeys(r.raw('BCSYNC_CODEC_KEYS'), r.raw('BCSYNC_CODEC_KEYS_FILE'), r.problems),
      serverToken: r.optional('BCSYNC_CODEC_SERVER_TOKEN', z.string().min(16), undefined),
    },
    mongo: {
      uri: r.optional(
        'MONGODB_URI',
        z.string().regex(/^mongodb(\+srv)?:\/\//, 'expected mongodb://...'),
        undefined,
      ),
      dbName: r.optional('BCSYNC_DB_NAME', nonEmpty, 'bcsync'),
    },
    mappingsFile: r.optional('BCSYNC_MAPPINGS_FILE', nonEmpty, undefined),
    logLevel: r.optional('BCSYNC_LOG_LEVEL', z.enum(LOG_LEVELS), 'info'),
    lineage: {
      retentionDays: r.optional(
        'BCSYNC_LINEAGE_RETENTION_DAYS',
        z.coerce.number().positive(),
        DEFAULT_LINEAGE_RETENTION_DAYS,
      ),
    },
    worker: {
      activityConcurrency: r.optional('BCSYNC_WORKER_ACTIVITY_CONCURRENCY', whole(1), 20),
      maxCachedWorkflows: r.optional(
        'BCSYNC_WORKER_MAX_CACHED_WORKFLOWS',
        whole(0),
        DEFAULT_MAX_CACHED_WORKFLOWS,
      ),
      heapMb,
      memoryTrimSeconds: r.optional('BCSYNC_WORKER_MEMORY_TRIM_SECONDS', whole(0, 24 * 3600), 30),
      heartbeatMinimumSeconds: r.optional(
        'BCSYNC_HEARTBEAT_TIMEOUT_MIN_SECONDS',
        whole(1, 3600),
        DEFAULT_HEARTBEAT_TIMEOUT_MS / 1000,
      ),
      metricsAddress: r.optional('BCSYNC_METRICS_ADDRESS', listenAddress, undefined),
      healthAddress: r.optional('BCSYNC_HEALTH_ADDRESS', listenAddress, undefined),
    },
    wakeups: {
      host: r.optional('BCSYNC_WEBHOOK_HOST', nonEmpty, '127.0.0.1'),
      port: r.optional('BCSYNC_WEBHOOK_PORT', whole(0, 65535), 7050),
      publicUrl: r.optional('BCSYNC_WEBHOOK_PUBLIC_URL', z.url({ protocol: /^https?$/ }), undefined),
      crmPollSeconds: r.optional('BCSYNC_CRM_POLL_SECONDS', whole(0, 24 * 3600), 60),
      bcPollSeconds: r.optional('BCSYNC_BC_POLL_SECONDS', whole(0, 24 * 3600), 30),
    },
    start: {
      statusIntervalSeconds: r.optional('BCSYNC_STATUS_INTERVAL_SECONDS', whole(1), 15),
      emulatorWebhookCoalesceMs: r.optional('BCSYNC_EMULATOR_WEBHOOK_COALESCE_MS', whole(0), 1000),
      emulatorBcPort: r.optional('BCSYNC_EMULATOR_BC_PORT', whole(0, 65535), 7048),
      emulatorDataversePort: r.optional('BCSYNC_EMULATOR_DATAVERSE_PORT', whole(0, 65535), 7049),
    },
    console: {
      host: r.optional('BCSYNC_CONSOLE_HOST', nonEmpty, '127.0.0.1'),
      port: r.optional('BCSYNC_CONSOLE_PORT', whole(0, 65535), 8234),
      token: r.optional('BCSYNC_CONSOLE_TOKEN', z.string().min(16), undefined),
    },
    dev: {
      stateDir: r.optional('BCSYNC_STATE_DIR', nonEmpty, join(projectRoot, '.bcsync')),
      cacheDir: r.optional('BCSYNC_CACHE_DIR', nonEmpty, join(homedir(), '.cache', 'bcsync')),
      temporalAddress: temporal.address,
      mongodbUri: r.raw('MONGODB_URI'),
      temporalPort: r.optional('BCSYNC_TEMPORAL_PORT', port, 7233),
      temporalUiPort: r.optional('BCSYNC_TEMPORAL_UI_PORT', port, 8233),
      mongoPort: r.optional('BCSYNC_MONGO_PORT', port, 27027),
      temporalTestServerPath: r.optional('TEMPORAL_TEST_SERVER_PATH', nonEmpty, undefined),
      path: env.PATH ?? '',
      chromiumPath: r.optional('BCSYNC_CHROMIUM_PATH', nonEmpty, undefined),
    },
    emulators: {
      tenant: r.optional('BCSYNC_EMULATOR_TENANT', nonEmpty, 'bcsync-demo'),
      clientId: r.optional('BCSYNC_EMULATOR_CLIENT_ID', nonEmpty, 'bcsync-demo-client'),
      clientSecret: r.optional('BCSYNC_EMULATOR_CLIENT_SECRET', nonEmpty, 'bcsync-demo-secret'),
    },
    connectors: connectorSettings(env),
    connectorsGiven: !!(r.raw('BCSYNC_BC_API_URL') || r.raw('BCSYNC_DATAVERSE_URL')),
    http: httpSettings(env, r),
    limits: limitSettings(env, r),
    secrets: (variable) => env[variable]?.trim() || undefined,
  };
  if (r.problems.length > 0) throw new SettingsError(r.problems);
  return settings;
}

function connectorSettings(env: Env): ConnectorSettings {
  try {
    return { ok: true, config: loadConnectorConfig(env) };
  } catch (err) {
    if (err instanceof ConfigError) return { ok: false, error: err };
    throw err;
  }
}

function httpSettings(env: Env, r: EnvReader): HttpConfig {
  try {
    return loadHttpConfig(env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    r.problems.push(...err.problems);
    return loadHttpConfig({});
  }
}

function limitSettings(env: Env, r: EnvReader): BudgetLimitSettings {
  try {
    return loadBudgetLimits(env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    r.problems.push(...err.problems);
    return loadBudgetLimits({});
  }
}

/** The connector settings, or the ConfigError naming what is missing. */
export function requireConnectors(settings: Pick<Settings, 'connectors'>): ConnectorConfig {
  if (!settings.connectors.ok) throw settings.connectors.error;
  return settings.connectors.config;
}

/** The environment of a child process: this process's, plus `extra` (the one other read of process.env). */
export function childEnvironment(extra: Env = {}): NodeJS.ProcessEnv {
  return { ...process.env, ...extra };
}
