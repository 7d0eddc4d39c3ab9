// `bcsync console`: the operator console in the browser (client/console/), until SIGINT/SIGTERM.
import type { Command } from 'commander';
import { createConnectors } from '../../activities/connectors';
import { customEntitySets } from '../../activities/mappings/mappingConfig';
import { connectDatabase } from '../../activities/store/database';
import type { CliContext } from '../context';
import { startConsole, type RunningConsole } from '../console/consoleServer';
import { CliError } from '../output';
import { connectTemporal } from '../temporalClient';
import { temporalUi } from '../temporalUiLinks';
import { portNumber } from '../numericOptions';

export function registerConsole(program: Command, ctx: CliContext): void {
  program
    .command('console')
    .description(
      'serve the operator console (entries, job log, errors and their actions, record lineage) in the browser',
    )
    .option(
      '--host <address>',
      'address to listen on (default BCSYNC_CONSOLE_HOST or 127.0.0.1; others need the access token)',
    )
    .option('--port <n>', 'port (default BCSYNC_CONSOLE_PORT or 8234; 0 = any free port)', portNumber)
    .action(async (opts: { host?: string; port?: number }) => {
      const settings = ctx.settings();
      // Without BC/Dataverse settings the console still shows everything; Find for Deleted, Restore and
      // Delete say they need the connections.
      const connectors = settings.connectors.ok
        ? createConnectors(settings.connectors.config, { bcCustomEntities: customEntitySets(ctx.mappings()) })
        : undefined;
      const { mongodbUri } = ctx.connection();
      const temporal = await connectTemporal(ctx, { connectTimeout: '5s' });
      const database = await connectDatabase(mongodbUri, { dbName: settings.mongo.dbName, maxPoolSize: 5 });
      const port = opts.port ?? settings.console.port;
      let running: RunningConsole;
      try {
        running = await startConsole(
          {
            temporal: temporal.client,
            database,
            mappings: ctx.mappings(),
            connectors: connectors && { bc: connectors.bc, crm: connectors.dataverse },
            ui: temporalUi(ctx),
            limits: settings.limits,
          },
          { ...settings.console, host: opts.host ?? settings.console.host, port },
        );
      } catch (err) {
        await temporal.close();
        await database.close();
        if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE')
          throw new CliError(`console: port ${port} is in use; give --port <n> or set BCSYNC_CONSOLE_PORT`);
        throw err;
      }
      // Listening before the address is printed: whoever reads it may stop us at once.
      const stop = () => {
        running
          .close()
          .then(() => temporal.close())
          .then(() => database.close())
          .then(() => process.exit(0))
          .catch(() => process.exit(1));
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      console.log(`Console:      ${running.openUrl}`);
      const ui = temporalUi(ctx).base;
      if (ui) console.log(`Temporal UI:  ${ui}`);
      await new Promise(() => undefined);
    });
}
