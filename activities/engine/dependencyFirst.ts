// Dependency first (docs/match-based-coupling.md "New records and their dependencies"): a record that
// fails only because a record it refers to is not coupled yet (a new currency, a new salesperson, the
// customer of a contact) is not a record for a person to fix. The run synchronizes the mapping it depends
// on - taking the very records it needs even where that mapping syncs only coupled records - and tries the
// record again at once; such a failure never makes the record Skipped.

/** The phrase every "not coupled yet" lookup failure carries (lookups.ts), naming the mapping to sync. */
const NEEDS = /synchronize mapping (.+?) first(?: \((?:BC|CRM) record ([^)\s]+)\))?/;

/** How a lookup failure names the record it waits for: its id on the side the failing pass reads. */
export function neededRecord(side: 'BC' | 'CRM', id: string): string {
  return `(${side} record ${id})`;
}

/** The mapping a failure waits for, if it is a missing-dependency failure. */
export function dependencyOfFailure(message: string): string | undefined {
  return NEEDS.exec(message)?.[1];
}

/**
 * The mapping a failure waits for and the record of it that is needed (its id on the side the failing
 * pass reads from, which is the side the same-direction pass of that mapping reads from).
 */
export function neededByFailure(message: string): { mapping: string; id?: string } | undefined {
  const m = NEEDS.exec(message);
  if (!m) return undefined;
  return { mapping: m[1]!, ...(m[2] ? { id: m[2].toLowerCase() } : {}) };
}
