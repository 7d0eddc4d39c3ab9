// Shared vocabulary of the sync engine: pass directions, dependencies, crash points and outcomes.
import type { IdLogger } from '../logger';
import type { Database } from '../store/database';
import type { TableClient } from '../connectors/types';
import type { EffectiveMappings } from '../mappings/mappingConfig';
import type { JobCounters } from '../store/jobLog';
import type { RecordOutcome } from './dryRun';
import type { SyncMetrics } from '../metrics';

export type { PassDirection } from '../../common/passDirection';
import type { PassDirection } from '../../common/passDirection';

/**
 * Points of a pass where a test can simulate a crash (the process dies: nothing after it runs). A retry
 * of the pass must then leave no duplicate, no lost coupling and no record counted twice.
 */
export type CrashPoint =
  | 'beforeWrite'
  | 'afterIntent'
  | 'afterWrite'
  | 'afterCoupling'
  | 'afterPageCommit'
  | 'beforeWatermark'
  | 'afterWatermark';

export interface CrashContext {
  mapping: string;
  direction: PassDirection;
  pageSeq: number;
  /** Writes the page sends to the destination (page steps only). */
  writes?: number;
}

/** The engine's logger; give it ids with withIds (activities/logger.ts). */
export type EngineLogger = IdLogger;

export interface PassProgress {
  mapping: string;
  direction: PassDirection;
  jobId: string;
  pageSeq: number;
  nextLink?: string;
  counters: JobCounters;
}

/**
 * Records per page. Memory follows the page (about three pages are alive at once: the one read ahead, the
 * one processed, the one committing), throughput does not: bench/engineInitialSync.ts (100,000 customers,
 * through a worker) measured the same rate at 1,000 and 2,000, with the worker's peak RSS at 263-268 MB
 * against 298 MB. A page is also one Dataverse $batch (at most 1,000 requests).
 */
export const DEFAULT_PAGE_SIZE = 1000;

/** How couplings are looked up for a page (see couplingIndex.ts). */
export type CouplingLookupMode = 'perPage' | 'snapshot';

export interface SyncEngineDeps {
  db: Database;
  bc: TableClient;
  crm: TableClient;
  mappings: EffectiveMappings;
  /** Dataverse systemuserid of the integration user (its writes are the engine's own, rule 4.4). */
  integrationUserId: string;
  logger?: EngineLogger;
  /** Records synced / failed per mapping and direction (activities/metrics.ts). */
  metrics?: Pick<SyncMetrics, 'passFinished'>;
  /** One run of a mapping at a time (oneRunPerMapping.ts): lease time to live and poll interval (tests). */
  mappingLease?: { ttlMs?: number; pollMs?: number };
  /** Called after every committed page (the activity heartbeats a checkpoint here). */
  heartbeat?: (progress: PassProgress) => void;
  /** Test hook: throw to simulate a crash at a point of a pass. */
  crashAt?: (point: CrashPoint, ctx: CrashContext) => void;
  /** Source page size (BC at most 20,000, Dataverse at most 5,000). Default DEFAULT_PAGE_SIZE. */
  pageSize?: number;
  /** Overlap of the incremental read window behind each watermark, in ms. Default 2,000. */
  watermarkOverlapMs?: number;
  /** Default `perPage`. */
  couplingLookup?: CouplingLookupMode;
  /** Largest mapping kept as an in-memory snapshot in `snapshot` mode. Default 500,000. */
  snapshotLimit?: number;
  now?: () => Date;
  signal?: AbortSignal;
  /** The Temporal workflow run doing the work, stored on each job log entry (lineage links to it). */
  temporalRun?: { workflowId: string; runId: string };
  /** Record lineage (docs/lineage.md); default on. Off only to measure its cost (bench/lineageOverhead.ts). */
  lineage?: boolean;
  /** Told each record's outcome (the dry-run report and the blast-radius guard). */
  onOutcome?: (o: RecordOutcome) => void;
}

export interface PassResult {
  jobId: string;
  direction: PassDirection;
  counters: JobCounters;
  message?: string;
}

export interface MappingRunResult {
  mapping: string;
  passes: PassResult[];
}

export interface RunOptions {
  /** Stable key of the run (e.g. Temporal workflow run + activity id): a retry resumes the same jobs. */
  runKey?: string;
  /** Run Full Synchronization (section 7): both watermarks cleared, Sync Only Coupled off. */
  fullSync?: boolean;
  /** Overrides the mapping's Synch. Only Coupled Records for this run. */
  syncOnlyCoupledRecords?: boolean;
  /** false: no dependency-first retry (dependencyFirst.ts) - used by that retry itself. */
  dependencyRetry?: boolean;
  /**
   * Records other mappings' records wait for (dependencyFirst.ts), by the direction of the pass that reads
   * them: taken in this run even when the mapping syncs only coupled records.
   */
  needed?: Partial<Record<PassDirection, string[]>>;
}
