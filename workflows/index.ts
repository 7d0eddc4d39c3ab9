// The worker registers every function exported here as a workflow type: export workflows and message
// definitions only, never helpers.
export { jobQueueEntry } from './jobQueueEntry';
export {
  approveUpdate,
  bcChangedSignal,
  crmChangedSignal,
  holdUpdate,
  resumeUpdate,
  runNowUpdate,
  setScheduleUpdate,
  statusQuery,
} from './messages';
export { stackCheck } from './stackCheck';
export { fullSynchronization, fullSyncProgressQuery } from './fullSynchronization';
export { lineageRetention } from './lineageRetention';
export { dryRun } from './dryRun';
