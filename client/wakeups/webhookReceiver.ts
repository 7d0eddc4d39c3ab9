// The HTTP endpoint Business Central calls (apis.md A, Webhooks): the validation handshake on create and
// renew, then notifications. A notification is checked (shape, clientState), answered 202 at once, and
// turned into wake-up signals afterwards, so BC never waits on Temporal.
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import type { Logger } from '../../activities/logger';
import { answerValidation } from '../../activities/connectors/bcWebhooks';
import type { ChangeNotice } from '../../common/jobQueue';
import type { EntrySignaller } from './entrySignaller';
import { entitySetOfResource, shortResource, type WakeRoutes } from './wakeRoutes';

/** Path BC posts to unless the public URL says otherwise. */
export const DEFAULT_NOTIFICATION_PATH = '/bc/notifications';

// A `collection` notification replaces more than 1,000 entries (apis.md A), so real bodies stay well
// below this; anything larger is not BC.
export const MAX_BODY_BYTES = 4 * 1024 * 1024;
// An oversized body is answered 413 at once and the rest read into nothing (closing the connection
// while the caller still sends makes it see a reset, not the answer); past this much it is closed.
const MAX_DISCARDED_BYTES = 16 * MAX_BODY_BYTES;

// The receiver's own schema (validated at the boundary): every entry must carry a known change type and
// a resource; extra properties BC may add are kept.
const NotificationBody = z.object({
  value: z
    .array(
      z.looseObject({
        subscriptionId: z.string().min(1),
        clientState: z.string().nullish(),
        expirationDateTime: z.string().optional(),
        resource: z.string().min(1),
        changeType: z.enum(['created', 'updated', 'deleted', 'collection']),
        lastModifiedDateTime: z.string().optional(),
      }),
    )
    .min(1),
});
type NotificationEntry = z.infer<typeof NotificationBody>['value'][number];

/** What a notification path serves: one company's secret, routes and entries. */
export interface ReceiverTarget {
  /** The company whose entries the path wakes (for the log). */
  company: string;
  /** The secret every notification on this path must echo as `clientState`. */
  clientState: string;
  /** Current routes; read per notification so a refresh applies at once. */
  routes: () => WakeRoutes;
  signaller: EntrySignaller;
}

export interface WebhookReceiverOptions {
  /** Interface to listen on (default 127.0.0.1; 0.0.0.0 behind a reverse proxy or on a public host). */
  host?: string;
  /** 0 = a free port. */
  port: number;
  /**
   * The company a notification path serves (each company has its own path and secret, so a notification
   * can only wake the entries of the company whose subscription sent it); undefined = unknown path.
   */
  targetFor: (pathname: string) => ReceiverTarget | undefined;
  logger: Logger;
}

export interface ReceiverStats {
  notifications: number;
  rejected: number;
  /** Wake-ups handed to the signaller (after collapsing entries per entry). */
  wakeups: number;
}

export interface RunningWebhookReceiver {
  /** Base URL the server listens on, e.g. http://127.0.0.1:7050 */
  url: string;
  port: number;
  stats: ReceiverStats;
  close(): Promise<void>;
}

const CODES: Record<number, string> = {
  413: 'PayloadTooLarge',
  415: 'UnsupportedMediaType',
  500: 'InternalError',
};

class HttpFailure extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const digest = (secret: string): Buffer => createHash('sha256').update(secret).digest();

function sameSecret(expected: Buffer, given: string | null | undefined): boolean {
  if (typeof given !== 'string') return false;
  // Digests have one length, so the comparison takes the same time whatever was sent.
  return timingSafeEqual(expected, createHash('sha256').update(given).digest());
}

/** Reads the rest of the request into nothing, so the caller gets the answer instead of a reset. */
function discardRest(req: IncomingMessage, alreadyRead: number): void {
  let discarded = alreadyRead;
  req.removeAllListeners('data');
  req.on('data', (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded > MAX_DISCARDED_BYTES) req.destroy();
  });
  req.resume();
}

const tooLarge = () => new HttpFailure(413, `notification body larger than ${MAX_BODY_BYTES} bytes`);

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    if (Number(req.headers['content-length'] ?? 0) > MAX_BODY_BYTES) {
      discardRest(req, 0);
      return reject(tooLarge());
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        discardRest(req, size);
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** BC posts notifications as JSON (apis.md A); any other media type is not BC. */
function isJson(req: IncomingMessage): boolean {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  return type === 'application/json';
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'X-Content-Type-Options': 'nosniff',
  });
  res.end(text);
}

/** One wake-up per entry per notification: the newest change time and the resource that caused it. */
function wakeupsOf(
  entries: NotificationEntry[],
  routes: WakeRoutes,
  logger: Logger,
): Map<string, ChangeNotice> {
  const byEntry = new Map<string, ChangeNotice>();
  for (const item of entries) {
    // Section 6: an insert, modify or rename wakes an entry, a delete does not (scheduled sync never
    // propagates deletions). `collection` stands for many changes (apis.md A) and wakes.
    if (item.changeType === 'deleted') continue;
    const entitySet = entitySetOfResource(item.resource);
    const names = entitySet ? routes.entriesForBc(entitySet) : [];
    if (names.length === 0) {
      logger.debug({ resource: item.resource }, 'notification for a resource no entry listens to');
      continue;
    }
    const notice: ChangeNotice = { resource: shortResource(item.resource), at: item.lastModifiedDateTime };
    for (const entry of names) {
      const previous = byEntry.get(entry);
      if (!previous || (notice.at ?? '') > (previous.at ?? '')) byEntry.set(entry, notice);
    }
  }
  return byEntry;
}

export async function startWebhookReceiver(options: WebhookReceiverOptions): Promise<RunningWebhookReceiver> {
  const { logger } = options;
  const stats: ReceiverStats = { notifications: 0, rejected: 0, wakeups: 0 };

  /** Every entry echoes the path's secret: only such a caller is told what is wrong with its notification. */
  const authenticated = (expectedSecret: Buffer, raw: unknown): boolean => {
    const value = (raw as { value?: unknown } | null)?.value;
    return (
      Array.isArray(value) &&
      value.length > 0 &&
      value.every((item) =>
        sameSecret(expectedSecret, (item as { clientState?: unknown } | null)?.clientState as string),
      )
    );
  };

  const handleNotification = async (
    target: ReceiverTarget,
    req: IncomingMessage,
    res: ServerResponse,
  ): Promise<void> => {
    const expectedSecret = digest(target.clientState);
    if (!isJson(req)) {
      discardRest(req, 0);
      throw new HttpFailure(415, 'notifications are application/json');
    }
    let raw: unknown;
    try {
      raw = JSON.parse(await readBody(req));
    } catch (err) {
      if (err instanceof HttpFailure) throw err;
      throw new HttpFailure(400, 'notification body is not JSON');
    }
    const parsed = NotificationBody.safeParse(raw);
    if (!parsed.success) {
      const details = z.prettifyError(parsed.error);
      logger.warn({ remoteAddress: req.socket.remoteAddress, details }, 'webhook notification malformed');
      // The schema's details help BC's owner, not a stranger probing the endpoint.
      throw new HttpFailure(
        400,
        authenticated(expectedSecret, raw)
          ? `not a Business Central notification: ${details}`
          : 'not a Business Central notification',
      );
    }
    // A notification is trusted only if every entry echoes our secret; nothing of it is signalled otherwise.
    // (To BC itself a non-success answer deletes the subscription, apis.md A: right for a stale one.)
    if (!parsed.data.value.every((item) => sameSecret(expectedSecret, item.clientState))) {
      stats.rejected++;
      logger.warn(
        {
          company: target.company,
          remoteAddress: req.socket.remoteAddress,
          entries: parsed.data.value.length,
        },
        'webhook notification rejected: clientState missing or wrong',
      );
      send(res, 401, { error: { code: 'InvalidClientState', message: 'clientState does not match' } });
      return;
    }
    stats.notifications++;
    // Answer first: BC retries slow answers, and the signals do not need BC to wait.
    res.writeHead(202).end();
    const wakeups = wakeupsOf(parsed.data.value, target.routes(), logger);
    for (const [entry, notice] of wakeups) {
      stats.wakeups++;
      target.signaller.wake(entry, 'bc', notice);
    }
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://receiver.invalid');
    if (url.pathname === '/health' && req.method === 'GET') return send(res, 200, { ok: true });
    const target = options.targetFor(url.pathname);
    if (!target) return send(res, 404, { error: { code: 'NotFound', message: 'unknown path' } });
    // BC calls notificationUrl?validationToken=... on create and on renew; answer with the token as plain text.
    const validation = answerValidation(url);
    if (validation && (req.method === 'GET' || req.method === 'POST')) {
      req.resume();
      res.writeHead(validation.status, validation.headers).end(validation.body);
      return;
    }
    if (req.method !== 'POST') {
      res.setHeader('Allow', 'POST');
      return send(res, 405, { error: { code: 'MethodNotAllowed', message: 'notifications are POSTed' } });
    }
    await handleNotification(target, req, res);
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      const known = err instanceof HttpFailure;
      if (!known) logger.error({ err: (err as Error).message }, 'webhook receiver failed on a request');
      // Our own failures say what is wrong with the request; anything else stays in the log.
      const status = known ? err.status : 500;
      const message = known ? err.message : 'the receiver failed; see its log';
      if (!res.headersSent) send(res, status, { error: { code: CODES[status] ?? 'BadRequest', message } });
      else res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${address.port}`,
    port: address.port,
    stats,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
