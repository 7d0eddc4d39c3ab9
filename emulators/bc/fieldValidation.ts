// Validates a POST/PATCH body against the entity's fields the way BC's OData layer and table fields do:
// unknown properties and wrong JSON types are 400s, Text/Code values longer than the table field fail with
// Application_StringExceededLength, Code values are trimmed and upper-cased, options must be known captions.
import { bcErrors } from './bcErrors';
import { blankValue, type EntityDef, type FieldDef } from './entityModel';
import type { JsonRow } from './entityTable';

const GUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;

export function isGuid(value: string): boolean {
  return GUID_RE.test(value);
}

const EDM_TYPES: Record<FieldDef['type'], string> = {
  text: 'Edm.String',
  code: 'Edm.String',
  decimal: 'Edm.Decimal',
  integer: 'Edm.Int32',
  boolean: 'Edm.Boolean',
  date: 'Edm.Date',
  datetime: 'Edm.DateTimeOffset',
  guid: 'Edm.Guid',
  option: 'Edm.String',
};

export function coerceField(name: string, field: FieldDef, value: unknown): unknown {
  const wrongType = () => bcErrors.wrongType(name, EDM_TYPES[field.type]);
  switch (field.type) {
    case 'text':
    case 'code': {
      if (typeof value !== 'string') throw wrongType();
      // Code fields: BC trims and upper-cases (rule 1: code values compare uppercased and trimmed).
      const v = field.type === 'code' ? value.trim().toUpperCase() : value;
      if (field.maxLength !== undefined && v.length > field.maxLength)
        throw bcErrors.stringTooLong(v, field.maxLength);
      return v;
    }
    case 'decimal':
      if (typeof value !== 'number' || !Number.isFinite(value)) throw wrongType();
      return value;
    case 'integer':
      if (typeof value !== 'number' || !Number.isInteger(value)) throw wrongType();
      return value;
    case 'boolean':
      if (typeof value !== 'boolean') throw wrongType();
      return value;
    case 'date':
      if (typeof value !== 'string' || !DATE_RE.test(value) || Number.isNaN(Date.parse(value))) {
        throw bcErrors.badRequest(
          `Unable to convert value '${String(value)}' to Date for the property '${name}'.`,
        );
      }
      return value;
    case 'datetime':
      if (typeof value !== 'string' || Number.isNaN(Date.parse(value))) throw wrongType();
      return new Date(value).toISOString();
    case 'guid':
      if (typeof value !== 'string') throw wrongType();
      if (!GUID_RE.test(value)) throw bcErrors.invalidGuid(value);
      return value.toLowerCase();
    case 'option': {
      if (typeof value !== 'string') throw wrongType();
      const options = field.options ?? [];
      const match =
        options.find((o) => o === value) ?? options.find((o) => o.toLowerCase() === value.toLowerCase());
      if (match === undefined) throw bcErrors.notAnOption(value, options);
      return match;
    }
  }
}

/**
 * The validated changes a body asks for. `current` is the stored row on PATCH (read-only fields may be echoed
 * back unchanged, as clients that PATCH a whole GET result do). An insert-only field (`id` on the bcsync
 * pages) may be chosen on POST and repeated, never changed, on PATCH; on API v2.0 `id` is read-only.
 */
export function validateBody(def: EntityDef, body: unknown, current: JsonRow | undefined): JsonRow {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw bcErrors.badRequest('Invalid Request Body: a JSON object is expected.');
  }
  const changes: JsonRow = {};
  for (const [name, raw] of Object.entries(body as JsonRow)) {
    if (name.includes('@odata.')) continue;
    const field = def.fields[name];
    if (!field) throw bcErrors.unknownProperty(name, def.entityType);
    if (name === 'lastModifiedDateTime') continue; // server-set; the real service ignores an echoed value
    const value = coerceField(name, field, raw);
    if (field.insertOnly) {
      // bc-extension/src/BCSyncClientId.Codeunit.al, CheckUnchanged.
      if (current && value !== current[name]) throw bcErrors.idChanged(String(current[name]), String(value));
      if (!current) changes[name] = value;
      continue;
    }
    if (field.readOnly) {
      if (current ? current[name] === value : blankValue(field) === value) continue;
      throw bcErrors.readOnlyField(name);
    }
    changes[name] = value;
  }
  return changes;
}
