// Links into the Temporal UI: a workflow run (lineage, the console) and the Workflows list with a query
// already in it ("the entries in Error"), so a person lands on the answer instead of the default list.
import { connectionSettings } from '../devservers/devServers';
import { EntryState } from '../common/jobQueue';

/** The UI's base URL: BCSYNC_TEMPORAL_UI_URL, else the local dev server's, else none (links are left out). */
export function temporalUiBase(env: NodeJS.ProcessEnv = process.env): string | null {
  const base = env.BCSYNC_TEMPORAL_UI_URL ?? connectionSettings().temporalUiUrl;
  return base ? base.replace(/\/+$/, '') : null;
}

const namespace = (env: NodeJS.ProcessEnv) => encodeURIComponent(env.TEMPORAL_NAMESPACE ?? 'default');

/** The run's page (its history, summary and current details). */
export function workflowRunUrl(
  workflowId: string,
  runId: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): string | null {
  const base = temporalUiBase(env);
  if (!base) return null;
  const run = runId ? `/${encodeURIComponent(runId)}` : '';
  return `${base}/namespaces/${namespace(env)}/workflows/${encodeURIComponent(workflowId)}${run}/history`;
}

/** The Workflows list filtered by a visibility query. */
export function workflowsQueryUrl(query: string, env: NodeJS.ProcessEnv = process.env): string | null {
  const base = temporalUiBase(env);
  if (!base) return null;
  return `${base}/namespaces/${namespace(env)}/workflows?query=${encodeURIComponent(query)}`;
}

/** Ready-made queries over the bcsync search attributes (README "Status in the Temporal UI"). */
export const entryQueries = {
  all: `WorkflowType = 'jobQueueEntry' AND ExecutionStatus = 'Running'`,
  inError: `WorkflowType = 'jobQueueEntry' AND BcSyncState = '${EntryState.Error}'`,
  onHold: `WorkflowType = 'jobQueueEntry' AND BcSyncState IN ('${EntryState.OnHold}', '${EntryState.OnHoldWithInactivityTimeout}')`,
  recordErrors: `WorkflowType = 'jobQueueEntry' AND BcSyncLastResult = 'Record errors'`,
} as const;

/** The query URLs printed by `npm start` and `bcsync entries`, with what each shows. */
export function entryQueryLinks(env: NodeJS.ProcessEnv = process.env): { label: string; url: string }[] {
  const labels: Record<keyof typeof entryQueries, string> = {
    all: 'all entries',
    inError: 'entries in Error',
    onHold: 'entries on hold',
    recordErrors: 'last run had record errors',
  };
  return (Object.keys(entryQueries) as (keyof typeof entryQueries)[]).flatMap((k) => {
    const url = workflowsQueryUrl(entryQueries[k], env);
    return url ? [{ label: labels[k], url }] : [];
  });
}
