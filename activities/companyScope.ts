// What a run for one company needs: the company's own database (couplings, logs, errors, watermarks) on
// the worker's MongoDB connection, and connector settings built from its registration, with the secrets
// it references read from the worker's environment at that moment (never stored, never logged).
// The default company is the zero-config deployment: the base database and the BCSYNC_* settings.
import {
  ConfigError,
  DEFAULT_BC_API_URL,
  DEFAULT_BC_SCOPE,
  DEFAULT_CUSTOM_API_PATH,
  entraTokenUrl,
  type BudgetLimitSettings,
  type ConnectorConfig,
  type HttpConfig,
} from './connectors/connectorConfig';
import type { SecretLookup } from '../config/settings';
import {
  CompanyStore,
  companyDatabaseName,
  DEFAULT_COMPANY,
  type CompanyDoc,
  type SecretRef,
} from './store/companies';
import { collections, ensureIndexes, type Database } from './store/database';

/** The company's data on the same client as the base database; closing it is the base's job. */
export async function companyDatabase(
  base: Database,
  baseDbName: string,
  company: string,
): Promise<Database> {
  if (company === DEFAULT_COMPANY) return base;
  const db = base.client.db(companyDatabaseName(baseDbName, company));
  await ensureIndexes(db);
  return { client: base.client, db, cols: collections(db), close: () => Promise.resolve() };
}

/**
 * Connector settings of a registered company. Each missing secret is named (the variable, not a value);
 * the limits and HTTP settings are the deployment's (the budget is per API identity, not per company).
 */
export function companyConnectorConfig(
  company: CompanyDoc,
  secret: SecretLookup,
  deployment: { http: HttpConfig; limits: BudgetLimitSettings },
): ConnectorConfig {
  const problems: string[] = [];
  const resolve = (field: string, ref: SecretRef): string => {
    const variable = ref.slice('env:'.length);
    const value = secret(variable)?.trim();
    if (!value) problems.push(`${field} references ${variable}, which is not set on this worker: set it`);
    return value ?? '';
  };
  const { bc, dataverse } = company;
  const dataverseTenant = dataverse.tenant ?? bc.tenant;
  const config: ConnectorConfig = {
    bc: {
      tenant: bc.tenant,
      environment: bc.environment,
      company: bc.companyId ? { id: bc.companyId } : { name: bc.companyName ?? '' },
      clientId: bc.clientId,
      clientSecret: resolve('bc.clientSecret', bc.clientSecret),
      apiUrl: bc.apiUrl,
      tokenUrl: bc.tokenUrl ?? entraTokenUrl(bc.tenant),
      scope: bc.scope ?? DEFAULT_BC_SCOPE,
      tenantInUrl: bc.tenantInUrl ?? bc.apiUrl === DEFAULT_BC_API_URL,
      customApiPath: DEFAULT_CUSTOM_API_PATH,
      limits: deployment.limits.bc,
    },
    dataverse: {
      url: dataverse.url,
      tenant: dataverseTenant,
      clientId: dataverse.clientId,
      clientSecret: resolve('dataverse.clientSecret', dataverse.clientSecret),
      tokenUrl: dataverse.tokenUrl ?? entraTokenUrl(dataverseTenant),
      scope: dataverse.scope ?? `${dataverse.url}/.default`,
      limits: deployment.limits.dataverse,
    },
    http: deployment.http,
  };
  if (problems.length > 0) throw new ConfigError(problems.map((p) => `company ${company._id}: ${p}`));
  return config;
}

/** The registration of `company`, or a ConfigError saying it is not registered. */
export async function registeredCompany(base: Database, company: string): Promise<CompanyDoc> {
  const doc = await new CompanyStore(base.db).get(company);
  if (!doc) {
    throw new ConfigError([
      `company ${company} is not registered in this deployment: add it with \`bcsync companies add ${company} ...\``,
    ]);
  }
  return doc;
}
