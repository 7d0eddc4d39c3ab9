// What a dry run reports (docs/dry-run.md): per mapping and direction, how many records each kind of
// outcome would have and the first few of each. Plain data: it travels from the activity through the
// workflow to the CLI.
/** What a run would do with one record (the kinds the dry-run report counts). */
export type PlanKind =
  | 'couple'
  | 'insert'
  | 'modify'
  | 'unchanged'
  | 'conflict'
  | 'deletionConflict'
  | 'ambiguous'
  | 'noMatch'
  | 'failed'
  | 'skipped'
  | 'uncouple';

export const PLAN_KINDS: readonly PlanKind[] = [
  'couple',
  'insert',
  'modify',
  'unchanged',
  'conflict',
  'deletionConflict',
  'ambiguous',
  'noMatch',
  'failed',
  'skipped',
  'uncouple',
];

export interface PlanSample {
  sourceId: string;
  destId?: string;
  label: string;
  message?: string;
}

export interface MappingPlan {
  mapping: string;
  direction: 'toCrm' | 'fromCrm';
  counts: Record<PlanKind, number>;
  samples: Partial<Record<PlanKind, PlanSample[]>>;
}

/** One record's outcome as a pass reports it (engine deps `onOutcome`). */
export interface RecordOutcome {
  mapping: string;
  direction: 'toCrm' | 'fromCrm';
  kind: PlanKind;
  sourceId: string;
  destId?: string;
  label: string;
  message?: string;
  /** Coupled by match in this run (its modification is not a change to an existing coupling). */
  justCoupled?: boolean;
}

/** A stop by the blast-radius guard (docs/blast-radius-guard.md): what the run would have changed. */
export interface BlastRadiusStop {
  mapping: string;
  /** Coupled records of the mapping before the run. */
  coupled: number;
  /** Existing couplings the run would modify or remove. */
  wouldChange: number;
  maxShare: number;
  message: string;
}
