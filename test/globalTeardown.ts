import { rmSync } from 'node:fs';
import { down } from '../devservers/devServers';

export default async function globalTeardown(): Promise<void> {
  const stateDir = process.env.BCSYNC_TEST_STATE_DIR;
  if (!stateDir) return;
  await down({ stateDir });
  rmSync(stateDir, { recursive: true, force: true });
}
