// Shared pieces of the entry workflow tests: a scripted engine activity and polling of the status query.
import type { WorkflowHandle } from '@temporalio/client';
import {
  runResult,
  type EntryStatus,
  type JobQueueActivities,
  type RunEntryInput,
  type RunResult,
} from '../../common/jobQueue';

export { runResult };
import { statusQuery } from '../../workflows/messages';

/** The engine's activity, answering with whatever the test sets in `next`. */
export function scriptedEngine(
  next: (input: RunEntryInput) => RunResult | Promise<RunResult> = () => runResult(),
) {
  const engine = {
    calls: [] as RunEntryInput[],
    next,
    activities: {
      runJobQueueEntry: async (input: RunEntryInput): Promise<RunResult> => {
        engine.calls.push(input);
        return engine.next(input);
      },
    } satisfies JobQueueActivities,
  };
  return engine;
}

/** Polls (real time) until `check` holds, so tests wait for the worker instead of guessing delays. */
export async function eventually<T>(
  what: string,
  read: () => Promise<T>,
  check: (value: T) => boolean,
): Promise<T> {
  const deadline = Date.now() + 15_000;
  let last: T | undefined;
  for (;;) {
    last = await read();
    if (check(last)) return last;
    if (Date.now() > deadline)
      throw new Error(`Timed out waiting for ${what}; last seen: ${JSON.stringify(last)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export const statusOf = (handle: WorkflowHandle) => (): Promise<EntryStatus> => handle.query(statusQuery);
