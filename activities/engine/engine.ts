// The synchronization engine: runs mappings (rule 4.1: BC -> CRM pass, then CRM -> BC), full
// synchronization (section 7) and the Customer Statistics job, on the stores in MongoDB and the two
// connectors. Built once per worker by `createSyncEngine(deps)`; every method is safe to retry with the
// same run key (the passes resume from their job log checkpoints).
import { randomUUID } from 'node:crypto';
import { runResult, type RunEntryInput, type RunResult } from '../../common/jobQueue';
import { dependencyOrder, findMapping } from '../mappings/mappingConfig';
import type { IntegrationTableMapping } from '../mappings/integrationTableMapping';
import { CouplingStore } from '../store/couplings';
import { JobLogStore, zeroCounters, type JobCounters } from '../store/jobLog';
import { MappingStore } from '../store/mappingStore';
import { LineageStore } from '../store/lineage';
import { RetryQueueStore } from '../store/retryQueue';
import { SyncErrorStore } from '../store/syncErrors';
import { MatchReviewStore } from '../store/matchReviews';
import type { BlastRadiusStop, RecordOutcome } from '../../common/runPlan';
import type { MappingName } from '../../common/ids';
import { neededByFailure } from './dependencyFirst';
import {
  DryRunCouplingStore,
  DryRunErrorStore,
  DryRunJobLogStore,
  DryRunMappingStore,
  DryRunMatchReviewStore,
  DryRunRetryQueueStore,
  DryRunTableClient,
  PlanCollector,
} from './dryRun';
import type { MatchIndexHolder } from './pageItem';
import type { CouplingIndex } from './couplingIndex';
import { passJobId } from './deterministicId';
import { holdingMappings, waitedMessage } from './oneRunPerMapping';
import { MappingLeaseStore } from '../store/mappingLeases';
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

/** The stores of a dry run: MongoDB's content with the run's writes kept in memory (dryRun.ts). */
function dryRunStores(db: SyncEngineDeps['db']): PassStores {
  return {
    couplings: new DryRunCouplingStore(db.cols.couplings),
    jobLog: new DryRunJobLogStore(db.cols.jobLog),
    errors: new DryRunErrorStore(db.cols.syncErrors),
    retries: new DryRunRetryQueueStore(db.db),
    mappingStore: new DryRunMappingStore(db.cols.mappings),
    reviews: new DryRunMatchReviewStore(db.cols.matchReviews),
  };
}

export function createSyncEngine(deps: SyncEngineDeps, storesOverride?: PassStores): SyncEngine {
  const cols = deps.db.cols;
  const stores: PassStores = storesOverride ?? {
    couplings: new CouplingStore(cols.couplings),
    jobLog: new JobLogStore(cols.jobLog),
    errors: new SyncErrorStore(cols.syncErrors),
    retries: new RetryQueueStore(deps.db.db),
    mappingStore: new MappingStore(cols.mappings),
    ...(deps.lineage === false ? {} : { lineage: new LineageStore(deps.db.db) }),
    reviews: new MatchReviewStore(cols.matchReviews),
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
    const matches: MatchIndexHolder = {};
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
        matches,
        ...(options.needed?.[direction] ? { needed: options.needed[direction] } : {}),
        ...(index ? { index } : {}),
      });
      const result = await pass.run();
      deps.metrics?.passFinished(mapping.name, direction, result.counters);
      passes.push(result);
      index = pass.couplingIndex;
    }
    if (options.dependencyRetry === false) return { mapping: mapping.name, passes };
    // Dependency first (dependencyFirst.ts): records that failed only because a record they refer to is
    // not coupled yet get that mapping synchronized, then one more run of their own, at once.
    const waitingFor = new Map<string, Partial<Record<PassDirection, Set<string>>>>();
    for (const p of passes) {
      if (p.counters.failed === 0) continue;
      for (const e of await stores.errors.list({ jobId: p.jobId, limit: 10_000 })) {
        const needs = neededByFailure(e.message);
        const depMapping = needs ? findMapping(mappings, needs.mapping) : undefined;
        if (!depMapping || depMapping.name === mapping.name) continue;
        const byDirection = waitingFor.get(depMapping.name) ?? {};
        const ids = (byDirection[p.direction] ??= new Set<string>());
        if (needs?.id) ids.add(needs.id);
        waitingFor.set(depMapping.name, byDirection);
      }
    }
    if (waitingFor.size === 0) return { mapping: mapping.name, passes };
    for (const dep of dependencyOrder(mappings.filter((m) => waitingFor.has(m.name)))) {
      const needed = waitingFor.get(dep.name)!;
      const r = await runMapping(dep.name, {
        runKey: `${runKey}|for ${mapping.name}`,
        dependencyRetry: false,
        needed: Object.fromEntries(Object.entries(needed).map(([d, ids]) => [d, [...ids]])),
      });
      passes.push(...r.passes);
    }
    const again = await runMapping(mapping.name, {
      ...options,
      runKey: `${runKey}|retry`,
      dependencyRetry: false,
    });
    passes.push(...again.passes);
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

  /** The same entry run on dry-run connectors and stores: everything decided, nothing written. */
  async function planEntry(
    input: RunEntryInput,
    runKey: string,
    onOutcome: (o: RecordOutcome) => void,
  ): Promise<RunResult> {
    const now = deps.now ?? (() => new Date());
    // The crash points are where a real run's writes can be cut off; a dry run writes nothing.
    const { crashAt: _writesOnly, ...planDeps } = deps;
    const dry = createSyncEngine(
      {
        ...planDeps,
        bc: new DryRunTableClient(deps.bc, now),
        crm: new DryRunTableClient(deps.crm, now),
        onOutcome,
      },
      dryRunStores(deps.db),
    );
    return dry.runEntry({ ...input, dryRun: false, force: true }, runKey);
  }

  /**
   * The blast-radius guard (docs/blast-radius-guard.md): a dry run of each guarded mapping counts the
   * existing couplings the run would modify or remove; above the mapping's share it stops before writing.
   */
  async function checkBlastRadius(
    input: RunEntryInput,
    runKey: string,
  ): Promise<BlastRadiusStop | undefined> {
    for (const m of dependencyOrder(input.mappings.map(mappingNamed))) {
      const g = m.blastRadiusGuard;
      if (!g.enabled) continue;
      const coupled = await stores.couplings.count(m.name as MappingName);
      if (coupled < g.minCoupledRecords) continue;
      const changed = new Set<string>();
      await planEntry({ ...input, mappings: [m.name] }, `guard|${runKey}|${m.name}`, (o) => {
        if ((o.kind === 'modify' && !o.justCoupled) || o.kind === 'uncouple')
          changed.add(o.direction === 'toCrm' ? o.sourceId : (o.destId ?? o.sourceId));
      });
      if (changed.size <= g.maxShare * coupled) continue;
      const share = Math.round((changed.size / coupled) * 100);
      const message =
        `Stopped by the blast-radius guard before writing: this run would modify or remove ${changed.size} of ` +
        `${coupled} coupled ${m.name} records (${share}%, limit ${Math.round(g.maxShare * 100)}%). ` +
        `Check them (bcsync run ${m.jobQueue.entry} --dry-run), then \`bcsync approve ${m.jobQueue.entry}\` to let it run.`;
      const startedAt = deps.now?.() ?? new Date();
      await stores.jobLog.start({
        _id: `${runKey}|guard|${m.name}`,
        mapping: m.name,
        direction: 'ToIntegrationTable',
        type: 'Synchronization',
        startedAt,
      });
      await stores.jobLog.complete(`${runKey}|guard|${m.name}`, message, startedAt);
      return { mapping: m.name, coupled, wouldChange: changed.size, maxShare: g.maxShare, message };
    }
    return undefined;
  }

  async function runEntry(input: RunEntryInput, runKey = randomUUID()): Promise<RunResult> {
    if (input.kind === 'statistics') {
      const stats = await runStatistics(statisticsDeps(), runKey);
      return { ...stats.counters, jobIds: [stats.jobId], message: stats.message };
    }
    if (input.dryRun) {
      const collector = new PlanCollector();
      const result = await planEntry(input, `dry-run|${runKey}`, (o) => collector.record(o));
      return { ...result, jobIds: [], plan: collector.result() };
    }
    // Checked once per run: a retried attempt (same run key) has passed the guard already.
    const first = dependencyOrder(input.mappings.map(mappingNamed))[0];
    const resumed = first
      ? await stores.jobLog.get(passJobId(runKey, first.name, passesOf(first)[0]!))
      : null;
    if (!input.force && !resumed) {
      await ensureSeeded();
      const guard = await checkBlastRadius(input, runKey);
      if (guard) {
        return runResult({
          jobIds: [`${runKey}|guard|${guard.mapping}`],
          message: guard.message,
          guard,
        });
      }
    }
    const chosen = input.mappings.map(mappingNamed);
    const leaseOptions = {
      leases: new MappingLeaseStore(deps.db.cols.mappingLeases),
      holder: runKey,
      label: input.entry,
      ...(deps.mappingLease ?? {}),
      ...(deps.signal ? { signal: deps.signal } : {}),
      ...(deps.logger ? { logger: deps.logger } : {}),
    };
    const { results, waited } = await holdingMappings(
      chosen.map((m) => m.name),
      leaseOptions,
      async (waited) => ({
        waited,
        results: input.fullSync
          ? await fullSync(
              chosen.map((m) => m.name),
              runKey,
            )
          : await (async () => {
              const out: MappingRunResult[] = [];
              for (const m of dependencyOrder(chosen)) out.push(await runMapping(m.name, { runKey }));
              return out;
            })(),
      }),
    );
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
      message: [
        ...(waited.length > 0 ? [waitedMessage(waited)] : []),
        results
          .map((r) => `${r.mapping}: ${r.passes.map((p) => `${p.direction} ${p.message ?? ''}`).join('; ')}`)
          .join(' | '),
      ].join(' '),
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
