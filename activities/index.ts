// Every activity the worker registers, built from injected dependencies (no globals), so tests and
// the worker wire the same code to different servers.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { keepHeartbeating } from './activityHeartbeat';
import type { RunEntryInput, RunResult, JobQueueActivities } from '../common/jobQueue';
import { createStackCheckActivities } from './stackCheck';
import { createLineageRetentionActivities } from './lineageRetention';
import { createSyncActivities, type SyncActivityDeps } from './syncActivities';
import { BudgetRegistry, createConnectors, type Connectors } from './connectors';
import { ConfigError } from './connectors/connectorConfig';
import { companyConnectorConfig, companyDatabase, registeredCompany } from './companyScope';
import { DEFAULT_COMPANY } from './store/companies';
import { customEntitySets, loadMappings } from './mappings/mappingConfig';
import { sharedBudgetStores } from './store/apiBudgets';
import type { Database } from './store/database';
import type { Settings } from '../config/settings';
import type { SyncMetrics } from './metrics';
import { withIds, type IdLogger } from './logger';

export interface ActivityDeps {
  database: Database;
  /** The worker's settings: the mapping config file and the connector settings. */
  settings: Pick<Settings, 'mappingsFile' | 'connectors' | 'lineage' | 'http' | 'limits' | 'secrets'>;
  /** Connectors to BC and Dataverse; default: built from the environment at the first sync. */
  connectors?: Pick<Connectors, 'bc' | 'dataverse'>;
  /** Overrides for the engine (tests: page size, crash hooks). */
  engine?: Partial<Omit<SyncActivityDeps, 'db' | 'bc' | 'crm'>>;
  /** bcsync's metrics on the worker's Prometheus endpoint (activities/metrics.ts). */
  metrics?: SyncMetrics;
  /** The worker's logger (pino, secrets masked); activities give it their ids (withIds). */
  logger?: IdLogger;
  /** Floor of the sync activity's heartbeat timeout (setting BCSYNC_HEARTBEAT_TIMEOUT_MIN_SECONDS). */
  heartbeatMinimumMs?: number;
}

/**
 * The sync activities are built at a company's first run: a worker starts (and answers the stack check)
 * without BC / Dataverse settings, and a missing setting fails the run with a message naming it
 * (non-retryable `BadConfig`), which the entry shows as its last error. Each company gets its own
 * database and connectors (docs/companies.md); all of them draw on the shared throttling budgets.
 */
function lazySyncActivities(deps: ActivityDeps): JobQueueActivities {
  const built = new Map<string, Promise<JobQueueActivities>>();
  // One throttling budget per API identity for all workers and all companies (docs/throttling.md).
  const budgets = new BudgetRegistry(sharedBudgetStores(deps.database.db));
  const baseDbName = deps.database.db.databaseName;
  const build = async (company: string): Promise<JobQueueActivities> => {
    const mappings = deps.engine?.mappings ?? loadMappings(deps.settings.mappingsFile);
    const db = await companyDatabase(deps.database, baseDbName, company);
    let connectors = company === DEFAULT_COMPANY ? deps.connectors : undefined;
    if (!connectors) {
      try {
        let config;
        if (company === DEFAULT_COMPANY) {
          const given = deps.settings.connectors;
          if (!given.ok) throw given.error;
          config = given.config;
        } else {
          config = companyConnectorConfig(
            await registeredCompany(deps.database, company),
            deps.settings.secrets,
            deps.settings,
          );
        }
        const connectorLogger = withIds(deps.logger, { company });
        connectors = createConnectors(config, {
          bcCustomEntities: customEntitySets(mappings),
          budgets,
          company,
          // Retries and throttling waits are logged, not dropped.
          ...(connectorLogger ? { logger: connectorLogger } : {}),
          ...(deps.metrics ? { metrics: deps.metrics } : {}),
        });
      } catch (err) {
        if (err instanceof ConfigError) throw ApplicationFailure.nonRetryable(err.message, 'BadConfig');
        throw err;
      }
    }
    const integrationUserId =
      (company === DEFAULT_COMPANY ? deps.engine?.integrationUserId : undefined) ??
      (await connectors.dataverse.whoAmI()).UserId;
    return createSyncActivities({
      ...deps.engine,
      db,
      bc: connectors.bc,
      crm: connectors.dataverse,
      mappings,
      integrationUserId,
      ...(deps.metrics ? { metrics: deps.metrics } : {}),
      ...(deps.heartbeatMinimumMs ? { heartbeatMinimumMs: deps.heartbeatMinimumMs } : {}),
      ...(deps.engine?.logger || deps.logger ? { logger: deps.engine?.logger ?? deps.logger } : {}),
    });
  };
  return {
    async runJobQueueEntry(input: RunEntryInput): Promise<RunResult> {
      const company = input.company ?? DEFAULT_COMPANY;
      let building = built.get(company);
      if (!building) {
        building = build(company).catch((err) => {
          built.delete(company); // try again at the next call (e.g. Dataverse was unreachable)
          throw err;
        });
        built.set(company, building);
      }
      // Heartbeat from the first moment: building takes API calls (WhoAmI) that can wait on a slow API or
      // the shared budget, and a retried attempt on a fresh worker builds first. The previous attempt's
      // details (its checkpoint) are repeated unchanged.
      const ctx = Context.current();
      const early = keepHeartbeating(
        ctx,
        ctx.info.heartbeatDetails as unknown,
        undefined,
        deps.engine?.heartbeatRepeatMaxMs,
      );
      let activities: JobQueueActivities;
      try {
        activities = await building;
      } finally {
        early.stop();
      }
      return activities.runJobQueueEntry(input);
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
