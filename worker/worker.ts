// A bcsync worker: polls the one task queue for workflow and activity tasks. Start as many as the load
// needs (`bcsync worker` on several machines); Temporal spreads the work. Activity concurrency and the
// MongoDB pool are sized together so a burst of activities never waits on the pool.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Runtime, Worker, type NativeConnection, type WorkerOptions } from '@temporalio/worker';
import type { Duration } from '@temporalio/common';
import { JOB_QUEUE_TASK_QUEUE } from '../common/jobQueue';
import { createActivities, type ActivityDeps } from '../activities';
import { connectDatabase, type Database } from '../activities/store/database';
import { createLogger } from '../activities/logger';
import { createSyncMetrics } from '../activities/metrics';
import type { Settings } from '../config/settings';
import type { DestinationStream } from 'pino';
import { connectWorker, describeTemporal, temporalConnection } from '../temporal/connection';
import { startEntryStateGauge } from './entryStates';
import { startHealthServer } from './health';
import { installRuntime } from './runtime';
import { startMemoryTrim } from './memoryTrim';

export interface WorkerSettings {
  /**
   * The process's settings (config/settings.ts): Temporal connection (TLS, API key, namespace), payload
   * codec keys, database, log level, cache size, connectors.
   */
  settings: Settings;
  /** The Temporal frontend (the settings' address, else a running `bcsync servers up`'s); TLS etc. from `settings`. */
  temporalAddress: string;
  mongodbUri: string;
  taskQueue?: string;
  maxConcurrentActivities?: number;
  /** Pre-built workflow bundle (production); defaults to dist/workflow-bundle.js when present. */
  workflowBundlePath?: string;
  shutdownGraceTime?: Duration;
  /**
   * Longest gap between two heartbeats the SDK sends (default: 80% of the activity's heartbeat timeout, at
   * most 60 s). The failover tests shorten a running activity's heartbeat timeout from outside, which its
   * retried attempt does not learn; they keep heartbeats flowing with this.
   */
  maxHeartbeatThrottleInterval?: Duration;
  /** Injected activity dependencies (tests, `npm start`'s emulators); default: connectors from the settings. */
  activities?: Omit<ActivityDeps, 'database' | 'settings' | 'metrics'>;
  /** Prometheus `/metrics` on this `host:port` (default: the setting BCSYNC_METRICS_ADDRESS). */
  metricsAddress?: string;
  /** `GET /health` on this `host:port` (default: the setting BCSYNC_HEALTH_ADDRESS). */
  healthAddress?: string;
  /** Where the worker's log lines go (default: stdout); `npm start` keeps its terminal for the status table. */
  logDestination?: DestinationStream;
}

export { DEFAULT_MAX_CACHED_WORKFLOWS } from '../config/settings';

/** The pre-built bundle written by `npm run build` (scripts/bundleWorkflows). */
export const defaultBundlePath = join(__dirname, '..', 'workflow-bundle.js');

export interface RunningWorker {
  worker: Worker;
  database: Database;
  connection: NativeConnection;
  /** Resolves when the worker has shut down and its connections are closed. */
  done: Promise<void>;
}

export async function startWorker(settings: WorkerSettings): Promise<RunningWorker> {
  const s = settings.settings;
  const metricsAddress = settings.metricsAddress ?? s.worker.metricsAddress;
  const healthAddress = settings.healthAddress ?? s.worker.healthAddress;
  installRuntime({ logLevel: s.logLevel, metricsAddress });
  const log = createLogger('worker', s.logLevel, settings.logDestination);
  const meter = metricsAddress ? Runtime.instance().metricMeter : undefined;
  const maxConcurrentActivities = settings.maxConcurrentActivities ?? s.worker.activityConcurrency;
  const database = await connectDatabase(settings.mongodbUri, {
    dbName: s.mongo.dbName,
    maxPoolSize: maxConcurrentActivities + 5,
  });
  const temporal = temporalConnection(s, settings.temporalAddress);
  const connection = await connectWorker(temporal).catch(async (err: unknown) => {
    await database.close().catch(() => undefined);
    throw err;
  });
  const bundlePath =
    settings.workflowBundlePath ?? (existsSync(defaultBundlePath) ? defaultBundlePath : undefined);
  const workflowSource: Pick<WorkerOptions, 'workflowBundle' | 'workflowsPath'> = bundlePath
    ? { workflowBundle: { codePath: bundlePath } }
    : { workflowsPath: require.resolve('../workflows') };
  const worker = await Worker.create({
    connection,
    namespace: temporal.namespace,
    dataConverter: temporal.dataConverter,
    taskQueue: settings.taskQueue ?? JOB_QUEUE_TASK_QUEUE,
    activities: createActivities({
      database,
      settings: s,
      heartbeatMinimumMs: s.worker.heartbeatMinimumSeconds * 1000,
      logger: log.child({ component: 'activity' }),
      ...settings.activities,
      ...(meter ? { metrics: createSyncMetrics(meter) } : {}),
    }),
    maxConcurrentActivityTaskExecutions: maxConcurrentActivities,
    maxCachedWorkflows: s.worker.maxCachedWorkflows,
    // Lets a running page finish on SIGTERM/SIGINT before the process exits.
    shutdownGraceTime: settings.shutdownGraceTime ?? '30s',
    ...(settings.maxHeartbeatThrottleInterval
      ? { maxHeartbeatThrottleInterval: settings.maxHeartbeatThrottleInterval }
      : {}),
    ...workflowSource,
  });
  log.info(
    {
      temporal: describeTemporal(temporal),
      taskQueue: worker.options.taskQueue,
      maxConcurrentActivities,
      bundle: bundlePath ?? 'built at start',
    },
    'worker started',
  );
  const entryGauge = meter
    ? startEntryStateGauge(connection, temporal.namespace, meter, (err) =>
        log.warn(
          { err: err.message },
          'counting entries by state failed; bcsync_entries keeps its last value',
        ),
      )
    : undefined;
  const health = healthAddress
    ? await startHealthServer(healthAddress, {
        workerState: () => worker.getState(),
        pingDatabase: async () => void (await database.db.command({ ping: 1 })),
      }).catch(async (err: unknown) => {
        entryGauge?.stop();
        await connection.close().catch(() => undefined);
        await database.close().catch(() => undefined);
        throw err;
      })
    : undefined;
  if (metricsAddress || health)
    log.info(
      {
        ...(metricsAddress ? { metrics: `http://${metricsAddress}/metrics` } : {}),
        ...(health ? { health: `${health.url}/health` } : {}),
      },
      'worker observability',
    );
  const memoryTrim = startMemoryTrim(s.worker.memoryTrimSeconds);
  const done = worker.run().finally(async () => {
    memoryTrim.stop();
    entryGauge?.stop();
    await health?.stop();
    await connection.close().catch(() => undefined);
    await database.close().catch(() => undefined);
    log.info('worker stopped');
  });
  return { worker, database, connection, done };
}
