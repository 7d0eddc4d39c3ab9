// OAuth2 client-credentials tokens (Microsoft Entra ID, or the emulators' token endpoint): one cached token
// per client, refreshed ahead of expiry, with concurrent callers sharing one token request.
import { z } from 'zod';
import { ApiError, apiErrorFromResponse, forgetSecret, networkError, registerSecret } from './apiError';
import { RetryPolicy } from './retryPolicy';
import { abortable, sleep } from './waiting';
import type { SystemName } from './types';

export interface TokenProviderOptions {
  system: SystemName;
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  /** e.g. `https://api.businesscentral.dynamics.com/.default` (apis.md A). */
  scope: string;
  /** Refresh this long before expiry (default 5 minutes; half the lifetime for very short-lived tokens). */
  refreshMarginMs?: number;
  timeoutMs?: number;
  retry?: RetryPolicy;
  fetch?: typeof fetch;
  now?: () => number;
}

const tokenResponseSchema = z.object({
  access_token: z.string().min(1),
  token_type: z.string().optional(),
  expires_in: z.coerce.number().positive(),
});

interface CachedToken {
  value: string;
  refreshAt: number;
}

export class OAuthTokenProvider {
  private cached: CachedToken | undefined;
  private inflight: Promise<CachedToken> | undefined;
  private readonly fetchImpl: typeof fetch;
  private readonly now: () => number;
  private readonly retry: RetryPolicy;
  /** Token requests sent (for diagnostics and tests). */
  requests = 0;

  constructor(private readonly options: TokenProviderOptions) {
    this.fetchImpl = options.fetch ?? fetch;
    this.now = options.now ?? Date.now;
    this.retry = options.retry ?? new RetryPolicy();
    registerSecret(options.clientSecret);
  }

  /** A valid access token; requests a new one only when none is cached or it is due for refresh. */
  async getToken(signal?: AbortSignal): Promise<string> {
    if (this.cached && this.now() < this.cached.refreshAt) return this.cached.value;
    // Concurrent callers share one request; a caller's abort must not cancel it for the others.
    this.inflight ??= this.requestToken().finally(() => {
      this.inflight = undefined;
    });
    const token = await abortable(this.inflight, signal);
    return token.value;
  }

  /** Drops the cached token (after a 401 with it), so the next call fetches a fresh one. */
  invalidate(token?: string): void {
    if (!token || this.cached?.value === token) this.cached = undefined;
  }

  private async requestToken(): Promise<CachedToken> {
    const started = this.now();
    for (let attempt = 1; ; attempt++) {
      try {
        const token = await this.requestOnce();
        if (this.cached && this.cached.value !== token.value) forgetSecret(this.cached.value);
        this.cached = token;
        return token;
      } catch (err) {
        if (!(err instanceof ApiError)) throw err;
        const delay = this.retry.nextDelay(err, attempt, this.now() - started);
        if (delay === undefined) throw err;
        await sleep(delay);
      }
    }
  }

  private async requestOnce(): Promise<CachedToken> {
    const { tokenUrl, clientId, clientSecret, scope, system } = this.options;
    const form = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: clientId,
      client_secret: clientSecret,
      scope,
    });
    this.requests++;
    let response: Response;
    try {
      response = await this.fetchImpl(tokenUrl, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
        body: form.toString(),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 30_000),
      });
    } catch (err) {
      throw networkError(system, 'POST', tokenUrl, err);
    }
    const text = await response.text();
    if (!response.ok) {
      const error = apiErrorFromResponse({
        system,
        method: 'POST',
        url: tokenUrl,
        status: response.status,
        bodyText: text,
      });
      // A rejected client (400 invalid_client / unauthorized_client) is an auth problem, not bad input.
      if (response.status === 400 || response.status === 401) {
        throw new ApiError({
          ...error.info,
          kind: 'auth',
          message: `${error.info.message} (check the client id and secret of ${system === 'bc' ? 'BCSYNC_BC_CLIENT_ID / BCSYNC_BC_CLIENT_SECRET' : 'BCSYNC_DATAVERSE_CLIENT_ID / BCSYNC_DATAVERSE_CLIENT_SECRET'})`,
        });
      }
      throw error;
    }
    const parsed = tokenResponseSchema.safeParse(safeJson(text));
    if (!parsed.success) {
      throw new ApiError({
        system,
        kind: 'auth',
        status: response.status,
        code: 'invalid_token_response',
        message: 'The token endpoint answered without access_token / expires_in',
        method: 'POST',
        url: tokenUrl,
      });
    }
    registerSecret(parsed.data.access_token);
    const lifetimeMs = parsed.data.expires_in * 1000;
    const margin = Math.min(this.options.refreshMarginMs ?? 300_000, lifetimeMs / 2);
    return { value: parsed.data.access_token, refreshAt: this.now() + lifetimeMs - margin };
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
