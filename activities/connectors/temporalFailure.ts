// How a connector error reaches Temporal from an activity: the kind becomes the failure type (so retry
// policies can name it), validation / conflict / not-found / auth are not retried (they need a change
// first), and throttling carries the server's Retry-After as the next retry delay (backpressure, not a
// tight retry loop). A write with an unknown outcome is not retried blindly either: the caller must look
// the record up first.
import { ApplicationFailure } from '@temporalio/common';
import { ApiError } from './apiError';

export function toApplicationFailure(err: ApiError): ApplicationFailure {
  return ApplicationFailure.create({
    type: `ApiError.${err.kind}`,
    message: err.message,
    nonRetryable: !err.retryable || err.info.outcomeUnknown === true,
    details: [err.info],
    ...(err.info.retryAfterMs !== undefined ? { nextRetryDelay: err.info.retryAfterMs } : {}),
  });
}

/** Runs `fn`, turning an ApiError into the matching ApplicationFailure (other errors pass unchanged). */
export async function withApiFailures<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ApiError) throw toApplicationFailure(err);
    throw err;
  }
}
