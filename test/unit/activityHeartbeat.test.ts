// Heartbeats repeated while a page is in flight (activities/activityHeartbeat.ts): a page slower than the
// heartbeat timeout must not make Temporal declare the attempt dead. Fake timers: no time is asserted.
import { heartbeatInterval, keepHeartbeating } from '../../activities/activityHeartbeat';

beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

function fakeContext(heartbeatTimeoutMs: number | undefined) {
  const sent: unknown[] = [];
  return {
    sent,
    ctx: { info: { heartbeatTimeoutMs } as never, heartbeat: (d: unknown) => void sent.push(d) },
  };
}

test('the latest details are repeated while no page commits, four times per heartbeat timeout', () => {
  const { sent, ctx } = fakeContext(2_000);
  const hb = keepHeartbeating<{ runKey: string; page?: number }>(ctx, { runKey: 'k' });
  expect(sent).toEqual([{ runKey: 'k' }]);
  // One page in flight for three heartbeat timeouts: never a gap of a whole timeout.
  jest.advanceTimersByTime(6_000);
  expect(sent).toHaveLength(1 + 12);
  hb.beat({ runKey: 'k', page: 7 });
  jest.advanceTimersByTime(1_000);
  expect(sent.at(-1)).toEqual({ runKey: 'k', page: 7 });
  hb.stop();
  const count = sent.length;
  jest.advanceTimersByTime(10_000);
  expect(sent).toHaveLength(count);
});

test('the interval follows the timeout within bounds', () => {
  expect(heartbeatInterval(120_000)).toBe(30_000);
  expect(heartbeatInterval(5_000)).toBe(1_250);
  expect(heartbeatInterval(100)).toBe(200);
  expect(heartbeatInterval(undefined)).toBe(30_000);
});

test('the slowest page is the longest stretch between checkpoints, the last one up to the end included', () => {
  const { ctx } = fakeContext(2_000);
  let now = 1_000;
  const hb = keepHeartbeating(ctx, { page: 0 }, () => now);
  now += 300; // page 1
  hb.beat({ page: 1 });
  now += 2_500; // page 2, the slow one
  hb.beat({ page: 2 });
  now += 400; // page 3
  hb.beat({ page: 3 });
  expect(hb.slowestBeatGapMs()).toBe(2_500);
  now += 4_000; // the watermark and the end of the run
  expect(hb.slowestBeatGapMs()).toBe(4_000);
  hb.stop();
});

test('a maximum repeat interval wins over the interval the attempt was told', () => {
  const { sent, ctx } = fakeContext(120_000);
  const hb = keepHeartbeating(ctx, { page: 0 }, undefined, 1_000);
  jest.advanceTimersByTime(5_000);
  // Told 2 minutes (a repeat every 30 s), repeated every second.
  expect(sent).toHaveLength(1 + 5);
  hb.stop();
});
