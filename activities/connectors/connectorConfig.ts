// Connector settings from the environment (read by config/settings.ts, the one place that reads it),
// validated once at the boundary. An error names each missing or invalid variable and what to set; secret
// values never appear in it.
import { z } from 'zod';
import { EnvReader, type Env } from '../../config/envReader';
import { BC_DEFAULT_LIMITS, DATAVERSE_DEFAULT_LIMITS, type BudgetLimits } from './budgetRules';

export interface BcConfig {
  tenant: string;
  environment: string;
  company: { id: string } | { name: string };
  clientId: string;
  clientSecret: string;
  apiUrl: string;
  tokenUrl: string;
  scope: string;
  tenantInUrl: boolean;
  customApiPath: string;
  /** Throttling budget of the app user (default BC's limits: 5 concurrent, 6,000 per 5 minutes). */
  limits?: BudgetLimits;
}

export interface DataverseConfig {
  url: string;
  tenant: string;
  clientId: string;
  clientSecret: string;
  tokenUrl: string;
  scope: string;
  /** Throttling budget of the application user (default: 52 concurrent, 6,000 per 5 minutes). */
  limits?: BudgetLimits;
}

export interface HttpConfig {
  timeoutMs: number;
  retry: { maxAttempts: number; maxElapsedMs: number; baseDelayMs: number };
}

export interface ConnectorConfig {
  bc: BcConfig;
  dataverse: DataverseConfig;
  http: HttpConfig;
}

export const DEFAULT_BC_API_URL = 'https://api.businesscentral.dynamics.com';
export const DEFAULT_BC_SCOPE = 'https://api.businesscentral.dynamics.com/.default';
export const DEFAULT_CUSTOM_API_PATH = 'bcsync/integration/v1.0';
/** The Microsoft Entra ID token endpoint of a tenant. */
export const entraTokenUrl = (tenant: string): string =>
  `https://login.microsoftonline.com/${encodeURIComponent(tenant)}/oauth2/v2.0/token`;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Connector configuration is incomplete:\n- ${problems.join('\n- ')}`);
    this.name = 'ConfigError';
  }
}

/** Which variables exist, what they hold, and the hint shown when they are missing or wrong. */
export const CONNECTOR_HINTS: Record<string, string> = {
  BCSYNC_BC_TENANT:
    'the Microsoft Entra tenant id or domain of Business Central (e.g. contoso.onmicrosoft.com)',
  BCSYNC_BC_ENVIRONMENT: 'the Business Central environment name (e.g. production or sandbox)',
  BCSYNC_BC_COMPANY_ID: 'the company id (GUID from GET .../companies); or set BCSYNC_BC_COMPANY_NAME',
  BCSYNC_BC_COMPANY_NAME: 'the company name; or set BCSYNC_BC_COMPANY_ID',
  BCSYNC_BC_CLIENT_ID: 'the application (client) id of the Entra app registered in Business Central',
  BCSYNC_BC_CLIENT_SECRET: 'a client secret of that app registration',
  BCSYNC_BC_API_URL: `an http(s) URL (default ${DEFAULT_BC_API_URL})`,
  BCSYNC_BC_TOKEN_URL: 'an http(s) URL of the OAuth2 token endpoint (default Entra ID of BCSYNC_BC_TENANT)',
  BCSYNC_BC_SCOPE: `the OAuth2 scope (default ${DEFAULT_BC_SCOPE})`,
  BCSYNC_BC_TENANT_IN_URL: 'true or false',
  BCSYNC_BC_CUSTOM_API_PATH: `publisher/group/version of the custom API (default ${DEFAULT_CUSTOM_API_PATH})`,
  BCSYNC_DATAVERSE_URL: 'the organization URL (e.g. https://contoso.crm.dynamics.com)',
  BCSYNC_DATAVERSE_TENANT: 'the Entra tenant of the Dataverse organization (default BCSYNC_BC_TENANT)',
  BCSYNC_DATAVERSE_CLIENT_ID:
    'the application (client) id of the Entra app set up as Dataverse application user',
  BCSYNC_DATAVERSE_CLIENT_SECRET: 'a client secret of that app registration',
  BCSYNC_DATAVERSE_TOKEN_URL: 'an http(s) URL of the OAuth2 token endpoint (default Entra ID of the tenant)',
  BCSYNC_DATAVERSE_SCOPE: 'the OAuth2 scope (default <BCSYNC_DATAVERSE_URL>/.default)',
  BCSYNC_BC_MAX_CONCURRENT: `requests in flight per app user, all workers together (default ${BC_DEFAULT_LIMITS.maxConcurrent})`,
  BCSYNC_BC_REQUESTS_PER_WINDOW: `requests per window per app user (default ${BC_DEFAULT_LIMITS.requestsPerWindow})`,
  BCSYNC_BC_WINDOW_SECONDS: `the sliding window of the request limit in seconds (default ${BC_DEFAULT_LIMITS.windowMs / 1000})`,
  BCSYNC_DATAVERSE_MAX_CONCURRENT: `requests in flight per application user (default ${DATAVERSE_DEFAULT_LIMITS.maxConcurrent})`,
  BCSYNC_DATAVERSE_REQUESTS_PER_WINDOW: `requests per window per application user (default ${DATAVERSE_DEFAULT_LIMITS.requestsPerWindow})`,
  BCSYNC_DATAVERSE_WINDOW_SECONDS: `the sliding window of the request limit in seconds (default ${DATAVERSE_DEFAULT_LIMITS.windowMs / 1000})`,
  BCSYNC_HTTP_TIMEOUT_MS: 'a positive whole number of milliseconds (default 120000)',
  BCSYNC_RETRY_MAX_ATTEMPTS: 'a positive whole number (default 8)',
  BCSYNC_RETRY_MAX_ELAPSED_MS: 'a whole number of milliseconds (default 120000)',
  BCSYNC_RETRY_BASE_DELAY_MS: 'a whole number of milliseconds (default 500)',
};

const httpUrl = z.url({ protocol: /^https?$/ }).transform((u) => u.replace(/\/+$/, ''));
const nonEmpty = z.string().trim().min(1);
const wholeNumber = z.coerce.number().int().min(0);

const booleanFlag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => ['true', '1', 'yes'].includes(v));

const positiveWhole = z.coerce.number().int().positive();
const positiveSeconds = z.coerce.number().positive();

/** Service protection limits of one API identity (apis.md A/B), overridable for other plans or tests. */
function readLimits(
  r: EnvReader,
  prefix: 'BCSYNC_BC' | 'BCSYNC_DATAVERSE',
  defaults: BudgetLimits,
): BudgetLimits {
  return {
    maxConcurrent: r.optional(`${prefix}_MAX_CONCURRENT`, positiveWhole, defaults.maxConcurrent),
    requestsPerWindow: r.optional(`${prefix}_REQUESTS_PER_WINDOW`, positiveWhole, defaults.requestsPerWindow),
    windowMs: r.optional(`${prefix}_WINDOW_SECONDS`, positiveSeconds, defaults.windowMs / 1000) * 1000,
  };
}

export function readBc(r: EnvReader): BcConfig {
  const tenant = r.required('BCSYNC_BC_TENANT', nonEmpty);
  const companyId = r.optional('BCSYNC_BC_COMPANY_ID', z.guid(), undefined);
  const companyName = r.optional('BCSYNC_BC_COMPANY_NAME', nonEmpty, undefined);
  if (!companyId && !companyName && !r.raw('BCSYNC_BC_COMPANY_ID')) {
    r.problems.push(
      `BCSYNC_BC_COMPANY_ID or BCSYNC_BC_COMPANY_NAME is not set: set ${CONNECTOR_HINTS.BCSYNC_BC_COMPANY_ID}`,
    );
  }
  const apiUrl = r.optional('BCSYNC_BC_API_URL', httpUrl, DEFAULT_BC_API_URL);
  return {
    tenant,
    environment: r.optional('BCSYNC_BC_ENVIRONMENT', nonEmpty, 'production'),
    company: companyId ? { id: companyId } : { name: companyName ?? '' },
    clientId: r.required('BCSYNC_BC_CLIENT_ID', nonEmpty),
    clientSecret: r.required('BCSYNC_BC_CLIENT_SECRET', nonEmpty),
    apiUrl,
    tokenUrl: r.optional('BCSYNC_BC_TOKEN_URL', httpUrl, tenant ? entraTokenUrl(tenant) : ''),
    scope: r.optional('BCSYNC_BC_SCOPE', nonEmpty, DEFAULT_BC_SCOPE),
    // Service-to-service calls to the Microsoft host name the tenant in the path; the emulators (and
    // any other API URL) use the shorter path of the emulator contract unless told otherwise.
    tenantInUrl: r.optional('BCSYNC_BC_TENANT_IN_URL', booleanFlag, apiUrl === DEFAULT_BC_API_URL),
    customApiPath: r.optional(
      'BCSYNC_BC_CUSTOM_API_PATH',
      z.string().regex(/^[A-Za-z0-9_-]+\/[A-Za-z0-9_-]+\/v\d+\.\d+$/, 'expected publisher/group/vX.Y'),
      DEFAULT_CUSTOM_API_PATH,
    ),
    limits: readLimits(r, 'BCSYNC_BC', BC_DEFAULT_LIMITS),
  };
}

export function readDataverse(r: EnvReader): DataverseConfig {
  const url = r.required('BCSYNC_DATAVERSE_URL', httpUrl);
  const tenant = r.optional('BCSYNC_DATAVERSE_TENANT', nonEmpty, r.raw('BCSYNC_BC_TENANT') ?? '');
  if (!tenant && !r.raw('BCSYNC_DATAVERSE_TOKEN_URL')) {
    r.problems.push(
      `BCSYNC_DATAVERSE_TENANT is not set: set it to ${CONNECTOR_HINTS.BCSYNC_DATAVERSE_TENANT}`,
    );
  }
  return {
    url,
    tenant,
    clientId: r.required('BCSYNC_DATAVERSE_CLIENT_ID', nonEmpty),
    clientSecret: r.required('BCSYNC_DATAVERSE_CLIENT_SECRET', nonEmpty),
    tokenUrl: r.optional('BCSYNC_DATAVERSE_TOKEN_URL', httpUrl, tenant ? entraTokenUrl(tenant) : ''),
    scope: r.optional('BCSYNC_DATAVERSE_SCOPE', nonEmpty, url ? `${url}/.default` : ''),
    limits: readLimits(r, 'BCSYNC_DATAVERSE', DATAVERSE_DEFAULT_LIMITS),
  };
}

export function readHttp(r: EnvReader): HttpConfig {
  return {
    timeoutMs: r.optional('BCSYNC_HTTP_TIMEOUT_MS', z.coerce.number().int().positive(), 120_000),
    retry: {
      maxAttempts: r.optional('BCSYNC_RETRY_MAX_ATTEMPTS', z.coerce.number().int().positive(), 8),
      maxElapsedMs: r.optional('BCSYNC_RETRY_MAX_ELAPSED_MS', wholeNumber, 120_000),
      baseDelayMs: r.optional('BCSYNC_RETRY_BASE_DELAY_MS', wholeNumber, 500),
    },
  };
}

function finish<T>(r: EnvReader, value: T): T {
  if (r.problems.length) throw new ConfigError(r.problems);
  return value;
}

export function loadBcConfig(env: Env): BcConfig {
  const r = new EnvReader(env, CONNECTOR_HINTS);
  return finish(r, readBc(r));
}

export function loadDataverseConfig(env: Env): DataverseConfig {
  const r = new EnvReader(env, CONNECTOR_HINTS);
  return finish(r, readDataverse(r));
}

export function loadHttpConfig(env: Env): HttpConfig {
  const r = new EnvReader(env, CONNECTOR_HINTS);
  return finish(r, readHttp(r));
}

export interface BudgetLimitSettings {
  bc: BudgetLimits;
  dataverse: BudgetLimits;
}

/** The throttling limits of both API identities (registered companies use the deployment's). */
export function loadBudgetLimits(env: Env): BudgetLimitSettings {
  const r = new EnvReader(env, CONNECTOR_HINTS);
  return finish(r, {
    bc: readLimits(r, 'BCSYNC_BC', BC_DEFAULT_LIMITS),
    dataverse: readLimits(r, 'BCSYNC_DATAVERSE', DATAVERSE_DEFAULT_LIMITS),
  });
}

/** Both connectors' settings; throws ConfigError listing every problem at once. */
export function loadConnectorConfig(env: Env): ConnectorConfig {
  const r = new EnvReader(env, CONNECTOR_HINTS);
  return finish(r, { bc: readBc(r), dataverse: readDataverse(r), http: readHttp(r) });
}
