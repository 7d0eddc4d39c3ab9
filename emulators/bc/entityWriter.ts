// The generic write path every entity set shares: validate the body, let the table's rules fill and check
// it, enforce keys, stamp lastModifiedDateTime and a new ETag, store, cascade. Used by single requests and
// by `$batch` operations alike, so both behave identically.
import { randomUUID } from 'node:crypto';
import { bcErrors } from './bcErrors';
import type { BcState } from './bcState';
import { BLANK_GUID, blankRow, blankValue, entityDef, type EntityDef } from './entityModel';
import type { JsonRow, StoredRow } from './entityTable';
import { rulesFor } from './entityRules';
import { validateBody } from './fieldValidation';
import type { RuleContext } from './ruleTypes';

function checkRequired(def: EntityDef, row: JsonRow): void {
  for (const field of def.required ?? []) {
    if (row[field] === blankValue(def.fields[field])) throw bcErrors.requiredField(field);
  }
}

function checkUniqueKey(state: BcState, def: EntityDef, row: JsonRow): void {
  const key = def.uniqueKey;
  if (!key) return;
  const holder = state.table(def.entitySet).findByUniqueKey(row);
  if (holder !== undefined && holder !== row.id) {
    const values = key.fields.map((f) => String(row[f]));
    throw bcErrors.duplicateKey(def.table, key.captions.join(','), values.join("','"));
  }
}

export function checkIfMatch(ifMatch: string | undefined, current: StoredRow, required: boolean): void {
  if (ifMatch === undefined || ifMatch.trim() === '') {
    if (required) throw bcErrors.missingIfMatch(); // apis.md C: PATCH without If-Match -> 400
    return;
  }
  const given = ifMatch.trim();
  if (given === '*') return;
  const strip = (tag: string) => tag.replace(/^W\//, '');
  if (strip(given) !== strip(current.etag)) throw bcErrors.entityChanged(); // apis.md C: stale -> 409
}

/**
 * A POST. `systemId`: the SystemId BC itself assigns (a seed's reproducible one), else a random one unless
 * the body chose it where the route lets it (fieldValidation.ts).
 */
export function createEntity(
  state: BcState,
  def: EntityDef,
  body: unknown,
  parentId?: string,
  systemId?: string,
): StoredRow {
  if (def.readOnlyEntity) throw bcErrors.methodNotAllowed('POST', def.entitySet);
  const ctx: RuleContext = { state, parentId };
  const changes = validateBody(def, body, undefined);
  // The stored row has every field of its table, whichever route created it.
  const row = { ...blankRow(entityDef(def.entitySet)), ...changes };
  row.id =
    systemId ?? (typeof changes.id === 'string' && changes.id !== BLANK_GUID ? changes.id : randomUUID());
  if (state.get(def.entitySet, String(row.id))) {
    throw bcErrors.duplicateKey(def.table, 'SystemId', `{${String(row.id).toUpperCase()}}`);
  }
  checkRequired(def, row);
  if (def.numberSeries && row.number === '') row.number = state.nextNumber(def.numberSeries, def.entitySet);
  const rules = rulesFor(def.entitySet);
  rules.apply?.(ctx, row, changes, undefined);
  checkUniqueKey(state, def, row);
  if (def.hasModifiedAt) row.lastModifiedDateTime = state.stampModified();
  const stored = state.insert(def.entitySet, row);
  rules.afterInsert?.(ctx, row);
  state.recordWrite(def.entitySet);
  return state.get(def.entitySet, String(row.id)) ?? stored;
}

export function updateEntity(
  state: BcState,
  def: EntityDef,
  id: string,
  body: unknown,
  ifMatch: string | undefined,
  parentId?: string,
): StoredRow {
  if (def.readOnlyEntity) throw bcErrors.methodNotAllowed('PATCH', def.entitySet);
  const current = state.get(def.entitySet, id);
  if (!current || (parentId !== undefined && current.data.documentId !== parentId)) {
    throw bcErrors.recordNotFound(def.table, id);
  }
  checkIfMatch(ifMatch, current, true);
  const ctx: RuleContext = { state, parentId };
  const changes = validateBody(def, body, current.data);
  const row = { ...current.data, ...changes };
  const rules = rulesFor(def.entitySet);
  rules.apply?.(ctx, row, changes, current.data);
  checkRequired(def, row);
  checkUniqueKey(state, def, row);
  if (def.hasModifiedAt) row.lastModifiedDateTime = state.stampModified(current.data.lastModifiedDateTime);
  const stored = state.update(def.entitySet, row);
  rules.afterUpdate?.(ctx, current.data, row);
  state.recordWrite(def.entitySet);
  return state.get(def.entitySet, String(row.id)) ?? stored;
}

export function deleteEntity(
  state: BcState,
  def: EntityDef,
  id: string,
  ifMatch: string | undefined,
  parentId?: string,
): void {
  if (def.readOnlyEntity) throw bcErrors.methodNotAllowed('DELETE', def.entitySet);
  const current = state.get(def.entitySet, id);
  if (!current || (parentId !== undefined && current.data.documentId !== parentId)) {
    throw bcErrors.recordNotFound(def.table, id);
  }
  // DELETE requires If-Match like PATCH (Delete customers: "If-Match: Required"
  // https://learn.microsoft.com/dynamics365/business-central/dev-itpro/api-reference/v2.0/api/dynamics_customer_delete).
  checkIfMatch(ifMatch, current, true);
  const ctx: RuleContext = { state, parentId };
  const rules = rulesFor(def.entitySet);
  rules.beforeDelete?.(ctx, current.data);
  state.delete(def.entitySet, id);
  rules.afterDelete?.(ctx, current.data);
  state.recordWrite(def.entitySet);
}
