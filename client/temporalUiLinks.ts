// Links into the Temporal UI: a workflow run (lineage, the console) and the Workflows list with a query
// already in it ("the entries in Error"), so a person lands on the answer instead of the default list.
import { EntryState } from '../common/jobQueue';
import type { CliContext } from './context';

/** Where the UI is (null: unknown, links are left out) and the namespace the links open. */
export interface TemporalUi {
  base: string | null;
  namespace: string;
}

/** BCSYNC_TEMPORAL_UI_URL, else the UI of the dev server `bcsync servers up` started, else none. */
export function temporalUi(ctx: CliContext): TemporalUi {
  const base = ctx.settings().temporal.uiUrl ?? ctx.connection().temporalUiUrl;
  return { base: base ? base.replace(/\/+$/, '') : null, namespace: ctx.settings().temporal.namespace };
}

/** The run's page (its history, summary and current details). */
export function workflowRunUrl(ui: TemporalUi, workflowId: string, runId: string | undefined): string | null {
  if (!ui.base) return null;
  const run = runId ? `/${encodeURIComponent(runId)}` : '';
  return `${ui.base}/namespaces/${encodeURIComponent(ui.namespace)}/workflows/${encodeURIComponent(workflowId)}${run}/history`;
}

/** The Workflows list filtered by a visibility query. */
export function workflowsQueryUrl(ui: TemporalUi, query: string): string | null {
  if (!ui.base) return null;
  return `${ui.base}/namespaces/${encodeURIComponent(ui.namespace)}/workflows?query=${encodeURIComponent(query)}`;
}

/** Ready-made queries over the bcsync search attributes (README "Status in the Temporal UI"). */
export const entryQueries = {
  all: `WorkflowType = 'jobQueueEntry' AND ExecutionStatus = 'Running'`,
  inError: `WorkflowType = 'jobQueueEntry' AND BcSyncState = '${EntryState.Error}'`,
  onHold: `WorkflowType = 'jobQueueEntry' AND BcSyncState IN ('${EntryState.OnHold}', '${EntryState.OnHoldWithInactivityTimeout}')`,
  recordErrors: `WorkflowType = 'jobQueueEntry' AND BcSyncLastResult = 'Record errors'`,
} as const;

/** The query URLs printed by `npm start` and `bcsync entries`, with what each shows. */
export function entryQueryLinks(ui: TemporalUi): { label: string; url: string }[] {
  const labels: Record<keyof typeof entryQueries, string> = {
    all: 'all entries',
    inError: 'entries in Error',
    onHold: 'entries on hold',
    recordErrors: 'last run had record errors',
  };
  return (Object.keys(entryQueries) as (keyof typeof entryQueries)[]).flatMap((k) => {
    const url = workflowsQueryUrl(ui, entryQueries[k]);
    return url ? [{ label: labels[k], url }] : [];
  });
}
