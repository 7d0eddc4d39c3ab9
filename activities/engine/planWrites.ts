// What to write for each record that reached the write step (rule 4.6 after classify): for a coupled
// record the deletion conflict (rule 4.7), the update conflict (rule 4.6, conflicts.ts), Unchanged or the
// fields to modify; for a new record the create from the mapping's template with a client-chosen id
// (exactly-once create, createIntent.ts). Pure: the payload is built by the caller's `payloadFor`.
import type { JsonRecord, WriteOperation } from '../connectors/types';
import type { IntegrationTableMapping } from '../mappings/integrationTableMapping';
import type { CouplingDoc } from '../store/couplings';
import { decideConflict } from './conflicts';
import { bcCreateDefaults, bcCreateIntent, bcTakesClientId } from './createIntent';
import { destinationId } from './deterministicId';
import { bodyOf, changedFields, FieldMappingError, type FieldValue } from './fieldMapping';
import type { Item } from './pageItem';
import { changedSinceSync, type SideShape } from './recordVersion';
import type { PassDirection } from './types';

export interface PlanContext {
  mapping: IntegrationTableMapping;
  direction: PassDirection;
  source: SideShape;
  dest: SideShape;
  integrationUserId: string;
  /** Builds the destination values of a record; throws FieldMappingError for a record it cannot map. */
  payloadFor: (item: Item) => FieldValue[];
  /** Columns a CRM write returns (see SyncPass.returning). */
  returning: { returnColumns?: string[] };
}

/** Why a planned write fails (the lineage reason codes of docs/lineage.md). */
export type FailureCode = 'deletionConflict' | 'conflict' | 'dependencyMissing' | 'fieldValue';

const mappingFailure = (err: FieldMappingError): FailureCode =>
  err.kind === 'lookup' ? 'dependencyMissing' : 'fieldValue';

export type UpdatePlan =
  /**
   * The record fails: rule 4.7 resolution None (the coupled destination record is gone), rule 4.6 update
   * conflict with resolution None, or a value that cannot be transferred. `code` says which (lineage).
   */
  | { kind: 'fail'; message: string; destId: string; code: FailureCode }
  /** Rule 4.7, Remove Coupling. */
  | { kind: 'uncouple' }
  /** Rule 4.7, Restore Records: create the destination record again under its old id. */
  | { kind: 'restore'; destId: string }
  /** Rule 4.6, update conflict decided by the other pass (Skip). */
  | { kind: 'leaveToOtherPass' }
  /** Rule 4.6: nothing changed after transfer -> Unchanged (no write). */
  | { kind: 'unchanged'; destRec: JsonRecord; destId: string }
  | { kind: 'modify'; op: WriteOperation; payload: FieldValue[]; destId: string; destRec: JsonRecord };

/** A coupled, changed record: its destination row as read (undefined = deleted). */
export function planUpdate(item: Item, destRec: JsonRecord | undefined, ctx: PlanContext): UpdatePlan {
  const { mapping, direction, dest } = ctx;
  const c = item.coupling!;
  const destId = ctx.source.name === 'bc' ? c.crmId! : c.bcId;
  if (!destRec) {
    switch (mapping.deletionConflictResolution) {
      case 'None':
        return {
          kind: 'fail',
          destId,
          code: 'deletionConflict',
          message: `The ${ctx.source.entity} record is coupled to a deleted ${dest.entity} record ${destId}. Restore it, remove the coupling, or set the mapping's Deletion-Conflict Resolution.`,
        };
      case 'Remove Coupling':
        return { kind: 'uncouple' };
      case 'Restore Records':
        return { kind: 'restore', destId };
    }
  }
  let payload: FieldValue[];
  try {
    payload = ctx.payloadFor({ ...item, dest: destRec });
  } catch (err) {
    if (err instanceof FieldMappingError)
      return { kind: 'fail', message: err.message, destId, code: mappingFailure(err) };
    throw err;
  }
  const differing = changedFields(payload, destRec);
  const decision = item.justCoupled
    ? ({ kind: 'none' } as const)
    : decideConflict({
        direction,
        bidirectionalMapping: mapping.direction === 'Bidirectional',
        destinationChanged: changedSinceSync(dest, destRec, c, ctx.integrationUserId),
        differing,
        resolution: mapping.updateConflictResolution,
      });
  if (decision.kind === 'fail') return { kind: 'fail', message: decision.message, destId, code: 'conflict' };
  if (decision.kind === 'leaveToOtherPass') return { kind: 'leaveToOtherPass' };
  if (differing.length === 0) return { kind: 'unchanged', destRec, destId };
  return {
    kind: 'modify',
    destId,
    destRec,
    payload,
    op: {
      kind: 'update',
      entity: dest.entity,
      id: destId,
      body: bodyOf(differing),
      ...(typeof destRec['@odata.etag'] === 'string' ? { etag: destRec['@odata.etag'] } : {}),
      ...ctx.returning,
    },
  };
}

export type InsertPlan =
  | { kind: 'fail'; message: string; code: FailureCode }
  | {
      kind: 'create';
      op: WriteOperation;
      destId: string;
      payload: FieldValue[];
      /** A BC create's intent, durable before the create is sent (BC cannot say "did my create happen?"). */
      intent?: CouplingDoc;
    };

/** A new record (or a restored one, or a pending create not found): the create to send. */
export function planInsert(
  item: Item,
  ctx: PlanContext & { bcFieldsKnown?: Set<string>; now: Date },
): InsertPlan {
  const { mapping, direction } = ctx;
  let payload: FieldValue[];
  try {
    payload = ctx.payloadFor(item);
  } catch (err) {
    if (err instanceof FieldMappingError)
      return { kind: 'fail', message: err.message, code: mappingFailure(err) };
    throw err;
  }
  const destId = item.destId ?? destinationId(mapping.name, direction, item.id);
  if (ctx.source.name === 'bc') {
    const body = { ...mapping.crmTemplate, ...bodyOf(payload) };
    return {
      kind: 'create',
      destId,
      payload,
      op: { kind: 'create', entity: ctx.dest.entity, id: destId, body, ...ctx.returning },
    };
  }
  let body: JsonRecord = { ...mapping.bcTemplate, ...bodyOf(payload) };
  const known = ctx.bcFieldsKnown;
  if (known) body = Object.fromEntries(Object.entries(body).filter(([k]) => known.has(k)));
  body = bcCreateDefaults(mapping, body, item.id);
  const op: WriteOperation = {
    kind: 'create',
    entity: ctx.dest.entity,
    body: bcTakesClientId(mapping) ? { ...body, id: destId } : body,
  };
  // A pending intent being retried keeps its intent.
  if (item.coupling && item.coupling.state === 'pending') return { kind: 'create', destId, payload, op };
  return {
    kind: 'create',
    destId,
    payload,
    op,
    intent: bcCreateIntent(mapping, destId, item.id, body, ctx.now),
  };
}
