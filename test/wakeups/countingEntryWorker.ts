// A worker running the real jobQueueEntry workflow with an engine activity that only records its runs
// (each one idle: one record unchanged), so a wake-up test sees which entry a change woke and how often.
import { NativeConnection, Worker } from '@temporalio/worker';
import { runResult, type RunEntryInput, type RunResult } from '../../common/jobQueue';

export interface CountingEntryWorker {
  /** Every run the engine was asked for, in order. */
  runs: RunEntryInput[];
  stop(): Promise<void>;
}

export async function startCountingEntryWorker(
  address: string,
  taskQueue: string,
): Promise<CountingEntryWorker> {
  const runs: RunEntryInput[] = [];
  const connection = await NativeConnection.connect({ address });
  const worker = await Worker.create({
    connection,
    taskQueue,
    workflowsPath: require.resolve('../../workflows'),
    activities: {
      runJobQueueEntry: async (input: RunEntryInput): Promise<RunResult> => {
        runs.push(input);
        return runResult({ unchanged: 1 });
      },
    },
  });
  const running = worker.run();
  return {
    runs,
    async stop() {
      worker.shutdown();
      await running;
      await connection.close();
    },
  };
}
