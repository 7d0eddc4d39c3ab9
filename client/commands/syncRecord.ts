// `bcsync sync-record`: Synchronize Now for one record (section 7). The record is put on the mapping's
// retry list, which every pass reads first whatever the watermark (rule 4.2), and the entry runs now on
// a worker; a record whose mapped fields already agree is reported Unchanged. What is printed is that
// record's outcome (its lineage entry of this run), not the run's counts; exit 1 when it was not
// synchronized.
import type { Command } from 'commander';
import { findMapping } from '../../activities/mappings/mappingConfig';
import { RetryQueueStore, retryKey } from '../../activities/store/retryQueue';
import type { RunNowRequest, RunResult } from '../../common/jobQueue';
import { runNowUpdate } from '../../workflows/messages';
import { withDatabase } from '../database';
import { entryDefinitions, entryHandle, resolveEntry } from '../jobQueueEntries';
import { withTemporal } from '../temporalClient';
import { CliError, printJson, printTable } from '../output';
import type { CliContext } from '../context';
import { storyEvents, type StoryEvent } from '../recordStory';
import { decisionText, directionArrow, eventText, runText } from '../recordStoryText';
import type { Database } from '../../activities/store/database';
import type { PassDirection } from '../../common/passDirection';
import { LineageStore } from '../../activities/store/lineage';
import { temporalUi, type TemporalUi } from '../temporalUiLinks';

/** What this run decided for the record: its lineage entry in the run's pass of that direction. */
async function recordOutcome(
  db: Database,
  mapping: string,
  run: RunResult,
  direction: PassDirection,
  id: string,
  ui: TemporalUi,
): Promise<StoryEvent | null> {
  const history = await new LineageStore(db.db).history({
    mapping,
    [direction === 'toCrm' ? 'bcId' : 'crmId']: id,
    limit: 10,
  });
  const docs = history.filter((h) => h.direction === direction && h.jobId && run.jobIds.includes(h.jobId));
  const [event] = await storyEvents(db, docs.slice(0, 1), ui);
  return event ?? null;
}
import { entryCompany } from '../companySelection';

const guid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function registerSyncRecord(program: Command, ctx: CliContext): void {
  program
    .command('sync-record <mapping>')
    .description('synchronize one record now: --bc <id> sends it BC -> CRM, --crm <id> sends it CRM -> BC')
    .option('--bc <id>', 'BC SystemId of the record (direction BC -> CRM)')
    .option('--crm <id>', 'CRM row id of the record (direction CRM -> BC)')
    .option('--json', 'machine-readable output')
    .action(async (name: string, opts: { bc?: string; crm?: string; json?: boolean }) => {
      const effective = ctx.mappings();
      const mapping = findMapping(effective.mappings, name);
      if (!mapping)
        throw new CliError(
          `no mapping "${name}": use one of ${effective.mappings.map((m) => m.name).join(', ')}`,
          2,
        );
      if (!opts.bc === !opts.crm)
        throw new CliError('give exactly one of --bc <id> (BC -> CRM) or --crm <id> (CRM -> BC)', 2);
      const direction = opts.bc ? 'toCrm' : 'fromCrm';
      const id = (opts.bc ?? opts.crm)!.toLowerCase();
      if (!guid.test(id)) throw new CliError(`"${id}" is not a GUID (BC SystemId / Dataverse row id)`, 2);
      const allowed =
        mapping.direction === 'Bidirectional' ||
        (mapping.direction === 'ToIntegrationTable') === (direction === 'toCrm');
      if (!allowed) {
        throw new CliError(
          `${mapping.name} synchronizes ${mapping.direction === 'ToIntegrationTable' ? 'BC -> CRM only: use --bc' : 'CRM -> BC only: use --crm'}`,
          2,
        );
      }
      await withDatabase(ctx, async ({ db }) => {
        await new RetryQueueStore(db).applyPage(
          [
            {
              _id: retryKey(mapping.name, direction, id),
              mapping: mapping.name,
              direction,
              sourceId: id,
              skipped: false,
              failures: 0,
              lastError: 'requested by `bcsync sync-record`',
              lastJobId: '',
              at: new Date(),
            },
          ],
          [],
        );
      });
      const def = resolveEntry(entryDefinitions(effective, entryCompany(ctx)), mapping.name);
      const run = await withTemporal(ctx, (client) =>
        entryHandle(client, def).executeUpdate<RunResult, [RunNowRequest]>(runNowUpdate.name, { args: [{}] }),
      );
      const outcome = await withDatabase(ctx, (db) =>
        recordOutcome(db, mapping.name, run, direction, id, temporalUi(ctx)),
      );
      if (opts.json)
        printJson({ mapping: mapping.name, direction, id, outcome, run: { ...run, jobIds: undefined } });
      else if (outcome) {
        printTable(
          ['Mapping', 'Direction', 'Record', 'Outcome', 'What and why', 'Temporal run'],
          [
            [
              mapping.name,
              directionArrow(direction),
              id,
              decisionText(outcome),
              eventText(outcome),
              runText(outcome),
            ],
          ],
        );
      }
      const why = `\`bcsync why ${JSON.stringify(mapping.name)} --${direction === 'toCrm' ? 'bc' : 'crm'} ${id}\``;
      if (!outcome)
        throw new CliError(
          `${mapping.name}: the run did not read ${direction === 'toCrm' ? 'BC record' : 'CRM row'} ${id} (no such record, or outside the mapping's table filter); ${why} shows its history`,
        );
      if (outcome.decision === 'Failed' || outcome.decision === 'Skipped')
        throw new CliError(
          `${mapping.name}: ${id} was not synchronized (${outcome.decision}); ${why} tells why and what to do`,
        );
    });
}
