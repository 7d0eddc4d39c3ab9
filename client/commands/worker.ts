import type { Command } from 'commander';
import { startWorker } from '../../worker/worker';
import type { CliContext } from '../context';

export function registerWorker(program: Command, ctx: CliContext): void {
  program
    .command('worker')
    .description('run a worker on the bcsync task queue until SIGINT/SIGTERM (start as many as you need)')
    .option('--concurrency <n>', 'maximum concurrent activities (MongoDB pool is sized to match)', (v) =>
      Number(v),
    )
    .action(async (opts: { concurrency?: number }) => {
      const { temporalAddress, mongodbUri } = ctx.connection();
      const settings = ctx.settings();
      const { done } = await startWorker({
        settings,
        temporalAddress,
        mongodbUri,
        maxConcurrentActivities: opts.concurrency,
      });
      await done;
    });
}
