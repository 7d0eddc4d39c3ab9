// Update conflicts of bidirectional mappings (rule 4.6): both sides changed since the last sync and a
// bidirectional field would change. BC decides per table: `None` fails the record, `Send Update to
// Integration` makes BC win, `Get Update from Integration` makes CRM win and the other pass leaves it.
// Unlike BC, a both-sides change that touches no bidirectional field with a different value is not a
// conflict at all: the engine writes the fields that differ and nothing is lost.
import type { UpdateConflictResolution } from '../mappings/integrationTableMapping';
import type { FieldValue } from './fieldMapping';
import type { PassDirection } from './types';

export type ConflictDecision =
  { kind: 'none' } | { kind: 'fail'; message: string } | { kind: 'write' } | { kind: 'leaveToOtherPass' };

export function decideConflict(args: {
  direction: PassDirection;
  bidirectionalMapping: boolean;
  destinationChanged: boolean;
  differing: FieldValue[];
  resolution: UpdateConflictResolution;
}): ConflictDecision {
  if (!args.bidirectionalMapping || !args.destinationChanged) return { kind: 'none' };
  const contested = args.differing.filter((v) => v.bidirectional);
  if (contested.length === 0) return { kind: 'none' };
  const fields = contested.map((v) => v.field.bcCaption).join(', ');
  switch (args.resolution) {
    case 'None':
      return {
        kind: 'fail',
        message: `Cannot update the record because one or both values have changed since the last synchronization (fields: ${fields}). Set the mapping's Update-Conflict Resolution, or change one side to match the other, then retry.`,
      };
    case 'Send Update to Integration':
      return args.direction === 'toCrm' ? { kind: 'write' } : { kind: 'leaveToOtherPass' };
    case 'Get Update from Integration':
      return args.direction === 'fromCrm' ? { kind: 'write' } : { kind: 'leaveToOtherPass' };
  }
}
