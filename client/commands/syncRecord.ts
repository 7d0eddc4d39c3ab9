// `bcsync sync-record`: Synchronize Now for one record (section 7). The record is put on the mapping's
// retry list, which every pass reads first whatever the watermark (rule 4.2), and the entry runs now on
// a worker; a record whose mapped fields already agree is reported Unchanged.
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
      const def = resolveEntry(entryDefinitions(effective), mapping.name);
      const result = await withTemporal(ctx, (client) =>
        entryHandle(client, def).executeUpdate<RunResult, [RunNowRequest]>(runNowUpdate.name, { args: [{}] }),
      );
      if (opts.json) return printJson({ mapping: mapping.name, direction, id, ...result });
      printTable(
        ['Mapping', 'Direction', 'Inserted', 'Modified', 'Unchanged', 'Skipped', 'Failed'],
        [
          [
            mapping.name,
            direction === 'toCrm' ? 'BC -> CRM' : 'CRM -> BC',
            result.inserted,
            result.modified,
            result.unchanged,
            result.skipped,
            result.failed,
          ],
        ],
      );
      if (result.failed > 0)
        console.log('see `bcsync errors --mapping ' + JSON.stringify(mapping.name) + '` for why');
    });
}
