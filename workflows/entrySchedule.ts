// The job queue entry as a pure state machine: every transition takes the state and the workflow's
// deterministic "now" and returns the next state. The workflow (jobQueueEntry.ts) only waits, calls the
// activity and feeds the outcomes in here, which keeps the rules of bc-integration-behaviour.md section 6
// testable without a Temporal server.
import {
  EntryState,
  isIdleRun,
  LastResult,
  mergeSchedule,
  type ChangeNotice,
  type EntrySchedule,
  type LastError,
  type LastRun,
  type RunResult,
  type ScheduleChange,
  type WaitKind,
} from '../common/jobQueue';
import { withPace, type RunPace } from '../common/activityPace';

/** The whole state of an entry; plain JSON so continue-as-new can carry it. Times are epoch ms. */
export interface EntryMachine {
  state: EntryState;
  holdRequested: boolean;
  nextRunAt: number | null;
  waitKind: WaitKind;
  /** Start of the current wait: a schedule change recomputes the next run from here. */
  waitFrom: number;
  attempts: number;
  schedule: EntrySchedule;
  lastRun: LastRun | null;
  lastError: LastError | null;
  runs: number;
  changeSignals: { bc: number; crm: number; crmIgnored: number };
  lastChange: { source: 'bc' | 'crm'; at: string; resource: string | null } | null;
  /** A change arrived while a run was in process; the run may not have seen it. */
  changedDuringRun: boolean;
  /** State before the run in process, so a manual run does not lift a user's hold or an Error. */
  stateBeforeRun: EntryState | null;
  generation: number;
  /** Why the entry is On Hold when a rule (not a user) put it there: the blast-radius guard. */
  holdReason?: string | null;
  /** How long the pages of the last runs took: the next run's heartbeat timeout (common/activityPace.ts). */
  recentPaces?: RunPace[];
}

/** BC moves a woken entry only when its next run is more than 60 s away (section 6). */
export const WAKE_THRESHOLD_MS = 60_000;

const MINUTE_MS = 60_000;
const iso = (ms: number): string => new Date(ms).toISOString();

export function initialEntry(schedule: EntrySchedule, startOnHold: boolean, now: number): EntryMachine {
  return {
    state: startOnHold ? EntryState.OnHold : EntryState.Ready,
    holdRequested: false,
    nextRunAt: startOnHold ? null : now,
    waitKind: startOnHold ? 'none' : 'start',
    waitFrom: now,
    attempts: 0,
    schedule,
    lastRun: null,
    lastError: null,
    runs: 0,
    changeSignals: { bc: 0, crm: 0, crmIgnored: 0 },
    lastChange: null,
    changedDuringRun: false,
    stateBeforeRun: null,
    generation: 0,
  };
}

/**
 * Wait before retry number `attempt` (1-based) after a failed run: Rerun Delay, plus one more Rerun
 * Delay per earlier failure (the growing extra wait of section 6): 30 s, 60 s, 90 s, ...
 */
export function retryDelayMs(schedule: EntrySchedule, attempt: number): number {
  return schedule.rerunDelaySeconds * 1000 * Math.max(1, attempt);
}

export function runStarted(s: EntryMachine): EntryMachine {
  return {
    ...s,
    state: EntryState.InProcess,
    stateBeforeRun: s.state,
    nextRunAt: null,
    waitKind: 'none',
    changedDuringRun: false,
  };
}

function waitFor(
  s: EntryMachine,
  state: EntryState,
  waitKind: WaitKind,
  now: number,
  ms: number,
): EntryMachine {
  return { ...s, state, waitKind, waitFrom: now, nextRunAt: now + ms };
}

function hold(s: EntryMachine, state: EntryState, now: number): EntryMachine {
  return { ...s, state, waitKind: 'none', waitFrom: now, nextRunAt: null };
}

function outcomeOf(result: RunResult): LastResult {
  if (result.failed > 0) return LastResult.RecordErrors;
  return isIdleRun(result) ? LastResult.NoChanges : LastResult.Changes;
}

export function runSucceeded(
  s: EntryMachine,
  run: { trigger: LastRun['trigger']; startedAt: number; result: RunResult },
  now: number,
): EntryMachine {
  const lastRun: LastRun = {
    trigger: run.trigger,
    startedAt: iso(run.startedAt),
    finishedAt: iso(now),
    outcome: outcomeOf(run.result),
    result: run.result,
    error: null,
  };
  // A successful run resets the attempt count; record failures never fail the entry (section 6).
  const done: EntryMachine = {
    ...s,
    ...pacedBy(s, run.result),
    attempts: 0,
    runs: s.runs + 1,
    lastRun,
    holdRequested: false,
    changedDuringRun: false,
    stateBeforeRun: null,
  };
  if (s.holdRequested || s.stateBeforeRun === EntryState.OnHold) return hold(done, EntryState.OnHold, now);
  // Better than BC: a change seen during the run gets its own run instead of waiting for the frequency.
  if (s.changedDuringRun) return waitFor(done, EntryState.Ready, 'change', now, s.schedule.debounceMs);
  if (isIdleRun(run.result) && s.schedule.inactivityTimeoutMinutes > 0) {
    // Idle run -> On Hold with Inactivity Timeout for the timeout period (section 6, mission point 7).
    return waitFor(
      done,
      EntryState.OnHoldWithInactivityTimeout,
      'inactivity',
      now,
      s.schedule.inactivityTimeoutMinutes * MINUTE_MS,
    );
  }
  return waitFor(done, EntryState.Ready, 'frequency', now, s.schedule.frequencyMinutes * MINUTE_MS);
}

export function runFailed(
  s: EntryMachine,
  run: { trigger: LastRun['trigger']; startedAt: number; message: string },
  now: number,
): EntryMachine {
  const lastRun: LastRun = {
    trigger: run.trigger,
    startedAt: iso(run.startedAt),
    finishedAt: iso(now),
    outcome: LastResult.RunFailed,
    result: null,
    error: run.message,
  };
  const base: EntryMachine = { ...s, runs: s.runs + 1, lastRun, holdRequested: false, stateBeforeRun: null };
  // A manual run of a held or errored entry does not count as an attempt and keeps the status.
  if (s.holdRequested || s.stateBeforeRun === EntryState.OnHold) {
    return hold(
      { ...base, lastError: { message: run.message, at: iso(now), attempt: s.attempts } },
      EntryState.OnHold,
      now,
    );
  }
  if (s.stateBeforeRun === EntryState.Error) {
    return hold(
      { ...base, lastError: { message: run.message, at: iso(now), attempt: s.attempts } },
      EntryState.Error,
      now,
    );
  }
  const attempts = s.attempts + 1;
  const failed: EntryMachine = {
    ...base,
    attempts,
    lastError: { message: run.message, at: iso(now), attempt: attempts },
  };
  // Maximum No. of Attempts to Run reached -> Error until a user restarts it (section 6).
  if (attempts >= s.schedule.maxAttempts) return hold(failed, EntryState.Error, now);
  return waitFor(failed, EntryState.Ready, 'retry', now, retryDelayMs(s.schedule, attempts));
}

/** An ERP-side (or, when enabled, CRM-side) change notice. */
export function changeNoticed(
  s: EntryMachine,
  source: 'bc' | 'crm',
  notice: ChangeNotice,
  now: number,
): EntryMachine {
  const wakes = source === 'bc' || s.schedule.crmWakeEnabled;
  const counted: EntryMachine = {
    ...s,
    changeSignals: {
      bc: s.changeSignals.bc + (source === 'bc' ? 1 : 0),
      crm: s.changeSignals.crm + (source === 'crm' ? 1 : 0),
      crmIgnored: s.changeSignals.crmIgnored + (wakes ? 0 : 1),
    },
    lastChange: { source, at: notice.at ?? iso(now), resource: notice.resource ?? null },
  };
  // BC: CRM changes never wake an entry; here an entry option turns that on (mission point 7).
  if (!wakes) return counted;
  switch (s.state) {
    case EntryState.InProcess:
      return { ...counted, changedDuringRun: true };
    case EntryState.OnHold:
    case EntryState.Error:
      // A user's hold and an Error wait for a person (section 6); the change is only recorded.
      return counted;
    case EntryState.OnHoldWithInactivityTimeout:
    case EntryState.Ready: {
      // Wake-on-change, section 6: only when the next run is more than 60 s away; the debounce
      // (instead of BC's fixed 30 s) coalesces a burst of changes into one run.
      if (s.nextRunAt !== null && s.nextRunAt - now <= WAKE_THRESHOLD_MS) return counted;
      return waitFor(counted, EntryState.Ready, 'change', now, s.schedule.debounceMs);
    }
  }
}

/**
 * The blast-radius guard stopped the run before it wrote anything: On Hold with the reason, until a user
 * approves (docs/blast-radius-guard.md). Not a failed attempt, not an idle run.
 */
/** The recent paces with this run's; untouched (absent) when the result has none - an older worker's. */
function pacedBy(s: EntryMachine, result: RunResult): Pick<EntryMachine, 'recentPaces'> {
  return result.pace ? { recentPaces: withPace(s.recentPaces ?? [], result.pace) } : {};
}

export function runStoppedByGuard(
  s: EntryMachine,
  run: { trigger: LastRun['trigger']; startedAt: number; result: RunResult; reason: string },
  now: number,
): EntryMachine {
  const lastRun: LastRun = {
    trigger: run.trigger,
    startedAt: iso(run.startedAt),
    finishedAt: iso(now),
    outcome: LastResult.GuardStopped,
    result: run.result,
    error: null,
  };
  return hold(
    {
      ...s,
      runs: s.runs + 1,
      lastRun,
      holdRequested: false,
      changedDuringRun: false,
      stateBeforeRun: null,
      holdReason: run.reason,
    },
    EntryState.OnHold,
    now,
  );
}

/** The user puts the entry On Hold; a run in process finishes first. */
export function holdRequested(s: EntryMachine, now: number): EntryMachine {
  if (s.state === EntryState.InProcess) return { ...s, holdRequested: true };
  return hold(s, EntryState.OnHold, now);
}

/** The user sets the entry back to Ready (BC's Restart): attempts reset, run at once. */
export function resumed(s: EntryMachine, now: number): EntryMachine {
  if (s.state === EntryState.InProcess) return { ...s, holdRequested: false, attempts: 0 };
  return { ...waitFor(s, EntryState.Ready, 'resume', now, 0), attempts: 0, holdReason: null };
}

/** New schedule settings; the current wait is recomputed from when it began. */
export function scheduleChanged(s: EntryMachine, change: ScheduleChange, now: number): EntryMachine {
  const schedule = mergeSchedule(s.schedule, change);
  const next: EntryMachine = { ...s, schedule };
  const at = (ms: number): number => Math.max(now, s.waitFrom + ms);
  if (s.waitKind === 'frequency') {
    return { ...next, nextRunAt: at(schedule.frequencyMinutes * MINUTE_MS) };
  }
  if (s.waitKind === 'inactivity') {
    if (schedule.inactivityTimeoutMinutes === 0) {
      return {
        ...next,
        state: EntryState.Ready,
        waitKind: 'frequency',
        nextRunAt: at(schedule.frequencyMinutes * MINUTE_MS),
      };
    }
    return { ...next, nextRunAt: at(schedule.inactivityTimeoutMinutes * MINUTE_MS) };
  }
  return next;
}
