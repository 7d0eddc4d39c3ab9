// Dependency first (docs/match-based-coupling.md "New records and their dependencies"): a record that
// fails only because a record it refers to is not coupled yet (a new currency, a new salesperson, the
// customer of a contact) is not a record for a person to fix. The run synchronizes the mapping it depends
// on and tries the record again at once; such a failure never makes the record Skipped.

/** The phrase every "not coupled yet" lookup failure carries (lookups.ts), naming the mapping to sync. */
const NEEDS = /synchronize mapping (.+?) first/;

/** The mapping a failure waits for, if it is a missing-dependency failure. */
export function dependencyOfFailure(message: string): string | undefined {
  return NEEDS.exec(message)?.[1];
}
