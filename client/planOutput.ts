// How `--dry-run` shows a plan (docs/dry-run.md): one table of counts per mapping and direction, then the
// first records of each kind; `--json` prints the plan as data.
import { PLAN_KINDS, type MappingPlan, type PlanKind } from '../common/runPlan';
import { printJson, printLine, printTable } from './output';

const HEADINGS: Record<PlanKind, string> = {
  couple: 'Couple (match)',
  insert: 'Insert',
  modify: 'Modify',
  unchanged: 'Unchanged',
  conflict: 'Conflict',
  deletionConflict: 'Deletion conflict',
  ambiguous: 'Ambiguous',
  noMatch: 'No match',
  failed: 'Failed',
  skipped: 'Skipped',
  uncouple: 'Uncouple',
};

const arrow = (d: MappingPlan['direction']) => (d === 'toCrm' ? 'BC -> CRM' : 'CRM -> BC');

export function printPlan(plan: MappingPlan[], json?: boolean): void {
  if (json) return printJson({ dryRun: true, plan });
  console.log('Dry run: nothing was written to Business Central, Dataverse or the couplings.');
  const kinds = PLAN_KINDS.filter((k) => plan.some((p) => p.counts[k] > 0));
  const shown = kinds.length > 0 ? kinds : (['insert', 'modify', 'couple'] as PlanKind[]);
  printTable(
    ['Mapping', 'Direction', ...shown.map((k) => HEADINGS[k])],
    plan.map((p) => [p.mapping, arrow(p.direction), ...shown.map((k) => p.counts[k])]),
  );
  for (const p of plan) {
    for (const k of PLAN_KINDS) {
      const samples = p.samples[k];
      if (!samples?.length || k === 'unchanged') continue;
      console.log(
        `\n${p.mapping} ${arrow(p.direction)}, ${HEADINGS[k]} (first ${samples.length} of ${p.counts[k]}):`,
      );
      for (const s of samples)
        printLine(
          `  ${s.label || s.sourceId} (${s.sourceId}${s.destId ? ` -> ${s.destId}` : ''})${s.message ? `: ${s.message}` : ''}`,
        );
    }
  }
}
