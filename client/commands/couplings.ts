// `bcsync couple` / `bcsync uncouple`: set up or remove a coupling by hand (section 7).
import type { Command } from 'commander';
import { bcRecordId, crmRecordId, mappingName } from '../../common/ids';
import { findMapping } from '../../activities/mappings/mappingConfig';
import { CouplingConflictError, CouplingStore } from '../../activities/store/couplings';
import { withDatabase } from '../database';
import { CliError } from '../output';
import type { CliContext } from '../context';

const guid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function mappingOf(ctx: CliContext, name: string) {
  const { mappings } = ctx.mappings();
  const m = findMapping(mappings, name);
  if (!m) throw new CliError(`no mapping "${name}": use one of ${mappings.map((x) => x.name).join(', ')}`, 2);
  return m;
}

export function checkId(kind: string, id: string | undefined): string | undefined {
  if (id !== undefined && !guid.test(id))
    throw new CliError(`${kind} "${id}" is not a GUID (BC SystemId / Dataverse row id)`, 2);
  return id;
}

export function registerCouplings(program: Command, ctx: CliContext): void {
  program
    .command('couple <mapping> <bcId> <crmId>')
    .description(
      'couple a BC record (SystemId) to a CRM row (id) in a mapping; fails if either is coupled already',
    )
    .action(async (name: string, bcId: string, crmId: string) => {
      const m = mappingOf(ctx, name);
      checkId('BC id', bcId);
      checkId('CRM id', crmId);
      await withDatabase(ctx, async ({ cols }) => {
        try {
          await new CouplingStore(cols.couplings).couple(
            mappingName(m.name),
            bcRecordId(bcId),
            crmRecordId(crmId),
          );
        } catch (err) {
          if (err instanceof CouplingConflictError) throw new CliError(err.message);
          throw err;
        }
      });
      console.log(`${m.name}: BC ${bcId} coupled to CRM ${crmId}; the next run synchronizes it`);
    });

  program
    .command('uncouple <mapping>')
    .description('remove the coupling of a record (give --bc or --crm)')
    .option('--bc <id>', 'BC SystemId')
    .option('--crm <id>', 'CRM row id')
    .action(async (name: string, opts: { bc?: string; crm?: string }) => {
      const m = mappingOf(ctx, name);
      if (!opts.bc === !opts.crm) throw new CliError('give exactly one of --bc <id> or --crm <id>', 2);
      const removed = await withDatabase(ctx, ({ cols }) =>
        new CouplingStore(cols.couplings).uncouple(mappingName(m.name), {
          bcId: opts.bc ? bcRecordId(checkId('BC id', opts.bc)!) : undefined,
          crmId: opts.crm ? crmRecordId(checkId('CRM id', opts.crm)!) : undefined,
        }),
      );
      if (!removed)
        throw new CliError(`${m.name}: no coupling for ${opts.bc ? `BC ${opts.bc}` : `CRM ${opts.crm}`}`);
      console.log(`${m.name}: uncoupled`);
    });
}
