// `bcsync`: the command line. Each sub-command lives in client/commands/.
import { Command, CommanderError } from 'commander';
import { registerServers } from './commands/servers';
import { registerMappings } from './commands/mappings';
import { registerCheck } from './commands/check';
import { registerWorker } from './commands/worker';
import { registerEntries } from './commands/entries';
import { registerLogs } from './commands/logs';
import { registerFullSync } from './commands/fullSync';
import { registerCouplings } from './commands/couplings';
import { registerEmulate } from './commands/emulate';
import { registerWebhooks } from './commands/webhooks';
import { registerSyncRecord } from './commands/syncRecord';
import { registerErrorActions } from './commands/errorActions';
import { registerWhy } from './commands/why';
import { registerConsole } from './commands/console';
import { registerReview } from './commands/review';
import { registerCodecServer } from './commands/codecServer';
import { registerCompanies } from './commands/companies';
import { companyOption } from './companySelection';
import { CliError } from './output';
import { contextFromEnvironment, type CliContext } from './context';

export function buildProgram(base: CliContext): Command {
  const program = new Command('bcsync')
    .description('Business Central <-> Dataverse synchronization on Temporal and MongoDB')
    .showHelpAfterError()
    .exitOverride()
    // Global: `bcsync --company x log` and `bcsync log --company x` (docs/companies.md).
    .option('--company <name>', 'the company to work on (default: the one the BCSYNC_* settings describe)');
  // Every command reads the company from its context, chosen before any command runs.
  let company = base.company();
  const ctx: CliContext = { ...base, company: () => company };
  program.hook('preAction', (command) => {
    company = companyOption(command.opts<{ company?: string }>().company) ?? base.company();
  });
  registerServers(program, ctx);
  registerMappings(program, ctx);
  registerWorker(program, ctx);
  registerCheck(program, ctx);
  registerEntries(program, ctx);
  registerLogs(program, ctx);
  registerFullSync(program, ctx);
  registerCouplings(program, ctx);
  registerEmulate(program, ctx);
  registerWebhooks(program, ctx);
  registerSyncRecord(program, ctx);
  registerErrorActions(program, ctx);
  registerWhy(program, ctx);
  registerConsole(program, ctx);
  registerReview(program, ctx);
  registerCodecServer(program, ctx);
  registerCompanies(program, ctx);
  return program;
}

async function run(): Promise<void> {
  // The one place the CLI reads the environment (config/settings.ts validates it).
  await buildProgram(contextFromEnvironment(process.env)).parseAsync(process.argv);
}

run().catch((err: unknown) => {
  if (err instanceof CommanderError) {
    // Help and version exit 0; usage errors were already printed by commander.
    process.exit(err.exitCode === 0 ? 0 : 2);
  }
  const message = err instanceof Error ? err.message : String(err);
  console.error(`bcsync: ${message}`);
  process.exit(err instanceof CliError ? err.exitCode : 1);
});
