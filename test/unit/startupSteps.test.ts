// What `npm start` says while a step of its start takes long (client/startupSteps.ts).
import { watchStartupSteps } from '../../client/startupSteps';

beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

test('a step that takes long is named every 30 s with the time it has taken; a quick one never', () => {
  const notices: string[] = [];
  const steps = watchStartupSteps((label, s) => notices.push(`${label} ${s}`), { now: () => Date.now() });
  steps.step('connecting to MongoDB');
  jest.advanceTimersByTime(20_000);
  steps.step('starting the entry CUSTOMER on Temporal');
  jest.advanceTimersByTime(29_000);
  expect(notices).toEqual([]);
  jest.advanceTimersByTime(1_000);
  expect(notices).toEqual(['starting the entry CUSTOMER on Temporal 30']);
  jest.advanceTimersByTime(30_000);
  expect(notices).toEqual([
    'starting the entry CUSTOMER on Temporal 30',
    'starting the entry CUSTOMER on Temporal 60',
  ]);
  steps.done();
  jest.advanceTimersByTime(120_000);
  expect(notices).toHaveLength(2);
});
