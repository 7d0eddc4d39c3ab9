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
import { registerBudgets } from './commands/budgets';
import { companyOption } from './companySelection';
import { CliError, terminalText } from './output';
import { contextFromEnvironment, type CliContext } from './context';
import { failureReason, hasFailureType, INVALID_INPUT } from '../common/failureReason';
import { maskSecrets } from '../common/secretMasking';

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
  registerBudgets(program, ctx);
  return program;
}

/** README "Commands": 0 ok, 1 failure, 2 usage error (a value the entry workflow rejected included). */
function exitCodeOf(err: unknown): number {
  if (err instanceof CliError) return err.exitCode;
  return hasFailureType(err, INVALID_INPUT) ? 2 : 1;
}

/**
 * A reader that stops early (`bcsync log --json | head`) closes the pipe: the rest of the output is not
 * wanted, which is no failure of bcsync. The write errors that follow are dropped (no EPIPE stack trace)
 * and the command ends with its own exit code.
 */
function quietOnClosedPipe(stream: NodeJS.WriteStream): void {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE' || err.code === 'ERR_STREAM_DESTROYED') return;
    throw err;
  });
}

async function run(): Promise<void> {
  quietOnClosedPipe(process.stdout);
  quietOnClosedPipe(process.stderr);
  // The one place the CLI reads the environment (config/settings.ts validates it).
  await buildProgram(contextFromEnvironment(process.env)).parseAsync(process.argv);
}

run().catch((err: unknown) => {
  if (err instanceof CommanderError) {
    // Help and version exit 0; usage errors were already printed by commander.
    process.exit(err.exitCode === 0 ? 0 : 2);
  }
  // The reason, not a Temporal wrapper's "Workflow Update failed" (common/failureReason.ts); a URI in it
  // loses its secrets, and a record name its terminal control characters.
  console.error(`bcsync: ${terminalText(maskSecrets(failureReason(err)))}`);
  process.exit(exitCodeOf(err));
});
