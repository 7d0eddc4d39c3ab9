import type { Command } from 'commander';
import { down, status, up } from '../../devservers/devServers';
import { maskSecrets } from '../../common/secretMasking';
import { printJson, printTable } from '../output';
import type { CliContext } from '../context';

export function registerServers(program: Command, ctx: CliContext): void {
  const servers = program
    .command('servers')
    .description('start, stop and show the local Temporal and MongoDB-compatible servers');

  servers
    .command('up')
    .description('start what is not running (reuses running servers), installing missing binaries')
    .action(async () => {
      const state = await up({ dev: ctx.settings().dev, install: true, log: console.log });
      console.log(`TEMPORAL_ADDRESS=${state.temporal.address}`);
      console.log(`MONGODB_URI=${maskSecrets(state.mongo.address)}`);
      if (state.temporal.uiUrl) console.log(`Temporal UI: ${state.temporal.uiUrl}`);
    });

  servers
    .command('down')
    .description('stop the servers `up` started (and nothing else)')
    .action(async () => {
      const stopped = await down({ stateDir: ctx.settings().dev.stateDir });
      console.log(stopped.length ? `stopped ${stopped.join(', ')}` : 'nothing to stop');
    });

  servers
    .command('status')
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }) => {
      const s = await status({ stateDir: ctx.settings().dev.stateDir });
      const rows = [s.temporal, s.mongo].filter((r) => r !== undefined);
      const view = rows.map((r) => ({
        kind: r.kind,
        route: r.route,
        running: r.running,
        address: maskSecrets(r.address),
        pid: r.pid,
        ui: r.uiUrl,
      }));
      if (opts.json) return printJson(view);
      if (view.length === 0) return console.log('no servers recorded: run `bcsync servers up`');
      printTable(
        ['server', 'route', 'running', 'address', 'pid', 'UI'],
        view.map((v) => [v.kind, v.route, v.running ? 'yes' : 'no', v.address, v.pid, v.ui]),
      );
    });

  servers
    .command('env')
    .description('print export lines for the running servers: eval "$(bcsync servers env)"')
    .action(async () => {
      const s = await status({ stateDir: ctx.settings().dev.stateDir });
      if (!s.temporal?.running || !s.mongo?.running) {
        console.error('servers are not running: run `bcsync servers up` first');
        process.exitCode = 1;
        return;
      }
      console.log(`export TEMPORAL_ADDRESS=${s.temporal.address}`);
      // Printed as-is on purpose: this is the value to export; a URI from the environment is left out.
      if (s.mongo.route !== 'env') console.log(`export MONGODB_URI=${s.mongo.address}`);
      if (s.temporal.uiUrl) console.log(`# Temporal UI: ${s.temporal.uiUrl}`);
    });
}
