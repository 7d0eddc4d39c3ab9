// Which job queue entry a change wakes: BC entity set -> entries (webhooks) and, for entries that opted
// in, Dataverse entity set -> entries (change tracking). Built from the effective mappings, with the
// CRM wake option of each entry taken from the job queue entry settings in MongoDB when present.
import type { EffectiveMappings } from '../../activities/mappings/mappingConfig';
import type { Direction } from '../../activities/mappings/integrationTableMapping';

export interface WakeEntry {
  /** Job queue entry name, e.g. `CUSTOMER`. */
  entry: string;
  /** BC entity sets whose changes wake the entry. */
  bcEntitySets: string[];
  /** Dataverse entity sets whose changes wake the entry when `crmWakeEnabled`. */
  crmEntitySets: string[];
  crmWakeEnabled: boolean;
}

/** Entries whose changes on one side end up in one entity set. */
export interface EntitySetRoute {
  entitySet: string;
  entries: string[];
}

export interface WakeRoutes {
  readonly entries: readonly WakeEntry[];
  /** Every BC entity set some entry listens to: one webhook subscription each. */
  bcEntitySets(): string[];
  entriesForBc(entitySet: string): string[];
  /** Dataverse entity sets to poll, with the entries that opted in to CRM wake-ups. */
  crmRoutes(): EntitySetRoute[];
}

/** Per-entry settings as stored by the job queue entry store (`jobQueueEntries`). */
export interface EntryWakeSetting {
  entry: string;
  crmWakeEnabled: boolean;
}

// The statistics figures move with the customer and with posted invoices (section 2: "refreshes customers
// whose ledger entries or sales lines changed"), so those changes wake the job too.
const STATISTICS_EXTRA_BC_SETS = ['customers', 'salesInvoices'];

// A BC change gives a mapping work only when it reads BC (to CRM or both ways); a CRM change only when it
// reads CRM (from CRM or both ways).
const readsBc = (direction: Direction): boolean => direction !== 'FromIntegrationTable';
const readsCrm = (direction: Direction): boolean => direction !== 'ToIntegrationTable';

function addUnique(list: string[], value: string): void {
  if (!list.includes(value)) list.push(value);
}

export function wakeRoutesFrom(
  effective: EffectiveMappings,
  settings: readonly EntryWakeSetting[] = [],
): WakeRoutes {
  const byEntry = new Map<string, WakeEntry>();
  const entryFor = (name: string, crmWakeEnabled: boolean): WakeEntry => {
    let entry = byEntry.get(name);
    if (!entry) {
      entry = { entry: name, bcEntitySets: [], crmEntitySets: [], crmWakeEnabled };
      byEntry.set(name, entry);
    }
    entry.crmWakeEnabled ||= crmWakeEnabled;
    return entry;
  };
  for (const mapping of effective.mappings) {
    const entry = entryFor(mapping.jobQueue.entry, mapping.jobQueue.crmWakeEnabled);
    if (readsBc(mapping.direction)) addUnique(entry.bcEntitySets, mapping.bc.entitySet);
    // A new exchange rate changes the currency as the integration sees it (docs/exchange-rates.md).
    if (readsBc(mapping.direction) && mapping.bc.exchangeRates)
      addUnique(entry.bcEntitySets, 'currencyExchangeRates');
    if (readsCrm(mapping.direction)) addUnique(entry.crmEntitySets, mapping.crm.entitySet);
  }
  const stats = effective.statistics;
  const statsEntry = entryFor(stats.jobQueue.entry, stats.jobQueue.crmWakeEnabled);
  for (const set of [stats.bc.entitySet, ...STATISTICS_EXTRA_BC_SETS])
    addUnique(statsEntry.bcEntitySets, set);

  // The stored entry setting is what `bcsync set` changed last; it wins over the mapping default.
  for (const setting of settings) {
    const entry = byEntry.get(setting.entry);
    if (entry) entry.crmWakeEnabled = setting.crmWakeEnabled;
  }
  return routesOf([...byEntry.values()]);
}

function routesOf(entries: WakeEntry[]): WakeRoutes {
  const bc = new Map<string, string[]>();
  const crm = new Map<string, string[]>();
  for (const e of entries) {
    for (const set of e.bcEntitySets) bc.set(set, [...(bc.get(set) ?? []), e.entry]);
    if (!e.crmWakeEnabled) continue;
    for (const set of e.crmEntitySets) crm.set(set, [...(crm.get(set) ?? []), e.entry]);
  }
  return {
    entries,
    bcEntitySets: () => [...bc.keys()].sort(),
    entriesForBc: (entitySet) => bc.get(entitySet) ?? [],
    crmRoutes: () => [...crm].map(([entitySet, names]) => ({ entitySet, entries: names })),
  };
}

/**
 * The entity set a notification's `resource` names: `api/v2.0/companies(<id>)/customers(<id>)`,
 * `/api/bcsync/integration/v1.0/companies(<id>)/resources`, or a `collection` resource with a `$filter`
 * (apis.md A). Undefined when the resource has no entity set after the company.
 */
export function entitySetOfResource(resource: string): string | undefined {
  const path = resource.split('?')[0];
  const match = /companies\([^)]*\)\/([A-Za-z_][A-Za-z0-9_]*)/.exec(path);
  return match?.[1];
}

/** `customers(<id>)` or `customers?$filter=...`: the part after the company, for the entry's status. */
export function shortResource(resource: string): string {
  const at = resource.search(/companies\([^)]*\)\//);
  if (at < 0) return resource;
  return resource.slice(resource.indexOf(')/', at) + 2);
}
