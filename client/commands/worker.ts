import type { Command } from 'commander';
import { connectionSettings } from '../../devservers/devServers';
import { startWorker } from '../../worker/worker';

export function registerWorker(program: Command): void {
  program
    .command('worker')
    .description('run a worker on the bcsync task queue until SIGINT/SIGTERM (start as many as you need)')
    .option('--concurrency <n>', 'maximum concurrent activities (MongoDB pool is sized to match)', (v) =>
      Number(v),
    )
    .action(async (opts: { concurrency?: number }) => {
      const { temporalAddress, mongodbUri } = connectionSettings();
      const { done } = await startWorker({
        temporalAddress,
        mongodbUri,
        maxConcurrentActivities: opts.concurrency,
      });
      await done;
    });
}
