// OAuth2 client-credentials token endpoint of Microsoft Entra ID (`/{tenant}/oauth2/v2.0/token`), as both
// emulators serve it (apis.md C "Both": reject bad secrets with 401). Tokens are JWT-shaped and signed
// with a per-emulator key, so verification needs no token table and a restarted emulator rejects old tokens
// the way a rotated signing key would. The token's audience is the resource of the requested scope (`{resource}/.default`), and each
// service accepts only tokens for itself: a Business Central token is refused by Dataverse and vice versa
// (Microsoft identity platform, access tokens: "APIs must validate the aud claim").
import { createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';

export interface ClientCredential {
  clientId: string;
  clientSecret: string;
}

export interface TokenIssuerOptions extends ClientCredential {
  ttlSeconds?: number;
  /** Tenant the endpoint belongs to; a request for another tenant fails like Entra ID does. */
  tenant?: string;
  /** More registered applications (e.g. a second integration user in tests). */
  additionalClients?: ClientCredential[];
  /** Clock (ms since epoch); injectable so tests can expire tokens without waiting. */
  now?: () => number;
  /**
   * The resource this service is (`https://api.businesscentral.dynamics.com`, the Dataverse organisation
   * URL): `verify` refuses a token issued for another audience. Absent: any audience (unit tests only).
   */
  audience?: () => string;
}

export interface TokenResponse {
  status: number;
  body: Record<string, unknown>;
}

export type TokenVerification = { ok: true; clientId: string } | { ok: false; reason: string };

/** The audience of a scope as Entra ID issues it: the resource, without `/.default` and trailing `/`. */
export function audienceOf(scopeOrResource: string): string {
  return scopeOrResource
    .trim()
    .replace(/\/\.default$/, '')
    .replace(/\/+$/, '')
    .toLowerCase();
}

const DEFAULT_TTL_SECONDS = 3599;

function base64url(input: Buffer | string): string {
  return Buffer.from(input).toString('base64url');
}

function aadError(status: number, error: string, code: string, description: string): TokenResponse {
  const traceId = randomUUID();
  const correlationId = randomUUID();
  return {
    status,
    body: {
      error,
      error_description: `${code}: ${description} Trace ID: ${traceId} Correlation ID: ${correlationId} Timestamp: ${new Date().toISOString().replace('T', ' ').slice(0, 19)}Z`,
      error_codes: [Number(code.replace('AADSTS', ''))],
      timestamp: new Date().toISOString(),
      trace_id: traceId,
      correlation_id: correlationId,
    },
  };
}

export class TokenIssuer {
  private readonly clients = new Map<string, string>();
  private readonly signingKey = randomBytes(32);
  private readonly audience?: () => string;
  private readonly ttlSeconds: number;
  private readonly tenant?: string;
  private readonly now: () => number;

  constructor(options: TokenIssuerOptions) {
    this.clients.set(options.clientId, options.clientSecret);
    for (const extra of options.additionalClients ?? []) this.clients.set(extra.clientId, extra.clientSecret);
    this.ttlSeconds = options.ttlSeconds ?? DEFAULT_TTL_SECONDS;
    this.tenant = options.tenant;
    this.now = options.now ?? Date.now;
    this.audience = options.audience;
  }

  /** Registers another application (client id + secret) at run time. */
  addClient(credential: ClientCredential): void {
    this.clients.set(credential.clientId, credential.clientSecret);
  }

  get clientIds(): string[] {
    return [...this.clients.keys()];
  }

  /**
   * Answers a token request. `form` is the x-www-form-urlencoded body; `tenant` is the path segment
   * of the request (checked when the issuer was given one).
   */
  issue(form: URLSearchParams | string | Record<string, string>, tenant?: string): TokenResponse {
    const params =
      form instanceof URLSearchParams
        ? form
        : typeof form === 'string'
          ? new URLSearchParams(form)
          : new URLSearchParams(form);
    if (
      this.tenant !== undefined &&
      tenant !== undefined &&
      tenant.toLowerCase() !== this.tenant.toLowerCase()
    ) {
      return aadError(
        400,
        'invalid_request',
        'AADSTS90002',
        `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`,
      );
    }
    const grantType = params.get('grant_type');
    if (!grantType) {
      return aadError(
        400,
        'invalid_request',
        'AADSTS900144',
        "The request body must contain the following parameter: 'grant_type'.",
      );
    }
    if (grantType !== 'client_credentials') {
      return aadError(
        400,
        'unsupported_grant_type',
        'AADSTS70003',
        `The app requested an unsupported grant type '${grantType}'.`,
      );
    }
    const clientId = params.get('client_id');
    if (!clientId) {
      return aadError(
        400,
        'invalid_request',
        'AADSTS900144',
        "The request body must contain the following parameter: 'client_id'.",
      );
    }
    if (!params.get('scope')) {
      return aadError(
        400,
        'invalid_request',
        'AADSTS900144',
        "The request body must contain the following parameter: 'scope'.",
      );
    }
    const expected = this.clients.get(clientId);
    if (expected === undefined) {
      return aadError(
        400,
        'unauthorized_client',
        'AADSTS700016',
        `Application with identifier '${clientId}' was not found in the directory '${tenant ?? this.tenant ?? ''}'.`,
      );
    }
    const secret = params.get('client_secret') ?? '';
    if (!safeEqual(secret, expected)) {
      // The secret itself never appears in the answer.
      return aadError(
        401,
        'invalid_client',
        'AADSTS7000215',
        `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${clientId}'.`,
      );
    }
    const issuedAt = Math.floor(this.now() / 1000);
    const payload = {
      aud: audienceOf(params.get('scope') ?? ''),
      iss: `https://sts.windows.net/${tenant ?? this.tenant ?? 'common'}/`,
      iat: issuedAt,
      nbf: issuedAt,
      exp: issuedAt + this.ttlSeconds,
      appid: clientId,
      tid: tenant ?? this.tenant,
      jti: randomUUID(),
    };
    return {
      status: 200,
      body: {
        token_type: 'Bearer',
        expires_in: this.ttlSeconds,
        ext_expires_in: this.ttlSeconds,
        access_token: this.sign(payload),
      },
    };
  }

  /** Checks an `Authorization` header value (`Bearer <token>`). */
  verify(authorizationHeader: string | undefined): TokenVerification {
    if (!authorizationHeader) return { ok: false, reason: 'missing' };
    const match = /^Bearer\s+(\S+)$/i.exec(authorizationHeader.trim());
    if (!match) return { ok: false, reason: 'malformed' };
    const parts = match[1].split('.');
    if (parts.length !== 3) return { ok: false, reason: 'malformed' };
    const [header, payload, signature] = parts;
    const expected = createHmac('sha256', this.signingKey).update(`${header}.${payload}`).digest('base64url');
    if (!safeEqual(signature, expected)) return { ok: false, reason: 'signature' };
    let claims: { exp?: number; appid?: string; aud?: string };
    try {
      claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as {
        exp?: number;
        appid?: string;
        aud?: string;
      };
    } catch {
      return { ok: false, reason: 'malformed' };
    }
    if (typeof claims.exp !== 'number' || claims.exp * 1000 <= this.now())
      return { ok: false, reason: 'expired' };
    if (typeof claims.appid !== 'string' || !this.clients.has(claims.appid))
      return { ok: false, reason: 'unknown client' };
    if (this.audience && audienceOf(claims.aud ?? '') !== audienceOf(this.audience()))
      return { ok: false, reason: `audience '${claims.aud ?? ''}' is not '${audienceOf(this.audience())}'` };
    return { ok: true, clientId: claims.appid };
  }

  private sign(payload: Record<string, unknown>): string {
    const header = base64url(JSON.stringify({ typ: 'JWT', alg: 'HS256' }));
    const body = base64url(JSON.stringify(payload));
    const signature = createHmac('sha256', this.signingKey).update(`${header}.${body}`).digest('base64url');
    return `${header}.${body}.${signature}`;
  }
}

function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** Matches the token endpoint path and returns the tenant segment, or undefined. */
export function matchTokenPath(pathname: string): string | undefined {
  const match = /^\/([^/]+)\/oauth2\/v2\.0\/token\/?$/.exec(pathname);
  return match ? decodeURIComponent(match[1]) : undefined;
}
