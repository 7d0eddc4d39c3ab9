// Applies the Integration Field Mapping rows of one direction (section 1): which rows apply, constants,
// transformation rules, option translation, lookups, Not Null, truncation, and the comparison that
// decides "nothing changed after transfer" (rule 4.6 Unchanged).
import type { JsonRecord } from '../connectors/types';
import {
  isOptionLookup,
  type FieldMapping,
  type IntegrationTableMapping,
} from '../mappings/integrationTableMapping';
import type { LookupResolution } from './lookups';
import type { EngineLogger, PassDirection } from './types';

export const BLANK_GUID = '00000000-0000-0000-0000-000000000000';
const BLANK_DATE = '0001-01-01';

export class FieldMappingError extends Error {
  override name = 'FieldMappingError';
  constructor(
    message: string,
    readonly field: string,
    /** `lookup`: a looked-up record (currency, salesperson, ...) is not coupled yet (lineage: dependencyMissing). */
    readonly kind: 'value' | 'lookup' = 'value',
  ) {
    super(message);
  }
}

/**
 * Section 1: "rows whose direction is the current direction or Bidirectional and that are enabled; none
 * -> error". A row needs a destination field for this direction, and a source field or a constant.
 */
export function activeFields(mapping: IntegrationTableMapping, direction: PassDirection): FieldMapping[] {
  const wanted = direction === 'toCrm' ? 'ToIntegrationTable' : 'FromIntegrationTable';
  const rows = mapping.fieldMappings.filter((f) => {
    if (f.status !== 'Enabled') return false;
    if (f.direction !== wanted && f.direction !== 'Bidirectional') return false;
    const dest = direction === 'toCrm' ? f.crmField : f.bcField;
    const source = direction === 'toCrm' ? f.bcField : f.crmField;
    if (dest === undefined) return false;
    if (source === undefined && f.constant === undefined) return false;
    // The Web API sets a polymorphic lookup's type through the navigation property of the bind
    // (`parentcustomerid_account@odata.bind`); a constant `...idtype` column is implied by it, not written.
    if (direction === 'toCrm' && source === undefined && dest.endsWith('idtype')) return false;
    return true;
  });
  if (rows.length === 0) {
    throw new FieldMappingError(
      `There are no field mapping rows for mapping ${mapping.name} in direction ${wanted}: enable a field mapping or change the mapping's direction`,
      '',
    );
  }
  return rows;
}

/** Dataverse returns a lookup column as `_<column>_value`. */
export const crmLookupValueKey = (crmField: string): string => `_${crmField}_value`;

/** A reference column is read as `_<column>_value`; a choice column (option lookup) under its own name. */
const readsReference = (f: FieldMapping): boolean => f.lookup !== undefined && !isOptionLookup(f.lookup);

/** The field of a source record a row reads (`undefined` = constant). */
export function sourceKey(f: FieldMapping, direction: PassDirection): string | undefined {
  if (direction === 'toCrm') return f.bcField;
  if (f.crmField === undefined) return undefined;
  return readsReference(f) ? crmLookupValueKey(f.crmField) : f.crmField;
}

/** The field of a destination record a row is compared with. */
export function destinationCompareKey(f: FieldMapping, direction: PassDirection): string {
  if (direction === 'fromCrm') return f.bcField!;
  return readsReference(f) ? crmLookupValueKey(f.crmField!) : f.crmField!;
}

/** Columns to `$select` when reading CRM rows for a mapping (both directions). */
export function crmColumns(mapping: IntegrationTableMapping): string[] {
  const cols = new Set<string>([
    mapping.crm.key,
    mapping.crm.modifiedOn,
    'versionnumber',
    '_modifiedby_value',
  ]);
  for (const f of mapping.fieldMappings) {
    if (f.crmField === undefined || f.status !== 'Enabled') continue;
    if (f.bcField === undefined && f.crmField.endsWith('idtype')) continue;
    cols.add(readsReference(f) ? crmLookupValueKey(f.crmField) : f.crmField);
  }
  return [...cols];
}

/**
 * Fields to `$select` when reading BC records for a mapping: the mapped fields, the id, modified time and
 * label fields - only those the entity is known to expose (a `$select` naming an unknown field is a 400
 * in BC, and a real company may lack the custom API's extra fields). A 5,000-record page of customers
 * is about half the size this way.
 */
export function bcColumns(
  mapping: IntegrationTableMapping,
  known: ReadonlySet<string>,
  always: readonly string[],
): string[] {
  const cols = new Set<string>(always);
  for (const k of ['number', 'code', 'displayName', 'name']) cols.add(k);
  for (const f of mapping.fieldMappings) {
    if (f.bcField !== undefined && f.status === 'Enabled') cols.add(f.bcField);
  }
  return [...cols].filter((c) => known.has(c));
}

/** Code normalisation (section 1: "Code values compare uppercased and trimmed"). */
export function transform(value: unknown, f: FieldMapping): unknown {
  if (typeof value !== 'string' || !f.transformation) return value;
  switch (f.transformation) {
    case 'uppercase':
      return value.toUpperCase();
    case 'trim':
      return value.trim();
    case 'code':
      return value.trim().toUpperCase();
  }
}

export function isBlank(value: unknown): boolean {
  return (
    value === undefined ||
    value === null ||
    value === '' ||
    value === BLANK_GUID ||
    value === BLANK_DATE ||
    value === '0001-01-01T00:00:00Z'
  );
}

/** Option/enum translation (section 1 transformation), BC value <-> CRM option value. */
function translateOption(value: unknown, f: FieldMapping, direction: PassDirection): unknown {
  const map = f.optionMap!;
  if (isBlank(value)) return null;
  if (direction === 'toCrm') {
    const key = String(value).trim().toUpperCase();
    const hit = Object.entries(map).find(([k]) => k.toUpperCase() === key);
    if (!hit) {
      throw new FieldMappingError(
        `${f.bcCaption} '${String(value)}' has no option in ${f.crmField} (known: ${Object.keys(map).join(', ')}); add it to the field mapping's optionMap`,
        f.bcCaption,
      );
    }
    return hit[1];
  }
  const hit = Object.entries(map).find(([, v]) => String(v) === String(value));
  if (!hit) {
    throw new FieldMappingError(
      `${f.crmField} option ${String(value)} has no ${f.bcCaption} in the field mapping's optionMap (known: ${Object.values(map).join(', ')}); add it`,
      f.bcCaption,
    );
  }
  return hit[0];
}

/** One field of a payload: what to write, under which key, and what to compare with the destination. */
export interface FieldValue {
  field: FieldMapping;
  writeKey: string;
  writeValue: unknown;
  compareKey: string;
  compareValue: unknown;
  /** Bidirectional rows take part in conflict detection (rule 4.6). */
  bidirectional: boolean;
}

export interface PayloadContext {
  direction: PassDirection;
  resolveLookup: (f: FieldMapping, value: unknown) => LookupResolution;
  /** BC fields the BC entity actually exposes (learned from records read), when known. */
  bcFieldsKnown?: ReadonlySet<string>;
  /** A destination record of the same entity, to learn a blank value's type (BC never returns null). */
  destinationSample?: JsonRecord;
  logger?: EngineLogger;
  /** Fields already warned about, so a missing field is logged once per pass. */
  warned: Set<string>;
  recordLabel: string;
}

/**
 * Builds the payload of one source record. Throws FieldMappingError for a value that cannot be transferred
 * (an unknown option, a lookup to an uncoupled record without Clear Value on Failed Sync).
 */
export function buildPayload(source: JsonRecord, fields: FieldMapping[], ctx: PayloadContext): FieldValue[] {
  const out: FieldValue[] = [];
  const { direction } = ctx;
  for (const f of fields) {
    const key = sourceKey(f, direction);
    let value: unknown;
    if (key === undefined) value = f.constant;
    else {
      value = source[key];
      if (value === undefined) {
        // The source does not expose the field (e.g. BC API v2.0 without the bcsync custom API): leave the
        // destination alone rather than blank it.
        warnOnce(
          ctx,
          `source:${key}`,
          { field: f.bcCaption, key },
          'source record has no such field; field mapping skipped',
        );
        continue;
      }
    }
    if (direction === 'fromCrm' && ctx.bcFieldsKnown && !ctx.bcFieldsKnown.has(f.bcField!)) {
      warnOnce(
        ctx,
        `dest:${f.bcField}`,
        { field: f.bcCaption, key: f.bcField },
        'BC entity has no such field; field mapping skipped',
      );
      continue;
    }
    value = transform(value, f);
    const bidirectional = f.direction === 'Bidirectional';
    if (f.lookup) {
      const resolved = isBlank(value) ? { id: null } : ctx.resolveLookup(f, value);
      if ('error' in resolved && isOptionLookup(f.lookup)) {
        // An option without a coupling (its option mapping has not run since it was added) is left alone,
        // as BC ignores non-mapped options ("Handling missing option values"): no blanking, no failure.
        warnOnce(ctx, `option:${f.bcCaption}:${String(value)}`, { field: f.bcCaption }, resolved.error);
        continue;
      }
      if ('error' in resolved) {
        if (!f.clearValueOnFailedSync) throw new FieldMappingError(resolved.error, f.bcCaption, 'lookup');
      }
      const target = 'id' in resolved ? resolved.id : null;
      if (target === null && f.notNull) continue; // Not Null: never write a blank reference.
      if (direction === 'toCrm' && isOptionLookup(f.lookup)) {
        // A choice column takes the option value itself.
        const option = target === null ? null : Number(target);
        out.push({
          field: f,
          writeKey: f.crmField!,
          writeValue: option,
          compareKey: f.crmField!,
          compareValue: option,
          bidirectional,
        });
      } else if (direction === 'toCrm' && !isOptionLookup(f.lookup)) {
        const nav = f.lookup.crmNavigationProperty;
        out.push({
          field: f,
          writeKey: `${nav}@odata.bind`,
          writeValue: target === null ? null : `/${f.lookup.crmEntitySet}(${target})`,
          compareKey: crmLookupValueKey(f.crmField!),
          compareValue: target,
          bidirectional,
        });
      } else {
        const blank = f.lookup.bcKeyField === 'id' ? BLANK_GUID : '';
        out.push({
          field: f,
          writeKey: f.bcField!,
          writeValue: target ?? blank,
          compareKey: f.bcField!,
          compareValue: target,
          bidirectional,
        });
      }
      continue;
    }
    if (f.optionMap) value = translateOption(value, f, direction);
    if (direction === 'fromCrm' && (value === null || value === undefined)) value = blankFor(f.bcField!, ctx);
    if (direction === 'toCrm' && isBlank(value)) value = null;
    const maxLength = direction === 'toCrm' ? f.maxLength?.crm : f.maxLength?.bc;
    if (maxLength !== undefined && typeof value === 'string' && value.length > maxLength) {
      // Truncation to the destination length, with a logged warning (section 1).
      ctx.logger?.warn(
        { field: f.bcCaption, record: ctx.recordLabel, length: value.length, maxLength },
        `value truncated to ${maxLength} characters`,
      );
      value = value.slice(0, maxLength);
    }
    const destKey = direction === 'toCrm' ? f.crmField! : f.bcField!;
    out.push({
      field: f,
      writeKey: destKey,
      writeValue: value,
      compareKey: destKey,
      compareValue: value,
      bidirectional,
    });
  }
  return agreedColumns(source, out, direction);
}

/**
 * Field mappings that write the same column must agree, e.g. a sales price's Currency Code and the currency
 * of the price list its Sales Code stands for (docs/product-units.md). A blank value gives way to a set
 * one; two different values fail the record, naming both source values.
 */
function agreedColumns(source: JsonRecord, values: FieldValue[], direction: PassDirection): FieldValue[] {
  const byKey = new Map<string, FieldValue>();
  const norm = (v: unknown) => (typeof v === 'string' ? v.toLowerCase() : v);
  for (const v of values) {
    const prev = byKey.get(v.writeKey);
    if (!prev || (prev.compareValue === null && v.compareValue !== null)) {
      byKey.set(v.writeKey, v);
      continue;
    }
    if (v.compareValue === null || norm(prev.compareValue) === norm(v.compareValue)) continue;
    const named = (x: FieldValue) => {
      const key = sourceKey(x.field, direction);
      return `${x.field.bcCaption} '${String(key === undefined ? x.field.constant : source[key])}'`;
    };
    const column = direction === 'toCrm' ? v.field.crmField : v.field.bcField;
    throw new FieldMappingError(
      `${named(prev)} and ${named(v)} give ${String(column)} different values${v.field.note ? ` (${v.field.note})` : ''}`,
      v.field.bcCaption,
    );
  }
  const kept = new Set(byKey.values());
  return values.filter((v) => kept.has(v));
}

function blankFor(bcField: string, ctx: PayloadContext): unknown {
  const sample = ctx.destinationSample?.[bcField];
  if (typeof sample === 'number') return 0;
  if (typeof sample === 'boolean') return false;
  return '';
}

function warnOnce(ctx: PayloadContext, key: string, obj: object, msg: string): void {
  if (ctx.warned.has(key)) return;
  ctx.warned.add(key);
  ctx.logger?.warn(obj, msg);
}

export function bodyOf(values: FieldValue[]): JsonRecord {
  const body: JsonRecord = {};
  for (const v of values) body[v.writeKey] = v.writeValue;
  return body;
}

/** Values equal for sync purposes: blanks are equal, numbers by value, codes uppercased and trimmed. */
export function sameValue(a: unknown, b: unknown, f?: FieldMapping): boolean {
  if (isBlank(a) && isBlank(b)) return true;
  if (isBlank(a) || isBlank(b)) {
    // BC shows 0 / false for an empty number or boolean, Dataverse null.
    const other = isBlank(a) ? b : a;
    return other === 0 || other === false;
  }
  if (typeof a === 'number' || typeof b === 'number') return Math.abs(Number(a) - Number(b)) < 1e-9;
  if (typeof a === 'boolean' || typeof b === 'boolean') return String(a) === String(b);
  let sa = String(a);
  let sb = String(b);
  if (
    /^\d{4}-\d{2}-\d{2}/.test(sa) &&
    /^\d{4}-\d{2}-\d{2}/.test(sb) &&
    (sa.length === 10 || sb.length === 10)
  ) {
    return sa.slice(0, 10) === sb.slice(0, 10);
  }
  if (f?.transformation === 'code' || f?.transformation === 'uppercase' || f?.lookup) {
    sa = sa.trim().toUpperCase();
    sb = sb.trim().toUpperCase();
  }
  // Longer values compare after truncation to the destination length (section 1).
  const max = f?.maxLength?.crm ?? f?.maxLength?.bc;
  if (max !== undefined) return sa.slice(0, max) === sb.slice(0, max);
  return sa === sb;
}

/** The fields whose value differs from the destination record (empty = Unchanged after transfer). */
export function changedFields(values: FieldValue[], destination: JsonRecord): FieldValue[] {
  return values.filter((v) => !sameValue(v.compareValue, destination[v.compareKey], v.field));
}
