// The entry's rules (bc-integration-behaviour.md section 6) as pure transitions: no server needed.
import {
  DEFAULT_ENTRY_SCHEDULE,
  EntryState,
  entryWorkflowId,
  searchAttributeDefinitions,
} from '../../common/jobQueue';
import { runResult, type RunResult } from '../../common/jobQueue';
import { inDependencyOrder } from '../../common/dependencyOrder';
import {
  changeNoticed,
  holdRequested,
  initialEntry,
  resumed,
  retryDelayMs,
  runFailed,
  runStarted,
  runSucceeded,
  scheduleChanged,
  type EntryMachine,
} from '../../workflows/entrySchedule';

const T0 = Date.parse('2025-03-01T08:00:00Z');
const MIN = 60_000;
const counts = runResult;

const afterRun = (s: EntryMachine, result: RunResult, now = T0): EntryMachine =>
  runSucceeded(runStarted(s), { trigger: 'frequency', startedAt: now, result }, now);
const afterFailure = (s: EntryMachine, now = T0): EntryMachine =>
  runFailed(runStarted(s), { trigger: 'retry', startedAt: now, message: 'BC unreachable' }, now);

describe('job queue entry rules', () => {
  const fresh = initialEntry(DEFAULT_ENTRY_SCHEDULE, false, T0);

  it('runs at once when created, or waits for a user when created on hold', () => {
    expect(fresh).toMatchObject({ state: EntryState.Ready, nextRunAt: T0 });
    expect(initialEntry(DEFAULT_ENTRY_SCHEDULE, true, T0)).toMatchObject({
      state: EntryState.OnHold,
      nextRunAt: null,
    });
  });

  it('counts unchanged and skipped records as idle, failed records as activity', () => {
    const idle = afterRun(fresh, counts({ unchanged: 40, skipped: 3 }));
    expect(idle).toMatchObject({ state: EntryState.OnHoldWithInactivityTimeout, nextRunAt: T0 + 720 * MIN });
    const withErrors = afterRun(fresh, counts({ failed: 2 }));
    expect(withErrors).toMatchObject({ state: EntryState.Ready, nextRunAt: T0 + 30 * MIN, attempts: 0 });
    expect(withErrors.lastRun?.outcome).toBe('Record errors');
  });

  it('never holds an idle entry whose inactivity timeout is zero', () => {
    const noTimeout = initialEntry({ ...DEFAULT_ENTRY_SCHEDULE, inactivityTimeoutMinutes: 0 }, false, T0);
    expect(afterRun(noTimeout, counts())).toMatchObject({
      state: EntryState.Ready,
      nextRunAt: T0 + 30 * MIN,
    });
  });

  it('retries after a growing rerun delay, goes to Error at the maximum, and a success resets attempts', () => {
    const schedule = { ...DEFAULT_ENTRY_SCHEDULE, maxAttempts: 3, rerunDelaySeconds: 30 };
    const once = afterFailure(initialEntry(schedule, false, T0));
    expect(once).toMatchObject({
      state: EntryState.Ready,
      waitKind: 'retry',
      attempts: 1,
      nextRunAt: T0 + 30_000,
    });
    const twice = afterFailure(once);
    expect(twice).toMatchObject({ attempts: 2, nextRunAt: T0 + 60_000 });
    expect(afterRun(twice, counts({ modified: 1 }))).toMatchObject({ attempts: 0, state: EntryState.Ready });
    const error = afterFailure(twice);
    expect(error).toMatchObject({ state: EntryState.Error, nextRunAt: null, attempts: 3 });
    expect(error.lastError?.message).toBe('BC unreachable');
    expect(retryDelayMs(schedule, 4)).toBe(120_000);
  });

  it('wakes on a BC change only when the next run is more than a minute away', () => {
    const held = afterRun(fresh, counts());
    const woken = changeNoticed(held, 'bc', {}, T0 + 10 * MIN);
    expect(woken).toMatchObject({
      state: EntryState.Ready,
      waitKind: 'change',
      nextRunAt: T0 + 10 * MIN + 5_000,
    });
    // A burst: later changes fall inside the minute and do not move the run again.
    expect(changeNoticed(woken, 'bc', {}, T0 + 10 * MIN + 2_000).nextRunAt).toBe(woken.nextRunAt);
    const soon = { ...afterRun(fresh, counts({ inserted: 1 })), nextRunAt: T0 + 50_000 };
    expect(changeNoticed(soon, 'bc', {}, T0).nextRunAt).toBe(T0 + 50_000);
  });

  it('ignores CRM changes unless the entry enables them, and never wakes a held or errored entry', () => {
    const held = afterRun(fresh, counts());
    const crm = changeNoticed(held, 'crm', {}, T0 + MIN);
    expect(crm).toMatchObject({ state: EntryState.OnHoldWithInactivityTimeout, nextRunAt: held.nextRunAt });
    expect(crm.changeSignals).toEqual({ bc: 0, crm: 1, crmIgnored: 1 });
    const crmOn = scheduleChanged(held, { crmWakeEnabled: true }, T0 + MIN);
    expect(changeNoticed(crmOn, 'crm', {}, T0 + MIN).state).toBe(EntryState.Ready);
    const userHold = holdRequested(held, T0 + MIN);
    expect(changeNoticed(userHold, 'bc', {}, T0 + 2 * MIN)).toMatchObject({
      state: EntryState.OnHold,
      nextRunAt: null,
    });
  });

  it('runs again soon when a change arrives during a run', () => {
    const during = changeNoticed(runStarted(fresh), 'bc', {}, T0);
    const after = runSucceeded(during, { trigger: 'start', startedAt: T0, result: counts() }, T0 + 1_000);
    expect(after).toMatchObject({ state: EntryState.Ready, waitKind: 'change', nextRunAt: T0 + 6_000 });
  });

  it('applies a hold asked for during a run when the run ends; resume runs at once with attempts reset', () => {
    const asked = holdRequested(runStarted(fresh), T0);
    expect(asked.state).toBe(EntryState.InProcess);
    const held = runSucceeded(
      asked,
      { trigger: 'start', startedAt: T0, result: counts({ inserted: 1 }) },
      T0,
    );
    expect(held).toMatchObject({ state: EntryState.OnHold, nextRunAt: null });
    expect(resumed({ ...held, attempts: 4 }, T0 + MIN)).toMatchObject({
      state: EntryState.Ready,
      nextRunAt: T0 + MIN,
      attempts: 0,
    });
  });

  it('recomputes the current wait from its start when the schedule changes', () => {
    const ready = afterRun(fresh, counts({ inserted: 1 }));
    expect(scheduleChanged(ready, { frequencyMinutes: 10 }, T0 + MIN).nextRunAt).toBe(T0 + 10 * MIN);
    expect(scheduleChanged(ready, { frequencyMinutes: 10 }, T0 + 20 * MIN).nextRunAt).toBe(T0 + 20 * MIN);
    const held = afterRun(fresh, counts());
    expect(scheduleChanged(held, { inactivityTimeoutMinutes: 60 }, T0).nextRunAt).toBe(T0 + 60 * MIN);
    expect(scheduleChanged(held, { inactivityTimeoutMinutes: 0 }, T0)).toMatchObject({
      state: EntryState.Ready,
      nextRunAt: T0 + 30 * MIN,
    });
  });
});

describe('entry ids, search attributes and dependency order', () => {
  it('derives a stable workflow id from the entry and the company', () => {
    expect(entryWorkflowId('CUSTOMER')).toBe('bcsync-entry-CUSTOMER');
    expect(entryWorkflowId('CUSTOMER', 'CRONUS')).toBe('bcsync-entry-CUSTOMER@CRONUS');
    expect(() => entryWorkflowId('  ')).toThrow(/empty/);
  });

  it('lists the search attributes in the form `temporal server start-dev --search-attribute` takes', () => {
    expect(searchAttributeDefinitions.map((d) => `${d.name}=${d.type}`)).toEqual([
      'BcSyncMapping=Keyword',
      'BcSyncState=Keyword',
      'BcSyncNextRunAt=Datetime',
      'BcSyncLastResult=Keyword',
      'BcSyncFailedCount=Int',
      'BcSyncCompany=Keyword',
    ]);
  });

  it('puts mappings after the mappings they depend on and reports cycles', () => {
    const dependsOn = { CUSTOMER: ['SALESPEOPLE', 'CURRENCY'], CONTACT: ['CUSTOMER'] };
    expect(inDependencyOrder(['CONTACT', 'CUSTOMER', 'CURRENCY', 'SALESPEOPLE'], dependsOn)).toEqual([
      'SALESPEOPLE',
      'CURRENCY',
      'CUSTOMER',
      'CONTACT',
    ]);
    expect(inDependencyOrder(['CONTACT', 'ITEM-PRODUCT'], dependsOn)).toEqual(['CONTACT', 'ITEM-PRODUCT']);
    expect(() => inDependencyOrder(['A', 'B'], { A: ['B'], B: ['A'] })).toThrow(/cycle: A -> B -> A/);
  });
});
