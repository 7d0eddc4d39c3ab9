// Every failure of either API becomes an ApiError carrying a classified ApiErrorInfo, so the engine can log
// per record (the API's own code and message are kept) and Temporal can decide what to retry.
import type { ApiErrorInfo, ApiErrorKind, SystemName } from './types';
import { maskSecrets } from '../../common/secretMasking';

/** Values that must never leave the process in an error message: client secrets and access tokens. */
const knownSecrets = new Set<string>();

/** Registers a secret so that every ApiError message built later has it masked. */
export function registerSecret(secret: string): void {
  // Very short values would mask ordinary words; real secrets and tokens are long.
  if (secret.length >= 8) knownSecrets.add(secret);
}

export function forgetSecret(secret: string): void {
  knownSecrets.delete(secret);
}

/** Masks registered secrets, then what looks like one (common/secretMasking.ts: URIs, forms, bearer tokens). */
export function redactSecrets(text: string): string {
  let out = text;
  for (const secret of knownSecrets) out = out.split(secret).join('***');
  return maskSecrets(out);
}

// Dataverse service protection limits (apis.md B): number of requests, execution time, concurrency.
const DATAVERSE_THROTTLE_CODES = new Set(['0x80072322', '0x80072321', '0x80072326']);
// Dataverse "duplicate record" / "duplicate key" codes: the row (or its alternate key) already exists.
const DATAVERSE_DUPLICATE_CODES = new Set(['0x80040237', '0x80060892', '0x80040333']);

/** Classification by status first, refined by the API's own code (BC code families, Dataverse hex codes). */
export function classify(status: number, code: string): ApiErrorKind {
  if (DATAVERSE_THROTTLE_CODES.has(code.toLowerCase())) return 'throttled';
  if (status === 429) return 'throttled';
  if (status === 0 || status === 408 || status >= 500) return 'transient';
  if (status === 401 || status === 403) return 'auth';
  if (code.startsWith('Authentication_') || code.startsWith('Authorization_')) return 'auth';
  if (status === 404) return 'notFound';
  if (status === 409 || status === 412) return 'conflict';
  // apis.md A: stale ETag -> Request_EntityChanged; duplicate primary key -> Internal_EntityWithSameKeyExists.
  if (code === 'Request_EntityChanged' || code === 'Internal_EntityWithSameKeyExists') return 'conflict';
  if (DATAVERSE_DUPLICATE_CODES.has(code.toLowerCase())) return 'conflict';
  return 'validation';
}

export class ApiError extends Error {
  readonly info: ApiErrorInfo;

  constructor(info: ApiErrorInfo, options?: { cause?: unknown }) {
    const safe: ApiErrorInfo = {
      ...info,
      message: redactSecrets(info.message),
      url: redactSecrets(info.url),
    };
    super(describe(safe), options);
    this.name = 'ApiError';
    this.info = safe;
  }

  get kind(): ApiErrorKind {
    return this.info.kind;
  }

  /** Transient and throttled failures may succeed later; the others need a change first. */
  get retryable(): boolean {
    return this.info.kind === 'transient' || this.info.kind === 'throttled';
  }

  toJSON(): ApiErrorInfo {
    return this.info;
  }
}

function describe(info: ApiErrorInfo): string {
  const system = info.system === 'bc' ? 'Business Central' : 'Dataverse';
  const status = info.status === 0 ? 'network failure' : `HTTP ${info.status}`;
  const code = info.code ? ` ${info.code}` : '';
  const unknown = info.outcomeUnknown ? ' (outcome unknown: look the record up before writing again)' : '';
  return `${system} ${info.method} ${info.url} failed (${info.kind}, ${status}${code}): ${info.message}${unknown}`;
}

export function isApiError(err: unknown): err is ApiError {
  return err instanceof ApiError;
}

/** The `{"error":{"code","message"}}` body both APIs use; tolerant of other shapes (gateways, HTML). */
export function parseErrorBody(text: string): { code: string; message: string } {
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed && typeof parsed === 'object') {
      const error = (parsed as { error?: unknown }).error;
      if (error && typeof error === 'object') {
        const { code, message } = error as { code?: unknown; message?: unknown };
        return {
          code: typeof code === 'string' ? code : '',
          message: typeof message === 'string' ? message : '',
        };
      }
      // OAuth2 token endpoint shape: {error: 'invalid_client', error_description: '...'}
      const { error_description } = parsed as { error_description?: unknown };
      if (typeof error === 'string') {
        return { code: error, message: typeof error_description === 'string' ? error_description : error };
      }
    }
  } catch {
    // not JSON: fall through
  }
  return { code: '', message: text.slice(0, 500) };
}

export function apiErrorFromResponse(args: {
  system: SystemName;
  method: string;
  url: string;
  status: number;
  bodyText: string;
  retryAfterMs?: number;
}): ApiError {
  const { code, message } = parseErrorBody(args.bodyText);
  return new ApiError({
    system: args.system,
    kind: classify(args.status, code),
    status: args.status,
    code,
    message: message || `HTTP ${args.status}`,
    method: args.method,
    url: args.url,
    ...(args.retryAfterMs !== undefined ? { retryAfterMs: args.retryAfterMs } : {}),
  });
}

/** True when the API said the row already exists (create with an id or natural key that is taken). */
export function isAlreadyExists(info: ApiErrorInfo): boolean {
  if (info.code === 'Internal_EntityWithSameKeyExists') return true;
  if (DATAVERSE_DUPLICATE_CODES.has(info.code.toLowerCase())) return true;
  return (info.status === 409 || info.status === 412) && /already exists|duplicate/i.test(info.message);
}

// Failures where the request never reached the server: safe to send again even when not idempotent.
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH']);

/** A fetch that threw (dropped connection, timeout, DNS): transient, status 0, the socket code kept. */
export function networkError(system: SystemName, method: string, url: string, err: unknown): ApiError {
  const code = networkCode(err);
  const timedOut = code === 'TimeoutError';
  return new ApiError(
    {
      system,
      kind: 'transient',
      status: 0,
      code,
      message: timedOut ? 'The request timed out' : `Network failure: ${errorMessage(err)}`,
      method,
      url,
    },
    { cause: err },
  );
}

function networkCode(err: unknown): string {
  if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) return err.name;
  let current: unknown = err;
  for (let depth = 0; depth < 4 && current && typeof current === 'object'; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return 'NETWORK_ERROR';
}

function errorMessage(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause instanceof Error ? `: ${err.cause.message}` : '';
  return `${err.message}${cause}`;
}

/**
 * The server may have applied the request: the connection dropped or timed out after sending, or a
 * gateway / server error came back. 429 and 503 are answered before any work is done (throttling and
 * service protection), so they are not ambiguous.
 */
export function isAmbiguousFailure(err: ApiError): boolean {
  const { status, code } = err.info;
  if (status === 0) return !NOT_SENT_CODES.has(code);
  return status === 408 || status === 500 || status === 502 || status === 504;
}
