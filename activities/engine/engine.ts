// The synchronization engine: runs mappings (rule 4.1: BC -> CRM pass, then CRM -> BC), full
// synchronization (section 7) and the Customer Statistics job, on the stores in MongoDB and the two
// connectors. Built once per worker by `createSyncEngine(deps)`; every method is safe to retry with the
// same run key (the passes resume from their job log checkpoints).
import { randomUUID } from 'node:crypto';
import type { RunEntryInput, RunResult } from '../../common/jobQueue';
import { dependencyOrder, findMapping } from '../mappings/mappingConfig';
import type { IntegrationTableMapping } from '../mappings/integrationTableMapping';
import { CouplingStore } from '../store/couplings';
import { JobLogStore, zeroCounters, type JobCounters } from '../store/jobLog';
import { MappingStore } from '../store/mappingStore';
import { LineageStore } from '../store/lineage';
import { RetryQueueStore } from '../store/retryQueue';
import { SyncErrorStore } from '../store/syncErrors';
import type { CouplingIndex } from './couplingIndex';
import { passJobId } from './deterministicId';
import { runOptionSetPass } from './optionSetPass';
import { runStatistics, type StatisticsResult } from './statistics';
import { SyncPass, type PassStores } from './syncPass';
import type { MappingRunResult, PassDirection, PassResult, RunOptions, SyncEngineDeps } from './types';

export class EngineConfigError extends Error {
  override name = 'EngineConfigError';
}

export interface SyncEngine {
  readonly stores: PassStores;
  /** One run of one mapping (both passes as its direction says). */
  runMapping(name: string, options?: RunOptions): Promise<MappingRunResult>;
  /** The job queue entry activity: its mappings in dependency order, counters summed. */
  runEntry(input: RunEntryInput, runKey?: string): Promise<RunResult>;
  /** Run Full Synchronization (section 7) of some or all mappings, in dependency order. */
  fullSync(names?: string[], runKey?: string): Promise<MappingRunResult[]>;
  /** The Customer Statistics job (section 2). */
  runStatistics(runKey?: string): Promise<StatisticsResult>;
  /** Retry / Retry All of the coupled-data errors page: clears Skipped. */
  retrySkipped(mapping: string, ids?: { bcIds?: string[]; sourceIds?: string[] }): Promise<number>;
}

const passesOf = (m: IntegrationTableMapping): PassDirection[] =>
  m.direction === 'Bidirectional'
    ? ['toCrm', 'fromCrm']
    : m.direction === 'ToIntegrationTable'
      ? ['toCrm']
      : ['fromCrm'];

export function sumCounters(results: PassResult[]): JobCounters {
  const total = zeroCounters();
  for (const r of results)
    for (const k of Object.keys(total) as (keyof JobCounters)[]) total[k] += r.counters[k];
  return total;
}

export function createSyncEngine(deps: SyncEngineDeps): SyncEngine {
  const cols = deps.db.cols;
  const stores: PassStores = {
    couplings: new CouplingStore(cols.couplings),
    jobLog: new JobLogStore(cols.jobLog),
    errors: new SyncErrorStore(cols.syncErrors),
    retries: new RetryQueueStore(deps.db.db),
    mappingStore: new MappingStore(cols.mappings),
    ...(deps.lineage === false ? {} : { lineage: new LineageStore(deps.db.db) }),
  };
  const mappings = deps.mappings.mappings;
  let seeded: Promise<void> | undefined;
  const ensureSeeded = () => (seeded ??= stores.mappingStore.seed(mappings));

  const mappingNamed = (name: string): IntegrationTableMapping => {
    const m = findMapping(mappings, name);
    if (!m) {
      throw new EngineConfigError(
        `unknown mapping "${name}"; known mappings: ${mappings.map((x) => x.name).join(', ')}`,
      );
    }
    return m;
  };

  async function runMapping(name: string, options: RunOptions = {}): Promise<MappingRunResult> {
    await ensureSeeded();
    const mapping = mappingNamed(name);
    const runKey = options.runKey ?? randomUUID();
    const syncOnlyCoupled = options.fullSync
      ? false
      : (options.syncOnlyCoupledRecords ?? mapping.syncOnlyCoupledRecords);
    const passes: PassResult[] = [];
    // Rule 4.1: BC -> CRM first, then CRM -> BC; each pass has its own job log entry.
    // A coupling snapshot (couplingIndex.ts) is read once per run and kept in step by both passes.
    let index: CouplingIndex | undefined;
    for (const direction of passesOf(mapping)) {
      const jobId = passJobId(runKey, mapping.name, direction);
      if (mapping.crm.optionSet) {
        // An option mapping couples BC records to options, not rows (optionSetPass.ts).
        passes.push(await runOptionSetPass({ deps, stores, mapping, direction, jobId }));
        continue;
      }
      const pass = new SyncPass({
        deps,
        stores,
        mapping,
        allMappings: mappings,
        direction,
        jobId,
        syncOnlyCoupled,
        ...(index ? { index } : {}),
      });
      passes.push(await pass.run());
      index = pass.couplingIndex;
    }
    return { mapping: mapping.name, passes };
  }

  async function fullSync(names?: string[], runKey = randomUUID()): Promise<MappingRunResult[]> {
    await ensureSeeded();
    const chosen = names ? names.map(mappingNamed) : mappings;
    const results: MappingRunResult[] = [];
    for (const mapping of dependencyOrder(chosen)) {
      // Clear both watermarks once per full sync: a retried run finds its first job started and resumes.
      const firstJob = passJobId(runKey, mapping.name, passesOf(mapping)[0]!);
      if (!(await stores.jobLog.get(firstJob))) await stores.mappingStore.clearWatermarks(mapping.name);
      results.push(await runMapping(mapping.name, { runKey, fullSync: true }));
    }
    return results;
  }

  async function runEntry(input: RunEntryInput, runKey = randomUUID()): Promise<RunResult> {
    if (input.kind === 'statistics') {
      const stats = await runStatistics(statisticsDeps(), runKey);
      return { ...stats.counters, jobIds: [stats.jobId], message: stats.message };
    }
    const chosen = input.mappings.map(mappingNamed);
    const results = input.fullSync
      ? await fullSync(
          chosen.map((m) => m.name),
          runKey,
        )
      : await (async () => {
          const out: MappingRunResult[] = [];
          for (const m of dependencyOrder(chosen)) out.push(await runMapping(m.name, { runKey }));
          return out;
        })();
    const passes = results.flatMap((r) => r.passes);
    const total = sumCounters(passes);
    return {
      inserted: total.inserted,
      modified: total.modified,
      deleted: total.deleted,
      unchanged: total.unchanged,
      skipped: total.skipped,
      failed: total.failed,
      coupled: total.coupled,
      jobIds: passes.map((p) => p.jobId),
      message: results
        .map((r) => `${r.mapping}: ${r.passes.map((p) => `${p.direction} ${p.message ?? ''}`).join('; ')}`)
        .join(' | '),
    };
  }

  const statisticsDeps = () => ({ deps, stores, mappings });

  return {
    stores,
    runMapping,
    runEntry,
    fullSync,
    runStatistics: async (runKey = randomUUID()) => {
      await ensureSeeded();
      return runStatistics(statisticsDeps(), runKey);
    },
    async retrySkipped(mapping, ids) {
      const m = mappingNamed(mapping);
      const a = await stores.couplings.clearSkipped(m.name, ids?.bcIds);
      const b = await stores.retries.clearSkipped(m.name, ids?.sourceIds);
      return a + b;
    },
  };
}
