// Waiting for a review (docs/match-based-coupling.md "New records ... and their dependencies"): a record
// whose looked-up record (the customer of a contact) matched several records and waits in `bcsync review`
// cannot be helped by synchronizing that mapping first - only a person coupling the right pair helps. Its
// failure says so and names the candidates; like a missing dependency, it never makes the record Skipped,
// and the run does not synchronize the dependency for it.
import type { MatchCandidate, MatchReviewDoc } from '../store/matchReviews';

/** The phrase every such failure carries (pageOutcome.ts, client/recordStory.ts look for it). */
const WAITS = 'waits for `bcsync review`';

const candidate = (c: MatchCandidate) => `${c.side.toUpperCase()} ${c.label} (${c.id})`;

/** `<field> '<value>' waits for `bcsync review`: <mapping> <record> matches <candidates> equally ...` */
export function reviewWaitMessage(field: string, value: string, review: MatchReviewDoc): string {
  const bc = [review.source, ...review.candidates].find((c) => c.side === 'bc');
  const crm = [review.source, ...review.candidates].find((c) => c.side === 'crm');
  const example = bc && crm ? `bcsync couple ${review.mapping} ${bc.id} ${crm.id}` : `bcsync couple`;
  return (
    `${field} '${value}' ${WAITS}: ${review.mapping} ${candidate(review.source)} matches ` +
    `${review.candidates.map(candidate).join(' and ')} equally on ${review.on}; couple the right pair ` +
    `(e.g. \`${example}\`) and the next run synchronizes this record`
  );
}

export function waitsForReview(message: string): boolean {
  return message.includes(WAITS);
}
