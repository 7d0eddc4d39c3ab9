// How a connector error reaches Temporal from an activity: the kind becomes the failure type (so retry
// policies can name it), validation / conflict / not-found / auth are not retried (they need a change
// first), and throttling carries the server's Retry-After as the next retry delay (backpressure, not a
// tight retry loop). A write with an unknown outcome is not retried blindly either: the caller must look
// the record up first.
// What goes into the history carries no record values: the request URL is cut to its entity sets and
// record ids (filters, selects and alternate-key values dropped), even though the payload codec encrypts
// it too - a history is kept for months and may be read without the key.
import { ApplicationFailure } from '@temporalio/common';
import { ApiError } from './apiError';

const ID_KEY = /^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|\d+)$/i;

/**
 * `https://host/.../companies(<id>)/contacts?$filter=email eq 'x'` -> `/companies(<id>)/contacts`:
 * path segments keep their entity set and a GUID or number key; any other key (an alternate key such as
 * `contacts(emailaddress1='x')`) becomes `(…)`.
 */
export function historySafeUrl(url: string): string {
  let path: string;
  try {
    path = new URL(url).pathname;
  } catch {
    path = url.split('?')[0] ?? '';
  }
  return decodeURIComponent(path)
    .split('/')
    .map((segment) => {
      const open = segment.indexOf('(');
      if (open < 0) return segment;
      const key = segment.slice(open + 1, segment.lastIndexOf(')'));
      return `${segment.slice(0, open)}(${ID_KEY.test(key) ? key : '…'})`;
    })
    .join('/');
}

export function toApplicationFailure(err: ApiError): ApplicationFailure {
  const info = { ...err.info, url: historySafeUrl(err.info.url) };
  const system = info.system === 'bc' ? 'Business Central' : 'Dataverse';
  const status = info.status === 0 ? 'network failure' : `HTTP ${info.status}`;
  const code = info.code ? ` ${info.code}` : '';
  return ApplicationFailure.create({
    type: `ApiError.${err.kind}`,
    message: `${system} ${info.method} ${info.url} failed (${info.kind}, ${status}${code}): ${info.message}${
      info.outcomeUnknown ? ' (outcome unknown: look the record up before writing again)' : ''
    }`,
    nonRetryable: !err.retryable || err.info.outcomeUnknown === true,
    details: [info],
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
