// Turning the answer to one operation (alone or inside a $batch) into a WriteResult, shared by both
// connectors so the engine sees the same shape whichever system it writes to.
import { ApiError, apiErrorFromResponse, isAmbiguousFailure } from './apiError';
import { parseRetryAfter } from './retryPolicy';
import type { ApiErrorInfo, JsonRecord, SystemName, WriteOperation, WriteResult } from './types';

export function failedResult(info: ApiErrorInfo): WriteResult {
  return { ok: false, error: info };
}

/** Runs one write and reports it as a WriteResult instead of throwing (cancellation still throws). */
export async function settle(run: () => Promise<WriteResult>): Promise<WriteResult> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof ApiError) return failedResult(err.info);
    throw err;
  }
}

/** The error of one inner batch response, classified like a stand-alone response. */
export function itemError(args: {
  system: SystemName;
  method: string;
  url: string;
  status: number;
  body: unknown;
  retryAfter?: string;
}): ApiError {
  const bodyText = typeof args.body === 'string' ? args.body : JSON.stringify(args.body ?? {});
  return apiErrorFromResponse({
    system: args.system,
    method: args.method,
    url: args.url,
    status: args.status,
    bodyText,
    retryAfterMs: parseRetryAfter(args.retryAfter),
  });
}

/** Items worth sending again on their own: a retryable failure, possibly already applied. */
export function needsSecondChance(result: WriteResult): { mayAlreadyBeApplied: boolean } | undefined {
  if (result.ok) return undefined;
  const err = new ApiError(result.error);
  if (!err.retryable) return undefined;
  return { mayAlreadyBeApplied: isAmbiguousFailure(err) };
}

export function opLabel(op: WriteOperation): string {
  return op.kind === 'create' ? `create ${op.entity}` : `${op.kind} ${op.entity}(${op.id})`;
}

export function recordOf(body: unknown): JsonRecord | undefined {
  return body && typeof body === 'object' && !Array.isArray(body) ? (body as JsonRecord) : undefined;
}
