// `bcsync full-sync`: Run Full Synchronization (section 7) as a one-off workflow, with a progress bar.
import type { Command } from 'commander';
import { SingleBar, Presets } from 'cli-progress';
import { JOB_QUEUE_TASK_QUEUE, type RunResult } from '../../common/jobQueue';
import type { dryRun } from '../../workflows/dryRun';
import { printPlan } from '../planOutput';
import { findMapping } from '../../activities/mappings/mappingConfig';
import {
  fullSyncProgressQuery,
  type fullSynchronization,
  type FullSyncProgress,
} from '../../workflows/fullSynchronization';
import { withTemporal } from '../temporalClient';
import { CliError, printJson, printTable } from '../output';
import type { Client } from '@temporalio/client';
import type { CliContext } from '../context';
import { entryCompany } from '../companySelection';

export interface FullSyncOptions {
  mapping?: string;
  /** Exempt from the blast-radius guard. */
  force?: boolean;
  onProgress?: (p: FullSyncProgress) => void;
}

/** Starts a dry run (docs/dry-run.md) of some mappings and waits for its plan. */
export async function startDryRun(
  ctx: CliContext,
  client: Client,
  entry: string,
  names: string[],
  fullSync: boolean,
): Promise<RunResult> {
  const { mappings } = ctx.mappings();
  const company = entryCompany(ctx);
  return client.workflow.execute<typeof dryRun>('dryRun', {
    taskQueue: JOB_QUEUE_TASK_QUEUE,
    workflowId: `bcsync-dry-run-${company ? `${company}-` : ''}${entry.replace(/\s+/g, '-')}-${new Date().toISOString().replace(/[:.]/g, '-')}`,
    args: [
      {
        entry,
        mappings: names,
        dependsOn: Object.fromEntries(mappings.map((m) => [m.name, m.dependencyFilter])),
        fullSync,
        ...(company ? { company } : {}),
      },
    ],
    staticSummary: `Dry run of ${entry}: nothing is written`,
  });
}

/** Starts the full synchronization of one mapping or all of them and waits for it. */
export async function runFullSync(
  ctx: CliContext,
  client: Client,
  opts: FullSyncOptions = {},
): Promise<FullSyncProgress> {
  const { mappings } = ctx.mappings();
  let selected = mappings;
  if (opts.mapping) {
    const m = findMapping(mappings, opts.mapping);
    if (!m)
      throw new CliError(
        `no mapping "${opts.mapping}": use one of ${mappings.map((x) => x.name).join(', ')}`,
        2,
      );
    selected = [m];
  }
  const company = entryCompany(ctx);
  const handle = await client.workflow.start<typeof fullSynchronization>('fullSynchronization', {
    taskQueue: JOB_QUEUE_TASK_QUEUE,
    workflowId: `bcsync-full-sync-${company ? `${company}-` : ''}${new Date().toISOString().replace(/[:.]/g, '-')}`,
    args: [
      {
        mappings: selected.map((m) => m.name),
        dependsOn: Object.fromEntries(mappings.map((m) => [m.name, m.dependencyFilter])),
        ...(opts.force ? { force: true } : {}),
        ...(company ? { company } : {}),
      },
    ],
    staticSummary: `Full synchronization of ${opts.mapping ?? 'all mappings'}`,
  });
  const timer = opts.onProgress
    ? setInterval(() => {
        handle
          .query(fullSyncProgressQuery)
          .then(opts.onProgress)
          .catch(() => undefined);
      }, 1000)
    : undefined;
  try {
    const result = await handle.result();
    opts.onProgress?.(result);
    return result;
  } finally {
    if (timer) clearInterval(timer);
  }
}

export function registerFullSync(program: Command, ctx: CliContext): void {
  program
    .command('full-sync')
    .description(
      'Run Full Synchronization: couple and copy existing records, all mappings in dependency order',
    )
    .option('--mapping <name>', 'only this mapping')
    .option('--dry-run', 'show what it would couple, insert and modify, per mapping, and write nothing')
    .option('--force', 'exempt this full sync from the blast-radius guard')
    .option('--json', 'machine-readable output')
    .action(async (opts: { mapping?: string; json?: boolean; dryRun?: boolean; force?: boolean }) => {
      if (opts.dryRun) {
        if (opts.force) throw new CliError('--dry-run writes nothing; --force does not apply to it', 2);
        const { mappings } = ctx.mappings();
        const selected = opts.mapping ? findMapping(mappings, opts.mapping) : undefined;
        if (opts.mapping && !selected)
          throw new CliError(
            `no mapping "${opts.mapping}": use one of ${mappings.map((x) => x.name).join(', ')}`,
            2,
          );
        const result = await withTemporal(ctx, (client) =>
          startDryRun(
            ctx,
            client,
            'FULL SYNC',
            selected ? [selected.name] : mappings.map((m) => m.name),
            true,
          ),
        );
        return printPlan(result.plan ?? [], opts.json);
      }
      const bar =
        opts.json || !process.stderr.isTTY
          ? undefined
          : new SingleBar({ format: ' {bar} {value}/{total} mappings | {current}' }, Presets.shades_classic);
      let started = false;
      const result = await withTemporal(ctx, (client) =>
        runFullSync(ctx, client, {
          mapping: opts.mapping,
          force: opts.force,
          onProgress: (p) => {
            if (!bar) return;
            if (!started) {
              bar.start(p.total, p.done, { current: p.current ?? '' });
              started = true;
            }
            bar.update(p.done, { current: p.current ?? 'done' });
          },
        }),
      );
      bar?.stop();
      // A mapping that could not run, or that the blast-radius guard stopped, makes the command fail.
      if (result.results.some((r) => r.error)) process.exitCode = 1;
      if (opts.json) return printJson(result.results);
      printTable(
        ['Mapping', 'Inserted', 'Modified', 'Unchanged', 'Skipped', 'Failed', 'Coupled', 'Error'],
        result.results.map((r) => [
          r.mapping,
          r.result?.inserted,
          r.result?.modified,
          r.result?.unchanged,
          r.result?.skipped,
          r.result?.failed,
          r.result?.coupled,
          r.error ?? '',
        ]),
      );
    });
}
