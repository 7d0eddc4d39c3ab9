// A benchmark's bcsync worker in a child process of its own, started as `bcsync worker` starts one (the
// worker's node flags and environment, worker/processSettings.ts), so its CPU time and memory are its
// own. The child is the benchmark's own script run with `--worker-process`: the script sends it a job
// and answers with `ready` once its worker polls. BENCH_WORKER_NODE_ARGS adds node flags (--cpu-prof).
import { fork } from 'node:child_process';
import { workerEnv, workerNodeArgs } from '../../worker/processSettings';

export interface BenchWorker {
  pid: number;
  /** SIGTERM (the Temporal runtime shuts the worker down), then waits for the process to exit. */
  stop(): Promise<void>;
}

export function startBenchWorker(script: string, job: object): Promise<BenchWorker> {
  const child = fork(script, ['--worker-process'], {
    stdio: 'inherit',
    env: workerEnv(process.env),
    execArgv: [
      ...workerNodeArgs(process.env, []),
      ...(process.env.BENCH_WORKER_NODE_ARGS?.split(' ').filter(Boolean) ?? []),
    ],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`a worker exited (${code}) before it was ready`)));
    child.once('message', () =>
      resolve({
        pid: child.pid!,
        stop: async () => {
          child.kill('SIGTERM');
          await exited;
        },
      }),
    );
    child.send(job);
  });
}
