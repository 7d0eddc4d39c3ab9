// Connector settings pointing at running emulators, and the emulator admin surface (stats, faults,
// records) the tests use to prove what was written.
import type { BcConfig, DataverseConfig, HttpConfig } from '../../activities/connectors/connectorConfig';
import type { ConnectorOptions } from '../../activities/connectors';
import type { JsonRecord } from '../../activities/connectors/types';

export interface EmulatorHandle {
  url: string;
  tenant: string;
  clientId: string;
  clientSecret: string;
}

export const http: HttpConfig = {
  timeoutMs: 10_000,
  retry: { maxAttempts: 25, maxElapsedMs: 60_000, baseDelayMs: 5 },
};

/** Small delays: Retry-After scaled down, backoff in milliseconds. */
export const fastOptions: ConnectorOptions = {
  retry: { baseDelayMs: 5, maxDelayMs: 40, retryAfterScale: 0.01 },
};

export function tokenUrl(emulator: EmulatorHandle): string {
  return `${emulator.url}/${emulator.tenant}/oauth2/v2.0/token`;
}

export function bcConfig(
  bc: EmulatorHandle & { companyId: string; environment: string },
  overrides: Partial<BcConfig> = {},
): BcConfig {
  return {
    tenant: bc.tenant,
    environment: bc.environment,
    company: { id: bc.companyId },
    clientId: bc.clientId,
    clientSecret: bc.clientSecret,
    apiUrl: bc.url,
    tokenUrl: tokenUrl(bc),
    scope: 'https://api.businesscentral.dynamics.com/.default',
    tenantInUrl: false,
    customApiPath: 'bcsync/integration/v1.0',
    ...overrides,
  };
}

export function dataverseConfig(
  dv: EmulatorHandle,
  overrides: Partial<DataverseConfig> = {},
): DataverseConfig {
  return {
    url: dv.url,
    tenant: dv.tenant,
    clientId: dv.clientId,
    clientSecret: dv.clientSecret,
    tokenUrl: tokenUrl(dv),
    scope: `${dv.url}/.default`,
    ...overrides,
  };
}

export interface AdminStats {
  requests: number;
  byStatus: Record<string, number>;
  writes: number;
  writesByEntity?: Record<string, number>;
}

async function admin<T>(baseUrl: string, path: string, init?: { method: string; body: unknown }): Promise<T> {
  const response = await fetch(`${baseUrl}/_admin/${path}`, {
    method: init?.method ?? 'GET',
    headers: init ? { 'Content-Type': 'application/json' } : {},
    body: init ? JSON.stringify(init.body) : undefined,
  });
  if (!response.ok) throw new Error(`admin ${path}: HTTP ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

export const stats = (url: string): Promise<AdminStats> => admin<AdminStats>(url, 'stats');
export const setFaults = (url: string, faults: Record<string, unknown>): Promise<unknown> =>
  admin(url, 'faults', { method: 'PUT', body: faults });
export const adminRecords = async (url: string, entitySet: string): Promise<JsonRecord[]> =>
  (await admin<{ value: JsonRecord[] }>(url, `records/${entitySet}`)).value;

/** All pages of a read, collected (tests only: the connector itself never does this). */
export async function collect<T>(pages: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const page of pages) out.push(page);
  return out;
}

export const sleepMs = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
