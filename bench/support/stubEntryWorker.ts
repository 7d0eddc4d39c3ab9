// A worker process for benchmarks of the entry workflow alone: the real jobQueueEntry workflow (from the
// pre-built bundle), with a `runJobQueueEntry` that counts its calls and reports an idle run. It prints
// `ready` when polling, the call count whenever it receives a line on stdin, and
// `call <workflow id> <epoch ms>` at every call (so a benchmark can time wake-ups). Start it with the
// node options and environment of a real worker process (worker/processSettings.ts).
import { createInterface } from 'node:readline';
import { Context } from '@temporalio/activity';
import { NativeConnection, Worker } from '@temporalio/worker';
import { runResult, type RunEntryInput, type RunResult } from '../../common/jobQueue';
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
    ...(process.env.STUB_REUSE_V8_CONTEXT === 'false' ? { reuseV8Context: false } : {}),
    activities: {
      async runJobQueueEntry(_input: RunEntryInput): Promise<RunResult> {
        calls += 1;
        const id = Context.current().info.workflowExecution?.workflowId ?? '';
        process.stdout.write(`call ${id} ${Date.now()}\n`);
        return runResult();
      },
    },
  });
  const commands = createInterface({ input: process.stdin });
  // The call count, then where the memory is (main isolate heap, external, array buffers), in MB.
  commands.on('line', () => {
    const m = process.memoryUsage();
    const mb = (n: number) => (n / 1048576).toFixed(0);
    process.stdout.write(
      `calls ${calls} ${mb(m.heapUsed)} ${mb(m.heapTotal)} ${mb(m.external)} ${mb(m.arrayBuffers)}\n`,
    );
  });
  process.stdout.write('ready\n');
  await worker.run(); // until SIGTERM
  commands.close();
  await connection.close();
}

run().catch((err) => {
  console.error(err);
  process.exit(1);
});
