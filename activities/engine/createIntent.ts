// Exactly-once creates (beyond BC, peers.md "room to lead" 1). A record the engine creates gets a
// client-chosen id (deterministicId.ts): Dataverse takes it in the body; the BC custom API takes `id` on
// POST. For BC the intent is also written to MongoDB first - a pending coupling holding the intended id and
// a natural key - so a retry after a crash at any point looks the record up before creating it again, even
// where BC ignored the id (then the natural key finds it), and never creates a second one.
import type { JsonRecord } from '../connectors/types';
import type { IntegrationTableMapping } from '../mappings/integrationTableMapping';
import { couplingKey, type CouplingDoc } from '../store/couplings';
import { deterministicId } from './deterministicId';

/** Fields BC looks a record up by besides its SystemId (as BC_NATURAL_KEYS of the BC connector). */
const BC_NATURAL_KEY: Readonly<Record<string, string>> = {
  customers: 'number',
  contacts: 'number',
  items: 'number',
  resources: 'number',
  currencies: 'code',
  unitsOfMeasure: 'code',
  salespeoplePurchasers: 'code',
  customerPriceGroups: 'code',
};

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

export function naturalKeyOf(
  mapping: IntegrationTableMapping,
  body: JsonRecord,
): Record<string, string> | undefined {
  const field = BC_NATURAL_KEY[mapping.bc.entitySet];
  const value = field ? body[field] : undefined;
  return field && typeof value === 'string' && value !== '' ? { [field]: value.toUpperCase() } : undefined;
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
  return {
    _id: couplingKey(mapping.name, bcId),
    mapping: mapping.name,
    bcId,
    crmId,
    state: 'pending',
    intent: { side: 'bc', at: now, ...(naturalKey ? { naturalKey } : {}) },
    toCrm: {},
    fromCrm: {},
    skipped: false,
    createdAt: now,
    updatedAt: now,
  };
}
