// Every activity the worker registers, built from injected dependencies (no globals), so tests and
// the worker wire the same code to different servers.
import { ApplicationFailure } from '@temporalio/common';
import type { RunEntryInput, RunResult, JobQueueActivities } from '../common/jobQueue';
import { createStackCheckActivities } from './stackCheck';
import { createLineageRetentionActivities } from './lineageRetention';
import { createSyncActivities, type SyncActivityDeps } from './syncActivities';
import { BudgetRegistry, createConnectors, type Connectors } from './connectors';
import { customEntitySets, loadMappings } from './mappings/mappingConfig';
import { sharedBudgetStores } from './store/apiBudgets';
import type { Database } from './store/database';
import type { Settings } from '../config/settings';
import type { SyncMetrics } from './metrics';

export interface ActivityDeps {
  database: Database;
  /** The worker's settings: the mapping config file and the connector settings. */
  settings: Pick<Settings, 'mappingsFile' | 'connectors' | 'lineage'>;
  /** Connectors to BC and Dataverse; default: built from the environment at the first sync. */
  connectors?: Pick<Connectors, 'bc' | 'dataverse'>;
  /** Overrides for the engine (tests: page size, crash hooks). */
  engine?: Partial<Omit<SyncActivityDeps, 'db' | 'bc' | 'crm'>>;
  /** bcsync's metrics on the worker's Prometheus endpoint (activities/metrics.ts). */
  metrics?: SyncMetrics;
}

/**
 * The sync activities are built at their first call: a worker starts (and answers the stack check)
 * without BC / Dataverse settings, and a missing setting fails the run with a message naming it
 * (non-retryable `BadConfig`), which the entry shows as its last error.
 */
function lazySyncActivities(deps: ActivityDeps): JobQueueActivities {
  let built: Promise<JobQueueActivities> | undefined;
  const build = async (): Promise<JobQueueActivities> => {
    let connectors = deps.connectors;
    const mappings = deps.engine?.mappings ?? loadMappings(deps.settings.mappingsFile);
    if (!connectors) {
      const given = deps.settings.connectors;
      if (!given.ok) throw ApplicationFailure.nonRetryable(given.error.message, 'BadConfig');
      connectors = createConnectors(given.config, {
        bcCustomEntities: customEntitySets(mappings),
        // One throttling budget per API identity for all workers (docs/throttling.md).
        budgets: new BudgetRegistry(sharedBudgetStores(deps.database.db)),
        ...(deps.metrics ? { metrics: deps.metrics } : {}),
      });
    }
    const integrationUserId = deps.engine?.integrationUserId ?? (await connectors.dataverse.whoAmI()).UserId;
    return createSyncActivities({
      ...deps.engine,
      db: deps.database,
      bc: connectors.bc,
      crm: connectors.dataverse,
      mappings,
      integrationUserId,
      ...(deps.metrics ? { metrics: deps.metrics } : {}),
    });
  };
  return {
    async runJobQueueEntry(input: RunEntryInput): Promise<RunResult> {
      built ??= build().catch((err) => {
        built = undefined; // try again at the next call (e.g. Dataverse was unreachable)
        throw err;
      });
      return (await built).runJobQueueEntry(input);
    },
  };
}

export function createActivities(deps: ActivityDeps) {
  return {
    ...createStackCheckActivities({ db: deps.database.db }),
    ...createLineageRetentionActivities({
      db: deps.database.db,
      retentionDays: deps.settings.lineage.retentionDays,
    }),
    ...lazySyncActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
