// `bcsync servers up --cluster`: a self-hosted production setup on one machine instead of the dev
// servers - PostgreSQL (Debian's package), the full Temporal server on it (persistence and SQL
// visibility) with its frontend behind TLS, and FerretDB on the same PostgreSQL. Nothing registers the
// BcSync* search attributes here: `bcsync setup` does, as it must on any cluster.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Connection, isGrpcServiceError } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { isExecutable } from './binaryLookup';
import { makeClusterCertificates, type ClusterCertificates } from './certificates';
import { installFerretDb } from './install';
import { binaries } from './paths';
import type { DevSettings } from '../config/settings';
import { POSTGRES_MISSING, postgresBinDir, postgresUrl, startPostgres, waitForPostgres } from './postgres';
import { freePort, isAlive, startDetached, stopProcess, waitForPort } from './processes';
import {
  buildTemporalServer,
  createDatabase,
  freeTemporalServerPorts,
  setupTemporalSchemas,
  startTemporalServer,
  temporalServerBinaries,
  writeTemporalServerConfig,
  type FrontendTls,
  type TemporalServerPorts,
} from './temporalServer';

export interface ClusterTls {
  caCert: string;
  serverName: string;
  /** Set when the frontend requires client certificates. */
  clientCert?: string;
  clientKey?: string;
}

export interface ClusterRecords {
  postgres: { pid: number; port: number; logFile: string };
  temporal: { pid: number; port: number; address: string; logFile: string; tls: ClusterTls };
  mongo: { pid: number; port: number; address: string; logFile: string };
}

export interface ClusterOptions {
  /** Folders and PATH (config/settings.ts). */
  dev: DevSettings;
  stateDir: string;
  /** Certificates made by the caller (a test); else a CA is made under `<stateDir>/tls` once. */
  certificates?: ClusterCertificates;
  /** The frontend requires client certificates (mTLS). */
  requireClientCert?: boolean;
  /**
   * The frontend checks API keys (JWTs verified with `jwksFile`, devservers/jwtKeys.ts); `adminToken`
   * is the key the cluster registers its namespace with.
   */
  auth?: { jwksFile: string; adminToken: string };
  /** 0 or unset: a free port. */
  temporalPort?: number;
  mongoPort?: number;
  /** No fsync in PostgreSQL (tests). */
  throwAway?: boolean;
  install?: boolean;
  log?: (line: string) => void;
}

/** What the cluster needs that is not there, with how to get it. */
export function clusterMissing(dev: DevSettings): string[] {
  const server = temporalServerBinaries(dev.cacheDir);
  const out: string[] = [];
  if (!postgresBinDir(dev.path)) out.push(POSTGRES_MISSING);
  if (!isExecutable(server.server) || !isExecutable(server.sqlTool))
    out.push('the Temporal server: `npm run dev-servers:install -- --cluster` builds it (needs Go)');
  if (!isExecutable(binaries(dev.cacheDir).ferretdb))
    out.push('FerretDB: `npm run dev-servers:install` builds it (needs Go)');
  return out;
}

export function installCluster(dev: DevSettings, log: (line: string) => void = console.log): void {
  const server = temporalServerBinaries(dev.cacheDir);
  if (!isExecutable(server.server) || !isExecutable(server.sqlTool)) buildTemporalServer(dev, log);
  installFerretDb(dev);
}

const NAMESPACE = 'default';

/**
 * Registers the `default` namespace (a new cluster has none) and waits until the frontend serves it.
 * The frontend may refuse calls for a while after its port opens (membership, namespace cache).
 */
async function ensureNamespace(
  address: string,
  tls: ClusterTls,
  deadline: number,
  server: { pid: number; logFile: string },
  apiKey?: string,
): Promise<void> {
  let connection: Connection | undefined;
  let lastError: unknown;
  try {
    while (Date.now() < deadline) {
      if (!isAlive(server.pid)) throw new Error(`the Temporal server exited; see ${server.logFile}`);
      try {
        connection ??= await Connection.connect({
          address,
          tls: {
            serverNameOverride: tls.serverName,
            serverRootCACertificate: readFileSync(tls.caCert),
            ...(tls.clientCert && tls.clientKey
              ? { clientCertPair: { crt: readFileSync(tls.clientCert), key: readFileSync(tls.clientKey) } }
              : {}),
          },
          ...(apiKey ? { apiKey } : {}),
          connectTimeout: '5s',
        });
        await connection.workflowService
          .registerNamespace({
            namespace: NAMESPACE,
            workflowExecutionRetentionPeriod: msToTs('3 days'),
          })
          .catch((err: unknown) => {
            if (!(isGrpcServiceError(err) && err.code === 6 /* ALREADY_EXISTS */)) throw err;
          });
        // Answered through the frontend's namespace cache: the namespace is usable.
        await connection.workflowService.countWorkflowExecutions({ namespace: NAMESPACE, query: '' });
        return;
      } catch (err) {
        lastError = err;
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  } finally {
    await connection?.close().catch(() => undefined);
  }
  throw new Error(
    `the Temporal frontend at ${address} did not serve namespace ${NAMESPACE}: ${String(lastError)}`,
  );
}

/** Starts PostgreSQL, the Temporal server and FerretDB; stops what it started if a later step fails. */
export async function startCluster(opts: ClusterOptions): Promise<ClusterRecords> {
  const log = opts.log ?? (() => undefined);
  const { dev } = opts;
  if (opts.install && clusterMissing(dev).length > 0) installCluster(dev, log);
  const missing = clusterMissing(dev);
  const server = temporalServerBinaries(dev.cacheDir);
  if (missing.length > 0) throw new Error(`the local Temporal cluster needs ${missing.join('; ')}`);

  const dir = opts.stateDir;
  const certs =
    opts.certificates ??
    (existsSync(join(dir, 'tls', 'ca.pem'))
      ? {
          dir: join(dir, 'tls'),
          serverName: 'frontend.temporal.bcsync.test',
          caCert: join(dir, 'tls', 'ca.pem'),
          serverCert: join(dir, 'tls', 'frontend.pem'),
          serverKey: join(dir, 'tls', 'frontend.key'),
          clientCert: join(dir, 'tls', 'client.pem'),
          clientKey: join(dir, 'tls', 'client.key'),
        }
      : makeClusterCertificates(join(dir, 'tls'), dev.path));
  const tls: ClusterTls = {
    caCert: certs.caCert,
    serverName: certs.serverName,
    ...(opts.requireClientCert ? { clientCert: certs.clientCert, clientKey: certs.clientKey } : {}),
  };

  const started: number[] = [];
  try {
    const pg = startPostgres({
      path: dev.path,
      dir: join(dir, 'postgres'),
      port: await freePort(),
      throwAway: opts.throwAway,
    });
    started.push(pg.pid);
    await waitForPostgres(pg);
    log(`PostgreSQL on 127.0.0.1:${pg.port}`);
    setupTemporalSchemas(server.sqlTool, pg);
    createDatabase(server.sqlTool, pg, 'ferretdb');

    // A port of ours taken by another process between the pick and the server's bind makes the server
    // exit at once ("address already in use"): pick new ports and start it again, a few times.
    const temporalLog = join(dir, 'temporal-server.log');
    const frontendTls: FrontendTls = {
      caCert: certs.caCert,
      serverCert: certs.serverCert,
      serverKey: certs.serverKey,
      serverName: certs.serverName,
      ...(opts.requireClientCert
        ? { requireClientCert: { cert: certs.clientCert, key: certs.clientKey } }
        : {}),
    };
    let ports: TemporalServerPorts | undefined;
    let temporalPid = 0;
    for (let attempt = 1; !ports; attempt++) {
      const candidate = await freeTemporalServerPorts(opts.temporalPort || undefined);
      const configFile = writeTemporalServerConfig(dir, pg, candidate, frontendTls, opts.auth);
      const logStart = existsSync(temporalLog) ? statSync(temporalLog).size : 0;
      temporalPid = startTemporalServer(server.server, configFile, temporalLog, !!opts.auth);
      try {
        await waitForPort(candidate.frontend, 'Temporal server', 120_000, temporalPid, temporalLog);
        ports = candidate;
      } catch (err) {
        const portTaken = readFileSync(temporalLog)
          .subarray(logStart)
          .toString()
          .includes('address already in use');
        if (!portTaken || attempt >= 3 || isAlive(temporalPid)) {
          started.push(temporalPid);
          throw err;
        }
        log(
          `Temporal server: a port was taken before it could bind it; starting again (attempt ${attempt + 1})`,
        );
      }
    }
    started.push(temporalPid);
    const address = `127.0.0.1:${ports.frontend}`;
    await ensureNamespace(
      address,
      tls,
      Date.now() + 120_000,
      { pid: temporalPid, logFile: temporalLog },
      opts.auth?.adminToken,
    );
    log(
      `Temporal server ${address} (TLS${opts.requireClientCert ? ' with client certificates' : ''}${opts.auth ? ', API keys' : ''}, server name ${certs.serverName})`,
    );

    const mongoPort = opts.mongoPort || (await freePort());
    const mongoLog = join(dir, 'ferretdb-postgresql.log');
    const mongoPid = startDetached(
      binaries(dev.cacheDir).ferretdb,
      [
        '--handler=postgresql',
        `--listen-addr=127.0.0.1:${mongoPort}`,
        '--debug-addr=-',
        '--state-dir=-',
        '--telemetry=disable',
        '--log-level=warn',
      ],
      mongoLog,
      // The URL holds the password: through the environment, not the command line.
      {
        // FerretDB's default pool (50) runs dry under a worker, the webhook receiver and the CLI at once,
        // and then every command waits, ping included (measured: the first runs of setup's 10 entries
        // hung with 48 idle PostgreSQL sessions).
        FERRETDB_POSTGRESQL_URL: `${postgresUrl(pg, 'ferretdb')}?pool_max_conns=200`,
      },
    );
    started.push(mongoPid);
    await waitForPort(mongoPort, 'FerretDB (PostgreSQL)', 30_000, mongoPid, mongoLog);
    log(`FerretDB on PostgreSQL: mongodb://127.0.0.1:${mongoPort}/`);

    return {
      postgres: { pid: pg.pid, port: pg.port, logFile: pg.logFile },
      temporal: { pid: temporalPid, port: ports.frontend, address, logFile: temporalLog, tls },
      mongo: {
        pid: mongoPid,
        port: mongoPort,
        address: `mongodb://127.0.0.1:${mongoPort}/`,
        logFile: mongoLog,
      },
    };
  } catch (err) {
    for (const pid of started.reverse()) await stopProcess(pid);
    throw err;
  }
}
