// A worker process for benchmarks of the entry workflow alone: the real jobQueueEntry workflow (from the
// pre-built bundle), with a `runJobQueueEntry` that counts its calls and reports an idle run. It prints
// `ready` when polling, and the call count whenever it receives a line on stdin.
import { createInterface } from 'node:readline';
import { NativeConnection, Worker } from '@temporalio/worker';
import type { RunEntryInput, RunResult } from '../../common/jobQueue';
import { installRuntimeLogger } from '../../worker/runtime';
import { DEFAULT_MAX_CACHED_WORKFLOWS, defaultBundlePath } from '../../worker/worker';

async function run(): Promise<void> {
  const [address, taskQueue] = process.argv.slice(2);
  installRuntimeLogger('warn');
  let calls = 0;
  const connection = await NativeConnection.connect({ address });
  const worker = await Worker.create({
    connection,
    taskQueue,
    workflowBundle: { codePath: defaultBundlePath },
    maxCachedWorkflows: Number(process.env.STUB_MAX_CACHED_WORKFLOWS ?? DEFAULT_MAX_CACHED_WORKFLOWS),
    activities: {
      async runJobQueueEntry(_input: RunEntryInput): Promise<RunResult> {
        calls += 1;
        return {
          inserted: 0,
          modified: 0,
          deleted: 0,
          unchanged: 0,
          skipped: 0,
          failed: 0,
          coupled: 0,
          jobIds: [],
        };
      },
    },
  });
  const commands = createInterface({ input: process.stdin });
  commands.on('line', () => process.stdout.write(`calls ${calls}\n`));
  process.stdout.write('ready\n');
  await worker.run(); // until SIGTERM
  commands.close();
  await connection.close();
}

run().catch((err) => {
  console.error(err);
  process.exit(1);
});
