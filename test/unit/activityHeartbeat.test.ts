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
