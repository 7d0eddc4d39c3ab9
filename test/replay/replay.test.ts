// Safe upgrades: entries run for months, so new workflow code must replay the histories of the entries
// already running. This replays recorded histories of every workflow type, in the states a deployed
// workflow can be in, against the production workflow bundle (dist/workflow-bundle.js, built by
// `npm test`). A non-deterministic change fails here; README "Changing workflow code" says what to do.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import * as workflows from '../../workflows';

const historiesDir = join(__dirname, 'histories');
const bundlePath = join(__dirname, '..', '..', 'dist', 'workflow-bundle.js');

interface JsonHistory {
  events: {
    eventType: string;
    workflowExecutionStartedEventAttributes?: { workflowType: { name: string } };
  }[];
}

const recorded = readdirSync(historiesDir)
  .filter((f) => f.endsWith('.json'))
  .map((file) => ({
    file,
    history: JSON.parse(readFileSync(join(historiesDir, file), 'utf8')) as JsonHistory,
  }));

const workflowTypeOf = (h: JsonHistory) =>
  h.events[0]?.workflowExecutionStartedEventAttributes?.workflowType.name;

beforeAll(() => {
  try {
    Runtime.install({ logger: new DefaultLogger('ERROR') });
  } catch {
    // installed by another test file in this jest worker
  }
});

test('every workflow type has recorded histories, the entry in each state that matters', () => {
  const functions = Object.entries(workflows)
    .filter(([, v]) => typeof v === 'function')
    .map(([name]) => name)
    .sort();
  expect([...new Set(recorded.map((r) => workflowTypeOf(r.history)))].sort()).toEqual(functions);
  const entryEvents = new Set(
    recorded
      .filter((r) => workflowTypeOf(r.history) === 'jobQueueEntry')
      .flatMap((r) => r.history.events.map((e) => e.eventType)),
  );
  for (const state of [
    'EVENT_TYPE_TIMER_FIRED', // held, woken by its timer
    'EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED', // woken by a change
    'EVENT_TYPE_TIMER_CANCELED',
    'EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED', // run now, hold, resume, set schedule
    'EVENT_TYPE_ACTIVITY_TASK_FAILED', // failed runs, Error
    'EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW',
    'EVENT_TYPE_MARKER_RECORDED', // a run with a heartbeat timeout sized from page times (patched)
  ])
    expect(entryEvents).toContain(state);
});

test('the current workflow code replays every recorded history', async () => {
  const results = [];
  for await (const r of Worker.runReplayHistories(
    { workflowBundle: { codePath: bundlePath } },
    recorded.map(({ file, history }) => ({ workflowId: file, history })),
  ))
    results.push({ workflowId: r.workflowId, error: r.error ? String(r.error) : undefined });
  expect(results.filter((r) => r.error)).toEqual([]);
  expect(results).toHaveLength(recorded.length);
});
