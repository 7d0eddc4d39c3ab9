// A record's story as terminal text: shared by `bcsync why` and `bcsync sync-record`.
import type { StoryEvent } from './recordStory';

export const directionArrow = (d: StoryEvent['direction']): string =>
  d === 'toCrm' ? 'BC -> CRM' : d === 'fromCrm' ? 'CRM -> BC' : '';

const show = (v: unknown) => (v === null || v === undefined || v === '' ? '(blank)' : JSON.stringify(v));

/** Why, the fields changed (old -> new), the destination's answer and who asked, one per line. */
export function eventText(e: StoryEvent): string {
  const parts: string[] = [];
  if (e.why) parts.push(e.why);
  for (const c of e.changes) parts.push(`${c.field}: ${show(c.old)} -> ${show(c.new)}`);
  if (e.answer) parts.push(`answer: ${e.answer}`);
  if (e.by) parts.push(`by ${e.by}`);
  return parts.join('\n');
}

export const decisionText = (e: StoryEvent): string => (e.code ? `${e.decision} (${e.code})` : e.decision);

/** The run's page in the Temporal UI, else its workflow and run id. */
export const runText = (e: StoryEvent): string =>
  e.temporalUrl ?? (e.workflowId ? `${e.workflowId} ${e.runId ?? ''}` : '');
