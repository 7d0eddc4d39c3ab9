// What people see of an entry: the `status` query answer, the search attributes the Temporal UI
// filters on, and the "current details" text that explains the state in words.
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import {
  EntryState,
  searchAttributeKeys,
  type EntryKind,
  type EntryStatus,
  type RunResult,
} from '../common/jobQueue';
import type { EntryMachine } from './entrySchedule';

export interface EntryIdentity {
  entry: string;
  company: string | null;
  kind: EntryKind;
  mappings: string[];
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

export function toEntryStatus(s: EntryMachine, id: EntryIdentity): EntryStatus {
  return {
    entry: id.entry,
    company: id.company,
    kind: id.kind,
    mappings: id.mappings,
    state: s.state,
    holdRequested: s.holdRequested,
    holdReason: s.holdReason ?? null,
    nextRunAt: iso(s.nextRunAt),
    waitKind: s.waitKind,
    attempts: s.attempts,
    schedule: s.schedule,
    lastRun: s.lastRun,
    lastError: s.lastError,
    runs: s.runs,
    changeSignals: s.changeSignals,
    lastChange: s.lastChange,
    generation: s.generation,
  };
}

/** `BcSyncMapping`: the mapping of a one-mapping entry, otherwise the entry name (e.g. Customer Statistics). */
export function mappingLabel(id: EntryIdentity): string {
  return id.mappings.length === 1 ? id.mappings[0] : id.entry;
}

/** Values of the BcSync* search attributes; `null` removes one (no next run while held or in Error). */
export function searchAttributeValues(s: EntryMachine, id: EntryIdentity): SearchAttributeUpdatePair[] {
  return [
    { key: searchAttributeKeys.mapping, value: mappingLabel(id) },
    { key: searchAttributeKeys.state, value: s.state },
    { key: searchAttributeKeys.nextRunAt, value: s.nextRunAt === null ? null : new Date(s.nextRunAt) },
    { key: searchAttributeKeys.lastResult, value: s.lastRun?.outcome ?? null },
    { key: searchAttributeKeys.failedCount, value: s.lastRun?.result?.failed ?? null },
  ];
}

function counts(r: RunResult): string {
  return (
    `${r.inserted} inserted, ${r.modified} modified, ${r.deleted} deleted, ${r.unchanged} unchanged, ` +
    `${r.skipped} skipped, ${r.failed} failed, ${r.coupled} coupled`
  );
}

function why(s: EntryMachine): string {
  const next = iso(s.nextRunAt);
  const sch = s.schedule;
  switch (s.state) {
    case EntryState.InProcess:
      return s.holdRequested ? 'Running; goes On Hold when this run ends.' : 'Running now.';
    case EntryState.OnHold:
      return s.holdReason ? `${s.holdReason}` : 'Put on hold by a user. Use `resume` to restart it.';
    case EntryState.Error:
      return (
        `Stopped after ${s.attempts} failed attempt(s) (Maximum No. of Attempts to Run: ${sch.maxAttempts}). ` +
        'Fix the cause, then use `resume` to restart it.'
      );
    case EntryState.OnHoldWithInactivityTimeout:
      return (
        `The last run found no changes, so it sleeps until ${next} (inactivity timeout ${sch.inactivityTimeoutMinutes} min). ` +
        `A BC change wakes it${sch.crmWakeEnabled ? ', and so does a CRM change' : ''}.`
      );
    case EntryState.Ready:
      switch (s.waitKind) {
        case 'retry':
          return `The last run failed; attempt ${s.attempts + 1} of ${sch.maxAttempts} at ${next}.`;
        case 'change':
          return `Woken by a change; runs at ${next}.`;
        case 'frequency':
          return `Next run at ${next} (every ${sch.frequencyMinutes} min).`;
        default:
          return `Runs at ${next}.`;
      }
  }
}

/** Markdown for `setCurrentDetails`: shown in the Temporal UI while a worker is up. */
export function currentDetails(s: EntryMachine, id: EntryIdentity): string {
  const lines = [
    `**${id.entry}**${id.company ? ` (${id.company})` : ''}: **${s.state}**. ${why(s)}`,
    `Mappings: ${id.mappings.length > 0 ? id.mappings.join(', ') : '(none)'}.`,
  ];
  if (s.lastRun) {
    const r = s.lastRun;
    lines.push(
      `Last run (${r.trigger}) ${r.startedAt} - ${r.finishedAt}: ${r.outcome}` +
        (r.result ? `; ${counts(r.result)}.` : r.error ? `: ${r.error}` : '.'),
    );
  }
  if (s.lastError) {
    lines.push(`Last error (attempt ${s.lastError.attempt}, ${s.lastError.at}): ${s.lastError.message}`);
  }
  return lines.join('\n\n');
}
