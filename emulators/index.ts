// Public entry of the API emulators: start both, or import one of them directly.
export { startEmulators, type StartEmulatorsOptions, type RunningEmulators } from './common';
export type { RunningBcEmulator } from './bc';
export {
  startDataverseEmulator,
  type RunningDataverseEmulator,
  type DataverseEmulatorOptions,
  DataverseState,
} from './dataverse';
export type { FaultSettings, FaultDecision } from './common/faults';
export type { RequestStatsSnapshot } from './common/requestStats';
