// `bcsync why <mapping> --bc <id>|--crm <id>|--name <text>`: what happened to this record, and why.
import type { Command } from 'commander';
import { LineageStore } from '../../activities/store/lineage';
import type { EntryStatus } from '../../common/jobQueue';
import { withDatabase } from '../database';
import { describeEntry, entryDefinitions, resolveEntry } from '../jobQueueEntries';
import type { CliContext } from '../context';
import { CliError, printJson, printLine, printTable } from '../output';
import { readRecordStory, type RecordStory } from '../recordStory';
import { decisionText, directionArrow as arrow, eventText, runText } from '../recordStoryText';
import { tableTime } from '../tableTime';
import { withTemporal } from '../temporalClient';
import { temporalUi } from '../temporalUiLinks';
import { checkId, mappingOf } from './couplings';
import { entryCompany } from '../companySelection';

/** The entry's state, when Temporal and a worker answer within a few seconds; the story works without. */
async function entryStatusOf(ctx: CliContext, entry: string): Promise<EntryStatus | null> {
  try {
    const def = resolveEntry(entryDefinitions(ctx.mappings(), entryCompany(ctx)), entry);
    return await withTemporal(ctx, async (client) => (await describeEntry(client, def, 3000)).status);
  } catch {
    return null;
  }
}

function printStory(s: RecordStory): void {
  // Labels and messages come from BC and Dataverse: printLine escapes terminal control characters.
  printLine(
    `${s.mapping}: BC ${s.bcId ?? '(none)'} <-> CRM ${s.crmId ?? '(none)'}${s.label ? `  "${s.label}"` : ''}`,
  );
  printLine(`verdict: ${s.verdict}`);
  if (s.coupling) {
    const c = s.coupling;
    printLine(
      `coupling: ${c.state}${c.skipped ? ', SKIPPED' : ''}; BC -> CRM ${c.toCrm.lastResult ?? 'never'}, CRM -> BC ${c.fromCrm.lastResult ?? 'never'} (updated ${tableTime(c.updatedAt)})`,
    );
  } else console.log('coupling: none');
  if (s.openErrors.length > 0) {
    console.log('\nopen errors:');
    printTable(
      ['At', 'Direction', 'Failures', 'Skipped', 'Message', 'Detail'],
      s.openErrors.map((e) => [
        tableTime(e.at),
        arrow(e.direction),
        e.failures,
        e.skipped ? 'yes' : 'no',
        e.message,
        e.detail ?? '',
      ]),
    );
  }
  console.log(`\nhistory, newest first (${s.history.length}):`);
  if (s.history.length === 0) return console.log('  (nothing recorded)');
  printTable(
    ['When', 'Direction', 'Decision', 'What and why', 'Temporal run'],
    s.history.map((e) => [tableTime(e.at), arrow(e.direction), decisionText(e), eventText(e), runText(e)]),
  );
}

export function registerWhy(program: Command, ctx: CliContext): void {
  program
    .command('why <mapping>')
    .description('what happened to this record, and why: its coupling, history, open errors and a verdict')
    .option('--bc <id>', 'BC SystemId of the record')
    .option('--crm <id>', 'CRM row id of the record')
    .option('--name <text>', 'part of the record number or name, e.g. 10000 or "Adatum"')
    .option('--json', 'machine-readable output (see README)')
    .action(async (name: string, opts: { bc?: string; crm?: string; name?: string; json?: boolean }) => {
      const m = mappingOf(ctx, name);
      if ([opts.bc, opts.crm, opts.name].filter((x) => x !== undefined).length !== 1)
        throw new CliError('give exactly one of --bc <id>, --crm <id> or --name <text>', 2);
      const entryStatus = await entryStatusOf(ctx, m.jobQueue.entry);
      const story = await withDatabase(ctx, async (db) => {
        let ids: { bcId?: string; crmId?: string } = {
          bcId: checkId('BC id', opts.bc),
          crmId: checkId('CRM id', opts.crm),
        };
        if (opts.name !== undefined) {
          const found = await new LineageStore(db.db).findByLabel(m.name, opts.name);
          if (found.length === 0)
            throw new CliError(
              `${m.name}: no synchronized record whose number or name contains "${opts.name}"; try --bc or --crm with its id`,
            );
          if (found.length > 1)
            throw new CliError(
              `${m.name}: ${found.length} records match "${opts.name}": ${found
                .slice(0, 10)
                .map((f) => `${f.label} (${f.bcId ? `--bc ${f.bcId}` : `--crm ${f.crmId}`})`)
                .join(', ')}; be more precise or give the id`,
            );
          ids = { bcId: found[0]!.bcId, crmId: found[0]!.crmId };
        }
        return readRecordStory(db, m, ids, entryStatus, temporalUi(ctx));
      });
      if (opts.json) return printJson(story);
      printStory(story);
    });
}
