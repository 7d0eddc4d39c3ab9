// Who may use the operator console. On loopback (the default) the machine's users may; bound to another
// address, an access token is required (given once as ?token=, then kept in an HttpOnly cookie). Either
// way: requests must name this server in their Host header (a DNS-rebinding page cannot reach it), and a
// form post must come from the console's own pages (Origin), so another site cannot press its buttons.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

export const TOKEN_COOKIE = 'bcsync_console';

export interface ConsoleAccess {
  host: string;
  /** Null on loopback without a configured token. */
  token: string | null;
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** The token: BCSYNC_CONSOLE_TOKEN when set, a random one when bound beyond loopback, else none. */
export function consoleAccess(host: string, configuredToken: string | undefined): ConsoleAccess {
  if (configuredToken !== undefined && configuredToken.length < 16)
    throw new Error(
      'BCSYNC_CONSOLE_TOKEN must be at least 16 characters (or leave it unset for a random one)',
    );
  if (configuredToken) return { host, token: configuredToken };
  return { host, token: isLoopback(host) ? null : randomBytes(24).toString('base64url') };
}

const sameToken = (a: string, b: string) => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

function cookieToken(req: FastifyRequest): string | undefined {
  const header = req.headers.cookie ?? '';
  for (const part of header.split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === TOKEN_COOKIE) return decodeURIComponent(v.join('='));
  }
  return undefined;
}

const hostName = (hostHeader: string) => hostHeader.replace(/:\d+$/, '').toLowerCase();

/**
 * Checks a request; answers it (and returns false) when it may not go on. `?token=` on a page sets the
 * cookie and redirects to the same page without it, so the token stays out of the address bar.
 */
export function admit(access: ConsoleAccess, req: FastifyRequest, reply: FastifyReply): boolean {
  const host = req.headers.host ?? '';
  if (isLoopback(access.host) && !isLoopback(hostName(host))) {
    void reply.code(421).type('text/plain').send('bcsync console: wrong Host for a loopback console');
    return false;
  }
  if (req.method === 'POST') {
    const origin = req.headers.origin;
    const site = req.headers['sec-fetch-site'];
    if ((origin !== undefined && origin !== `http://${host}`) || site === 'cross-site') {
      void reply.code(403).type('text/plain').send('bcsync console: a form from another site was refused');
      return false;
    }
  }
  if (!access.token) return true;
  const url = new URL(req.url, 'http://console');
  const given = url.searchParams.get('token');
  if (given !== null && req.method === 'GET') {
    if (!sameToken(given, access.token)) {
      void reply.code(401).type('text/plain').send('bcsync console: wrong access token');
      return false;
    }
    url.searchParams.delete('token');
    void reply
      .header(
        'set-cookie',
        `${TOKEN_COOKIE}=${encodeURIComponent(access.token)}; HttpOnly; SameSite=Strict; Path=/`,
      )
      .redirect(`${url.pathname}${url.search}`, 303);
    return false;
  }
  const bearer = req.headers.authorization?.replace(/^Bearer /, '');
  const presented = cookieToken(req) ?? bearer;
  if (presented && sameToken(presented, access.token)) return true;
  void reply
    .code(401)
    .type('text/plain')
    .send('bcsync console: open the address with ?token=<access token> that `bcsync console` printed');
  return false;
}
