// Reference data the CUSTOMER scenarios need, on the demo seed: salespeople coupled to the CRM users of the
// same name, customers whose salesperson has such a user, currencies and the option mappings synced.
import { bcRecordId, crmRecordId, mappingName } from '../../common/ids';
import type { JsonRecord } from '../../activities/connectors/types';
import type { EffectiveMappings } from '../../activities/mappings/mappingConfig';
import type { IntegrationTableMapping } from '../../activities/mappings/integrationTableMapping';
import type { EngineStack } from './engineHarness';

/**
 * The demo CRM holds two companies twice (ambiguous pairs, listed for review by a first sync). These
 * scenarios start after the admin cleaned that up: the second account of each pair is deleted.
 */
export async function removeDemoDuplicates(stack: EngineStack): Promise<void> {
  for (const a of await stack.crmRecords('accounts')) {
    if (a.name === 'Fabrikam Inc' || a.name === 'RELECLOUD')
      await stack.connectors.dataverse.delete('accounts', String(a.accountid));
  }
}

export async function prepareReferenceData(stack: EngineStack): Promise<void> {
  await removeDemoDuplicates(stack);
  const users = await stack.crmRecords('systemusers');
  const salespeople = await stack.bcRecords('salespeoplePurchasers');
  const coupled: string[] = [];
  // Salespeople without a CRM user of the same name get one of the remaining users, so every BC document
  // has a coupled owner (a real installation couples them by hand or creates the users).
  const spare = users.filter(
    (u) => !u.isintegrationuser && !salespeople.some((sp) => sp.displayName === u.fullname) && !u.isdisabled,
  );
  for (const sp of salespeople) {
    const user = users.find((u) => u.fullname === sp.displayName) ?? spare.shift();
    if (!user) continue;
    await stack.engine.stores.couplings.couple(
      mappingName('SALESPEOPLE'),
      bcRecordId(String(sp.id)),
      crmRecordId(String(user.systemuserid)),
    );
    coupled.push(String(sp.code));
  }
  for (const c of await stack.bcRecords('customers')) {
    if (!coupled.includes(String(c.salespersonCode))) {
      await stack.connectors.bc.update('customers', String(c.id), { salespersonCode: coupled[0] }, '*');
    }
  }
  // CUSTOMER's payment terms, shipment method and shipping agent go through the option mappings' couplings.
  await stack.engine.fullSync(['CURRENCY', 'PAYMENT TERMS', 'SHIPMENT METHOD', 'SHIPPING AGENT']);
}

/** The effective mappings with one mapping changed (e.g. its Update-Conflict Resolution). */
export function withMapping(
  mappings: EffectiveMappings,
  name: string,
  change: Partial<IntegrationTableMapping>,
): EffectiveMappings {
  return { ...mappings, mappings: mappings.mappings.map((m) => (m.name === name ? { ...m, ...change } : m)) };
}

export const byId = (records: JsonRecord[], key = 'id'): Map<string, JsonRecord> =>
  new Map(records.map((r) => [String(r[key]).toLowerCase(), r]));

export async function emulatorWrites(url: string): Promise<number> {
  const res = await fetch(`${url}/_admin/stats`);
  return ((await res.json()) as { writes: number }).writes;
}
