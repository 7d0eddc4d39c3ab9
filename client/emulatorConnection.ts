// The connector settings (environment variables, README "Connecting to Business Central and
// Dataverse") that point bcsync at running emulators instead of the real services.
import type { RunningEmulators } from '../emulators';
import {
  loadBcConfig,
  loadDataverseConfig,
  loadHttpConfig,
  type ConnectorConfig,
  type HttpConfig,
} from '../activities/connectors/connectorConfig';

type Emulators = Pick<RunningEmulators, 'bc' | 'dataverse'>;

export function emulatorConnectorEnv(em: Emulators): Record<string, string> {
  return {
    BCSYNC_BC_TENANT: em.bc.tenant,
    BCSYNC_BC_ENVIRONMENT: em.bc.environment,
    BCSYNC_BC_COMPANY_ID: em.bc.companyId,
    BCSYNC_BC_CLIENT_ID: em.bc.clientId,
    BCSYNC_BC_CLIENT_SECRET: em.bc.clientSecret,
    BCSYNC_BC_API_URL: em.bc.url,
    BCSYNC_BC_TOKEN_URL: em.bc.tokenUrl,
    BCSYNC_DATAVERSE_URL: em.dataverse.url,
    BCSYNC_DATAVERSE_TENANT: em.dataverse.tenant,
    BCSYNC_DATAVERSE_CLIENT_ID: em.dataverse.clientId,
    BCSYNC_DATAVERSE_CLIENT_SECRET: em.dataverse.clientSecret,
    BCSYNC_DATAVERSE_TOKEN_URL: em.dataverse.tokenUrl,
  };
}

/** The published demo secret may be shown; a secret the user chose never is. */
export function printableEnv(env: Record<string, string>): Record<string, string> {
  const out = { ...env };
  for (const key of Object.keys(out)) {
    if (key.endsWith('_SECRET') && out[key] !== 'bcsync-demo-secret')
      out[key] = '<your BCSYNC_EMULATOR_CLIENT_SECRET>';
  }
  return out;
}

/** The same settings as a ConnectorConfig, through the same validation as the environment. */
export function emulatorConnectorConfig(em: Emulators, http?: HttpConfig): ConnectorConfig {
  const env = emulatorConnectorEnv(em);
  return { bc: loadBcConfig(env), dataverse: loadDataverseConfig(env), http: http ?? loadHttpConfig({}) };
}
