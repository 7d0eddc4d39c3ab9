// Watermarks (section 1 "Synch. Modified On Filter" / "Synch. Int. Tbl. Mod. On Fltr.", rule 4.5).
// BC compares `> watermark` and Dataverse `> watermark - 999 ms`; both lose a record whose write commits
// after a later-stamped record was read, and a Dataverse second shared by two writes. Here the read window
// starts an overlap before the watermark and is inclusive (`ge`); records read twice are recognised by the
// version stored on their coupling and not processed again (de-duplication), so a record is never lost.
import type { Watermarks } from '../store/mappingStore';
import type { PassDirection } from './types';

export const DEFAULT_OVERLAP_MS = 2_000;

/** Which watermark a pass reads by: the source side's modified time. */
export const watermarkSide = (direction: PassDirection): keyof Watermarks =>
  direction === 'toCrm' ? 'bcModifiedOn' : 'crmModifiedOn';

/** Start of the incremental read window: the watermark minus the overlap (none = read everything). */
export function readWindowStart(watermark: Date | undefined, overlapMs: number): Date | undefined {
  if (!watermark) return undefined;
  return new Date(watermark.getTime() - overlapMs);
}

/**
 * Rule 4.5: the newest modified time among all records looked at, capped at the run's start time, so a
 * record written during the run is read again next time. The store only ever moves it forward.
 */
export function nextWatermark(maxSeen: Date | undefined, runStartedAt: Date): Date | undefined {
  if (!maxSeen) return undefined;
  return maxSeen.getTime() > runStartedAt.getTime() ? runStartedAt : maxSeen;
}
