// Starts both API emulators together (emulator contract: `startEmulators`), for local runs, the dev
// servers and end-to-end tests. Each emulator keeps its own port, token endpoint and state.
import { startBcEmulator, type RunningBcEmulator } from '../bc';
import { startDataverseEmulator, type RunningDataverseEmulator } from '../dataverse';
import type { EmulatorCredentials } from './credentials';
import type { FaultSettings } from './faults';
import type { ServiceProtectionOverrides } from './serviceProtection';

export interface StartEmulatorsOptions {
  host?: string;
  /** Default 7048; 0 picks a free port. */
  bcPort?: number;
  /** Default 7049; 0 picks a free port. */
  dataversePort?: number;
  seed?: 'demo' | 'empty';
  /** Sized seed: N records per main table in each emulator. */
  records?: number;
  /** Share (0..1) of the sized CRM accounts and contacts that stand for BC records (populated pair). */
  overlap?: number;
  /** State folder; each emulator keeps its own snapshot file in it. */
  stateDir?: string;
  /** BC webhook coalescing window (the real service waits 30 s). */
  webhookCoalesceMs?: number;
  /** Fault settings applied to both emulators (each can be changed later through its /_admin/faults). */
  faults?: FaultSettings;
  /** The one integration app both emulators accept (default DEFAULT_EMULATOR_CREDENTIALS). */
  credentials?: EmulatorCredentials;
  /**
   * Service protection limits of both emulators (docs/emulator-limits.md): on by default with each
   * service's figures; overrides (e.g. `{ timeScale: 0.01 }`) apply to both, `false` turns them off.
   */
  limits?: ServiceProtectionOverrides | false;
}

export interface RunningEmulators {
  bc: RunningBcEmulator;
  dataverse: RunningDataverseEmulator;
  stop(): Promise<void>;
}

export async function startEmulators(opts: StartEmulatorsOptions = {}): Promise<RunningEmulators> {
  const dataverse = await startDataverseEmulator({
    host: opts.host,
    port: opts.dataversePort,
    seed: opts.seed,
    records: opts.records,
    overlap: opts.overlap,
    stateDir: opts.stateDir,
    faults: opts.faults,
    ...opts.credentials,
    limits: opts.limits,
  });
  let bc: RunningBcEmulator;
  try {
    bc = await startBcEmulator({
      host: opts.host,
      port: opts.bcPort,
      seed: opts.seed,
      records: opts.records,
      stateDir: opts.stateDir,
      webhookCoalesceMs: opts.webhookCoalesceMs,
      faults: opts.faults,
      ...opts.credentials,
      limits: opts.limits,
    });
  } catch (error) {
    // Do not leave the first server listening when the second cannot start (e.g. port in use).
    await dataverse.stop();
    throw error;
  }
  return {
    bc,
    dataverse,
    async stop() {
      await Promise.all([bc.stop(), dataverse.stop()]);
    },
  };
}

export type { RunningBcEmulator, RunningDataverseEmulator, FaultSettings };
