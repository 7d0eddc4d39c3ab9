// A worker process for benchmarks of the entry workflow alone: the real jobQueueEntry workflow (from the
// pre-built bundle), with a `runJobQueueEntry` that counts its calls and reports an idle run. It prints
// `ready` when polling, the call count whenever it receives a line on stdin, and
// `call <workflow id> <epoch ms>` at every call (so a benchmark can time wake-ups). Start it with the
// node options and environment of a real worker process (worker/processSettings.ts), plus --expose-gc.
// With the count it reports where the memory is (`memory` below); the line `gc` collects garbage in both
// isolates first, the line `trim` then also asks glibc to return its free memory (malloc_trim(0)).
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { getHeapStatistics, type HeapInfo } from 'node:v8';
import workerThreads, { MessageChannel, type MessagePort, type WorkerOptions } from 'node:worker_threads';
import { Context } from '@temporalio/activity';
import { NativeConnection, Worker } from '@temporalio/worker';
import { runResult, type RunEntryInput, type RunResult } from '../../common/jobQueue';
import { installRuntime } from '../../worker/runtime';
import { nativeHeap, startMemoryTrim, trimNativeMemory } from '../../worker/memoryTrim';
import { defaultBundlePath } from '../../worker/worker';
import { readSettings } from '../../config/settings';

/** A port to each workflow thread the SDK starts, answered by bench/support/workflowThreadProbe.ts. */
const threadProbes: MessagePort[] = [];

// The SDK starts its workflow threads with `new Worker(script)` (no options): start them through the probe.
const SdkThread = workerThreads.Worker;
workerThreads.Worker = class extends SdkThread {
  constructor(script: string | URL, options?: WorkerOptions) {
    const { port1, port2 } = new MessageChannel();
    threadProbes.push(port1);
    super(join(__dirname, 'workflowThreadProbe.js'), {
      ...options,
      workerData: { probePort: port2, probeTarget: String(script) },
      transferList: [port2],
    });
  }
};

function threadHeap(port: MessagePort, request: 'stats' | 'gc'): Promise<HeapInfo> {
  return new Promise((resolve) => {
    port.once('message', resolve);
    port.postMessage(request);
  });
}

/**
 * Resident memory by kind of mapping (Linux /proc/self/smaps), in kB: glibc's main arena (`[heap]`), its
 * other arenas (anonymous mappings that start on a 64 MB boundary, glibc's arena size), other anonymous
 * memory (V8 pages, large allocations, stacks) and files (code).
 */
function residentByMapping(): { mainArena: number; arenas: number; otherAnonymous: number; files: number } {
  const sums = { mainArena: 0, arenas: 0, otherAnonymous: 0, files: 0 };
  let kind: keyof typeof sums = 'files';
  for (const line of readFileSync('/proc/self/smaps', 'utf8').split('\n')) {
    const header = /^([0-9a-f]+)-[0-9a-f]+ \S+ \S+ \S+ (\d+)\s*(.*)$/.exec(line);
    if (header) {
      const [, start, inode, name] = header;
      if (name === '[heap]') kind = 'mainArena';
      else if (inode !== '0' || name) kind = 'files';
      else kind = BigInt(`0x${start}`) % (64n << 20n) === 0n ? 'arenas' : 'otherAnonymous';
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss) sums[kind] += Number(rss[1]);
  }
  return sums;
}

/** Memory of the process in MB: RSS, the main isolate's heap and the workflow threads' heaps. */
async function memory(request: 'stats' | 'gc' | 'trim', worker: Worker) {
  if (request !== 'stats') (globalThis as { gc?: () => void }).gc?.();
  const threads = await Promise.all(
    threadProbes.map((port) => threadHeap(port, request === 'stats' ? 'stats' : 'gc')),
  );
  if (request === 'trim') trimNativeMemory();
  const glibc = nativeHeap();
  const m = process.memoryUsage();
  const main = getHeapStatistics();
  const mb = (n: number) => Math.round(n / 1048576);
  const status = worker.getStatus();
  const mapped = residentByMapping();
  return {
    mainArena: Math.round(mapped.mainArena / 1024),
    arenas: Math.round(mapped.arenas / 1024),
    otherAnonymous: Math.round(mapped.otherAnonymous / 1024),
    files: Math.round(mapped.files / 1024),
    // Bytes glibc has handed out and not had back (live), and bytes it keeps free in its arenas.
    glibcInUse: glibc ? mb(glibc.inUseBytes) : NaN,
    glibcFree: glibc ? mb(glibc.freeBytes) : NaN,
    cachedWorkflows: status.numCachedWorkflows,
    workflowActivationsInFlight: status.numInFlightWorkflowActivations,
    rss: mb(m.rss),
    mainHeapUsed: mb(m.heapUsed),
    mainHeapCommitted: mb(main.total_physical_size),
    external: mb(m.external),
    arrayBuffers: mb(m.arrayBuffers),
    mainMalloced: mb(main.malloced_memory),
    threads: threads.length,
    threadHeapUsed: mb(threads.reduce((n, t) => n + t.used_heap_size, 0)),
    threadHeapCommitted: mb(threads.reduce((n, t) => n + t.total_physical_size, 0)),
    threadHeapLimit: mb(threads.reduce((n, t) => n + t.heap_size_limit, 0)),
    threadMalloced: mb(threads.reduce((n, t) => n + t.malloced_memory, 0)),
    threadExternal: mb(threads.reduce((n, t) => n + t.external_memory, 0)),
  };
}
export type StubWorkerMemory = Awaited<ReturnType<typeof memory>>;

async function run(): Promise<void> {
  const [address, taskQueue] = process.argv.slice(2);
  // The SDK's Prometheus metrics (sticky cache hits and misses, replays) when the benchmark asks for them.
  const metricsAddress = process.env.STUB_METRICS_ADDRESS;
  installRuntime({ logLevel: 'warn', ...(metricsAddress ? { metricsAddress } : {}) });
  let calls = 0;
  const connection = await NativeConnection.connect({ address });
  const worker = await Worker.create({
    connection,
    taskQueue,
    workflowBundle: { codePath: defaultBundlePath },
    maxCachedWorkflows: readSettings(process.env).worker.maxCachedWorkflows,
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
  // What a real worker does with the memory it frees (worker/memoryTrim.ts, BCSYNC_WORKER_MEMORY_TRIM_SECONDS).
  const memoryTrim = startMemoryTrim(readSettings(process.env).worker.memoryTrimSeconds);
  const commands = createInterface({ input: process.stdin });
  commands.on('line', (line) => {
    memory(line === 'gc' || line === 'trim' ? line : 'stats', worker).then(
      (m) => process.stdout.write(`calls ${calls} ${JSON.stringify(m)}\n`),
      (err: unknown) => process.stdout.write(`error ${String(err)}\n`),
    );
  });
  process.stdout.write('ready\n');
  await worker.run(); // until SIGTERM
  memoryTrim.stop();
  commands.close();
  await connection.close();
}

run().catch((err) => {
  console.error(err);
  process.exit(1);
});
