// Job queue entry commands: setup, entries, status, reactivate, run, hold, resume, set.
import type { Command } from 'commander';
import { MappingStore } from '../../activities/store/mappingStore';
import { JobQueueEntryStore } from '../../activities/store/jobQueueEntries';
import type { EntryStatus, RunNowRequest, RunResult, ScheduleChange } from '../../common/jobQueue';
import {
  approveUpdate,
  bcChangedSignal,
  holdUpdate,
  resumeUpdate,
  runNowUpdate,
  setScheduleUpdate,
} from '../../workflows/messages';
import { withDatabase } from '../database';
import { withTemporal } from '../temporalClient';
import { ensureLineageRetentionSchedule } from '../lineageRetentionSchedule';
import { ensureSearchAttributes } from '../searchAttributes';
import {
  describeEntry,
  ensureEntryStarted,
  entryDefinitions,
  entryHandle,
  entryJson,
  resolveEntry,
  type EntryDefinition,
} from '../jobQueueEntries';
import { CliError, printJson, printLine, printTable, terminalText } from '../output';
import { tableTime } from '../tableTime';
import type { CliContext } from '../context';
import { entryQueryLinks, temporalUi } from '../temporalUiLinks';
import { printPlan } from '../planOutput';
import { startDryRun } from './fullSync';
import { entryCompany } from '../companySelection';
import { wholeNumber } from '../numericOptions';

const definitions = (ctx: CliContext): EntryDefinition[] =>
  entryDefinitions(ctx.mappings(), entryCompany(ctx));

const when = (iso: string | null | undefined) => tableTime(iso);

function printCounts(entry: string, r: RunResult, json?: boolean): void {
  if (json) return printJson({ entry, ...r, stoppedByGuard: r.guard ? true : undefined });
  printTable(
    ['Entry', 'Inserted', 'Modified', 'Deleted', 'Unchanged', 'Skipped', 'Failed', 'Coupled'],
    [[entry, r.inserted, r.modified, r.deleted, r.unchanged, r.skipped, r.failed, r.coupled]],
  );
  if (r.message) printLine(r.message);
  if (r.failed > 0) console.log(`${r.failed} record(s) failed: see \`bcsync errors\``);
}

function printStatus(s: EntryStatus, json?: boolean): void {
  if (json) return printJson(s);
  const r = s.lastRun?.result;
  printTable(
    ['Entry', 'State', 'Next run', 'Last run', 'Last result', 'Attempts', 'Every', 'Inactivity timeout'],
    [
      [
        s.entry,
        s.state,
        when(s.nextRunAt),
        when(s.lastRun?.finishedAt),
        s.lastRun?.outcome,
        `${s.attempts}/${s.schedule.maxAttempts}`,
        `${s.schedule.frequencyMinutes} min`,
        `${s.schedule.inactivityTimeoutMinutes} min`,
      ],
    ],
  );
  if (r)
    console.log(
      `last run: inserted ${r.inserted}, modified ${r.modified}, deleted ${r.deleted}, unchanged ${r.unchanged}, skipped ${r.skipped}, failed ${r.failed}`,
    );
  if (s.holdReason) printLine(`on hold: ${s.holdReason}`);
  if (s.lastError)
    printLine(`last error (${when(s.lastError.at)}, attempt ${s.lastError.attempt}): ${s.lastError.message}`);
}

/** Seeds MongoDB with the mappings and entry settings, then starts (or updates) every entry workflow. */
export async function setupEntries(
  ctx: CliContext,
  log: (line: string) => void = console.log,
  /** Told each step before it starts (`npm start` names a step that takes long). */
  step: (label: string) => void = () => undefined,
): Promise<EntryDefinition[]> {
  const effective = ctx.mappings();
  const defs = entryDefinitions(effective, entryCompany(ctx));
  step('saving the mappings and entry settings in MongoDB');
  await withDatabase(ctx, async ({ cols }) => {
    await new MappingStore(cols.mappings).seed(effective.mappings);
    const store = new JobQueueEntryStore(cols.jobQueueEntries);
    await store.seedDefaults([
      ...effective.mappings.map((m) => ({
        _id: m.jobQueue.entry,
        kind: 'synchronization' as const,
        mappings: [m.name],
        ...m.jobQueue,
      })),
      {
        _id: effective.statistics.jobQueue.entry,
        kind: 'statistics' as const,
        mappings: [],
        ...effective.statistics.jobQueue,
      },
    ]);
    // The durable settings win over the defaults: a `bcsync set` survives a later `setup`.
    const saved = new Map((await store.all()).map((d) => [d._id, d]));
    for (const def of defs) {
      const d = saved.get(def.entry);
      if (d) {
        def.input.schedule = {
          frequencyMinutes: d.minutesBetweenRuns,
          inactivityTimeoutMinutes: d.inactivityTimeoutMinutes,
          maxAttempts: d.maxAttempts,
          rerunDelaySeconds: d.rerunDelaySeconds,
          crmWakeEnabled: d.crmWakeEnabled,
        };
      }
    }
  });
  step('connecting to Temporal');
  await withTemporal(ctx, async (client, temporal) => {
    step(`checking the search attributes of namespace ${temporal.namespace}`);
    const added = await ensureSearchAttributes(client, { address: temporal.address });
    if (added.length > 0)
      log(`search attributes registered on namespace ${temporal.namespace}: ${added.join(', ')}`);
    for (const def of defs) {
      step(`starting (or updating) the entry ${def.entry} on Temporal`);
      log(`${def.entry}: ${await ensureEntryStarted(client, def)}`);
    }
    step('creating the lineage retention schedule on Temporal');
    log(`lineage retention schedule: ${await ensureLineageRetentionSchedule(client)}`);
  });
  return defs;
}

export function registerEntries(program: Command, ctx: CliContext): void {
  program
    .command('setup')
    .description('create or update the default job queue entries and start their workflows (idempotent)')
    .action(async () => {
      await setupEntries(ctx);
    });

  program
    .command('entries')
    .description('all job queue entries with state, last run and next run')
    .option('--json', 'machine-readable output (see README)')
    .action(async (opts: { json?: boolean }) => {
      const views = await withTemporal(ctx, (client) =>
        Promise.all(definitions(ctx).map((d) => describeEntry(client, d))),
      );
      if (opts.json) return printJson(views.map(entryJson));
      printTable(
        [
          'Entry',
          'Mapping',
          'State',
          'Last run',
          'Next run',
          'Ins',
          'Mod',
          'Unch',
          'Skip',
          'Fail',
          'Attempts',
        ],
        views.map((v) => {
          const s = v.status;
          const r = s?.lastRun?.result;
          return [
            v.entry,
            v.mapping ?? '',
            s?.state ?? (v.execution === 'RUNNING' ? '(no worker answered)' : v.execution.toLowerCase()),
            when(s?.lastRun?.finishedAt),
            when(s?.nextRunAt),
            r?.inserted,
            r?.modified,
            r?.unchanged,
            r?.skipped,
            r?.failed,
            s?.attempts,
          ];
        }),
      );
      // The Temporal UI lists every entry as Running; these open it with the bcsync state already queried.
      for (const l of entryQueryLinks(temporalUi(ctx))) console.log(`Temporal UI, ${l.label}: ${l.url}`);
    });

  program
    .command('status <entry>')
    .description('full status of one entry (state, last run and counts, next run, attempts, last error)')
    .option('--json', 'machine-readable output')
    .action(async (name: string, opts: { json?: boolean }) => {
      const def = resolveEntry(definitions(ctx), name);
      const view = await withTemporal(ctx, (client) => describeEntry(client, def, 15000));
      if (!view.status)
        throw new CliError(
          view.execution === 'RUNNING'
            ? `${def.entry}: no worker answered; start one with \`bcsync worker\``
            : `${def.entry} is not started (${view.execution}): run \`bcsync setup\``,
        );
      printStatus(view.status, opts.json);
    });

  program
    .command('reactivate <entry>')
    .description('wake the entry now, as a change in BC does (signal)')
    .action(async (name: string) => {
      const def = resolveEntry(definitions(ctx), name);
      await withTemporal(ctx, (client) =>
        entryHandle(client, def).signal(bcChangedSignal, {
          resource: 'reactivated by user',
          at: new Date().toISOString(),
        }),
      );
      console.log(`${def.entry}: wake-up sent`);
    });

  program
    .command('run <entry>')
    .description('run the entry now and print the counts')
    .option('--dry-run', 'show what the run would do (couple, insert, modify, conflicts) and write nothing')
    .option('--force', 'skip the blast-radius guard for this run')
    .option('--json', 'machine-readable output')
    .action(async (name: string, opts: { json?: boolean; dryRun?: boolean; force?: boolean }) => {
      const def = resolveEntry(definitions(ctx), name);
      if (opts.dryRun) {
        if (opts.force) throw new CliError('--dry-run writes nothing; --force does not apply to it', 2);
        if (!def.mapping) throw new CliError(`${def.entry} is not a synchronization entry: no dry run`, 2);
        const result = await withTemporal(ctx, (client) =>
          startDryRun(ctx, client, def.entry, [def.mapping!], false),
        );
        return printPlan(result.plan ?? [], opts.json);
      }
      const result = await withTemporal(ctx, (client) =>
        entryHandle(client, def).executeUpdate<RunResult, [RunNowRequest]>(runNowUpdate.name, {
          args: [opts.force ? { force: true } : {}],
        }),
      );
      printCounts(def.entry, result, opts.json);
      if (result.guard) {
        if (!opts.json) console.error(`bcsync: ${terminalText(result.guard.message)}`);
        process.exitCode = 1;
      }
    });

  program
    .command('approve <entry>')
    .description('let a run the blast-radius guard stopped go ahead (runs now, once without the guard)')
    .option('--json', 'machine-readable output')
    .action(async (name: string, opts: { json?: boolean }) => {
      const def = resolveEntry(definitions(ctx), name);
      printStatus(
        await withTemporal(ctx, (client) => entryHandle(client, def).executeUpdate(approveUpdate)),
        opts.json,
      );
    });

  program
    .command('hold <entry>')
    .description('put the entry On Hold (it runs again after `resume`)')
    .option('--json', 'machine-readable output')
    .action(async (name: string, opts: { json?: boolean }) => {
      const def = resolveEntry(definitions(ctx), name);
      printStatus(
        await withTemporal(ctx, (client) => entryHandle(client, def).executeUpdate(holdUpdate)),
        opts.json,
      );
    });

  program
    .command('resume <entry>')
    .description('set the entry Ready and run it now (also restarts an entry in Error)')
    .option('--json', 'machine-readable output')
    .action(async (name: string, opts: { json?: boolean }) => {
      const def = resolveEntry(definitions(ctx), name);
      printStatus(
        await withTemporal(ctx, (client) => entryHandle(client, def).executeUpdate(resumeUpdate)),
        opts.json,
      );
    });

  // The CLI checks the form; the entry workflow checks the values (its reason is printed, exit 2).
  const minutes = wholeNumber(0, 1_000_000, 'a whole number of minutes');
  program
    .command('set <entry>')
    .description('change how often the entry runs and how long it sleeps when idle')
    .option('--frequency <min>', 'No. of Minutes between Runs', minutes)
    .option('--inactivity-timeout <min>', 'Inactivity Timeout Period (0 = never sleep)', minutes)
    .option('--max-attempts <n>', 'Maximum No. of Attempts to Run', wholeNumber(0, 1_000_000))
    .option('--crm-wake <on|off>', 'wake on CRM-side changes (off by default, as in BC)')
    .option('--json', 'machine-readable output')
    .action(
      async (
        name: string,
        opts: {
          frequency?: number;
          inactivityTimeout?: number;
          maxAttempts?: number;
          crmWake?: string;
          json?: boolean;
        },
      ) => {
        const def = resolveEntry(definitions(ctx), name);
        const change: ScheduleChange = {};
        if (opts.frequency !== undefined) change.frequencyMinutes = opts.frequency;
        if (opts.inactivityTimeout !== undefined) change.inactivityTimeoutMinutes = opts.inactivityTimeout;
        if (opts.maxAttempts !== undefined) change.maxAttempts = opts.maxAttempts;
        if (opts.crmWake !== undefined) {
          if (!['on', 'off'].includes(opts.crmWake))
            throw new CliError(`--crm-wake must be on or off, got "${opts.crmWake}"`, 2);
          change.crmWakeEnabled = opts.crmWake === 'on';
        }
        if (Object.keys(change).length === 0)
          throw new CliError(
            'nothing to set: give --frequency, --inactivity-timeout, --max-attempts or --crm-wake',
            2,
          );
        const status = await withTemporal(ctx, (client) =>
          entryHandle(client, def).executeUpdate(setScheduleUpdate, { args: [change] }),
        );
        // Keep the durable settings in step, so a later `setup` does not undo the change.
        await withDatabase(ctx, async ({ cols }) => {
          await new JobQueueEntryStore(cols.jobQueueEntries).update(def.entry, {
            ...(change.frequencyMinutes !== undefined && { minutesBetweenRuns: change.frequencyMinutes }),
            ...(change.inactivityTimeoutMinutes !== undefined && {
              inactivityTimeoutMinutes: change.inactivityTimeoutMinutes,
            }),
            ...(change.maxAttempts !== undefined && { maxAttempts: change.maxAttempts }),
            ...(change.crmWakeEnabled !== undefined && { crmWakeEnabled: change.crmWakeEnabled }),
          });
        });
        printStatus(status, opts.json);
      },
    );
}
