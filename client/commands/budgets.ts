// `bcsync budgets`: the shared throttling budget of each API identity as the workers left it - requests
// the bucket would grant now, requests in flight by company and worker, companies waiting, a Retry-After
// pause (docs/throttling.md). It answers "why is this sync slow?" when several workers and companies
// share one app registration: the budget, not the engine, is what they wait for.
import type { Command } from 'commander';
import { budgetView, type BudgetLimits, type BudgetView } from '../../activities/connectors/budgetRules';
import { latestBudgets } from '../../activities/store/apiBudgets';
import type { CliContext } from '../context';
import { withBaseDatabase } from '../database';
import { printJson, printTable } from '../output';
import { tableTime } from '../tableTime';

/** An identity as the connectors name it: `bc|<API origin>|<tenant>|<client id>`, `dataverse|<origin>|<client id>`. */
interface Identity {
  service: 'bc' | 'dataverse' | 'unknown';
  origin: string;
  tenant: string | null;
  clientId: string;
}

function parseIdentity(identity: string): Identity {
  const [service, origin = '', ...rest] = identity.split('|');
  if (service === 'bc' && rest.length === 2) return { service, origin, tenant: rest[0]!, clientId: rest[1]! };
  if (service === 'dataverse' && rest.length === 1)
    return { service, origin, tenant: null, clientId: rest[0]! };
  return { service: 'unknown', origin: identity, tenant: null, clientId: '' };
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** The worker process a slot belongs to, short: its budget's random id (one per worker and identity). */
const workerOf = (process: string) => process.slice(0, 8);

export function registerBudgets(program: Command, ctx: CliContext): void {
  program
    .command('budgets')
    .description(
      'the throttling budget each API identity shares across workers: available, in flight, waiting',
    )
    .option('--json', 'machine-readable output (see README)')
    .action(async (opts: { json?: boolean }) => {
      const { limits } = ctx.settings();
      const budgets = await withBaseDatabase(ctx, (db) => latestBudgets(db.db));
      const now = Date.now();
      const rows = budgets.map(({ identity, version, state }) => {
        const id = parseIdentity(identity);
        const own: BudgetLimits = id.service === 'dataverse' ? limits.dataverse : limits.bc;
        return { identity, id, version, limits: own, view: budgetView(state, own, now) };
      });
      if (opts.json)
        return printJson(
          rows.map(({ identity, id, version, limits: l, view }) => ({
            identity,
            service: id.service,
            origin: id.origin,
            tenant: id.tenant,
            clientId: id.clientId,
            version,
            limits: {
              maxConcurrent: l.maxConcurrent,
              requestsPerWindow: l.requestsPerWindow,
              windowMs: l.windowMs,
            },
            available: view.available,
            capacity: view.capacity,
            refillPerSecond: Number(view.refillPerSecond.toFixed(3)),
            inFlight: view.inFlight.map((f) => ({ ...f, worker: workerOf(f.process) })),
            waiting: view.waiting,
            pausedUntil: view.pausedForMs > 0 ? new Date(now + view.pausedForMs).toISOString() : null,
          })),
        );
      if (rows.length === 0)
        return console.log(
          'No budget yet: a worker records one per API identity with its first request to BC or Dataverse.',
        );
      printTable(
        ['API identity', 'Requests now', 'In flight', 'Waiting', 'Retry-After'],
        rows.map(({ id, limits: l, view }) => [
          identityText(id),
          `${view.available} of ${view.capacity}\n+${view.refillPerSecond.toFixed(1)}/s ` +
            `(${l.requestsPerWindow} per ${l.windowMs / 1000} s)`,
          inFlightText(view, l),
          view.waiting.map((w) => `${w.company} for ${seconds(w.waitingMs)}`).join('\n'),
          view.pausedForMs > 0
            ? `paused until ${tableTime(new Date(now + view.pausedForMs))} (${seconds(view.pausedForMs)} more)`
            : '',
        ]),
      );
    });
}

function identityText(id: Identity): string {
  if (id.service === 'bc') return `Business Central ${id.origin}\ntenant ${id.tenant}\napp ${id.clientId}`;
  if (id.service === 'dataverse') return `Dataverse ${id.origin}\napp ${id.clientId}`;
  return id.origin;
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
