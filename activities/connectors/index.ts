// Builds the two connectors (and BC webhook management) from a ConnectorConfig. Each system gets its own
// token cache, retry policy and request gate.
import { ApiTransport, type ConnectorLogger } from './apiTransport';
import { BcClient } from './bcClient';
import { BcWebhooks } from './bcWebhooks';
import type { BcConfig, ConnectorConfig, DataverseConfig, HttpConfig } from './connectorConfig';
import { DataverseClient } from './dataverseClient';
import { OAuthTokenProvider } from './oauthToken';
import { RetryPolicy, type RetryOptionsInput } from './retryPolicy';

export interface ConnectorOptions {
  /** Overrides the retry settings of the config (tests keep delays small here). */
  retry?: RetryOptionsInput;
  timeoutMs?: number;
  /** Requests in flight per connector (BC: 5 per user, Dataverse: 52 per user). */
  maxConcurrency?: { bc?: number; dataverse?: number };
  fetch?: typeof fetch;
  logger?: ConnectorLogger;
  /** BC entity sets served by the custom API (default BC_CUSTOM_ENTITIES; see customEntitySets). */
  bcCustomEntities?: readonly string[];
  /** Refresh tokens this long before expiry (default 5 minutes). */
  tokenRefreshMarginMs?: number;
  now?: () => number;
}

export interface Connectors {
  bc: BcClient;
  dataverse: DataverseClient;
  bcWebhooks: BcWebhooks;
}

const DEFAULT_HTTP: HttpConfig = {
  timeoutMs: 120_000,
  retry: { maxAttempts: 8, maxElapsedMs: 120_000, baseDelayMs: 500 },
};

/** Token cache, retry policy and request gate of one system: each system gets its own. */
function createTransport(
  system: 'bc' | 'dataverse',
  credentials: { tokenUrl: string; clientId: string; clientSecret: string; scope: string },
  endpoint: { url: string; maxConcurrency: number; defaultHeaders: Record<string, string> },
  http: HttpConfig,
  options: ConnectorOptions,
): ApiTransport {
  const retry = new RetryPolicy({ ...http.retry, ...options.retry });
  const tokens = new OAuthTokenProvider({
    system,
    tokenUrl: credentials.tokenUrl,
    clientId: credentials.clientId,
    clientSecret: credentials.clientSecret,
    scope: credentials.scope,
    retry,
    fetch: options.fetch,
    now: options.now,
    refreshMarginMs: options.tokenRefreshMarginMs,
  });
  return new ApiTransport({
    system,
    tokens,
    retry,
    timeoutMs: options.timeoutMs ?? http.timeoutMs,
    maxConcurrency: endpoint.maxConcurrency,
    origin: new URL(endpoint.url).origin,
    defaultHeaders: endpoint.defaultHeaders,
    fetch: options.fetch,
    logger: options.logger,
  });
}

export function createBcClient(
  config: BcConfig,
  http: HttpConfig = DEFAULT_HTTP,
  options: ConnectorOptions = {},
): BcClient {
  const transport = createTransport(
    'bc',
    config,
    {
      url: config.apiUrl,
      maxConcurrency: options.maxConcurrency?.bc ?? 5,
      defaultHeaders: { Accept: 'application/json' },
    },
    http,
    options,
  );
  return new BcClient({
    transport,
    apiUrl: config.apiUrl,
    tenant: config.tenant,
    environment: config.environment,
    tenantInUrl: config.tenantInUrl,
    company: config.company,
    customApiPath: config.customApiPath,
    ...(options.bcCustomEntities ? { customEntities: options.bcCustomEntities } : {}),
  });
}

export function createDataverseClient(
  config: DataverseConfig,
  http: HttpConfig = DEFAULT_HTTP,
  options: ConnectorOptions = {},
): DataverseClient {
  const transport = createTransport(
    'dataverse',
    config,
    {
      url: config.url,
      maxConcurrency: options.maxConcurrency?.dataverse ?? 52,
      // apis.md B: OData version headers on every request.
      defaultHeaders: { Accept: 'application/json', 'OData-MaxVersion': '4.0', 'OData-Version': '4.0' },
    },
    http,
    options,
  );
  return new DataverseClient({ transport, url: config.url });
}

export function createConnectors(config: ConnectorConfig, options: ConnectorOptions = {}): Connectors {
  const bc = createBcClient(config.bc, config.http, options);
  return {
    bc,
    dataverse: createDataverseClient(config.dataverse, config.http, options),
    bcWebhooks: new BcWebhooks(bc),
  };
}

export { ApiError, isApiError, redactSecrets } from './apiError';
export { ApiTransport, type ConnectorLogger } from './apiTransport';
export { BcClient, BC_CUSTOM_ENTITIES, BC_NATURAL_KEYS } from './bcClient';
export {
  BcWebhooks,
  answerValidation,
  needsRenewal,
  parseNotification,
  type BcSubscription,
} from './bcWebhooks';
export {
  ConfigError,
  loadBcConfig,
  loadConnectorConfig,
  loadDataverseConfig,
  loadHttpConfig,
} from './connectorConfig';
export type { BcConfig, ConnectorConfig, DataverseConfig, HttpConfig } from './connectorConfig';
export { DataverseClient, DATAVERSE_KEY_FIELDS, type WhoAmI } from './dataverseClient';
export { OAuthTokenProvider } from './oauthToken';
export { RetryPolicy, type RetryOptionsInput } from './retryPolicy';
export { toApplicationFailure, withApiFailures } from './temporalFailure';
export type * from './types';
