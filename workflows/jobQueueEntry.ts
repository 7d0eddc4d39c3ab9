// One long-running workflow per job queue entry (mission.md "the design the user chose"): run the
// entry's mappings, then durably wait - the frequency, the inactivity timeout after an idle run, or the
// rerun delay after a failed run - until the wait ends or a message changes the plan.
import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  continueAsNew,
  isCancellation,
  log,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import type { ActivityOptions } from '@temporalio/workflow';
import {
  ChangeNotice,
  DEFAULT_ENTRY_SCHEDULE,
  EntryState,
  JobQueueEntryInput,
  RunNowRequest,
  ScheduleChange,
  describeInvalidInput,
  mergeSchedule,
  type LastRun,
  type RunResult,
} from '../common/jobQueue';
import { inDependencyOrder } from '../common/dependencyOrder';
import { failureReason, INVALID_INPUT } from '../common/failureReason';
import {
  changeNoticed,
  holdRequested,
  initialEntry,
  resumed,
  runFailed,
  runStarted,
  runStoppedByGuard,
  runSucceeded,
  scheduleChanged,
  type EntryMachine,
} from './entrySchedule';
import { runJobQueueEntry } from './syncActivity';
import { currentDetails, searchAttributeValues, toEntryStatus, type EntryIdentity } from './entryStatusView';
import {
  approveUpdate,
  bcChangedSignal,
  crmChangedSignal,
  holdUpdate,
  resumeUpdate,
  runNowUpdate,
  setScheduleUpdate,
  statusQuery,
} from './messages';

// Activity retries cover only short transient errors inside one run (a dropped connection); whether and
// when a failed run is tried again is the entry's own Rerun Delay / Maximum No. of Attempts (section 6).
// The heartbeat timeout is sized from the pace of the recent runs (syncActivity.ts).
const activityOptions: ActivityOptions = {
  startToCloseTimeout: '2 hours',
  retry: {
    initialInterval: '5 seconds',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    maximumAttempts: 3,
    nonRetryableErrorTypes: ['BadConfig'],
  },
};

/** A `runNow` caller waiting for the next run to finish. */
interface ManualRunRequest {
  fullSync: boolean;
  force: boolean;
  resolve: (result: RunResult) => void;
  reject: (failure: ApplicationFailure) => void;
}

function invalid(what: string, error: Parameters<typeof describeInvalidInput>[0]): ApplicationFailure {
  return ApplicationFailure.nonRetryable(`${what}: ${describeInvalidInput(error)}`, INVALID_INPUT);
}

export async function jobQueueEntry(rawInput: JobQueueEntryInput): Promise<void> {
  const parsed = JobQueueEntryInput.safeParse(rawInput);
  if (!parsed.success)
    throw invalid(`Invalid input for job queue entry ${String(rawInput?.entry)}`, parsed.error);
  const input = parsed.data;

  let mappings: string[];
  try {
    mappings = inDependencyOrder(input.mappings, input.dependsOn);
  } catch (err) {
    throw ApplicationFailure.nonRetryable(`Job queue entry ${input.entry}: ${String(err)}`, INVALID_INPUT);
  }
  const id: EntryIdentity = {
    entry: input.entry,
    company: input.company ?? null,
    kind: input.kind,
    mappings,
  };

  let s: EntryMachine =
    (input.carried as EntryMachine | undefined) ??
    initialEntry(mergeSchedule(DEFAULT_ENTRY_SCHEDULE, input.schedule ?? {}), input.startOnHold, Date.now());
  const manualRuns: ManualRunRequest[] = [];
  // Bumped by every message that may change the plan, so the current wait ends and is recomputed.
  let planVersion = 0;

  // Search attributes already on the execution (continue-as-new copies them); only changes are upserted
  // to keep history small.
  const published = new Map<string, string>();
  for (const pair of workflowInfo().typedSearchAttributes.getAll()) {
    published.set(pair.key.name, JSON.stringify(pair.value));
  }
  const publish = (): void => {
    if (input.searchAttributes) {
      const changed: SearchAttributeUpdatePair[] = searchAttributeValues(s, id).filter(
        (pair) => (published.get(pair.key.name) ?? 'null') !== JSON.stringify(pair.value),
      );
      if (changed.length > 0) {
        upsertSearchAttributes(changed);
        for (const pair of changed) published.set(pair.key.name, JSON.stringify(pair.value));
      }
    }
    setCurrentDetails(currentDetails(s, id));
  };
  const apply = (next: EntryMachine): void => {
    s = next;
    planVersion++;
    publish();
  };

  setHandler(statusQuery, () => toEntryStatus(s, id));

  const onChange =
    (source: 'bc' | 'crm') =>
    (notice?: ChangeNotice): void => {
      // A signal cannot be rejected: a malformed notice still counts as a change, without its details.
      const checked = ChangeNotice.safeParse(notice ?? {});
      if (!checked.success)
        log.warn('Change notice with unexpected payload ignored', { source, entry: id.entry });
      apply(changeNoticed(s, source, checked.success ? checked.data : {}, Date.now()));
    };
  setHandler(bcChangedSignal, onChange('bc'));
  setHandler(crmChangedSignal, onChange('crm'));

  // Manual runs are queued for the main loop, so the activity never runs twice at once for one entry.
  setHandler(
    runNowUpdate,
    (request: RunNowRequest | undefined) =>
      new Promise<RunResult>((resolve, reject) => {
        manualRuns.push({
          fullSync: request?.fullSync ?? false,
          force: request?.force ?? false,
          resolve,
          reject,
        });
        planVersion++;
      }),
    {
      validator: (request: RunNowRequest | undefined) => {
        const checked = RunNowRequest.safeParse(request ?? {});
        if (!checked.success) throw invalid(`runNow of job queue entry ${id.entry}`, checked.error);
      },
    },
  );
  setHandler(holdUpdate, () => {
    apply(holdRequested(s, Date.now()));
    return toEntryStatus(s, id);
  });
  setHandler(resumeUpdate, () => {
    apply(resumed(s, Date.now()));
    return toEntryStatus(s, id);
  });
  // Approval covers the next run only: a later bulk change is checked again.
  let approved = false;
  setHandler(approveUpdate, () => {
    approved = true;
    apply(resumed(s, Date.now()));
    return toEntryStatus(s, id);
  });
  setHandler(
    setScheduleUpdate,
    (change) => {
      apply(scheduleChanged(s, ScheduleChange.parse(change), Date.now()));
      return toEntryStatus(s, id);
    },
    {
      validator: (change) => {
        const checked = ScheduleChange.safeParse(change);
        if (!checked.success) throw invalid(`setSchedule of job queue entry ${id.entry}`, checked.error);
      },
    },
  );

  const runOnce = async (trigger: LastRun['trigger'], waiters: ManualRunRequest[]): Promise<void> => {
    const startedAt = Date.now();
    const forced = approved || waiters.some((w) => w.force);
    // A forced run is the approval the guard waits for: it lifts the guard's hold (a user's hold stays).
    if (forced && s.state === EntryState.OnHold && s.holdReason) apply(resumed(s, startedAt));
    apply(runStarted(s));
    let result: RunResult;
    try {
      result = await runJobQueueEntry(activityOptions, s.recentPaces ?? [], {
        entry: id.entry,
        // Only when set: the default company's activity input stays what it always was.
        ...(id.company ? { company: id.company } : {}),
        mappings: id.mappings,
        kind: id.kind,
        ...(waiters.some((w) => w.fullSync) ? { fullSync: true } : {}),
        ...(forced ? { force: true } : {}),
      });
      approved = false;
    } catch (err) {
      if (isCancellation(err)) throw err;
      const message = failureReason(err);
      apply(runFailed(s, { trigger, startedAt, message }, Date.now()));
      log.warn('Job queue entry run failed', {
        entry: id.entry,
        attempts: s.attempts,
        state: s.state,
        message,
      });
      const failure = ApplicationFailure.create({
        type: 'RunFailed',
        message: `Run of job queue entry ${id.entry} failed: ${message}`,
        nonRetryable: true,
      });
      for (const waiter of waiters) waiter.reject(failure);
      return;
    }
    if (result.guard) {
      apply(runStoppedByGuard(s, { trigger, startedAt, result, reason: result.guard.message }, Date.now()));
      log.warn('Job queue entry stopped by the blast-radius guard', {
        entry: id.entry,
        reason: result.guard.message,
      });
    } else apply(runSucceeded(s, { trigger, startedAt, result }, Date.now()));
    for (const waiter of waiters) waiter.resolve(result);
  };

  const historyIsLarge = (): boolean => {
    const info = workflowInfo();
    return info.continueAsNewSuggested || info.historyLength >= input.continueAsNewAtHistoryLength;
  };

  publish();
  for (;;) {
    if (manualRuns.length > 0) {
      await runOnce('manual', manualRuns.splice(0));
      continue;
    }
    if (s.nextRunAt !== null && s.nextRunAt <= Date.now()) {
      await runOnce(s.waitKind, []);
      continue;
    }
    if (historyIsLarge()) {
      // Handlers first (temporal-practices.md); a runNow arriving meanwhile is served before we go.
      await condition(() => allHandlersFinished() || manualRuns.length > 0);
      if (manualRuns.length > 0) continue;
      const { carried: _previous, ...settings } = input;
      await continueAsNew<typeof jobQueueEntry>({
        ...settings,
        carried: { ...s, generation: s.generation + 1 },
      });
    }
    const seen = planVersion;
    const planChanged = (): boolean => planVersion !== seen || manualRuns.length > 0;
    if (s.nextRunAt === null) {
      await condition(planChanged);
    } else {
      // A durable timer; a message that changes the plan cancels it and the loop computes a new wait.
      await condition(planChanged, s.nextRunAt - Date.now(), { summary: `${s.state}: ${s.waitKind} wait` });
    }
  }
}
