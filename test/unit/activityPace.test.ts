// The heartbeat timeout sized from page times (common/activityPace.ts, docs/heartbeat-timeout.md): what the
// workflows give the next sync run.
import {
  DEFAULT_HEARTBEAT_TIMEOUT_MS,
  heartbeatTimeoutMs,
  MAX_HEARTBEAT_TIMEOUT_MS,
  RECENT_RUNS,
  withPace,
  type RunPace,
} from '../../common/activityPace';

const pace = (slowestPageMs: number, heartbeatMinimumMs = 60_000): RunPace => ({
  slowestPageMs,
  heartbeatMinimumMs,
});

test('a first run, with nothing measured, gets the fixed default', () => {
  expect(heartbeatTimeoutMs([])).toBe(DEFAULT_HEARTBEAT_TIMEOUT_MS);
});

test('fast pages keep the configured floor; a slow page raises it to 4 x that page', () => {
  expect(heartbeatTimeoutMs([pace(2_000)])).toBe(60_000);
  expect(heartbeatTimeoutMs([pace(40_000)])).toBe(160_000);
  // A floor below the default is honoured once the pages are known to be fast.
  expect(heartbeatTimeoutMs([pace(300, 5_000)])).toBe(5_000);
  expect(heartbeatTimeoutMs([pace(3_000, 1_000)])).toBe(12_000);
});

test('the slowest of the recent runs counts, the floor of the latest run, and never more than the cap', () => {
  expect(heartbeatTimeoutMs([pace(40_000), pace(1_000), pace(2_000, 30_000)])).toBe(160_000);
  expect(heartbeatTimeoutMs([pace(2_000, 300_000), pace(2_000, 30_000)])).toBe(30_000);
  expect(heartbeatTimeoutMs([pace(3 * 60 * 60_000)])).toBe(MAX_HEARTBEAT_TIMEOUT_MS);
});

test('only the last runs are recent; a result without a pace changes nothing', () => {
  let recent: RunPace[] = [pace(50_000)];
  for (let n = 0; n < RECENT_RUNS; n++) recent = withPace(recent, pace(1_000));
  expect(recent).toHaveLength(RECENT_RUNS);
  // The slow run has aged out: back to the floor.
  expect(heartbeatTimeoutMs(recent)).toBe(60_000);
  expect(withPace(recent, undefined)).toEqual(recent);
  expect(withPace(recent, pace(Number.NaN))).toEqual(recent);
});
