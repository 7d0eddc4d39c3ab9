import {
  ApiError,
  apiErrorFromResponse,
  classify,
  isAmbiguousFailure,
  networkError,
  redactSecrets,
  registerSecret,
} from '../../activities/connectors/apiError';
import { parseRetryAfter, RetryPolicy } from '../../activities/connectors/retryPolicy';
import { historySafeUrl, toApplicationFailure } from '../../activities/connectors/temporalFailure';

function err(status: number, code = '', retryAfterMs?: number): ApiError {
  return new ApiError({
    system: 'bc',
    kind: classify(status, code),
    status,
    code,
    message: 'm',
    method: 'GET',
    url: 'https://x/y',
    retryAfterMs,
  });
}

describe('error classification', () => {
  it.each([
    [429, '', 'throttled'],
    [503, '', 'transient'],
    [500, 'Internal_ServerError', 'transient'],
    [408, '', 'transient'],
    [0, 'ECONNRESET', 'transient'],
    [401, 'Authentication_InvalidCredentials', 'auth'],
    [403, 'Authorization_NoPermission', 'auth'],
    [404, 'BadRequest_NotFound', 'notFound'],
    [409, 'Request_EntityChanged', 'conflict'],
    [412, '0x80060882', 'conflict'],
    [400, 'Internal_EntityWithSameKeyExists', 'conflict'],
    [400, 'Application_StringExceededLength', 'validation'],
    [400, '0x80044331', 'validation'],
    [400, '0x80072322', 'throttled'],
  ])('HTTP %i %s is %s', (status, code, kind) => {
    expect(classify(status, code)).toBe(kind);
  });

  it('keeps the API code and message from the error body', () => {
    const e = apiErrorFromResponse({
      system: 'dataverse',
      method: 'POST',
      url: 'https://org/api/data/v9.2/accounts',
      status: 400,
      bodyText: JSON.stringify({
        error: { code: '0x80044331', message: "The length of the 'name' attribute exceeded" },
      }),
    });
    expect(e.info).toMatchObject({
      kind: 'validation',
      code: '0x80044331',
      message: "The length of the 'name' attribute exceeded",
    });
    expect(e.message).toContain('0x80044331');
    expect(e.retryable).toBe(false);
  });

  it('never shows a registered secret or a bearer token in a message', () => {
    registerSecret('super-secret-value-123');
    const e = new ApiError({
      system: 'bc',
      kind: 'auth',
      status: 401,
      code: 'x',
      message: 'echo: super-secret-value-123 Authorization: Bearer eyJabc.def.ghi client_secret=abc',
      method: 'GET',
      url: 'https://x',
    });
    expect(e.message).not.toContain('super-secret-value-123');
    expect(e.message).not.toContain('eyJabc');
    expect(redactSecrets('client_secret=abc&x=1')).toBe('client_secret=***&x=1');
  });

  it('tells a dropped connection (maybe applied) from a refused one (never sent)', () => {
    const reset = networkError(
      'bc',
      'POST',
      'https://x',
      Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNRESET' } }),
    );
    const refused = networkError(
      'bc',
      'POST',
      'https://x',
      Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } }),
    );
    expect(reset.info).toMatchObject({ kind: 'transient', status: 0, code: 'ECONNRESET' });
    expect(isAmbiguousFailure(reset)).toBe(true);
    expect(isAmbiguousFailure(refused)).toBe(false);
    expect(isAmbiguousFailure(err(429))).toBe(false);
    expect(isAmbiguousFailure(err(503))).toBe(false);
    expect(isAmbiguousFailure(err(502))).toBe(true);
  });
});

describe('retry policy', () => {
  const policy = new RetryPolicy(
    { maxAttempts: 4, baseDelayMs: 100, maxDelayMs: 1000, maxElapsedMs: 10_000 },
    () => 0.5,
  );

  it('waits what Retry-After says on 429', () => {
    expect(policy.nextDelay(err(429, '', 2000), 1, 0)).toBe(2000);
  });

  it('backs off exponentially with jitter on transient failures, capped', () => {
    const delays = [1, 2, 3].map((n) => policy.nextDelay(err(503), n, 0)!);
    expect(delays[0]).toBeGreaterThanOrEqual(50);
    expect(delays[1]).toBeGreaterThan(delays[0]);
    expect(delays[2]).toBeGreaterThan(delays[1]);
    expect(policy.backoff(20)).toBeLessThanOrEqual(1000);
  });

  it('gives up after the attempts or the time budget, and never retries validation errors', () => {
    expect(policy.nextDelay(err(503), 4, 0)).toBeUndefined();
    expect(policy.nextDelay(err(503), 1, 9_990)).toBeUndefined();
    expect(policy.nextDelay(err(400), 1, 0)).toBeUndefined();
    expect(policy.nextDelay(err(429, '', 600_000), 1, 0)).toBeUndefined();
  });

  it('scales Retry-After when configured (tests)', () => {
    const fast = new RetryPolicy({ retryAfterScale: 0.01 });
    expect(fast.nextDelay(err(429, '', 1000), 1, 0)).toBe(10);
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    expect(parseRetryAfter('3')).toBe(3000);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4_000)).toBe(6000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(null)).toBeUndefined();
  });
});

describe('Temporal failures', () => {
  it('lets Temporal retry throttling after Retry-After, and not retry what needs a change first', () => {
    const throttled = toApplicationFailure(err(429, '', 3000));
    expect(throttled.type).toBe('ApiError.throttled');
    expect(throttled.nonRetryable).toBe(false);
    expect(throttled.nextRetryDelay).toBe(3000);
    expect(toApplicationFailure(err(409, 'Request_EntityChanged')).nonRetryable).toBe(true);
    expect(toApplicationFailure(err(400, 'Application_StringExceededLength')).details).toEqual([
      expect.objectContaining({ code: 'Application_StringExceededLength', kind: 'validation' }),
    ]);
    const unknown = new ApiError({ ...err(0, 'ECONNRESET').info, outcomeUnknown: true });
    expect(toApplicationFailure(unknown).nonRetryable).toBe(true);
  });

  it('puts no record values into the history: the URL keeps entity sets and ids, filters are dropped', () => {
    const failure = toApplicationFailure(
      new ApiError({
        ...err(400, 'BadRequest').info,
        method: 'GET',
        url: "https://bc.contoso.test/api/v2.0/companies(4fa2a9a5-8c5a-ef11-bfe4-6045bde9c4a1)/salespeoplePurchasers?$filter=email%20eq%20'anna.lindqvist%40contoso.com'%20or%20email%20eq%20'b.berg%40contoso.com'",
      }),
    );
    expect(failure.message).toMatch(
      /^Business Central GET \/api\/v2\.0\/companies\(4fa2a9a5-8c5a-ef11-bfe4-6045bde9c4a1\)\/salespeoplePurchasers failed/,
    );
    expect(JSON.stringify([failure.message, failure.details])).not.toMatch(/contoso\.com|filter/);
    expect(
      historySafeUrl(
        "https://org.crm.dynamics.com/api/data/v9.2/contacts(emailaddress1='anna%40contoso.com')",
      ),
    ).toBe('/api/data/v9.2/contacts(…)');
    expect(historySafeUrl('https://org.crm.dynamics.com/api/data/v9.2/accounts(42)')).toBe(
      '/api/data/v9.2/accounts(42)',
    );
  });
});
