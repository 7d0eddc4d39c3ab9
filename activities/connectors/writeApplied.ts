// After a write whose answer was lost, the retry can fail only because the first send went through (the
// ETag moved on: 409 / 412). Comparing the record with what we wrote tells "our own write" from "someone
// else's change" without writing twice.
import type { JsonRecord } from './types';

/** True when every field we wrote holds the value we wrote (annotations ignored, lookups by id). */
export function bodyIsApplied(current: JsonRecord, body: JsonRecord): boolean {
  for (const [field, value] of Object.entries(body)) {
    if (field.endsWith('@odata.bind')) {
      if (!lookupMatches(current, field.slice(0, -'@odata.bind'.length), value)) return false;
      continue;
    }
    if (field.includes('@')) continue;
    if (!sameValue(current[field], value)) return false;
  }
  return true;
}

function sameValue(actual: unknown, expected: unknown): boolean {
  if (expected === null || expected === undefined)
    return actual === null || actual === undefined || actual === '';
  if (typeof expected === 'number') return typeof actual === 'number' && Math.abs(actual - expected) < 1e-9;
  if (typeof expected === 'string') {
    if (typeof actual !== 'string') return false;
    // BC upper-cases Code fields (a written 'c-100' reads back 'C-100'); a case-only change by someone
    // else between our two sends is the accepted blind spot.
    if (actual.trim().toUpperCase() === expected.trim().toUpperCase()) return true;
    // Server-normalised date-times (2024-01-01T00:00:00Z vs ...00.000Z) are the same instant.
    const a = Date.parse(actual);
    const e = Date.parse(expected);
    return /\d{4}-\d{2}-\d{2}T/.test(expected) && !Number.isNaN(a) && a === e;
  }
  if (typeof expected === 'object') return JSON.stringify(actual) === JSON.stringify(expected);
  return actual === expected;
}

/** `parentcustomerid_account@odata.bind: "/accounts(<id>)"` reads back as `_parentcustomerid_value`. */
function lookupMatches(current: JsonRecord, navigation: string, value: unknown): boolean {
  if (value === null) return true;
  const id = typeof value === 'string' ? /\(([^)]+)\)\s*$/.exec(value)?.[1]?.toLowerCase() : undefined;
  if (!id) return false;
  const stem = navigation.toLowerCase();
  return Object.entries(current).some(
    ([field, v]) =>
      field.startsWith('_') &&
      field.endsWith('_value') &&
      stem.startsWith(field.slice(1, -'_value'.length).toLowerCase()) &&
      typeof v === 'string' &&
      v.toLowerCase() === id,
  );
}
