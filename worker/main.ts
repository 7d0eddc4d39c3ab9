// `node dist/worker/main.js` (or `bcsync worker`): one worker process until SIGINT/SIGTERM.
import { connectionSettings } from '../devservers/devServers';
import { startWorker } from './worker';

async function run(): Promise<void> {
  const { temporalAddress, mongodbUri } = connectionSettings();
  const { done } = await startWorker({ temporalAddress, mongodbUri });
  await done;
}

if (require.main === module) {
  run().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
