// `bcsync budgets`: the shared throttling budget of each API identity as the workers left it - requests
// the bucket would grant now, requests in flight by company and worker, companies waiting, a Retry-After
// pause (docs/throttling.md). It answers "why is this sync slow?" when several workers and companies
// share one app registration: the budget, not the engine, is what they wait for.
import type { Command } from 'commander';
import { latestBudgets } from '../../activities/store/apiBudgets';
import { BUDGET_COLUMNS, budgetCells, budgetRows, NO_BUDGET_YET, workerOf } from '../budgetText';
import type { CliContext } from '../context';
import { withBaseDatabase } from '../database';
import { printJson, printTable } from '../output';

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
      const rows = budgetRows(budgets, limits, now);
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
      if (rows.length === 0) return console.log(NO_BUDGET_YET);
      printTable(
        BUDGET_COLUMNS,
        rows.map((r) => budgetCells(r, now)),
      );
    });
}
