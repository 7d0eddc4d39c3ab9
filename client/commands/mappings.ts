import type { Command } from 'commander';
import { printJson, printTable } from '../output';
import type { CliContext } from '../context';

const arrow = { Bidirectional: '<->', ToIntegrationTable: '->', FromIntegrationTable: '<-' } as const;

export function registerMappings(program: Command, ctx: CliContext): void {
  program
    .command('mappings')
    .description(
      'list the integration table mappings (defaults + BCSYNC_MAPPINGS_FILE) and the statistics job',
    )
    .option('--json', 'full definitions, field mappings included')
    .option('--fields', 'also list each field mapping')
    .action((opts: { json?: boolean; fields?: boolean }) => {
      const { mappings, statistics, source } = ctx.mappings();
      if (opts.json) return printJson({ source: source ?? 'defaults', mappings, statistics });
      printTable(
        [
          'Mapping',
          'Entry',
          'BC',
          'Dir',
          'CRM',
          'Only coupled',
          'Depends on',
          'Fields',
          'Every',
          'Inactivity',
        ],
        [
          ...mappings.map((m) => [
            m.name,
            m.jobQueue.entry,
            m.bc.entitySet,
            arrow[m.direction],
            // An option mapping's CRM side is a choice column's options (docs/option-mappings.md).
            m.crm.optionSet ? `${m.crm.optionSet.entity}.${m.crm.optionSet.attribute}` : m.crm.entitySet,
            m.syncOnlyCoupledRecords ? 'yes' : 'no',
            m.dependencyFilter.join('|'),
            `${m.fieldMappings.filter((f) => f.status === 'Enabled').length}/${m.fieldMappings.length}`,
            `${m.jobQueue.minutesBetweenRuns} min`,
            `${m.jobQueue.inactivityTimeoutMinutes} min`,
          ]),
          [
            statistics.name,
            statistics.jobQueue.entry,
            statistics.bc.entitySet,
            '->',
            statistics.crm.entitySet,
            '',
            '',
            `${statistics.fields.length}`,
            `${statistics.jobQueue.minutesBetweenRuns} min`,
            `${statistics.jobQueue.inactivityTimeoutMinutes} min`,
          ],
        ],
      );
      if (opts.fields) {
        for (const m of mappings) {
          console.log(`\n${m.name}`);
          printTable(
            ['BC field', 'API', 'Dir', 'CRM', 'Status', 'Notes'],
            m.fieldMappings.map((f) => [
              f.bcCaption,
              f.bcField,
              arrow[f.direction],
              f.crmField,
              f.status,
              [
                f.constant !== undefined ? `constant ${String(f.constant)}` : '',
                f.notNull ? 'not null' : '',
                f.clearValueOnFailedSync ? 'clear on failed sync' : '',
                f.lookup ? `lookup ${f.lookup.mapping}` : '',
                f.note ?? '',
              ]
                .filter(Boolean)
                .join('; '),
            ]),
          );
        }
      }
    });
}
