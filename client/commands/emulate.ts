// `bcsync emulate`: both API emulators on loopback until Ctrl-C.
import type { Command } from 'commander';
import { join } from 'node:path';
import { startEmulators } from '../../emulators';
import { emulatorConnectorEnv, printableEnv } from '../emulatorConnection';
import { CliError } from '../output';
import type { CliContext } from '../context';
import { decimalNumber, portNumber, wholeNumber } from '../numericOptions';

export function registerEmulate(program: Command, ctx: CliContext): void {
  program
    .command('emulate')
    .description('serve the Business Central API v2.0 and Dataverse Web API emulators on loopback')
    .option('--seed <set>', 'demo | empty', 'demo')
    .option(
      '--records <n>',
      'sized data set: N records per main table (benchmarks)',
      wholeNumber(1, 10_000_000),
    )
    .option(
      '--overlap <share>',
      'with --records: share (0..1) of the CRM accounts and contacts that stand for BC records',
      decimalNumber(0, 1),
    )
    .option('--bc-port <port>', 'Business Central port', portNumber, 7048)
    .option('--dataverse-port <port>', 'Dataverse port', portNumber, 7049)
    .option('--persist', 'keep state in .bcsync/emulators so it survives a restart')
    .option(
      '--webhook-coalesce-ms <ms>',
      'BC webhook coalescing window (BC: 30000)',
      wholeNumber(0, 3_600_000),
      30_000,
    )
    .option('--latency-ms <ms>', 'fault injection: added latency per request', wholeNumber(0, 60_000))
    .option(
      '--realistic-latency',
      'each request takes about as long as on the real service (docs/emulator-limits.md)',
    )
    .option(
      '--limits-time-scale <s>',
      'service protection limits: shrink the 5-minute windows and budgets by this factor (0..1, default 1)',
      decimalNumber(0.0001, 1),
    )
    .option('--no-limits', 'turn the service protection limits off (measuring the emulators only)')
    .option('--rate-429 <r>', 'fault injection: share of requests answered 429 (0..1)', decimalNumber(0, 1))
    .option('--rate-5xx <r>', 'fault injection: share of requests answered 503 (0..1)', decimalNumber(0, 1))
    .option('--drop-rate <r>', 'fault injection: share of connections dropped (0..1)', decimalNumber(0, 1))
    .action(
      async (opts: {
        seed: string;
        records?: number;
        overlap?: number;
        bcPort: number;
        dataversePort: number;
        persist?: boolean;
        webhookCoalesceMs: number;
        latencyMs?: number;
        realisticLatency?: boolean;
        limitsTimeScale?: number;
        limits: boolean;
        rate429?: number;
        rate5xx?: number;
        dropRate?: number;
      }) => {
        if (!['demo', 'empty'].includes(opts.seed))
          throw new CliError(`--seed must be demo or empty, got "${opts.seed}"`, 2);
        const em = await startEmulators({
          bcPort: opts.bcPort,
          dataversePort: opts.dataversePort,
          seed: opts.seed as 'demo' | 'empty',
          records: opts.records,
          overlap: opts.overlap,
          stateDir: opts.persist ? join(ctx.settings().dev.stateDir, 'emulators') : undefined,
          credentials: ctx.settings().emulators,
          webhookCoalesceMs: opts.webhookCoalesceMs,
          limits:
            opts.limits === false
              ? false
              : opts.limitsTimeScale !== undefined
                ? { timeScale: opts.limitsTimeScale }
                : {},
          faults: {
            latencyMs: opts.latencyMs ?? 0,
            realisticLatency: opts.realisticLatency ?? false,
            rate429: opts.rate429 ?? 0,
            rate5xx: opts.rate5xx ?? 0,
            dropRate: opts.dropRate ?? 0,
          },
        });
        // Listening before the addresses are printed: whoever reads them may stop us at once.
        const stopped = new Promise<void>((resolve) => {
          process.once('SIGINT', resolve);
          process.once('SIGTERM', resolve);
        });
        console.log(`Business Central API v2.0: ${em.bc.apiUrl}`);
        console.log(`bcsync custom API:         ${em.bc.customApiUrl}`);
        console.log(`Dataverse Web API v9.2:    ${em.dataverse.apiUrl}`);
        console.log(`token endpoints:           ${em.bc.tokenUrl}  ${em.dataverse.tokenUrl}`);
        console.log('\nconnector settings (export them for `bcsync worker`):');
        for (const [k, v] of Object.entries(printableEnv(emulatorConnectorEnv(em))))
          console.log(`export ${k}=${v}`);
        console.log('\nCtrl-C stops the emulators.');
        await stopped;
        await em.stop();
      },
    );
}
