// Every activity the worker registers, built from injected dependencies (no globals), so tests and
// the worker wire the same code to different servers.
import { ApplicationFailure } from '@temporalio/common';
import type { RunEntryInput, RunResult, JobQueueActivities } from '../common/jobQueue';
import { createStackCheckActivities } from './stackCheck';
import { createLineageRetentionActivities } from './lineageRetention';
import { createSyncActivities, type SyncActivityDeps } from './syncActivities';
import { BudgetRegistry, createConnectors, type Connectors } from './connectors';
import { ConfigError, loadConnectorConfig } from './connectors/connectorConfig';
import { customEntitySets, loadMappings } from './mappings/mappingConfig';
import { sharedBudgetStores } from './store/apiBudgets';
import type { Database } from './store/database';

export interface ActivityDeps {
  database: Database;
  /** Connectors to BC and Dataverse; default: built from the environment at the first sync. */
  connectors?: Pick<Connectors, 'bc' | 'dataverse'>;
  /** Overrides for the engine (tests: page size, crash hooks). */
  engine?: Partial<Omit<SyncActivityDeps, 'db' | 'bc' | 'crm'>>;
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
    const mappings = deps.engine?.mappings ?? loadMappings(process.env.BCSYNC_MAPPINGS_FILE);
    if (!connectors) {
      try {
        connectors = createConnectors(loadConnectorConfig(), {
          bcCustomEntities: customEntitySets(mappings),
          // One throttling budget per API identity for all workers (docs/throttling.md).
          budgets: new BudgetRegistry(sharedBudgetStores(deps.database.db)),
        });
      } catch (err) {
        if (err instanceof ConfigError) throw ApplicationFailure.nonRetryable(err.message, 'BadConfig');
        throw err;
      }
    }
    const integrationUserId = deps.engine?.integrationUserId ?? (await connectors.dataverse.whoAmI()).UserId;
    return createSyncActivities({
      ...deps.engine,
      db: deps.database,
      bc: connectors.bc,
      crm: connectors.dataverse,
      mappings,
      integrationUserId,
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
    ...createLineageRetentionActivities({ db: deps.database.db }),
    ...lazySyncActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
