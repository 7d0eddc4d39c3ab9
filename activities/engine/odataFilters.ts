// Small OData `$filter` builders for the engine's batched look-ups (both APIs share the syntax).
import { DEFAULT_TERMS_PER_FILTER, orFilterChunks, type FilterChunk } from '../connectors/filterChunks';

/** A string literal with `'` doubled, as OData wants it. */
export const odataLiteral = (value: string): string => `'${value.replace(/'/g, "''")}'`;

/**
 * `(field eq 'a' or field eq 'b')`; GUIDs unquoted. `ignoreCase` compares `tolower(field)` with lower-cased
 * values: Business Central compares text case-sensitively unless the filter uses tolower/toupper
 * (docs/strict-apis.md), while Dataverse ignores case anyway (and does not document tolower).
 */
export function orFilter(field: string, values: string[], guids = false, ignoreCase = false): string {
  const terms = eqTerms(field, values, guids, ignoreCase);
  return terms.length === 1 ? terms[0]! : `(${terms.join(' or ')})`;
}

/**
 * The same condition over any number of values, as filters short enough for one GET each (by count and by
 * URL-encoded length, docs/reading-changes.md): one query per filter.
 */
export function orFilters(
  field: string,
  values: string[],
  options: { guids?: boolean; ignoreCase?: boolean; maxTerms?: number } = {},
): Array<FilterChunk<string>> {
  const guids = options.guids ?? false;
  const ignoreCase = options.ignoreCase ?? false;
  return orFilterChunks(
    values,
    (v) => eqTerms(field, [v], guids, ignoreCase)[0]!,
    options.maxTerms ?? DEFAULT_TERMS_PER_FILTER,
  );
}

function eqTerms(field: string, values: string[], guids: boolean, ignoreCase: boolean): string[] {
  return values.map((v) =>
    guids
      ? `${field} eq ${v}`
      : ignoreCase
        ? `tolower(${field}) eq ${odataLiteral(v.toLowerCase())}`
        : `${field} eq ${odataLiteral(v)}`,
  );
}

/** Both filters (either may be absent). */
export function andFilter(a: string | undefined, b: string | undefined): string | undefined {
  if (a && b) return `(${a}) and (${b})`;
  return a || b || undefined;
}
