// Small HTTP plumbing shared by both emulators: reading bodies, answering JSON, listening on host/port and
// closing without leaving keep-alive sockets open (so test runs end cleanly).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

export class BodyTooLargeError extends Error {
  constructor(readonly limitBytes: number) {
    super(`Request body exceeds ${limitBytes} bytes.`);
    this.name = 'BodyTooLargeError';
  }
}

export class JsonBodyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JsonBodyError';
  }
}

/** Default limit well above a 1,000-request Dataverse batch of realistic rows. */
const DEFAULT_BODY_LIMIT = 256 * 1024 * 1024;

export async function readBody(req: IncomingMessage, limitBytes = DEFAULT_BODY_LIMIT): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > limitBytes) throw new BodyTooLargeError(limitBytes);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}

export async function readText(req: IncomingMessage, limitBytes?: number): Promise<string> {
  return (await readBody(req, limitBytes)).toString('utf8');
}

/** Parses a JSON body; an empty body reads as undefined. Throws JsonBodyError on malformed JSON. */
export async function readJson(req: IncomingMessage, limitBytes?: number): Promise<unknown> {
  const text = await readText(req, limitBytes);
  return parseJsonText(text);
}

export function parseJsonText(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new JsonBodyError(`The request body is not valid JSON: ${(error as Error).message}`);
  }
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string | number> = {},
): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; odata.metadata=minimal; charset=utf-8',
    'Content-Length': Buffer.byteLength(payload),
    ...headers,
  });
  res.end(payload);
}

export function sendText(
  res: ServerResponse,
  status: number,
  text: string,
  contentType = 'text/plain; charset=utf-8',
  headers: Record<string, string | number> = {},
): void {
  res.writeHead(status, {
    'Content-Type': contentType,
    'Content-Length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

export function sendEmpty(
  res: ServerResponse,
  status: number,
  headers: Record<string, string | number> = {},
): void {
  res.writeHead(status, { 'Content-Length': 0, ...headers });
  res.end();
}

/** Splits a request URL into path and query without trusting the Host header. */
export function parseRequestUrl(req: IncomingMessage): URL {
  return new URL(req.url ?? '/', 'http://emulator.local');
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export interface RunningHttpServer {
  server: Server;
  host: string;
  port: number;
  /** `http://host:port` without a trailing slash. */
  url: string;
  close(): Promise<void>;
}

/**
 * Starts a server; `port` 0 picks a free port. Handler exceptions become a 500 so one bad request never
 * takes the emulator down.
 */
export async function startHttpServer(options: {
  host?: string;
  port?: number;
  handler: RequestHandler;
  onError?: (error: unknown) => void;
  /** The service's clock, sent as the `Date` header (clients take watermarks from the server's time). */
  now?: () => number;
  /**
   * Longest request URL (scheme, host, path and query) the service accepts; longer ones get 414 URI Too Long. Absent:
   * Node's own limit on the request head (16 KB, request line included), answered with 431.
   */
  maxUrlLength?: number;
}): Promise<RunningHttpServer> {
  const host = options.host ?? '127.0.0.1';
  const { maxUrlLength, now } = options;
  // Room for the longest accepted URL plus ordinary headers (a bearer token is about 2 KB).
  const serverOptions = maxUrlLength ? { maxHeaderSize: maxUrlLength + 16 * 1024 } : {};
  const server = createServer(serverOptions, (req, res) => {
    if (now) res.setHeader('Date', new Date(now()).toUTCString());
    // The whole URL counts (scheme and host too), as a client sees it.
    const urlLength = `http://${req.headers.host ?? ''}${req.url ?? ''}`.length;
    if (maxUrlLength && urlLength > maxUrlLength) {
      sendText(res, 414, `The request URL is ${urlLength} characters long; the maximum is ${maxUrlLength}.`);
      return;
    }
    options.handler(req, res).catch((error: unknown) => {
      options.onError?.(error);
      if (!res.headersSent) {
        sendJson(res, 500, {
          error: { code: '0x80040216', message: `Internal emulator error: ${(error as Error).message}` },
        });
      } else {
        res.destroy();
      }
    });
  });
  // Large batches and slow injected latency must not be cut off by Node's default timeouts.
  server.requestTimeout = 0;
  server.headersTimeout = 120_000;
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return {
    server,
    host,
    port,
    url: `http://${urlHost === '0.0.0.0' ? '127.0.0.1' : urlHost}:${port}`,
    close: () => closeServer(server),
  };
}

export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((error) => {
      // Closing twice is harmless: stop() may run from a test's afterAll and from startEmulators' stop().
      if (error && (error as NodeJS.ErrnoException).code !== 'ERR_SERVER_NOT_RUNNING') reject(error);
      else resolve();
    });
    server.closeAllConnections();
  });
}
