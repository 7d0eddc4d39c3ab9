// Test helpers for the BC emulator contract tests: an authenticated fetch wrapper and a webhook receiver.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RunningBcEmulator } from '../../emulators/bc';

export interface BcResponse {
  status: number;
  headers: Headers;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json: any;
  text: string;
}

export interface BcClient {
  token: string;
  /** `path`: absolute URL, `/...` from the emulator root, or relative to `companies({id})/`. */
  request(
    method: string,
    path: string,
    options?: { body?: unknown; headers?: Record<string, string> },
  ): Promise<BcResponse>;
  get(path: string, headers?: Record<string, string>): Promise<BcResponse>;
  companyPath(entitySet: string, api?: 'v2.0' | 'custom'): string;
}

export async function fetchToken(bc: RunningBcEmulator, secret = bc.clientSecret): Promise<Response> {
  return fetch(bc.tokenUrl, {
    method: 'POST',
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: bc.clientId,
      client_secret: secret,
      scope: 'https://api.businesscentral.dynamics.com/.default',
    }),
  });
}

export async function bcClient(bc: RunningBcEmulator): Promise<BcClient> {
  const tokenResponse = await fetchToken(bc);
  const token = ((await tokenResponse.json()) as { access_token: string }).access_token;
  const resolve = (path: string) =>
    path.startsWith('http')
      ? path
      : path.startsWith('/')
        ? `${bc.url}${path}`
        : `${bc.apiUrl}/companies(${bc.companyId})/${path}`;
  const request: BcClient['request'] = async (method, path, options = {}) => {
    const response = await fetch(resolve(path), {
      method,
      headers: {
        Authorization: `Bearer ${token}`,
        ...(options.body !== undefined ? { 'Content-Type': 'application/json' } : {}),
        ...options.headers,
      },
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
    const text = await response.text();
    let json: unknown;
    try {
      json = text === '' ? undefined : JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: response.status, headers: response.headers, json, text };
  };
  return {
    token,
    request,
    get: (path, headers) => request('GET', path, { headers }),
    companyPath: (entitySet, api = 'v2.0') =>
      `${api === 'v2.0' ? bc.apiUrl : bc.customApiUrl}/companies(${bc.companyId})/${entitySet}`,
  };
}

export interface ReceivedNotification {
  value: {
    subscriptionId: string;
    clientState: string;
    expirationDateTime: string;
    resource: string;
    changeType: string;
    lastModifiedDateTime: string;
  }[];
}

export interface WebhookReceiver {
  url: string;
  validations: number;
  notifications: ReceivedNotification[];
  /** Status for the n-th notification POST (0-based); 200 unless set. */
  notificationStatus: (n: number) => number;
  /** How the validation handshake answers: echo the token (default), or something else. */
  handshake: 'echo' | 'wrong-token' | 'status-500';
  /** Resolves once `count` notifications arrived (rejects after `timeoutMs`). */
  waitForNotifications(count: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

async function bodyOf(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const waiters: { count: number; resolve: () => void }[] = [];
  const receiver: WebhookReceiver = {
    url: '',
    validations: 0,
    notifications: [],
    notificationStatus: () => 200,
    handshake: 'echo',
    waitForNotifications(count, timeoutMs = 10_000) {
      if (receiver.notifications.length >= count) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`Expected ${count} notifications, got ${receiver.notifications.length}.`)),
          timeoutMs,
        );
        waiters.push({
          count,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        });
      });
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  const server: Server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://receiver.local');
      const body = await bodyOf(req);
      const token = url.searchParams.get('validationToken');
      if (token !== null) {
        receiver.validations++;
        if (receiver.handshake === 'status-500') {
          res.writeHead(500).end();
        } else {
          res
            .writeHead(200, { 'Content-Type': 'text/plain' })
            .end(receiver.handshake === 'echo' ? token : 'not-the-token');
        }
        return;
      }
      const n = receiver.notifications.length;
      receiver.notifications.push(JSON.parse(body) as ReceivedNotification);
      res.writeHead(receiver.notificationStatus(n)).end();
      for (const w of waiters.filter((w) => receiver.notifications.length >= w.count)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/bc`;
  return receiver;
}
