import type { Command } from 'commander';
import { down, status, up, type ServerRecord } from '../../devservers/devServers';
import { maskSecrets } from '../../common/secretMasking';
import { printJson, printTable } from '../output';
import type { CliContext } from '../context';

/** TEMPORAL_* settings of a server we started (the cluster's TLS files among them). */
function temporalEnvLines(t: ServerRecord): string[] {
  return [
    `TEMPORAL_ADDRESS=${t.address}`,
    ...(t.tls
      ? [
          `TEMPORAL_TLS_SERVER_CA_CERT_PATH=${t.tls.caCert}`,
          `TEMPORAL_TLS_SERVER_NAME=${t.tls.serverName}`,
          ...(t.tls.clientCert && t.tls.clientKey
            ? [
                `TEMPORAL_TLS_CLIENT_CERT_PATH=${t.tls.clientCert}`,
                `TEMPORAL_TLS_CLIENT_KEY_PATH=${t.tls.clientKey}`,
              ]
            : []),
        ]
      : []),
  ];
}

export function registerServers(program: Command, ctx: CliContext): void {
  const servers = program
    .command('servers')
    .description('start, stop and show the local Temporal and MongoDB-compatible servers');

  servers
    .command('up')
    .description('start what is not running (reuses running servers), installing missing binaries')
    .option(
      '--cluster',
      'instead of the dev servers: PostgreSQL, the full Temporal server on it with its frontend behind TLS (a CA made for it), FerretDB on PostgreSQL',
    )
    .option('--mtls', 'with --cluster: the frontend also requires client certificates')
    .action(async (opts: { cluster?: boolean; mtls?: boolean }) => {
      const state = await up({
        dev: ctx.settings().dev,
        install: true,
        log: console.log,
        cluster: opts.cluster,
        requireClientCert: opts.mtls,
      });
      for (const line of temporalEnvLines(state.temporal)) console.log(line);
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
      const rows = [s.temporal, s.mongo, s.postgres].filter((r) => r !== undefined);
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
      for (const line of temporalEnvLines(s.temporal)) console.log(`export ${line}`);
      // Printed as-is on purpose: this is the value to export; a URI from the environment is left out.
      if (s.mongo.route !== 'env') console.log(`export MONGODB_URI=${s.mongo.address}`);
      if (s.temporal.uiUrl) console.log(`# Temporal UI: ${s.temporal.uiUrl}`);
    });
}
