// The throttling budgets as an operator reads them (`bcsync budgets` and the console's Budgets page): each
// identity's latest version as of now, with the deployment's limits (docs/throttling.md).
import {
  budgetView,
  type BudgetLimits,
  type BudgetState,
  type BudgetView,
} from '../activities/connectors/budgetRules';
import { parseIdentity, type BudgetIdentity } from '../activities/connectors/budgetIdentity';
import type { BudgetLimitSettings } from '../activities/connectors/connectorConfig';
import { tableTime } from './tableTime';

export interface BudgetRow {
  identity: string;
  id: BudgetIdentity;
  version: number;
  limits: BudgetLimits;
  view: BudgetView;
}

/** The worker process a slot belongs to, short: its budget's random id (one per worker and identity). */
export const workerOf = (process: string) => process.slice(0, 8);

export function budgetRows(
  budgets: Array<{ identity: string; version: number; state: BudgetState }>,
  limits: BudgetLimitSettings,
  now: number,
): BudgetRow[] {
  return budgets.map(({ identity, version, state }) => {
    const id = parseIdentity(identity);
    const own = id.service === 'dataverse' ? limits.dataverse : limits.bc;
    return { identity, id, version, limits: own, view: budgetView(state, own, now) };
  });
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** The table's cells (lines within a cell separated by newlines). */
export const BUDGET_COLUMNS = ['API identity', 'Requests now', 'In flight', 'Waiting', 'Retry-After'];

export function budgetCells(row: BudgetRow, now: number): string[] {
  const { id, limits, view } = row;
  return [
    id.service === 'bc'
      ? `Business Central ${id.origin}\ntenant ${id.tenant}\napp ${id.clientId}`
      : id.service === 'dataverse'
        ? `Dataverse ${id.origin}\napp ${id.clientId}`
        : id.origin,
    `${view.available} of ${view.capacity}\n+${view.refillPerSecond.toFixed(1)}/s ` +
      `(${limits.requestsPerWindow} per ${limits.windowMs / 1000} s)`,
    inFlightText(view, limits),
    view.waiting.map((w) => `${w.company} for ${seconds(w.waitingMs)}`).join('\n'),
    view.pausedForMs > 0
      ? `paused until ${tableTime(new Date(now + view.pausedForMs))} (${seconds(view.pausedForMs)} more)`
      : '',
  ];
}

function inFlightText(view: BudgetView, limits: BudgetLimits): string {
  const byCompany = new Map<string, { n: number; workers: Set<string> }>();
  for (const f of view.inFlight) {
    const c = byCompany.get(f.company) ?? { n: 0, workers: new Set<string>() };
    c.n++;
    c.workers.add(workerOf(f.process));
    byCompany.set(f.company, c);
  }
  return [
    `${view.inFlight.length} of ${limits.maxConcurrent}`,
    ...[...byCompany].map(([company, c]) => `${company} ${c.n} (worker ${[...c.workers].join(', ')})`),
  ].join('\n');
}

export const NO_BUDGET_YET =
  'No budget yet: a worker records one per API identity with its first request to BC or Dataverse.';
