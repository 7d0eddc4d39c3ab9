// Messages of the job queue entry workflow. Clients import these definitions to signal, update and query
// an entry by its stable id (entryWorkflowId).
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { ChangeNotice, EntryStatus, RunNowRequest, RunResult, ScheduleChange } from '../common/jobQueue';

/** A BC-side change (insert/modify/rename of a mapped table): wakes the entry (section 6). */
export const bcChangedSignal = defineSignal<[ChangeNotice?]>('bcChanged');
/** A CRM-side change: wakes the entry only when its `crmWakeEnabled` option is on. */
export const crmChangedSignal = defineSignal<[ChangeNotice?]>('crmChanged');

/** Run at once and return the run's counts; fails with the run's error when the run fails. Pass `{}`. */
export const runNowUpdate = defineUpdate<RunResult, [RunNowRequest]>('runNow');
/** Put the entry On Hold (a run in process finishes first). */
export const holdUpdate = defineUpdate<EntryStatus>('hold');
/** Set the entry back to Ready and run at once (BC's Restart); resets the attempt count. */
export const resumeUpdate = defineUpdate<EntryStatus>('resume');
/**
 * Let a run the blast-radius guard stopped go ahead: the next run (at once) skips the guard. Also ends a
 * user's hold, like `resume`.
 */
export const approveUpdate = defineUpdate<EntryStatus>('approve');
/** Change frequency, inactivity timeout, attempts, rerun delay, CRM wake or debounce. */
export const setScheduleUpdate = defineUpdate<EntryStatus, [ScheduleChange]>('setSchedule');

export const statusQuery = defineQuery<EntryStatus>('status');
