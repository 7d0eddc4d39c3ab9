// Starts one real Temporal dev server and one real MongoDB-compatible server (FerretDB unless
// MONGODB_URI / mongod say otherwise) for the whole test run, on free ports, and hands their addresses
// to the test files through the environment. Never a mock of either.
import { startEphemeralServers } from '../devservers/devServers';
import { binaries } from '../devservers/paths';
import { readSettings } from '../config/settings';

export default async function globalSetup(): Promise<void> {
  const { dev } = readSettings(process.env);
  const servers = await startEphemeralServers(dev, 'bcsync-test-');
  process.env.BCSYNC_TEST_STATE_DIR = servers.stateDir;
  process.env.TEMPORAL_ADDRESS = servers.temporalAddress;
  process.env.MONGODB_URI = servers.mongodbUri;
  // Links bcsync prints (lineage, console) point at the test server's UI; the browser tests open them.
  if (servers.temporalUiUrl) process.env.BCSYNC_TEMPORAL_UI_URL = servers.temporalUiUrl;
  process.env.TEMPORAL_TEST_SERVER_PATH ??= binaries(dev.cacheDir).temporalTestServer;
  process.env.BCSYNC_LOG_LEVEL ??= 'warn';
}
