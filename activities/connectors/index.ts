// Builds the two connectors (and BC webhook management) from a ConnectorConfig. Each system gets its own
// token cache and retry policy; requests draw on the throttling budget of their API identity (service +
// application user), which a worker shares with all other workers through MongoDB.
import type { SyncMetrics } from '../metrics';
import { ApiTransport, type ConnectorLogger } from './apiTransport';
import { bcIdentity, dataverseIdentity } from './budgetIdentity';
import { BC_DEFAULT_LIMITS, DATAVERSE_DEFAULT_LIMITS, type BudgetLimits } from './budgetRules';
import { BcClient } from './bcClient';
import { BcWebhooks } from './bcWebhooks';
import type { BcConfig, ConnectorConfig, DataverseConfig, HttpConfig } from './connectorConfig';
import { DataverseClient } from './dataverseClient';
import { OAuthTokenProvider } from './oauthToken';
import { BudgetRegistry } from './requestBudget';
import { RetryPolicy, type RetryOptionsInput } from './retryPolicy';

export interface ConnectorOptions {
  /** Overrides the retry settings of the config (tests keep delays small here). */
  retry?: RetryOptionsInput;
  timeoutMs?: number;
  /** Requests in flight per API identity (BC: 5 per user, Dataverse: 52 per user); overrides the config. */
  maxConcurrency?: { bc?: number; dataverse?: number };
  /**
   * Where the budgets live: a registry over MongoDB (activities/store/apiBudgets.ts) shares them with
   * every worker; default: a registry of this connector only, in memory.
   */
  budgets?: BudgetRegistry;
  /** The company these connectors work for (fair share of the budget). */
  company?: string;
  fetch?: typeof fetch;
  logger?: ConnectorLogger;
  /** Throttling waits (activities/metrics.ts). */
  metrics?: Pick<SyncMetrics, 'throttlingWait'>;
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
/** How long a slot stays taken after its holder stopped renewing it (e.g. the worker was killed). */
export const BUDGET_LEASE_MS = 15_000;

function createTransport(
  system: 'bc' | 'dataverse',
  credentials: { tokenUrl: string; clientId: string; clientSecret: string; scope: string },
  endpoint: {
    url: string;
    /** Identity of the throttling budget: the service and its application user. */
    identity: string;
    limits: BudgetLimits;
    defaultHeaders: Record<string, string>;
  },
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
  const timeoutMs = options.timeoutMs ?? http.timeoutMs;
  // Slots are leased for a few seconds and renewed while the request runs (requestBudget.ts).
  const budget = (options.budgets ?? new BudgetRegistry()).budget(
    endpoint.identity,
    endpoint.limits,
    BUDGET_LEASE_MS,
  );
  return new ApiTransport({
    system,
    tokens,
    retry,
    timeoutMs,
    budget,
    company: options.company,
    origin: new URL(endpoint.url).origin,
    defaultHeaders: endpoint.defaultHeaders,
    fetch: options.fetch,
    logger: options.logger,
    metrics: options.metrics,
  });
}

function withConcurrency(limits: BudgetLimits, maxConcurrent: number | undefined): BudgetLimits {
  return maxConcurrent === undefined ? limits : { ...limits, maxConcurrent };
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
      identity: bcIdentity(config.apiUrl, config.tenant, config.clientId),
      limits: withConcurrency(config.limits ?? BC_DEFAULT_LIMITS, options.maxConcurrency?.bc),
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
      identity: dataverseIdentity(config.url, config.clientId),
      limits: withConcurrency(config.limits ?? DATAVERSE_DEFAULT_LIMITS, options.maxConcurrency?.dataverse),
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
export { BudgetRegistry, MemoryBudgetStore, RequestBudget, type BudgetStore } from './requestBudget';
export { BC_DEFAULT_LIMITS, DATAVERSE_DEFAULT_LIMITS, type BudgetLimits } from './budgetRules';
export { RetryPolicy, type RetryOptionsInput } from './retryPolicy';
export { toApplicationFailure, withApiFailures } from './temporalFailure';
export type * from './types';
