// The full Temporal server (not the CLI's dev server): `temporal-server` and `temporal-sql-tool` built
// from the Go module proxy (go.temporal.io/server), PostgreSQL for persistence and SQL visibility, the
// frontend behind TLS. What a self-hosted cluster runs, on one machine: the local cluster of
// `bcsync servers up --cluster` and of the cluster system test.
import { spawnSync } from 'node:child_process';
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { childEnvironment, type DevSettings } from '../config/settings';
import { onPath } from './binaryLookup';
import type { PostgresInstance } from './postgres';
import { freePorts, startDetached } from './processes';

/**
 * The newest release whose go.mod the installed Go accepts: v1.32.2 asks for go >= 1.26.10, the machines
 * have go 1.26.8 (GOTOOLCHAIN=local), so v1.32.1.
 */
export const TEMPORAL_SERVER_VERSION = 'v1.32.1';

export const temporalServerBinaries = (cacheDir: string) => ({
  server: join(cacheDir, 'bin', `temporal-server-${TEMPORAL_SERVER_VERSION}`),
  sqlTool: join(cacheDir, 'bin', `temporal-sql-tool-${TEMPORAL_SERVER_VERSION}`),
});

const goEnv = (cacheDir: string) => ({
  GOMODCACHE: join(cacheDir, 'go', 'mod'),
  GOCACHE: join(cacheDir, 'go', 'build'),
  CGO_ENABLED: '0',
});

/**
 * Builds both binaries from the released module, as the server's Makefile does (tag
 * disable_grpc_modules, no cgo): tens of minutes of CPU the first time, then cached.
 */
export function buildTemporalServer(dev: DevSettings, log: (line: string) => void = console.log): void {
  const go = onPath('go', dev.path);
  if (!go)
    throw new Error(
      'Go is needed to build the Temporal server for the local cluster (go.temporal.io/server from the Go module proxy): install golang',
    );
  const mod = `go.temporal.io/server@${TEMPORAL_SERVER_VERSION}`;
  log(
    `building the Temporal server ${TEMPORAL_SERVER_VERSION} from the Go module proxy (long the first time)...`,
  );
  const env = childEnvironment(goEnv(dev.cacheDir));
  const dl = spawnSync(go, ['mod', 'download', '-json', mod], { cwd: dev.cacheDir, env, encoding: 'utf8' });
  const info = dl.stdout ? (JSON.parse(dl.stdout) as { Dir?: string; Error?: string }) : {};
  if (dl.status !== 0 || !info.Dir)
    throw new Error(`\`go mod download ${mod}\` failed: ${info.Error ?? dl.stderr ?? dl.error?.message}`);
  // Into a scratch folder, renamed when both are there: a cut-off build leaves no half install.
  const bins = temporalServerBinaries(dev.cacheDir);
  const out = join(dev.cacheDir, 'bin', `.temporal-server-${TEMPORAL_SERVER_VERSION}.build`);
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const build = spawnSync(
    go,
    ['build', '-tags', 'disable_grpc_modules', '-o', `${out}/`, './cmd/server', './cmd/tools/sql'],
    { cwd: info.Dir, env, stdio: 'inherit' },
  );
  if (build.status !== 0)
    throw new Error(`building ${mod} failed (${build.error?.message ?? `exit ${build.status}`})`);
  renameSync(join(out, 'sql'), bins.sqlTool);
  renameSync(join(out, 'server'), bins.server);
  rmSync(out, { recursive: true, force: true });
}

function sqlTool(tool: string, pg: PostgresInstance, database: string, args: string[]) {
  return spawnSync(tool, args, {
    encoding: 'utf8',
    // The password through the environment, not the command line (`ps` shows that).
    env: childEnvironment({
      SQL_PLUGIN: 'postgres12',
      SQL_HOST: '127.0.0.1',
      SQL_PORT: String(pg.port),
      SQL_USER: pg.user,
      SQL_PASSWORD: pg.password,
      SQL_DATABASE: database,
    }),
  });
}

function mustSqlTool(tool: string, pg: PostgresInstance, database: string, args: string[]): void {
  const res = sqlTool(tool, pg, database, args);
  if (res.status !== 0)
    throw new Error(
      `temporal-sql-tool ${args.join(' ')} (database ${database}) failed: ${res.stderr || res.stdout}`,
    );
}

/** Creates `database` unless it exists. */
export function createDatabase(tool: string, pg: PostgresInstance, database: string): void {
  const res = sqlTool(tool, pg, database, ['create-database']);
  if (res.status !== 0 && !/already exists/.test(`${res.stderr}${res.stdout}`))
    throw new Error(`temporal-sql-tool create-database ${database} failed: ${res.stderr || res.stdout}`);
}

/** Creates the databases and brings their schemas to the server's version (idempotent). */
export function setupTemporalSchemas(tool: string, pg: PostgresInstance): void {
  for (const [database, schema] of [
    ['temporal', 'postgresql/v12/temporal'],
    ['temporal_visibility', 'postgresql/v12/visibility'],
  ] as const) {
    createDatabase(tool, pg, database);
    mustSqlTool(tool, pg, database, ['setup-schema', '-v', '0.0']);
    mustSqlTool(tool, pg, database, ['update-schema', '--schema-name', schema]);
  }
}

export interface FrontendTls {
  caCert: string;
  serverCert: string;
  serverKey: string;
  serverName: string;
  /** Require client certificates of the same CA (mTLS); the cluster's own worker presents this one. */
  requireClientCert?: { cert: string; key: string };
}

export interface TemporalServerPorts {
  frontend: number;
  frontendHttp: number;
  /** The frontend of the cluster's own services (no authorization), used when `auth` is on. */
  internalFrontend: number;
  history: number;
  matching: number;
  worker: number;
  membership: [number, number, number, number, number];
}

/** The frontend checks API keys: JWTs verified with the keys of a JWKS file (devservers/jwtKeys.ts). */
export interface FrontendAuth {
  jwksFile: string;
}

export async function freeTemporalServerPorts(frontend?: number): Promise<TemporalServerPorts> {
  // All in one call, so no two are the same; all below 32768, which cluster_membership.rpc_port (a
  // smallint) needs anyway and which keeps them out of the ephemeral range (freePorts).
  const p = await freePorts(frontend ? 10 : 11);
  const at = (i: number) => p[i]!;
  return {
    frontend: frontend ?? at(10),
    frontendHttp: at(0),
    internalFrontend: at(1),
    history: at(2),
    matching: at(3),
    worker: at(4),
    membership: [at(5), at(6), at(7), at(8), at(9)],
  };
}

/**
 * The server's configuration (JSON is YAML): one process with all four services on loopback, history
 * and visibility on `pg`, the frontend behind `tls`. Written 0600 (it holds the database password).
 * With `auth`, the frontend authorizes every call by its API key (the default JWT claim mapper and
 * authorizer, as the server's development-jwt.yaml), and the cluster's own worker service reaches an
 * internal frontend instead, which does not.
 */
export function writeTemporalServerConfig(
  dir: string,
  pg: PostgresInstance,
  ports: TemporalServerPorts,
  tls: FrontendTls,
  auth?: FrontendAuth,
): string {
  const datastore = (databaseName: string, maxConns: number) => ({
    sql: {
      pluginName: 'postgres12',
      databaseName,
      connectAddr: `127.0.0.1:${pg.port}`,
      connectProtocol: 'tcp',
      user: pg.user,
      password: pg.password,
      maxConns,
      maxIdleConns: maxConns,
      maxConnLifetime: '1h',
    },
  });
  const service = (grpcPort: number, membershipPort: number, extra = {}) => ({
    rpc: { grpcPort, membershipPort, bindOnLocalHost: true, ...extra },
  });
  const frontendClient = { serverName: tls.serverName, rootCaFiles: [tls.caCert] };
  const dynamicConfigFile = join(dir, 'dynamicconfig.yaml');
  writeFileSync(
    dynamicConfigFile,
    JSON.stringify({
      // Registered search attributes are visible at once (as on the dev server), not after a cache refresh.
      'system.forceSearchAttributesCacheRefreshOnRead': [{ value: true, constraints: {} }],
      'limit.maxIDLength': [{ value: 255, constraints: {} }],
    }),
  );
  const config = {
    log: { stdout: true, level: 'warn' },
    persistence: {
      defaultStore: 'postgres-default',
      visibilityStore: 'postgres-visibility',
      numHistoryShards: 4,
      datastores: {
        'postgres-default': datastore('temporal', 20),
        'postgres-visibility': datastore('temporal_visibility', 4),
      },
    },
    global: {
      membership: { maxJoinDuration: '30s', broadcastAddress: '127.0.0.1' },
      tls: {
        frontend: {
          server: {
            certFile: tls.serverCert,
            keyFile: tls.serverKey,
            requireClientAuth: tls.requireClientCert !== undefined,
            ...(tls.requireClientCert ? { clientCaFiles: [tls.caCert] } : {}),
          },
          client: frontendClient,
        },
        // The cluster's own worker service (system workflows) is a client of the frontend too - unless
        // it has the internal frontend (with `auth`), which speaks plaintext on loopback.
        ...(tls.requireClientCert && !auth
          ? {
              systemWorker: {
                certFile: tls.requireClientCert.cert,
                keyFile: tls.requireClientCert.key,
                client: frontendClient,
              },
            }
          : {}),
      },
      ...(auth
        ? {
            authorization: {
              authorizer: 'default',
              claimMapper: 'default',
              jwtKeyProvider: { keySourceURIs: [`file://${auth.jwksFile}`], refreshInterval: '1m' },
            },
          }
        : {}),
    },
    services: {
      frontend: service(ports.frontend, ports.membership[0], { httpPort: ports.frontendHttp }),
      ...(auth ? { 'internal-frontend': service(ports.internalFrontend, ports.membership[4]) } : {}),
      history: service(ports.history, ports.membership[1]),
      matching: service(ports.matching, ports.membership[2]),
      worker: service(ports.worker, ports.membership[3]),
    },
    clusterMetadata: {
      enableGlobalNamespace: false,
      failoverVersionIncrement: 10,
      masterClusterName: 'active',
      currentClusterName: 'active',
      clusterInformation: {
        active: {
          enabled: true,
          initialFailoverVersion: 1,
          rpcName: 'frontend',
          rpcAddress: `127.0.0.1:${ports.frontend}`,
        },
      },
    },
    dcRedirectionPolicy: { policy: 'noop' },
    // With an internal frontend the server's own clients use it, and the server refuses a publicClient.
    ...(auth ? {} : { publicClient: { hostPort: `127.0.0.1:${ports.frontend}` } }),
    dynamicConfigClient: { filepath: dynamicConfigFile, pollInterval: '10s' },
  };
  const file = join(dir, 'temporal-server.yaml');
  writeFileSync(file, JSON.stringify(config, null, 2), { mode: 0o600 });
  return file;
}

/** `internalFrontend`: also the internal frontend of the config (`auth`), which `start` leaves out by default. */
export function startTemporalServer(
  server: string,
  configFile: string,
  logFile: string,
  internalFrontend = false,
): number {
  const services = internalFrontend
    ? ['frontend', 'internal-frontend', 'history', 'matching', 'worker'].flatMap((s) => ['--service', s])
    : [];
  return startDetached(
    server,
    ['--config-file', configFile, '--allow-no-auth', 'start', ...services],
    logFile,
  );
}
