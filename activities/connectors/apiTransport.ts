// One HTTP request to BC or Dataverse with everything both connectors need: the bearer token (refreshed
// once on a 401), a per-request timeout plus the caller's AbortSignal, back-pressure from the identity's
// throttling budget (requestBudget.ts, shared by all workers when it lives in MongoDB), classified errors,
// and retries that never write twice: a request whose outcome is unknown is only sent again when it is
// idempotent or when the caller proved it was not applied.
import { ApiError, apiErrorFromResponse, isAmbiguousFailure, networkError } from './apiError';
import type { OAuthTokenProvider } from './oauthToken';
import type { RequestBudget } from './requestBudget';
import { parseRetryAfter, type RetryPolicy } from './retryPolicy';
import type { JsonRecord, SystemName } from './types';
import type { SyncMetrics } from '../metrics';
import { abortReason, sleep } from './waiting';

/** pino-compatible; the connectors log retries and never log tokens, secrets or bodies. */
export interface ConnectorLogger {
  warn(obj: object, msg: string): void;
  debug?(obj: object, msg?: string): void;
}

export interface TransportOptions {
  system: SystemName;
  tokens: OAuthTokenProvider;
  retry: RetryPolicy;
  /** Per attempt, including reading the body. */
  timeoutMs: number;
  /** Concurrency, request rate and Retry-After pauses of this API identity. */
  budget: RequestBudget;
  /** The company the requests are made for: the budget's fairness share. */
  company?: string;
  /** Requests (including nextLinks and deltaLinks from checkpoints) may only go to this origin. */
  origin: string;
  defaultHeaders: Record<string, string>;
  fetch?: typeof fetch;
  logger?: ConnectorLogger;
  /** Throttling waits (activities/metrics.ts). */
  metrics?: Pick<SyncMetrics, 'throttlingWait'>;
}

/** Fairness key of requests made for no particular company. */
export const DEFAULT_BUDGET_COMPANY = 'default';

export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'DELETE';

export interface ApiRequest {
  method: HttpMethod;
  url: string;
  headers?: Record<string, string>;
  /** An object is sent as JSON; a string as is (multipart batches). */
  body?: JsonRecord | string;
  signal?: AbortSignal;
  /** Sending it twice has the effect of sending it once (GET, PUT-like PATCH, create with a fixed id). */
  idempotent: boolean;
  /**
   * For a non-idempotent request after an ambiguous failure: looks for the effect of the earlier attempt
   * and returns the response to use if it was applied; undefined = not applied, safe to send again.
   */
  checkApplied?: () => Promise<ApiResponse | undefined>;
  /**
   * After an ambiguous attempt, a later attempt failed for good (a stale ETag after our own update went
   * through, a 404 after our own delete): returns the response to use if the earlier attempt explains it.
   */
  explainAfterAmbiguous?: (err: ApiError) => Promise<ApiResponse | undefined>;
  /** An earlier send of this very write (e.g. inside a batch whose answer was lost) may have been applied. */
  mayAlreadyBeApplied?: boolean;
}

export class ApiResponse {
  constructor(
    readonly status: number,
    readonly headers: Headers,
    readonly text: string,
  ) {}

  json<T = JsonRecord>(): T {
    return (this.text ? JSON.parse(this.text) : {}) as T;
  }
}

export interface TransportStats {
  requests: number;
  retries: number;
  throttled: number;
}

export class ApiTransport {
  readonly stats: TransportStats = { requests: 0, retries: 0, throttled: 0 };
  private readonly budget: RequestBudget;
  private readonly fetchImpl: typeof fetch;

  constructor(readonly options: TransportOptions) {
    this.budget = options.budget;
    this.fetchImpl = options.fetch ?? fetch;
  }

  get system(): SystemName {
    return this.options.system;
  }

  /** Refuses URLs on another host, so a tampered checkpoint cannot send our token elsewhere. */
  checkOrigin(url: string, method: string): void {
    let origin: string;
    try {
      origin = new URL(url).origin;
    } catch {
      origin = '';
    }
    if (origin !== this.options.origin) {
      throw new ApiError({
        system: this.system,
        kind: 'validation',
        status: 0,
        code: 'ForeignUrl',
        message: `Refusing to call ${origin || 'an invalid URL'}: only ${this.options.origin} is configured (a nextLink or deltaLink from a checkpoint must come from the same service)`,
        method,
        url,
      });
    }
  }

  async send(req: ApiRequest): Promise<ApiResponse> {
    this.checkOrigin(req.url, req.method);
    const started = Date.now();
    let ambiguousBefore = req.mayAlreadyBeApplied ?? false;
    let refreshedToken = false;
    for (let attempt = 1; ; attempt++) {
      let err: ApiError;
      try {
        return await this.attempt(req);
      } catch (caught) {
        if (!(caught instanceof ApiError)) throw caught;
        err = caught;
      }
      // A token revoked or expired early: fetch a fresh one once before calling it an auth failure.
      if (err.info.status === 401 && err.info.url === req.url && !refreshedToken) {
        refreshedToken = true;
        this.options.tokens.invalidate();
        continue;
      }
      if (!err.retryable) {
        if (ambiguousBefore && req.explainAfterAmbiguous) {
          const explained = await req.explainAfterAmbiguous(err);
          if (explained) return explained;
        }
        throw err;
      }
      const ambiguous = isAmbiguousFailure(err);
      if (ambiguous && !req.idempotent && !req.checkApplied) {
        throw new ApiError({ ...err.info, outcomeUnknown: true }, { cause: err });
      }
      ambiguousBefore ||= ambiguous;
      const delay = this.options.retry.nextDelay(err, attempt, Date.now() - started);
      if (delay === undefined) {
        if (ambiguousBefore && !req.idempotent)
          throw new ApiError({ ...err.info, outcomeUnknown: true }, { cause: err });
        throw err;
      }
      if (err.kind === 'throttled') {
        this.stats.throttled++;
        // Every worker of this identity waits it out, not only this request.
        await this.budget.pauseFor(delay).catch(() => undefined);
      }
      this.stats.retries++;
      this.options.logger?.warn(
        {
          system: this.system,
          method: req.method,
          url: req.url,
          status: err.info.status,
          code: err.info.code,
          attempt,
          delayMs: Math.round(delay),
        },
        `${this.system} request failed (${err.kind}), retrying`,
      );
      await sleep(delay, req.signal);
      if (err.kind === 'throttled') this.options.metrics?.throttlingWait(this.system, 'retry_after', delay);
      if (ambiguous && !req.idempotent && req.checkApplied) {
        const applied = await req.checkApplied();
        if (applied) return applied;
      }
    }
  }

  private async attempt(req: ApiRequest): Promise<ApiResponse> {
    // The token first: fetching it is not a request to the API and must not hold a slot.
    const token = await this.options.tokens.getToken(req.signal);
    const lease = await this.budget.acquire(this.options.company ?? DEFAULT_BUDGET_COMPANY, req.signal);
    if (lease.waitedMs > 0) this.options.metrics?.throttlingWait(this.system, 'budget', lease.waitedMs);
    try {
      const timeout = AbortSignal.timeout(this.options.timeoutMs);
      const signal = req.signal ? AbortSignal.any([timeout, req.signal]) : timeout;
      const headers: Record<string, string> = {
        ...this.options.defaultHeaders,
        ...req.headers,
        Authorization: `Bearer ${token}`,
      };
      let body: string | undefined;
      if (typeof req.body === 'string') body = req.body;
      else if (req.body !== undefined) {
        body = JSON.stringify(req.body);
        headers['Content-Type'] ??= 'application/json';
      }
      this.stats.requests++;
      let response: Response;
      let text: string;
      try {
        response = await this.fetchImpl(req.url, { method: req.method, headers, body, signal });
        text = await response.text();
      } catch (err) {
        if (req.signal?.aborted) throw abortReason(req.signal);
        throw networkError(this.system, req.method, req.url, err);
      }
      if (response.status >= 400) {
        throw apiErrorFromResponse({
          system: this.system,
          method: req.method,
          url: req.url,
          status: response.status,
          bodyText: text,
          retryAfterMs: parseRetryAfter(response.headers.get('retry-after')),
        });
      }
      return new ApiResponse(response.status, response.headers, text);
    } finally {
      // Not awaited: the answer is the caller's now, and the slot is given back on the way (waiters of this
      // process are woken when it is). A lost release only costs the slot until its lease expires.
      void lease.release().catch(() => undefined);
    }
  }
}
