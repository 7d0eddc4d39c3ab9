// `bcsync review`: the ambiguous matches a first synchronization left for a person
// (docs/match-based-coupling.md). An entry whose record has been coupled since is not shown.
import type { Command } from 'commander';
import { findMapping } from '../../activities/mappings/mappingConfig';
import { CouplingStore } from '../../activities/store/couplings';
import { MatchReviewStore } from '../../activities/store/matchReviews';
import { withDatabase } from '../database';
import { CliError, printJson, printTable } from '../output';
import type { CliContext } from '../context';

export function registerReview(program: Command, ctx: CliContext): void {
  program
    .command('review')
    .description('records match-based coupling could not couple because several records matched')
    .option('--mapping <name>', 'only this mapping')
    .option('--json', 'machine-readable output')
    .action(async (opts: { mapping?: string; json?: boolean }) => {
      const { mappings } = ctx.mappings();
      const mapping = opts.mapping ? findMapping(mappings, opts.mapping)?.name : undefined;
      if (opts.mapping && !mapping)
        throw new CliError(
          `no mapping "${opts.mapping}": use one of ${mappings.map((m) => m.name).join(', ')}`,
          2,
        );
      const open = await withDatabase(ctx, async ({ cols }) => {
        const docs = await new MatchReviewStore(cols.matchReviews).list({ mapping });
        const couplings = new CouplingStore(cols.couplings);
        const out = [];
        for (const d of docs) {
          const coupled =
            d.source.side === 'bc'
              ? await couplings.loadByBcIds(d.mapping, [d.source.id])
              : await couplings.loadByCrmIds(d.mapping, [d.source.id]);
          if (coupled.length === 0) out.push(d);
        }
        return out;
      });
      if (opts.json)
        return printJson(
          open.map((d) => ({
            mapping: d.mapping,
            source: d.source,
            candidates: d.candidates,
            on: d.on,
            at: d.at.toISOString(),
          })),
        );
      if (open.length === 0) return console.log('Nothing to review: no ambiguous matches.');
      printTable(
        ['Mapping', 'Record', 'Matches equally', 'On'],
        open.map((d) => [
          d.mapping,
          `${d.source.side.toUpperCase()} ${d.source.label} (${d.source.id})`,
          d.candidates.map((c) => `${c.side.toUpperCase()} ${c.label} (${c.id})`).join('\n'),
          d.on,
        ]),
      );
      console.log(
        'Couple the right pair with `bcsync couple <mapping> <bcId> <crmId>`; the next run synchronizes it.',
      );
    });
}
