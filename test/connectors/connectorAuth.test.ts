// OAuth2 client credentials against the emulators' token endpoints: one token per client, reused until
// shortly before expiry, shared by concurrent callers; a wrong secret is an auth error that never shows it.
import { ApiError, createBcClient, createDataverseClient } from '../../activities/connectors';
import { startDataverseEmulator, startEmulators } from '../../emulators';
import { bcConfig, collect, dataverseConfig, fastOptions, http } from './emulatorHarness';

type Emulators = Awaited<ReturnType<typeof startEmulators>>;
let emulators: Emulators;

beforeAll(async () => {
  emulators = await startEmulators({
    host: '127.0.0.1',
    bcPort: 0,
    dataversePort: 0,
    seed: 'demo',
    records: 20,
  });
});

afterAll(async () => {
  await emulators?.stop();
});

/** fetch that counts calls to token endpoints. */
function countingFetch(): { fetch: typeof fetch; tokenRequests: () => number } {
  let count = 0;
  const wrapped: typeof fetch = (input, init) => {
    if (String(input instanceof Request ? input.url : input).includes('/oauth2/v2.0/token')) count++;
    return fetch(input, init);
  };
  return { fetch: wrapped, tokenRequests: () => count };
}

describe('connector authentication', () => {
  it('reuses one token until about 5 minutes before expiry, then fetches a new one', async () => {
    const counter = countingFetch();
    let clock = Date.now();
    const bc = createBcClient(bcConfig(emulators.bc), http, {
      ...fastOptions,
      fetch: counter.fetch,
      now: () => clock,
    });
    await bc.listCompanies();
    await collect(bc.readPages('customers', { pageSize: 5 }));
    expect(counter.tokenRequests()).toBe(1);

    // The emulator's tokens live 3599 s: 54 minutes later the token is still fresh.
    clock += 54 * 60_000;
    await bc.listCompanies();
    expect(counter.tokenRequests()).toBe(1);

    // Less than 5 minutes left: refreshed before it expires.
    clock += 60_000;
    await bc.listCompanies();
    expect(counter.tokenRequests()).toBe(2);
  });

  it('lets concurrent callers share a single token request', async () => {
    const counter = countingFetch();
    const dataverse = createDataverseClient(dataverseConfig(emulators.dataverse), http, {
      ...fastOptions,
      fetch: counter.fetch,
    });
    const ids = await Promise.all(Array.from({ length: 6 }, () => dataverse.whoAmI().then((w) => w.UserId)));
    expect(new Set(ids).size).toBe(1);
    expect(counter.tokenRequests()).toBe(1);
  });

  it('fetches a new token once when the service rejects a cached one (401)', async () => {
    let serverClock = Date.now();
    const dvEmulator = await startDataverseEmulator({
      host: '127.0.0.1',
      port: 0,
      seed: 'empty',
      now: () => serverClock,
    });
    try {
      const counter = countingFetch();
      const dataverse = createDataverseClient(dataverseConfig(dvEmulator), http, {
        ...fastOptions,
        fetch: counter.fetch,
      });
      await dataverse.whoAmI();
      // The service considers the token expired while the client still holds it as fresh.
      serverClock += 2 * 3600_000;
      const page = await dataverse.readPages('accounts', {})[Symbol.asyncIterator]().next();
      expect(page.value!.records).toEqual([]);
      expect(counter.tokenRequests()).toBe(2);
    } finally {
      await dvEmulator.stop();
    }
  });

  it.each(['bc', 'dataverse'] as const)(
    '%s: a wrong secret is an auth error that does not contain the secret',
    async (system) => {
      const secret = 'wrong-secret-0123456789';
      const client =
        system === 'bc'
          ? createBcClient(bcConfig(emulators.bc, { clientSecret: secret }), http, fastOptions)
          : createDataverseClient(
              dataverseConfig(emulators.dataverse, { clientSecret: secret }),
              http,
              fastOptions,
            );
      const failure = await collect(client.readPages(system === 'bc' ? 'customers' : 'accounts', {})).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(failure).toBeInstanceOf(ApiError);
      const error = failure as ApiError;
      expect(error.kind).toBe('auth');
      expect(error.retryable).toBe(false);
      expect(error.info.code).toBe('invalid_client');
      expect(error.message).toContain('AADSTS7000215');
      expect(error.message).not.toContain(secret);
      expect(JSON.stringify(error.info)).not.toContain(secret);
    },
  );
});
