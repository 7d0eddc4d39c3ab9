// `node dist/worker/main.js`: one worker process until SIGINT/SIGTERM, on TEMPORAL_ADDRESS and MONGODB_URI
// (or the local defaults). `bcsync worker` does the same and also finds a running `bcsync servers up`.
import { readSettings } from '../config/settings';
import { startWorker } from './worker';

async function run(): Promise<void> {
  const settings = readSettings(process.env);
  const { done } = await startWorker({
    settings,
    temporalAddress: settings.temporal.address ?? '127.0.0.1:7233',
    mongodbUri: settings.mongo.uri ?? 'mongodb://127.0.0.1:27027/',
  });
  await done;
}

if (require.main === module) {
  run().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
