import type { Command } from 'commander';
import { startWorker } from '../../worker/worker';
import { listenAddress } from '../../config/settings';
import type { CliContext } from '../context';
import { CliError } from '../output';
import { wholeNumber } from '../numericOptions';

function address(option: string, value: string): string {
  const parsed = listenAddress.safeParse(value);
  if (!parsed.success) throw new CliError(`${option}: "${value}" is not host:port (e.g. 127.0.0.1:9464)`, 2);
  return parsed.data;
}

export function registerWorker(program: Command, ctx: CliContext): void {
  program
    .command('worker')
    .description('run a worker on the bcsync task queue until SIGINT/SIGTERM (start as many as you need)')
    .option(
      '--concurrency <n>',
      'maximum concurrent activities (MongoDB pool is sized to match)',
      wholeNumber(1, 1000),
    )
    .option(
      '--metrics <host:port>',
      'serve Prometheus metrics on http://<host:port>/metrics (default BCSYNC_METRICS_ADDRESS)',
    )
    .option('--health <host:port>', 'serve GET /health on <host:port> (default BCSYNC_HEALTH_ADDRESS)')
    .action(async (opts: { concurrency?: number; metrics?: string; health?: string }) => {
      const { temporalAddress, mongodbUri } = ctx.connection();
      const settings = ctx.settings();
      const metricsAddress = opts.metrics === undefined ? undefined : address('--metrics', opts.metrics);
      const healthAddress = opts.health === undefined ? undefined : address('--health', opts.health);
      const { done } = await startWorker({
        settings,
        temporalAddress,
        mongodbUri,
        maxConcurrentActivities: opts.concurrency,
        ...(metricsAddress ? { metricsAddress } : {}),
        ...(healthAddress ? { healthAddress } : {}),
      });
      await done;
    });
}
