// The registered companies the wake-up service serves (docs/companies.md): read from the company registry
// each time the service refreshes, each built with its own database and connectors, its secrets read from
// this process's environment at that moment.
import type { Connectors } from '../../activities/connectors';
import type { ConnectorConfig } from '../../activities/connectors/connectorConfig';
import { companyConnectorConfig, companyDatabase, registeredCompany } from '../../activities/companyScope';
import { CompanyStore } from '../../activities/store/companies';
import type { Database } from '../../activities/store/database';
import type { Settings } from '../../config/settings';
import type { RegisteredCompanies } from './wakeupService';

export interface CompanyRegistryOptions {
  /** The base database: the registry, and the client each company's database is opened on. */
  base: Database;
  settings: Pick<Settings, 'secrets' | 'http' | 'limits' | 'mongo'>;
  connectorsOf: (config: ConnectorConfig, company: string) => Connectors;
  /** Serve this registered company only (`--company`). */
  only?: string;
}

export function companyRegistry(options: CompanyRegistryOptions): RegisteredCompanies {
  const { base, settings, only } = options;
  const store = new CompanyStore(base.db);
  return {
    names: async () =>
      only ? ((await store.get(only)) ? [only] : []) : (await store.list()).map((c) => c._id),
    source: async (name) => {
      const config = companyConnectorConfig(await registeredCompany(base, name), settings.secrets, settings);
      const db = await companyDatabase(base, settings.mongo.dbName, name);
      return { name, db: db.db, connectors: options.connectorsOf(config, name) };
    },
  };
}
