// How the company tests register a company: `bcsync companies add` with the emulators' addresses and app ids,
// the secrets referenced as `env:<COMPANY>_BC_SECRET` / `_DV_SECRET` (never stored).
import { companyDatabaseName } from '../../activities/store/companies';
import type { Database } from '../../activities/store/database';
import type { RunningBcEmulator } from '../../emulators/bc';
import type { RunningDataverseEmulator } from '../../emulators/dataverse';

/** `cronus-us` -> `CRONUS_US`: the prefix of the variables holding the company's secrets. */
export const envPrefix = (name: string): string => name.toUpperCase().replace(/-/g, '_');

export const companiesAddArgs = (p: {
  name: string;
  bcCompany: string;
  bc: RunningBcEmulator;
  dataverse: RunningDataverseEmulator;
}): string[] => [
  'companies',
  'add',
  p.name,
  '--bc-api-url',
  p.bc.url,
  '--bc-tenant',
  p.bc.tenant,
  '--bc-environment',
  p.bc.environment,
  '--bc-company-name',
  p.bcCompany,
  '--bc-client-id',
  p.bc.clientId,
  '--bc-client-secret',
  `env:${envPrefix(p.name)}_BC_SECRET`,
  '--bc-token-url',
  p.bc.tokenUrl,
  '--dataverse-url',
  p.dataverse.url,
  '--dataverse-client-id',
  p.dataverse.clientId,
  '--dataverse-client-secret',
  `env:${envPrefix(p.name)}_DV_SECRET`,
  '--dataverse-token-url',
  p.dataverse.tokenUrl,
];

/** After a test: each company's database dropped and its emulators stopped. */
export async function removeCompanyPairs(
  base: Database | undefined,
  pairs: { name: string; bc: RunningBcEmulator; dataverse: RunningDataverseEmulator }[],
): Promise<void> {
  for (const p of pairs) {
    await base?.client
      .db(companyDatabaseName(base.db.databaseName, p.name))
      .dropDatabase()
      .catch(() => undefined);
    await Promise.all([p.bc.stop(), p.dataverse.stop()]);
  }
}
