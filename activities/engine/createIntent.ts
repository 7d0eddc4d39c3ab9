// Exactly-once creates (beyond BC, peers.md "room to lead" 1). A record the engine creates gets a
// client-chosen id (deterministicId.ts): Dataverse takes it in the body, and so do the bcsync extension's
// pages (docs/bc-custom-api.md, "Client-chosen ids"); API v2.0's pages refuse one (docs/strict-apis.md), so
// a create through them sends none and BC assigns the id. For BC the intent is also written to MongoDB
// first - a pending coupling holding the intended id and a natural key - so a retry after a crash at any
// point looks the record up before creating it again: by the id where BC took it, else by the natural key
// (docs/exactly-once-creates.md), and never creates a second one.
import { BC_NATURAL_KEYS } from '../connectors/bcClient';
import type { JsonRecord } from '../connectors/types';
import type { IntegrationTableMapping } from '../mappings/integrationTableMapping';
import { couplingKey, type CouplingDoc } from '../store/couplings';
import { deterministicId } from './deterministicId';

/**
 * Whether BC creates the mapping's records with the id bcsync chose: the bcsync extension's pages take an
 * `id` on POST; API v2.0's declare it read-only (`Editable = false`) and refuse it.
 */
export const bcTakesClientId = (mapping: IntegrationTableMapping): boolean => mapping.bc.api === 'custom';

/**
 * BC fields the engine must fill on a create that no field mapping provides. A salesperson needs a Code:
 * BC derives it from the user; here it is the user's initials plus a suffix derived from the CRM id, so a
 * retried create proposes the same code (a natural key the retry can find) and two users never collide.
 */
export function bcCreateDefaults(
  mapping: IntegrationTableMapping,
  body: JsonRecord,
  crmId: string,
): JsonRecord {
  if (mapping.bc.entitySet === 'salespeoplePurchasers' && !body.code) {
    const name = String(body.displayName ?? '');
    const initials = name
      .split(/\s+/)
      .map((w) => w.replace(/[^A-Za-z0-9]/g, '').charAt(0))
      .join('')
      .slice(0, 4)
      .toUpperCase();
    const suffix = deterministicId('salesperson-code', crmId).slice(0, 4).toUpperCase();
    return { ...body, code: `${initials || 'SP'}-${suffix}` };
  }
  return body;
}

/** The create's natural key (a Code field, stored upper-cased), when the body gives one. */
export function naturalKeyOf(
  mapping: IntegrationTableMapping,
  body: JsonRecord,
): Record<string, string> | undefined {
  const field = BC_NATURAL_KEYS[mapping.bc.entitySet];
  const value = field ? body[field] : undefined;
  return field && typeof value === 'string' && value !== '' ? { [field]: value.toUpperCase() } : undefined;
}

/** BC's name field of a record, which a create through API v2.0 without a natural key is found again by. */
const NAME_FIELDS = ['displayName', 'name'] as const;

/**
 * What a create that BC gives its own id and that has no natural key is found again by: the name it was
 * created with (a Text field, stored as sent), among records changed since the intent and not coupled
 * (docs/exactly-once-creates.md, "Intents with neither id nor key").
 */
export function sentNameOf(
  mapping: IntegrationTableMapping,
  body: JsonRecord,
): Record<string, string> | undefined {
  if (bcTakesClientId(mapping) || naturalKeyOf(mapping, body)) return undefined;
  const field = NAME_FIELDS.find((f) => typeof body[f] === 'string' && body[f] !== '');
  return field ? { [field]: body[field] as string } : undefined;
}

/**
 * How far BC's clock may lag the worker's when a pending create is looked for by its name: records changed
 * since the intent, less this, are candidates (docs/exactly-once-creates.md).
 */
export const SENT_NAME_CLOCK_MARGIN_MS = 10 * 60_000;

/**
 * Whether a BC record read from BC may be the one a pending intent created, where BC did not take the
 * intent's id: its natural key (Code, upper-cased) or the name the create sent (as sent) is the intent's,
 * and it changed after the intent (less the clock margin).
 */
export function mayFulfil(
  intent: CouplingDoc['intent'],
  rec: JsonRecord,
  modifiedAt: Date | undefined,
): boolean {
  if (intent?.side !== 'bc') return false;
  if (modifiedAt && modifiedAt.getTime() < intent.at.getTime() - SENT_NAME_CLOCK_MARGIN_MS) return false;
  const [keyField, key] = Object.entries(intent.naturalKey ?? {})[0] ?? [];
  if (keyField) return String(rec[keyField] ?? '').toUpperCase() === key;
  const [nameField, name] = Object.entries(intent.sentName ?? {})[0] ?? [];
  return nameField !== undefined && rec[nameField] === name;
}

/** The pending coupling written before a BC create (intent), resolved by the create's result or a retry. */
export function bcCreateIntent(
  mapping: IntegrationTableMapping,
  bcId: string,
  crmId: string,
  body: JsonRecord,
  now: Date,
): CouplingDoc {
  const naturalKey = naturalKeyOf(mapping, body);
  const sentName = sentNameOf(mapping, body);
  return {
    _id: couplingKey(mapping.name, bcId),
    mapping: mapping.name,
    bcId,
    crmId,
    state: 'pending',
    intent: { side: 'bc', at: now, ...(naturalKey ? { naturalKey } : {}), ...(sentName ? { sentName } : {}) },
    toCrm: {},
    fromCrm: {},
    skipped: false,
    createdAt: now,
    updatedAt: now,
  };
}
