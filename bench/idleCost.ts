// Idle at scale: N job queue entries of C companies (11 entries each, the default mappings' count) On Hold
// with Inactivity Timeout on one worker, the real entry workflow with a stub activity. Measured:
// - during the hold: activity executions (target 0), worker CPU (target under 2% of a core) and RSS
//   (target under 300 MB), the Temporal server's CPU;
// - wake-ups: a `bcChanged` signal to a random held entry until its run starts (debounce 0), p50/p99
//   (target p99 under 1 s);
// - what an entry costs the Temporal server: history events and bytes, timers pending, server RSS;
// - where the worker's memory is (main isolate, workflow thread, glibc arenas; before and after a full GC)
//   and the SDK's sticky cache counters, so a figure can be explained, not only compared.
// Baseline, measured in the same run: the same worker process polling an empty task queue.
// The worker runs with a real worker's node options and environment (worker/processSettings.ts).
// How entries get on hold: by default each is started with the state its first idle run leaves (On Hold
// with Inactivity Timeout, `carried` as continue-as-new passes it, generation 1): one workflow task, no
// activity, 50 starts at a time, so 10,000 fit in a few minutes. Its history is that of an entry after a
// continue-as-new, not of a new entry: one workflow task instead of three and no activity (fewer events;
// the start event carries the state; the figures print both). `--start-run` starts them as `setup` does
// (the first run, with the stub activity, then the hold), `--window` at a time (default half the cache, so
// an entry is not evicted between its start and its hold): ~9 entries/s here.
// Run: `npm run build && node dist/bench/idleCost.js [--entries 10000] [--seconds 60] [--wakeups 100]
//   [--cache 20] [--window 50] [--start-run] [--malloc-trim] [--worker-env KEY=VALUE]`
//   --cache: the worker's sticky cache size (BCSYNC_WORKER_MAX_CACHED_WORKFLOWS), default its default;
//   --window: entries being started at once;
//   --malloc-trim: after the hold and the GC, call glibc's malloc_trim(0) in the worker and report its
//   memory again (what it returns was allocator retention, what stays is live);
//   --worker-env KEY=VALUE: environment of the worker only (allocator A/B runs), e.g. MALLOC_ARENA_MAX=16
//   or LD_PRELOAD=/usr/lib/x86_64-linux-gnu/libjemalloc.so.2.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import Table from 'cli-table3';
import {
  DEFAULT_ENTRY_SCHEDULE,
  EntryState,
  entryWorkflowId,
  mergeSchedule,
  runResult,
  searchAttributeKeys,
  type JobQueueEntryInput,
} from '../common/jobQueue';
import { initialEntry, runStarted, runSucceeded, type EntryMachine } from '../workflows/entrySchedule';
import type { jobQueueEntry } from '../workflows';
import { bcChangedSignal } from '../workflows/messages';
import { readState, startEphemeralServers } from '../devservers/devServers';
import { workerEnv, workerNodeArgs } from '../worker/processSettings';
import { cpuSeconds, rssMegabytes } from './support/processCpu';
import type { StubWorkerMemory } from './support/stubEntryWorker';
import { DEFAULT_MAX_CACHED_WORKFLOWS, readSettings } from '../config/settings';

const ENTRIES_PER_COMPANY = 11;

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

/** `--worker-env KEY=VALUE` (repeatable): environment for the stub worker only (allocator A/B tests). */
function workerEnvArgs(): Record<string, string> {
  const env: Record<string, string> = {};
  process.argv.forEach((a, i) => {
    if (a !== '--worker-env') return;
    const m = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(process.argv[i + 1] ?? '');
    if (!m) throw new Error(`--worker-env wants KEY=VALUE, got ${process.argv[i + 1]}`);
    env[m[1]!] = m[2]!;
  });
  return env;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

interface StubWorker {
  proc: ChildProcessWithoutNullStreams;
  /**
   * Activity calls so far; `gc` first collects garbage in the main isolate and the workflow threads, `trim`
   * then also calls glibc's malloc_trim(0).
   */
  calls(request?: 'gc' | 'trim'): Promise<number>;
  /** Where the worker's memory was at the last `calls()`. */
  memory?: StubWorkerMemory;
  /** The SDK's workflow task counters (sticky cache hits and misses, replays). */
  counters(): Promise<Record<string, number>>;
  /** Resolves with the epoch ms of the next call of `workflowId`. */
  nextCall(workflowId: string): Promise<number>;
  stop(): Promise<void>;
}

/** A free local port for the stub worker's Prometheus endpoint. */
async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  server.close();
  return port;
}

/** The SDK's counters that say how the worker's workflow tasks went, summed over their labels. */
async function workflowTaskCounters(metricsAddress: string): Promise<Record<string, number>> {
  const text = await (await fetch(`http://${metricsAddress}/metrics`)).text();
  const wanted =
    /^temporal_(sticky_cache_\w+|workflow_task_replay_latency_seconds_count|workflow_task_execution_latency_seconds_count|workflow_task_queue_poll_succeed\w*)(\{[^}]*\})? ([\d.e+]+)$/;
  const sums: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const m = wanted.exec(line);
    if (m) sums[m[1]!] = (sums[m[1]!] ?? 0) + Number(m[3]);
  }
  return sums;
}

async function startStubWorker(address: string, taskQueue: string, cache: number): Promise<StubWorker> {
  const metricsAddress = `127.0.0.1:${await freePort()}`;
  const proc = spawn(
    process.execPath,
    [
      ...workerNodeArgs(process.env, process.execArgv),
      '--expose-gc',
      join(__dirname, 'support', 'stubEntryWorker.js'),
      address,
      taskQueue,
    ],
    {
      env: {
        ...workerEnv(process.env),
        BCSYNC_WORKER_MAX_CACHED_WORKFLOWS: String(cache),
        STUB_METRICS_ADDRESS: metricsAddress,
        ...workerEnvArgs(),
      },
    },
  );
  proc.stderr.on('data', (d: Buffer) => process.stderr.write(d));
  // A benchmark that fails midway must not leave its worker polling (and taking CPU) behind it.
  const orphanGuard = () => proc.kill();
  process.on('exit', orphanGuard);
  const lines: string[] = [];
  let waiter: ((line: string) => void) | undefined;
  const callWaiters = new Map<string, (at: number) => void>();
  let buffer = '';
  proc.stdout.on('data', (d: Buffer) => {
    buffer += d.toString();
    let i: number;
    while ((i = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, i);
      buffer = buffer.slice(i + 1);
      if (line.startsWith('call ')) {
        const [, id, at] = line.split(' ');

        callWaiters.get(id!)?.(Number(at));
        callWaiters.delete(id!);
      } else if (!/^(ready|calls |error )/.test(line)) {
        // The SDK's own log lines (e.g. core's "Workflow task duration exceeded" under load) share stdout.
        process.stderr.write(`${line}\n`);
      } else if (waiter) {
        const w = waiter;
        waiter = undefined;
        w(line);
      } else lines.push(line);
    }
  });
  const nextLine = () =>
    lines.length ? Promise.resolve(lines.shift()!) : new Promise<string>((r) => (waiter = r));
  const ready = await nextLine();
  if (ready !== 'ready') throw new Error(`stub worker did not start: ${ready}`);
  const worker: StubWorker = {
    proc,
    async calls(request) {
      proc.stdin.write(`${request ?? ''}\n`);
      const line = await nextLine();
      const m = /^calls (\d+) (.*)$/.exec(line);
      if (!m) throw new Error(`stub worker: ${line}`);
      worker.memory = JSON.parse(m[2]!) as StubWorkerMemory;
      return Number(m[1]);
    },
    counters: () => workflowTaskCounters(metricsAddress),
    nextCall: (workflowId) => new Promise((resolve) => callWaiters.set(workflowId, resolve)),
    async stop() {
      process.off('exit', orphanGuard);
      proc.kill('SIGTERM');
      await once(proc, 'exit');
    },
  };
  return worker;
}

/**
 * The state a new entry is in after its first run found nothing to do (On Hold with Inactivity Timeout),
 * as continue-as-new carries it: an entry started with it holds at once, in one workflow task.
 */
function heldAfterIdleRun(schedule: Partial<JobQueueEntryInput['schedule']>, now: number): EntryMachine {
  const ready = initialEntry(mergeSchedule(DEFAULT_ENTRY_SCHEDULE, schedule ?? {}), false, now);
  const held = runSucceeded(
    runStarted(ready),
    { trigger: 'start', startedAt: now, result: runResult() },
    now,
  );
  return { ...held, generation: 1 };
}

/** CPU of `pids` over `seconds`, and the worker's largest RSS sampled every second. */
async function measure(worker: StubWorker, serverPid: number | undefined, seconds: number) {
  const pid = worker.proc.pid!;
  const calls0 = await worker.calls();
  const cpu0 = cpuSeconds(pid);
  const server0 = serverPid ? cpuSeconds(serverPid) : 0;
  const t0 = process.hrtime.bigint();
  let maxRss = rssMegabytes(pid);
  for (let s = 0; s < seconds; s++) {
    await sleep(1000);
    maxRss = Math.max(maxRss, rssMegabytes(pid));
  }
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  return {
    activities: (await worker.calls()) - calls0,
    cpuPercent: (100 * (cpuSeconds(pid) - cpu0)) / wall,
    serverCpuPercent: serverPid ? (100 * (cpuSeconds(serverPid) - server0)) / wall : NaN,
    rss: maxRss,
  };
}

/** History events, encoded bytes and timers still pending, from a sample of entries. */
async function historyCost(client: Client, ids: string[]) {
  let events = 0;
  let bytes = 0;
  let timers = 0;
  for (const id of ids) {
    const history = await client.workflow.getHandle(id).fetchHistory();
    events += history.events?.length ?? 0;
    bytes += temporal.api.history.v1.History.encode(history).finish().length;
    for (const e of history.events ?? []) {
      if (e.timerStartedEventAttributes) timers++;
      if (e.timerFiredEventAttributes || e.timerCanceledEventAttributes) timers--;
    }
  }
  return { events: events / ids.length, bytes: bytes / ids.length, timers: timers / ids.length };
}

async function run(): Promise<void> {
  const entries = arg('entries', 10_000);
  const seconds = arg('seconds', 60);
  const wakeups = arg('wakeups', 100);
  const cache = arg('cache', DEFAULT_MAX_CACHED_WORKFLOWS);
  const startRun = process.argv.includes('--start-run');
  const window = arg('window', startRun ? Math.max(1, Math.floor(cache / 2)) : 50);
  const companies = Math.ceil(entries / ENTRIES_PER_COMPANY);
  const servers = await startEphemeralServers(readSettings(process.env).dev, 'bcsync-bench-');
  const serverPid = readState(servers.stateDir)?.temporal.pid;
  const connection = await Connection.connect({ address: servers.temporalAddress });
  const client = new Client({ connection });
  try {
    // Baseline: a worker polling a task queue with no workflows.
    const emptyQueue = `idle-baseline-${randomUUID().slice(0, 8)}`;
    const baselineWorker = await startStubWorker(servers.temporalAddress, emptyQueue, cache);
    const baseline = await measure(baselineWorker, serverPid, seconds);
    await baselineWorker.calls('gc');
    const baselineMemory = baselineWorker.memory!;
    await baselineWorker.stop();
    const serverRss0 = serverPid ? rssMegabytes(serverPid) : NaN;

    const taskQueue = `idle-${randomUUID().slice(0, 8)}`;
    const worker = await startStubWorker(servers.temporalAddress, taskQueue, cache);
    const started = Date.now();
    // The start-up burst's high-water mark, to tell it from what the held entries keep.
    let burstRss = 0;
    const burstSampler = setInterval(() => {
      burstRss = Math.max(burstRss, rssMegabytes(worker.proc.pid!));
    }, 500);
    // Entries are started `window` at a time (one lane each): a lane starts its next entry when the last
    // one has run. An entry started while more than the sticky cache are between start and hold is
    // evicted before its run ends, and its next workflow task replays the whole history: a burst of
    // thousands makes nearly every entry replay (`--window 100000` shows it).
    const ids = Array.from({ length: entries }, (_, n) => ({
      entry: `ENTRY-${n % ENTRIES_PER_COMPANY}`,
      company: `CO-${String(Math.floor(n / ENTRIES_PER_COMPANY)).padStart(4, '0')}`,
    })).map(({ entry, company }) => ({ entry, company, workflowId: entryWorkflowId(entry, company) }));
    const schedule = { inactivityTimeoutMinutes: 720, debounceMs: 0 };
    const startEntry = async ({ entry, company, workflowId }: (typeof ids)[number]): Promise<void> => {
      const input: JobQueueEntryInput = { entry, company, mappings: ['CUSTOMER'], schedule };
      const called = startRun ? worker.nextCall(workflowId) : undefined;
      await client.workflow.start<typeof jobQueueEntry>('jobQueueEntry', {
        taskQueue,
        workflowId,
        args: [startRun ? input : { ...input, carried: heldAfterIdleRun(schedule, Date.now()) }],
        typedSearchAttributes: [{ key: searchAttributeKeys.company, value: company }],
      });
      await called;
    };
    await Promise.all(
      Array.from({ length: Math.min(window, entries) }, async (_, lane) => {
        for (let n = lane; n < entries; n += window) await startEntry(ids[n]!);
      }),
    );
    const startsSeconds = (Date.now() - started) / 1000;
    // Wait until every entry has run once and gone On Hold with Inactivity Timeout (its BcSyncState
    // search attribute says so; visibility lags a little behind).
    const onHold = `TaskQueue = "${taskQueue}" AND ${searchAttributeKeys.state.name} = "${EntryState.OnHoldWithInactivityTimeout}"`;
    while ((await client.workflow.count(onHold)).count < entries) await sleep(1000);
    const settleSeconds = (Date.now() - started) / 1000;
    clearInterval(burstSampler);
    // Let the tail of the start-up work (last workflow tasks, cache evictions) pass before measuring.
    await sleep(10_000);
    const held = await measure(worker, serverPid, seconds);
    const heldMemory = worker.memory!;
    await worker.calls('gc');
    const gcMemory = worker.memory!;
    let trimmedMemory: StubWorkerMemory | undefined;
    if (process.argv.includes('--malloc-trim')) {
      await worker.calls('trim');
      trimmedMemory = worker.memory!;
    }
    const counters = await worker.counters();
    const serverRss = serverPid ? rssMegabytes(serverPid) : NaN;
    const sample = ids
      .map((e) => e.workflowId)
      .filter((_, i) => i % Math.max(1, Math.floor(ids.length / 50)) === 0)
      .slice(0, 50);
    const cost = await historyCost(client, sample);

    // Wake-ups: one at a time, each to an entry picked at random (mostly not in the sticky cache).
    const latencies: number[] = [];
    for (let w = 0; w < wakeups; w++) {
      const id = ids[Math.floor(Math.random() * ids.length)]!.workflowId;
      const called = worker.nextCall(id);
      const sent = Date.now();
      await client.workflow.getHandle(id).signal(bcChangedSignal, { resource: 'customers(bench)' });
      latencies.push((await called) - sent);
    }
    latencies.sort((a, b) => a - b);
    const wokenRss = rssMegabytes(worker.proc.pid!);
    await worker.stop();

    const table = new Table({
      style: { head: [], border: [] },
      head: [
        'Worker',
        'Entries',
        'Seconds',
        'Activity executions',
        'Worker CPU % of a core',
        'Worker RSS MB',
      ],
    });
    table.push([
      'baseline: empty task queue',
      0,
      seconds,
      baseline.activities,
      baseline.cpuPercent.toFixed(2),
      baseline.rss.toFixed(0),
    ]);
    table.push([
      `${entries} entries (${companies} companies) on hold`,
      entries,
      seconds,
      held.activities,
      held.cpuPercent.toFixed(2),
      held.rss.toFixed(0),
    ]);
    console.log(
      `\nIdle at scale (${entries} entries started and on hold after ${settleSeconds.toFixed(1)} s; ` +
        `sticky cache ${cache} workflows)`,
    );
    console.log(table.toString());
    const p50 = percentile(latencies, 50);
    const p99 = percentile(latencies, 99);
    console.log(
      `wake-ups (${wakeups}, signal to run start, debounce 0): p50 ${p50} ms, p99 ${p99} ms, ` +
        `max ${latencies[latencies.length - 1]} ms; worker RSS after them ${wokenRss.toFixed(0)} MB`,
    );
    const describe = (m: StubWorkerMemory) =>
      `RSS ${m.rss} MB; main isolate heap ${m.mainHeapUsed} MB used / ${m.mainHeapCommitted} MB committed ` +
      `(external ${m.external} MB, array buffers ${m.arrayBuffers} MB); ${m.threads} workflow thread(s): ` +
      `heap ${m.threadHeapUsed} MB used / ${m.threadHeapCommitted} MB committed (limit ${m.threadHeapLimit} MB, ` +
      `external ${m.threadExternal} MB); ` +
      `V8 malloc ${m.mainMalloced} + ${m.threadMalloced} MB; rest (native: Temporal core, allocator) ` +
      `${m.rss - m.mainHeapCommitted - m.threadHeapCommitted} MB; by mapping: glibc main arena ` +
      `${m.mainArena} MB, other glibc arenas ${m.arenas} MB, other anonymous ${m.otherAnonymous} MB, files ${m.files} MB; ` +
      `glibc malloc: ${m.glibcInUse} MB in use, ${m.glibcFree} MB free in its arenas (trimmed or not)`;
    console.log(
      `worker memory: start-up burst peak RSS ${burstRss.toFixed(0)} MB (entries started in ` +
        `${startsSeconds.toFixed(1)} s)\n  at the end of the hold: ${describe(heldMemory)}\n` +
        `  after a full GC in every isolate: ${describe(gcMemory)}\n` +
        (trimmedMemory ? `  then after glibc's malloc_trim(0): ${describe(trimmedMemory)}\n` : '') +
        `  baseline (empty task queue) after a full GC: ${describe(baselineMemory)}`,
    );
    console.log(
      `worker workflow tasks until the end of the hold: ${JSON.stringify(counters)}; cached workflows ` +
        `${gcMemory.cachedWorkflows}, activations in flight ${gcMemory.workflowActivationsInFlight}`,
    );
    console.log(
      `per entry on the Temporal server: ${cost.events.toFixed(1)} history events, ` +
        `${cost.bytes.toFixed(0)} bytes of history, ${cost.timers.toFixed(2)} timers pending; ` +
        `server RSS ${serverRss0.toFixed(0)} -> ${serverRss.toFixed(0)} MB ` +
        `(${(((serverRss - serverRss0) * 1024) / entries).toFixed(1)} KB per entry, in-memory dev server); ` +
        `server CPU during the hold ${held.serverCpuPercent.toFixed(2)}% of a core ` +
        `(empty: ${baseline.serverCpuPercent.toFixed(2)}%)`,
    );
    console.log(
      `targets: 0 activity executions during the hold (got ${held.activities}); worker CPU under 2% of a ` +
        `core (got ${held.cpuPercent.toFixed(2)}%); worker RSS under 300 MB (got ${held.rss.toFixed(0)}); ` +
        `wake-up p99 under 1000 ms (got ${p99})`,
    );
  } finally {
    await connection.close();
    await servers.stop();
  }
}

run().catch((err) => {
  console.error(err);
  process.exit(1);
});
