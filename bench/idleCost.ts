// Idle cost: 1,000 job queue entries On Hold with Inactivity Timeout on one worker. Targets: 0 activity
// executions during the hold, worker CPU under 2% of a core over 60 s. Baseline, measured in the same
// run: the same worker process polling an empty task queue for the same time.
// Run: `npm run build && node dist/bench/idleCost.js [entries] [seconds]`.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import Table from 'cli-table3';
import { entryWorkflowId, type EntryStatus } from '../common/jobQueue';
import type { jobQueueEntry } from '../workflows';
import { statusQuery } from '../workflows/messages';
import { startEphemeralServers } from '../devservers/devServers';
import { cpuSeconds, rssMegabytes } from './support/processCpu';
import { readSettings } from '../config/settings';

interface StubWorker {
  proc: ChildProcessWithoutNullStreams;
  calls(): Promise<number>;
  stop(): Promise<void>;
}

async function startStubWorker(address: string, taskQueue: string): Promise<StubWorker> {
  const proc = spawn(process.execPath, [
    join(__dirname, 'support', 'stubEntryWorker.js'),
    address,
    taskQueue,
  ]);
  proc.stderr.on('data', (d: Buffer) => process.stderr.write(d));
  const lines: string[] = [];
  let waiter: ((line: string) => void) | undefined;
  let buffer = '';
  proc.stdout.on('data', (d: Buffer) => {
    buffer += d.toString();
    let i: number;
    while ((i = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, i);
      buffer = buffer.slice(i + 1);
      if (waiter) {
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
  return {
    proc,
    async calls() {
      proc.stdin.write('\n');
      return Number((await nextLine()).split(' ')[1]);
    },
    async stop() {
      proc.kill('SIGTERM');
      await once(proc, 'exit');
    },
  };
}

async function measure(worker: StubWorker, seconds: number) {
  const pid = worker.proc.pid!;
  const calls0 = await worker.calls();
  const cpu0 = cpuSeconds(pid);
  const t0 = process.hrtime.bigint();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = cpuSeconds(pid) - cpu0;
  return {
    activities: (await worker.calls()) - calls0,
    cpuPercent: (100 * cpu) / wall,
    rss: rssMegabytes(pid),
  };
}

async function run(): Promise<void> {
  const entries = Number(process.argv[2] ?? 1000);
  const seconds = Number(process.argv[3] ?? 60);
  const servers = await startEphemeralServers(readSettings(process.env).dev, 'bcsync-bench-');
  const connection = await Connection.connect({ address: servers.temporalAddress });
  const client = new Client({ connection });
  try {
    // Baseline: a worker polling a task queue with no workflows.
    const emptyQueue = `idle-baseline-${randomUUID().slice(0, 8)}`;
    const baselineWorker = await startStubWorker(servers.temporalAddress, emptyQueue);
    const baseline = await measure(baselineWorker, seconds);
    await baselineWorker.stop();

    const taskQueue = `idle-${randomUUID().slice(0, 8)}`;
    const worker = await startStubWorker(servers.temporalAddress, taskQueue);
    const started = Date.now();
    const ids: string[] = [];
    for (let i = 0; i < entries; i += 50) {
      await Promise.all(
        Array.from({ length: Math.min(50, entries - i) }, async (_, k) => {
          const entry = `IDLE-${i + k}`;
          ids.push(entryWorkflowId(entry));
          await client.workflow.start<typeof jobQueueEntry>('jobQueueEntry', {
            taskQueue,
            workflowId: entryWorkflowId(entry),
            args: [{ entry, mappings: ['CUSTOMER'], schedule: { inactivityTimeoutMinutes: 720 } }],
          });
        }),
      );
    }
    // Wait until every entry has run once and gone On Hold with Inactivity Timeout.
    for (;;) {
      // A query may time out while the worker is busy starting the entries: then just ask again.
      const states = await Promise.all(
        ids.slice(-20).map((id) =>
          client.workflow
            .getHandle(id)
            .query<EntryStatus>(statusQuery)
            .catch(() => null),
        ),
      );
      if (
        states.every((s) => s?.state === 'On Hold with Inactivity Timeout') &&
        (await worker.calls()) >= entries
      )
        break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    const settleSeconds = (Date.now() - started) / 1000;
    // Let the tail of the start-up work (last workflow tasks, cache evictions) pass before measuring.
    await new Promise((r) => setTimeout(r, 10_000));
    const held = await measure(worker, seconds);
    await worker.stop();

    const table = new Table({
      style: { head: [], border: [] },
      head: ['Worker', 'Entries', 'Seconds', 'Activity executions', 'CPU % of a core', 'RSS MB'],
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
      `${entries} entries on hold`,
      entries,
      seconds,
      held.activities,
      held.cpuPercent.toFixed(2),
      held.rss.toFixed(0),
    ]);
    console.log(`\nIdle cost (${entries} entries started and on hold after ${settleSeconds.toFixed(1)} s)`);
    console.log(table.toString());
    console.log(
      `targets: 0 activity executions during the hold (got ${held.activities}); CPU under 2% of a core (got ${held.cpuPercent.toFixed(2)}%)`,
    );
    await Promise.all(
      ids.map((id) =>
        client.workflow
          .getHandle(id)
          .terminate('benchmark done')
          .catch(() => undefined),
      ),
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
