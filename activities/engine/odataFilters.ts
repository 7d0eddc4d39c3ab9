// Small OData `$filter` builders for the engine's batched look-ups (both APIs share the syntax).

/** A string literal with `'` doubled, as OData wants it. */
export const odataLiteral = (value: string): string => `'${value.replace(/'/g, "''")}'`;

/**
 * `(field eq 'a' or field eq 'b')`; GUIDs unquoted. `ignoreCase` compares `tolower(field)` with lower-cased
 * values: Business Central compares text case-sensitively unless the filter uses tolower/toupper
 * (docs/strict-apis.md), while Dataverse ignores case anyway (and does not document tolower).
 */
export function orFilter(field: string, values: string[], guids = false, ignoreCase = false): string {
  const terms = values.map((v) =>
    guids
      ? `${field} eq ${v}`
      : ignoreCase
        ? `tolower(${field}) eq ${odataLiteral(v.toLowerCase())}`
        : `${field} eq ${odataLiteral(v)}`,
  );
  return terms.length === 1 ? terms[0]! : `(${terms.join(' or ')})`;
}

/** Both filters (either may be absent). */
export function andFilter(a: string | undefined, b: string | undefined): string | undefined {
  if (a && b) return `(${a}) and (${b})`;
  return a || b || undefined;
}
