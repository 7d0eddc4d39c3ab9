// The Temporal activities of the sync engine (common/jobQueue.ts `JobQueueActivities`). The worker builds
// them once with `createSyncActivities(deps)`; each call wraps one engine run:
// - it heartbeats a checkpoint after every page (and repeats it while a page is in flight), and a retried attempt resumes: the run key is taken from
//   the heartbeat details (else from the activity's identity, which a retry shares), so the passes find
//   their job log entries and continue after their last committed page (temporal-practices.md);
// - failures are classified: configuration errors are not retried (`BadConfig`), API errors by kind
//   (validation/auth: not retried; throttling: retried after the server's Retry-After), everything else
//   (a dropped connection, MongoDB unavailable) retried by the activity's retry policy.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { MongoError } from 'mongodb';
import { z } from 'zod';
import { DEFAULT_HEARTBEAT_TIMEOUT_MS, type RunPace } from '../common/activityPace';
import { EntryKind, type JobQueueActivities, type RunEntryInput, type RunResult } from '../common/jobQueue';
import { isApiError, toApplicationFailure } from './connectors';
import { createSyncEngine, EngineConfigError } from './engine/engine';
import { FieldMappingError } from './engine/fieldMapping';
import type { PassProgress, SyncEngineDeps } from './engine/types';
import { MappingConfigError } from './mappings/mappingConfig';
import { keepHeartbeating } from './activityHeartbeat';
import { withIds } from './logger';
import type { SyncMetrics } from './metrics';

export type SyncActivityDeps = Omit<SyncEngineDeps, 'heartbeat' | 'signal' | 'metrics'> & {
  metrics?: Pick<SyncMetrics, 'passFinished' | 'runFinished'>;
  /** The floor of the heartbeat timeout the workflow sizes from the pace (BCSYNC_HEARTBEAT_TIMEOUT_MIN_SECONDS). */
  heartbeatMinimumMs?: number;
  /** Repeat heartbeats at least this often (activityHeartbeat.ts maxIntervalMs; the failover tests). */
  heartbeatRepeatMaxMs?: number;
};

const RunEntryInputSchema = z.object({
  entry: z.string().min(1),
  company: z.string().min(1).optional(),
  mappings: z.array(z.string().min(1)),
  kind: EntryKind,
  fullSync: z.boolean().optional(),
  dryRun: z.boolean().optional(),
  force: z.boolean().optional(),
});

/** What a retried attempt reads back from `activityInfo().heartbeatDetails`. */
export interface SyncHeartbeat {
  runKey: string;
  progress?: PassProgress;
}

export function classifyFailure(err: unknown, entry: string): Error {
  if (err instanceof ApplicationFailure) return err;
  if (isApiError(err)) return toApplicationFailure(err);
  if (
    err instanceof EngineConfigError ||
    err instanceof MappingConfigError ||
    err instanceof FieldMappingError
  ) {
    return ApplicationFailure.nonRetryable(`${entry}: ${err.message}`, 'BadConfig');
  }
  if (err instanceof MongoError) {
    return ApplicationFailure.retryable(
      `${entry}: MongoDB failed (${err.message}); the run resumes from its last committed page when retried`,
      'MongoUnavailable',
    );
  }
  const message = err instanceof Error ? err.message : String(err);
  return ApplicationFailure.retryable(`${entry}: ${message}`, 'EngineError');
}

export function createSyncActivities(deps: SyncActivityDeps): JobQueueActivities {
  return {
    async runJobQueueEntry(raw: RunEntryInput): Promise<RunResult> {
      const parsed = RunEntryInputSchema.safeParse(raw);
      if (!parsed.success) {
        throw ApplicationFailure.nonRetryable(
          `runJobQueueEntry: invalid input: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
          'BadConfig',
        );
      }
      const input = parsed.data;
      const ctx = Context.current();
      const info = ctx.info;
      const previous = info.heartbeatDetails as SyncHeartbeat | undefined;
      const runKey =
        previous?.runKey ??
        `${info.workflowExecution?.workflowId ?? 'standalone'}|${info.workflowExecution?.runId ?? ''}|${info.activityId}`;
      // Repeated while a page is in flight and through statistics runs (activityHeartbeat.ts).
      const heartbeat = keepHeartbeating<SyncHeartbeat>(
        ctx,
        { runKey, ...(previous?.progress ? { progress: previous.progress } : {}) },
        undefined,
        deps.heartbeatRepeatMaxMs,
      );
      const execution = info.workflowExecution;
      // Every line this run logs names the entry and the Temporal run; the passes add their ids.
      const logger = withIds(deps.logger, {
        entry: input.entry,
        company: input.company,
        workflowId: execution?.workflowId,
        runId: execution?.runId,
        activityAttempt: info.attempt,
      });
      const engine = createSyncEngine({
        ...deps,
        ...(logger ? { logger } : {}),
        ...(execution ? { temporalRun: { workflowId: execution.workflowId, runId: execution.runId } } : {}),
        signal: ctx.cancellationSignal,
        heartbeat: (progress) => heartbeat.beat({ runKey, progress }),
      });
      const startedAt = Date.now();
      try {
        const result = await engine.runEntry(input, runKey);
        deps.metrics?.runFinished(input.entry, 'succeeded', Date.now() - startedAt);
        // A page is what lies between two checkpoint heartbeats (common/activityPace.ts).
        const pace: RunPace = {
          slowestPageMs: heartbeat.slowestBeatGapMs(),
          heartbeatMinimumMs: deps.heartbeatMinimumMs ?? DEFAULT_HEARTBEAT_TIMEOUT_MS,
        };
        return { ...result, pace };
      } catch (err) {
        deps.metrics?.runFinished(input.entry, 'failed', Date.now() - startedAt);
        throw classifyFailure(err, input.entry);
      } finally {
        heartbeat.stop();
      }
    },
  };
}
