// `bcsync log` and `bcsync errors`: the synchronization job log and error log (section 5), per mapping.
import type { Command } from 'commander';
import { findMapping } from '../../activities/mappings/mappingConfig';
import { JobLogStore } from '../../activities/store/jobLog';
import { SyncErrorStore, type RecordRef } from '../../activities/store/syncErrors';
import { withDatabase } from '../database';
import { CliError, printJson, printTable } from '../output';
import { tableTime } from '../tableTime';
import type { CliContext } from '../context';
import { wholeNumber } from '../numericOptions';

function mappingFilter(ctx: CliContext, name?: string): string | undefined {
  if (!name) return undefined;
  const { mappings, statistics } = ctx.mappings();
  if (['STATISTICS', statistics.name.toUpperCase()].includes(name.trim().toUpperCase()))
    return statistics.name;
  const m = findMapping(mappings, name);
  if (!m) throw new CliError(`no mapping "${name}": use one of ${mappings.map((x) => x.name).join(', ')}`, 2);
  return m.name;
}

const limitOption = wholeNumber(1, 100_000);
const iso = (d?: Date) => d?.toISOString() ?? null;
const ref = (r?: RecordRef) =>
  r ? `${r.system}:${r.entity}${r.label ? ` ${r.label}` : ''}${r.id ? ` (${r.id})` : ''}` : '';

export function registerLogs(program: Command, ctx: CliContext): void {
  program
    .command('log')
    .description('synchronization job log, newest first')
    .option('--mapping <name>', 'only this mapping')
    .option('--limit <n>', 'how many rows', limitOption, 50)
    .option('--json', 'machine-readable output (see README)')
    .action(async (opts: { mapping?: string; limit: number; json?: boolean }) => {
      const mapping = mappingFilter(ctx, opts.mapping);
      const rows = await withDatabase(ctx, ({ cols }) =>
        new JobLogStore(cols.jobLog).list({ mapping, limit: opts.limit }),
      );
      if (opts.json) {
        return printJson(
          rows.map((r) => ({
            id: r._id,
            mapping: r.mapping,
            direction: r.direction,
            type: r.type,
            startedAt: iso(r.startedAt),
            finishedAt: iso(r.finishedAt),
            inserted: r.inserted,
            modified: r.modified,
            deleted: r.deleted,
            unchanged: r.unchanged,
            skipped: r.skipped,
            failed: r.failed,
            coupled: r.coupled,
            message: r.message ?? null,
          })),
        );
      }
      printTable(
        [
          'Started',
          'Mapping',
          'Direction',
          'Ins',
          'Mod',
          'Del',
          'Unch',
          'Skip',
          'Fail',
          'Coupled',
          'Finished',
          'Job id',
        ],
        rows.map((r) => [
          tableTime(r.startedAt),
          r.mapping,
          r.direction === 'ToIntegrationTable' ? 'BC -> CRM' : 'CRM -> BC',
          r.inserted,
          r.modified,
          r.deleted,
          r.unchanged,
          r.skipped,
          r.failed,
          r.coupled,
          r.finishedAt ? tableTime(r.finishedAt) : '(running or interrupted)',
          r._id,
        ]),
      );
    });

  program
    .command('errors')
    .description('synchronization errors, newest first: which record, why, and what to do')
    .option('--mapping <name>', 'only this mapping')
    .option('--job <id>', 'only the errors of this job')
    .option('--limit <n>', 'how many rows', limitOption, 100)
    .option('--json', 'machine-readable output (see README)')
    .action(async (opts: { mapping?: string; job?: string; limit: number; json?: boolean }) => {
      const mapping = mappingFilter(ctx, opts.mapping);
      const rows = await withDatabase(ctx, ({ cols }) =>
        new SyncErrorStore(cols.syncErrors).list({ mapping, jobId: opts.job, limit: opts.limit }),
      );
      if (opts.json) {
        return printJson(
          rows.map((e) => ({
            jobId: e.jobId,
            mapping: e.mapping,
            direction: e.direction,
            source: e.source,
            destination: e.destination ?? null,
            message: e.message,
            detail: e.detail ?? null,
            at: iso(e.at),
          })),
        );
      }
      if (rows.length === 0) return console.log('no synchronization errors');
      printTable(
        ['At', 'Mapping', 'Source', 'Destination', 'Message', 'Detail'],
        rows.map((e) => [
          tableTime(e.at),
          e.mapping,
          ref(e.source),
          ref(e.destination),
          e.message,
          e.detail ?? '',
        ]),
      );
      console.log(
        'what happened to a record: `bcsync why <mapping> --bc <id>|--crm <id>`; skipped ones: `bcsync retry <mapping> <id>`',
      );
    });
}
