// The API identity a throttling budget belongs to (docs/throttling.md): the service's per-user limits
// apply to one app registration on one API host, so that is the key - `bc|<API origin>|<tenant>|<client
// id>` or `dataverse|<organization origin>|<client id>`. Built by the connectors, read back by whoever
// shows the budgets (`bcsync budgets`, the console): the format lives here only.

export interface BudgetIdentity {
  service: 'bc' | 'dataverse' | 'unknown';
  origin: string;
  tenant: string | null;
  clientId: string;
}

export const bcIdentity = (apiUrl: string, tenant: string, clientId: string): string =>
  `bc|${new URL(apiUrl).origin}|${tenant}|${clientId}`;

export const dataverseIdentity = (url: string, clientId: string): string =>
  `dataverse|${new URL(url).origin}|${clientId}`;

/** The parts of an identity; one of another format is `unknown`, shown whole as its origin. */
export function parseIdentity(identity: string): BudgetIdentity {
  const [service, origin = '', ...rest] = identity.split('|');
  if (service === 'bc' && rest.length === 2) return { service, origin, tenant: rest[0]!, clientId: rest[1]! };
  if (service === 'dataverse' && rest.length === 1)
    return { service, origin, tenant: null, clientId: rest[0]! };
  return { service: 'unknown', origin: identity, tenant: null, clientId: '' };
}
