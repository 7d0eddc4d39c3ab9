// Item 5 of issue 14: a table that says "Next run 01:47" for a run tomorrow misleads; dates appear when
// the time is not today.
import { tableTime } from '../../client/tableTime';

const now = new Date('2026-12-01T23:30:00Z');

test('today shows the time alone, another day shows the date too', () => {
  expect(tableTime('2026-12-01T08:05:09.123Z', now)).toBe('08:05:09');
  expect(tableTime('2026-12-02T01:47:00.000Z', now)).toBe('2026-12-02 01:47:00');
  expect(tableTime(new Date('2026-11-30T23:59:59Z'), now)).toBe('2026-11-30 23:59:59');
});

test('no time, or a broken one, is an empty cell', () => {
  expect(tableTime(null, now)).toBe('');
  expect(tableTime(undefined, now)).toBe('');
  expect(tableTime('soon', now)).toBe('');
});
