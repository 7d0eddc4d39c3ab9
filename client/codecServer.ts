// The remote codec endpoint of the Temporal Web UI and CLI (`--codec-endpoint`): POST /decode and
// /encode with `{ payloads: [...] }` in Temporal's JSON form, answered with the same shape. It holds the
// keys, so it is protected by a token - as `Authorization: Bearer <token>` (the CLI's `--codec-auth`), or
// as the first path segment (`http://host:port/<token>`: the UI's codec endpoint setting sends no
// static header) - and answers cross-origin requests only from the UI's origin.
import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { z } from 'zod';

const MAX_BODY_BYTES = 64 * 1024 * 1024;

// Proto3 JSON leaves out an empty list: the CLI sends `{}` for the empty `details` of a termination.
const PayloadsBody = z.object({
  payloads: z
    .array(z.object({ metadata: z.record(z.string(), z.string()).optional(), data: z.string().optional() }))
    .default([]),
});

export interface CodecServerOptions {
  codec: PayloadCodec;
  token: string;
  /** Origins allowed to call from a browser (the Temporal UI's, e.g. http://localhost:8233). */
  allowedOrigins: string[];
  host?: string;
  /** 0 = a free port. */
  port: number;
}

export interface RunningCodecServer {
  url: string;
  server: Server;
  stop(): Promise<void>;
}

function fromJson(p: z.infer<typeof PayloadsBody>['payloads'][number]): Payload {
  return temporal.api.common.v1.Payload.fromObject(p) as Payload;
}

function toJson(p: Payload): unknown {
  return temporal.api.common.v1.Payload.toObject(p as temporal.api.common.v1.Payload, { bytes: String });
}

function sameToken(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new Error(`request body exceeds ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export function codecRequestHandler(opts: CodecServerOptions) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const origin = req.headers.origin;
    if (origin && opts.allowedOrigins.includes(origin)) {
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Access-Control-Allow-Credentials', 'true');
      res.setHeader('Access-Control-Allow-Methods', 'POST, OPTIONS');
      res.setHeader('Access-Control-Allow-Headers', 'Content-Type, X-Namespace, Authorization');
      res.setHeader('Vary', 'Origin');
    }
    const answer = (status: number, body: unknown) => {
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.method === 'OPTIONS') {
      res.writeHead(origin && opts.allowedOrigins.includes(origin) ? 204 : 403);
      res.end();
      return;
    }
    if (origin && !opts.allowedOrigins.includes(origin))
      return answer(403, { error: `origin ${origin} is not allowed (bcsync codec-server --ui-origin)` });
    const path = new URL(req.url ?? '/', 'http://codec').pathname.split('/').filter(Boolean);
    const bearer = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const pathToken = path.length === 2 ? path[0] : undefined;
    const authorized =
      (bearer !== undefined && sameToken(bearer, opts.token)) ||
      (pathToken !== undefined && sameToken(decodeURIComponent(pathToken), opts.token));
    if (!authorized) return answer(401, { error: 'missing or wrong codec server token' });
    const action = path[path.length - 1];
    if (req.method !== 'POST' || (action !== 'decode' && action !== 'encode'))
      return answer(404, { error: 'POST /decode or /encode' });
    let parsed: z.infer<typeof PayloadsBody>;
    try {
      parsed = PayloadsBody.parse(JSON.parse(await readBody(req)));
    } catch (err) {
      return answer(400, { error: `expected {"payloads": [...]}: ${(err as Error).message}` });
    }
    try {
      const payloads = parsed.payloads.map(fromJson);
      const out = action === 'decode' ? await opts.codec.decode(payloads) : await opts.codec.encode(payloads);
      answer(200, { payloads: out.map(toJson) });
    } catch (err) {
      // Names the key id at most (temporal/payloadCodec.ts), never a key or a payload.
      answer(422, { error: (err as Error).message });
    }
  };
}

export async function startCodecServer(opts: CodecServerOptions): Promise<RunningCodecServer> {
  const handle = codecRequestHandler(opts);
  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ error: (err as Error).message }));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '127.0.0.1', () => resolve());
  });
  const { address, port } = server.address() as AddressInfo;
  return {
    url: `http://${address.includes(':') ? `[${address}]` : address}:${port}`,
    server,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
