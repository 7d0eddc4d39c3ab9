// Starts one real Temporal dev server and one real MongoDB-compatible server (FerretDB unless
// MONGODB_URI / mongod say otherwise) for the whole test run, on free ports, and hands their addresses
// to the test files through the environment. Never a mock of either.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { up } from '../devservers/devServers';
import { binaries } from '../devservers/paths';

export default async function globalSetup(): Promise<void> {
  const stateDir = mkdtempSync(join(tmpdir(), 'bcsync-test-'));
  const state = await up({
    stateDir,
    temporalPort: 0,
    temporalUiPort: 0,
    mongoPort: 0,
    ephemeral: true,
    install: true,
  });
  process.env.BCSYNC_TEST_STATE_DIR = stateDir;
  process.env.TEMPORAL_ADDRESS = state.temporal.address;
  process.env.MONGODB_URI = state.mongo.address;
  process.env.TEMPORAL_TEST_SERVER_PATH ??= binaries.temporalTestServer();
  process.env.BCSYNC_LOG_LEVEL ??= 'warn';
}
