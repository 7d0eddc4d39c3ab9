// One bcsync worker process for the failover test: the real `startWorker` with connectors from the
// BCSYNC_* environment (the emulators), a small engine page size so a full sync has many pages, and a
// line on stdout per committed page naming this process, so the test knows which worker holds the run.
//
//   node test/system/runTypeScript.js test/system/failoverWorker.ts <taskQueue> <dbName> <pageSize> <bundle>
import { createConnectors } from '../../activities/connectors';
import { readSettings, requireConnectors } from '../../config/settings';
import { startWorker } from '../../worker/worker';

async function run(): Promise<void> {
  const [taskQueue, dbName, pageSize, workflowBundlePath] = process.argv.slice(2);
  const temporalAddress = process.env.TEMPORAL_ADDRESS;
  const mongodbUri = process.env.MONGODB_URI;
  if (!temporalAddress || !mongodbUri || !taskQueue || !dbName || !pageSize || !workflowBundlePath) {
    throw new Error(
      'failoverWorker needs TEMPORAL_ADDRESS, MONGODB_URI and the arguments <taskQueue> <dbName> <pageSize> <bundle>',
    );
  }
  const settings = readSettings(process.env);
  const running = await startWorker({
    settings: { ...settings, mongo: { ...settings.mongo, dbName } },
    temporalAddress,
    mongodbUri,
    taskQueue,
    workflowBundlePath,
    shutdownGraceTime: '1s',
    // The test lowers the running activity's heartbeat timeout to 5 s; a retried attempt still believes the
    // workflow's 2 minutes and would send its next heartbeat a minute later (failoverHarness.ts).
    maxHeartbeatThrottleInterval: '1s',
    activities: {
      connectors: createConnectors(requireConnectors(settings)),
      engine: {
        pageSize: Number(pageSize),
        // ... and would repeat its heartbeats every 30 s (a quarter of 2 minutes) while a page is in
        // flight: a page slower than 5 s at 1 s per CRM request failed the retried attempt under load.
        heartbeatRepeatMaxMs: 1_000,
        crashAt: (point, ctx) => {
          if (point === 'afterPageCommit')
            process.stdout.write(`page ${process.pid} ${ctx.mapping} ${ctx.direction} ${ctx.pageSeq}\n`);
        },
      },
    },
  });
  process.stdout.write(`ready ${process.pid}\n`);
  process.once('SIGTERM', () => running.worker.shutdown());
  await running.done;
}

run().catch((err) => {
  console.error(err);
  process.exit(1);
});
