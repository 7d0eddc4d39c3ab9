// URL-length chunking of `or` filters (docs/reading-changes.md "URL length"): by count and by encoded length.
import { FILTER_URL_BUDGET, orFilterChunks } from '../../activities/connectors/filterChunks';
import { orFilters } from '../../activities/engine/odataFilters';

/** 60 system users with long non-ASCII e-mail addresses (a Greek letter percent-encodes to 6 characters). */
const emails = Array.from(
  { length: 60 },
  (_, n) => `ελευθέριος.παπαδόπουλος-χατζηγεωργίου.${n}@αρχιτεκτονικό-γραφείο-θεσσαλονίκης.παράδειγμα.gr`,
);

test('long non-ASCII values are split by encoded length, each filter within the budget, every value once', () => {
  const chunks = orFilters('internalemailaddress', emails);
  // By count alone (100 per filter) this would be one filter of about 31 KB once encoded (the HTTP 431).
  const byCount = emails.map((e) => `internalemailaddress eq '${e}'`).join(' or ');
  expect(encodeURIComponent(byCount).length).toBeGreaterThan(30_000);
  expect(chunks.length).toBeGreaterThan(1);
  const sent = (filter: string) =>
    new URL(`https://x/?$filter=${encodeURIComponent(filter)}`).search.length - 9;
  for (const c of chunks) expect(sent(c.filter)).toBeLessThanOrEqual(FILTER_URL_BUDGET);
  expect(chunks.flatMap((c) => c.values)).toEqual(emails);
  for (const c of chunks) for (const v of c.values) expect(c.filter).toContain(`'${v}'`);
});

test('short values are split by count', () => {
  const ids = Array.from({ length: 250 }, (_, n) => `00000000-0000-0000-0000-${String(n).padStart(12, '0')}`);
  const chunks = orFilters('accountid', ids, { guids: true });
  expect(chunks.map((c) => c.values.length)).toEqual([100, 100, 50]);
  expect(chunks[2]!.filter.startsWith('(accountid eq ')).toBe(true);
});

test('one value longer than the budget gets a filter of its own (only its records can fail)', () => {
  const long = 'x'.repeat(FILTER_URL_BUDGET + 10);
  const chunks = orFilterChunks(['a', long, 'b'], (v) => `code eq '${v}'`);
  expect(chunks.map((c) => c.values)).toEqual([['a'], [long], ['b']]);
  expect(chunks[0]!.filter).toBe("code eq 'a'");
});
