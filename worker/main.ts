// `node dist/worker/main.js`: one worker process until SIGINT/SIGTERM, on the Temporal connection settings
// (TEMPORAL_* and the profile file) and MONGODB_URI (or the local defaults). `bcsync worker` does the same and also finds a running `bcsync servers up`.
import { readSettings } from '../config/settings';
import { DEFAULT_TEMPORAL_ADDRESS } from '../temporal/connection';
import { startWorker } from './worker';

async function run(): Promise<void> {
  const settings = readSettings(process.env);
  const { done } = await startWorker({
    settings,
    temporalAddress: settings.temporal.address ?? DEFAULT_TEMPORAL_ADDRESS,
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
