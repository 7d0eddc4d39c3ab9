// Dev servers for a benchmark: the ones in the environment, or fresh ephemeral ones on free ports.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { down, up } from '../../devservers/devServers';

export interface BenchServers {
  temporalAddress: string;
  mongodbUri: string;
  stop(): Promise<void>;
}

export async function benchServers(): Promise<BenchServers> {
  const stateDir = mkdtempSync(join(tmpdir(), 'bcsync-bench-'));
  const state = await up({
    stateDir,
    temporalPort: 0,
    temporalUiPort: 0,
    mongoPort: 0,
    ephemeral: true,
    install: true,
  });
  return {
    temporalAddress: state.temporal.address,
    mongodbUri: state.mongo.address,
    async stop() {
      await down({ stateDir });
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}
