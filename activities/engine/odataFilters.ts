// Small OData `$filter` builders for the engine's batched look-ups (both APIs share the syntax).

/** A string literal with `'` doubled, as OData wants it. */
export const odataLiteral = (value: string): string => `'${value.replace(/'/g, "''")}'`;

/** `(field eq 'a' or field eq 'b')`; GUIDs unquoted. */
export function orFilter(field: string, values: string[], guids = false): string {
  const terms = values.map((v) => `${field} eq ${guids ? v : odataLiteral(v)}`);
  return terms.length === 1 ? terms[0]! : `(${terms.join(' or ')})`;
}

/** Both filters (either may be absent). */
export function andFilter(a: string | undefined, b: string | undefined): string | undefined {
  if (a && b) return `(${a}) and (${b})`;
  return a || b || undefined;
}
