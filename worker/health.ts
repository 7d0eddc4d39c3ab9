// The worker's health endpoint (`GET /health` on BCSYNC_HEALTH_ADDRESS) for a process supervisor or a
// Kubernetes probe: 200 while the worker polls Temporal and MongoDB answers a ping, 503 with the reason
// otherwise. It names states and the failing dependency, never an address with credentials.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HealthReport {
  status: 'ok' | 'failing';
  /** The SDK worker's state: RUNNING while it polls. */
  worker: string;
  mongodb: string;
}

export interface HealthChecks {
  workerState(): string;
  /** Resolves when MongoDB answers; rejects with the reason otherwise. */
  pingDatabase(): Promise<void>;
}

const PING_TIMEOUT_MS = 5_000;

/** The driver's reason without connection strings or host:port (a probe's answer may be widely read). */
function withoutAddresses(message: string): string {
  return message
    .replace(/mongodb(\+srv)?:\/\/\S+/g, '<uri>')
    .replace(/\[?[\w.:-]*[\w\]]:\d{1,5}\b/g, '<address>');
}

export async function healthReport(checks: HealthChecks): Promise<HealthReport> {
  const worker = checks.workerState();
  let mongodb = 'ok';
  try {
    await Promise.race([
      checks.pingDatabase(),
      new Promise((_, reject) =>
        setTimeout(
          () => reject(new Error(`no answer within ${PING_TIMEOUT_MS} ms`)),
          PING_TIMEOUT_MS,
        ).unref(),
      ),
    ]);
  } catch (err) {
    mongodb = `unreachable: ${withoutAddresses((err as Error).message)}`;
  }
  return { status: worker === 'RUNNING' && mongodb === 'ok' ? 'ok' : 'failing', worker, mongodb };
}

export interface RunningHealthServer {
  url: string;
  stop(): Promise<void>;
}

/** `address` is `host:port` (port 0: a free one). */
export async function startHealthServer(address: string, checks: HealthChecks): Promise<RunningHealthServer> {
  const colon = address.lastIndexOf(':');
  const host = address.slice(0, colon) || '0.0.0.0';
  const port = Number(address.slice(colon + 1));
  if (colon < 0 || !Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`BCSYNC_HEALTH_ADDRESS: "${address}" is not host:port (e.g. 0.0.0.0:9465)`);
  const server: Server = createServer((req, res) => {
    if (req.method !== 'GET' || new URL(req.url ?? '/', 'http://health').pathname !== '/health') {
      res.writeHead(404, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ error: 'GET /health' }));
      return;
    }
    healthReport(checks)
      .then((report) => {
        res.writeHead(report.status === 'ok' ? 200 : 503, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(report));
      })
      .catch((err: unknown) => {
        res.writeHead(500, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ error: (err as Error).message }));
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(new Error(`BCSYNC_HEALTH_ADDRESS ${address}: ${err.message}`)));
    server.listen(port, host, () => resolve());
  });
  const bound = server.address() as AddressInfo;
  return {
    url: `http://${bound.address.includes(':') ? `[${bound.address}]` : bound.address}:${bound.port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
