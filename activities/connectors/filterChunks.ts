// `or` filters split so every GET URL stays short: by the number of terms and by the URL-encoded length.
// Dataverse accepts URLs up to 32,768 characters; Business Central publishes no limit and sits behind
// front ends that refuse long request heads (HTTP 414/431). Counting terms alone is not enough: 60 long
// non-ASCII e-mail addresses percent-encode to 6 or 9 characters per letter (docs/reading-changes.md).

/**
 * Encoded characters one `$filter` of looked-up values may take: with the service root, `$select` and the
 * mapping's own filter the whole URL stays under 8 KB, a quarter of Dataverse's limit.
 */
export const FILTER_URL_BUDGET = 7_000;

/** Terms per filter when the values are short (ids): one query per page of 100 ids. */
export const DEFAULT_TERMS_PER_FILTER = 100;

/** Length as sent: fetch's URL parser also encodes `'` in a query (WHATWG special-query set). */
const encodedLength = (s: string): number => encodeURIComponent(s).replace(/'/g, '%27').length;

/** One filter and the values it asks for (a refused query fails just those values' records). */
export interface FilterChunk<T> {
  filter: string;
  values: T[];
}

/**
 * `(a or b or ...)` filters holding every value's term once, in order, each with at most `maxTerms` terms and
 * at most `budget` characters once URL-encoded. A single term longer than the budget gets a filter of its
 * own (the API answers for that value alone, so only the records that need it fail).
 */
export function orFilterChunks<T>(
  values: T[],
  term: (value: T) => string,
  maxTerms = DEFAULT_TERMS_PER_FILTER,
  budget = FILTER_URL_BUDGET,
): Array<FilterChunk<T>> {
  const chunks: Array<FilterChunk<T>> = [];
  let terms: string[] = [];
  let group: T[] = [];
  let length = 0;
  const joinCost = encodedLength(' or ');
  const flush = () => {
    if (group.length === 0) return;
    chunks.push({ filter: terms.length === 1 ? terms[0]! : `(${terms.join(' or ')})`, values: group });
    terms = [];
    group = [];
    length = 0;
  };
  for (const value of values) {
    const t = term(value);
    const cost = encodedLength(t);
    // Parentheses around the group: 2 characters.
    if (group.length > 0 && (group.length >= maxTerms || length + joinCost + cost + 2 > budget)) flush();
    length += (group.length > 0 ? joinCost : 0) + cost;
    terms.push(t);
    group.push(value);
  }
  flush();
  return chunks;
}
