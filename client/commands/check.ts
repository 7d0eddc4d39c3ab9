import type { Command } from 'commander';
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { JOB_QUEUE_TASK_QUEUE } from '../../common/jobQueue';
import { connectionSettings } from '../../devservers/devServers';
import { printJson } from '../output';

export function registerCheck(program: Command): void {
  program
    .command('check')
    .description(
      'prove the stack is wired: a workflow on a running worker writes to MongoDB and reads it back',
    )
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }) => {
      const { temporalAddress } = connectionSettings();
      const connection = await Connection.connect({ address: temporalAddress });
      try {
        const client = new Client({ connection, namespace: process.env.TEMPORAL_NAMESPACE ?? 'default' });
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
      } finally {
        await connection.close();
      }
    });
}
