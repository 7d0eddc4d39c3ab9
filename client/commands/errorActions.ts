// The coupled-data error actions (section 7): `bcsync retry`, `restore`, `delete`, `find-deleted`,
// `remove-coupling`. Each is recorded in the record's lineage (`bcsync why` shows it).
import type { Command } from 'commander';
import { createConnectors } from '../../activities/connectors';
import {
  coupledRecordActions,
  RecordActionError,
  type CoupledRecordActions,
  type DeletedCoupling,
} from '../../activities/engine/coupledRecordActions';
import { customEntitySets } from '../../activities/mappings/mappingConfig';
import type { CliContext } from '../context';
import type { IntegrationTableMapping } from '../../activities/mappings/integrationTableMapping';
import { withDatabase } from '../database';
import { CliError, printJson, printTable } from '../output';
import { checkId, mappingOf } from './couplings';
import { selectedConnectorConfig } from '../companySelection';

/** Runs an action with the record actions of a mapping; `connectors` when it reads BC and Dataverse. */
async function withActions<T>(
  ctx: CliContext,
  mapping: IntegrationTableMapping,
  connectors: boolean,
  fn: (actions: CoupledRecordActions) => Promise<T>,
): Promise<T> {
  return withDatabase(ctx, async (db, base) => {
    let clients = {};
    if (connectors) {
      // The selected company's connectors (`--company`); errors name the missing setting.
      const c = createConnectors(await selectedConnectorConfig(ctx, base), {
        bcCustomEntities: customEntitySets(ctx.mappings()),
      });
      clients = { bc: c.bc, crm: c.dataverse };
    }
    try {
      return await fn(coupledRecordActions({ db, mapping, by: 'cli', ...clients }));
    } catch (err) {
      if (err instanceof RecordActionError) throw new CliError(err.message);
      throw err;
    }
  });
}

/** `<id>` or `--all`, not both, not neither. */
function target(id: string | undefined, all: boolean | undefined, command: string): string | 'all' {
  if (!id === !all) throw new CliError(`${command}: give a record id (BC or CRM) or --all`, 2);
  return all ? 'all' : checkId('record id', id)!;
}

const side = (d: DeletedCoupling) =>
  d.missing === 'both' ? 'both records' : d.missing === 'bc' ? 'BC record' : 'CRM record';

function printDeleted(rows: DeletedCoupling[], json: boolean | undefined, empty: string): void {
  if (json) return printJson(rows);
  if (rows.length === 0) return console.log(empty);
  printTable(
    ['BC id', 'CRM id', 'Deleted'],
    rows.map((d) => [d.bcId, d.crmId, side(d)]),
  );
}

export function registerErrorActions(program: Command, ctx: CliContext): void {
  program
    .command('retry <mapping> [id]')
    .description('Retry / Retry All: clear Skipped so the next run tries the record again (BC or CRM id)')
    .option('--all', 'every skipped record of the mapping')
    .option('--json', 'machine-readable output')
    .action(async (name: string, id: string | undefined, opts: { all?: boolean; json?: boolean }) => {
      const m = mappingOf(ctx, name);
      const t = target(id, opts.all, 'retry');
      const ids = await withActions(ctx, m, false, (a) => a.retry(t));
      if (opts.json) return printJson({ mapping: m.name, retried: ids });
      console.log(
        ids.length === 0
          ? `${m.name}: no skipped records`
          : `${m.name}: ${ids.length} record(s) no longer skipped; the next run tries them (\`bcsync run ${m.jobQueue.entry}\` runs it now)`,
      );
    });

  program
    .command('find-deleted <mapping>')
    .description('Find for Deleted: couplings whose BC or CRM record no longer exists')
    .option('--json', 'machine-readable output')
    .action(async (name: string, opts: { json?: boolean }) => {
      const m = mappingOf(ctx, name);
      const rows = await withActions(ctx, m, true, (a) => a.findDeleted());
      printDeleted(rows, opts.json, `${m.name}: every coupled record still exists on both sides`);
      if (!opts.json && rows.length > 0)
        console.log(
          `fix with \`bcsync restore ${m.name} <id>\` (create the deleted one again), \`bcsync delete ${m.name} <id>\` (delete the other one too) or \`bcsync remove-coupling ${m.name} <id>\``,
        );
    });

  program
    .command('restore <mapping> [id]')
    .description(
      'Restore Records: create a deleted coupled record again from its counterpart at the next run',
    )
    .option('--all', 'every coupling found by find-deleted')
    .option('--json', 'machine-readable output')
    .action(async (name: string, id: string | undefined, opts: { all?: boolean; json?: boolean }) => {
      const m = mappingOf(ctx, name);
      const t = target(id, opts.all, 'restore');
      const rows = await withActions(ctx, m, true, (a) => a.restore(t));
      if (opts.json) return printJson(rows);
      printDeleted(rows, false, `${m.name}: nothing to restore`);
      if (rows.length > 0)
        console.log(
          `${m.name}: ${rows.length} record(s) will be created again at the next run (\`bcsync run ${m.jobQueue.entry}\` runs it now)`,
        );
    });

  program
    .command('delete <mapping> [id]')
    .description('Delete Records: delete the surviving record of a coupling whose other record was deleted')
    .option('--all', 'every coupling found by find-deleted')
    .option('--json', 'machine-readable output')
    .action(async (name: string, id: string | undefined, opts: { all?: boolean; json?: boolean }) => {
      const m = mappingOf(ctx, name);
      const t = target(id, opts.all, 'delete');
      const { deleted, refused } = await withActions(ctx, m, true, (a) => a.delete(t));
      if (opts.json) printJson({ deleted, refused });
      else {
        printDeleted(deleted, false, `${m.name}: nothing deleted`);
        if (deleted.length > 0) console.log(`${m.name}: ${deleted.length} record(s) deleted and uncoupled`);
      }
      if (refused.length > 0)
        throw new CliError(
          refused
            .map(
              (r) =>
                `${m.name}: ${r.missing === 'crm' ? `BC record ${r.bcId}` : `CRM record ${r.crmId}`} was not deleted: ${r.error} (the coupling stays)`,
            )
            .join('\n'),
        );
    });

  program
    .command('remove-coupling <mapping> <id>')
    .description('Delete Couplings: uncouple a record (BC or CRM id); both records stay')
    .option('--json', 'machine-readable output')
    .action(async (name: string, id: string, opts: { json?: boolean }) => {
      const m = mappingOf(ctx, name);
      const c = await withActions(ctx, m, false, (a) => a.removeCoupling(checkId('record id', id)!));
      if (opts.json) return printJson({ mapping: m.name, bcId: c.bcId, crmId: c.crmId ?? null });
      console.log(`${m.name}: BC ${c.bcId} and CRM ${c.crmId ?? '(none)'} are no longer coupled`);
    });
}
