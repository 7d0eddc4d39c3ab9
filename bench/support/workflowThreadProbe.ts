// Runs inside the SDK's workflow worker thread (bench/support/stubEntryWorker.ts starts the SDK's thread
// script through this one): answers the main thread's requests on its own port with this thread's V8 heap
// statistics, after a full garbage collection when asked (the process runs with --expose-gc), because
// process.memoryUsage() in the main thread sees only the main isolate's heap.
import { getHeapStatistics } from 'node:v8';
import { workerData, type MessagePort } from 'node:worker_threads';

const { probePort, probeTarget } = workerData as { probePort: MessagePort; probeTarget: string };
probePort.on('message', (request: 'stats' | 'gc') => {
  if (request === 'gc') (globalThis as { gc?: () => void }).gc?.();
  probePort.postMessage(getHeapStatistics());
});
probePort.unref();
// eslint-disable-next-line @typescript-eslint/no-require-imports
require(probeTarget);
