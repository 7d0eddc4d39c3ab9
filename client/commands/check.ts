import type { Command } from 'commander';
import { randomUUID } from 'node:crypto';
import { JOB_QUEUE_TASK_QUEUE } from '../../common/jobQueue';
import { printJson } from '../output';
import type { CliContext } from '../context';
import { withTemporal } from '../temporalClient';

export function registerCheck(program: Command, ctx: CliContext): void {
  program
    .command('check')
    .description(
      'prove the stack is wired: a workflow on a running worker writes to MongoDB and reads it back',
    )
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }) => {
      await withTemporal(ctx, async (client) => {
        const token = randomUUID();
        const result = await client.workflow.execute('stackCheck', {
          taskQueue: JOB_QUEUE_TASK_QUEUE,
          workflowId: `bcsync-stack-check-${token}`,
          args: [token],
          workflowExecutionTimeout: '60s',
        });
        if (opts.json) printJson(result);
        else
          console.log(
            `ok: workflow ran on a worker, wrote to MongoDB database "${(result as { database: string }).database}" and read it back`,
          );
      });
    });
}
