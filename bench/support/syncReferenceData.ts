// Reference data the CUSTOMER mapping needs before its first run on the emulators (section 2): each BC
// salesperson coupled to a CRM user (by name, else a spare user, as an installation couples them by hand),
// customers moved to a coupled salesperson, and the currencies synced.
import type { Connectors } from '../../activities/connectors';
import type { JsonRecord } from '../../activities/connectors/types';
import { createSyncEngine } from '../../activities/engine/engine';
import type { EffectiveMappings } from '../../activities/mappings/mappingConfig';
import { CouplingStore } from '../../activities/store/couplings';
import type { Database } from '../../activities/store/database';
import { bcRecordId, crmRecordId, mappingName } from '../../common/ids';

async function readAll(
  client: Connectors['bc'] | Connectors['dataverse'],
  entitySet: string,
): Promise<JsonRecord[]> {
  const records: JsonRecord[] = [];
  for await (const page of client.readPages(entitySet, {})) records.push(...page.records);
  return records;
}

export async function syncReferenceData(options: {
  db: Database;
  connectors: Pick<Connectors, 'bc' | 'dataverse'>;
  mappings: EffectiveMappings;
  integrationUserId: string;
}): Promise<void> {
  const { db, connectors } = options;
  const users = await readAll(connectors.dataverse, 'systemusers');
  const salespeople = await readAll(connectors.bc, 'salespeoplePurchasers');
  const spare = users.filter(
    (u) => !u.isintegrationuser && !u.isdisabled && !salespeople.some((sp) => sp.displayName === u.fullname),
  );
  const couplings = new CouplingStore(db.cols.couplings);
  const coupled = new Set<string>();
  for (const sp of salespeople) {
    const user = users.find((u) => u.fullname === sp.displayName) ?? spare.shift();
    if (!user) continue;
    await couplings.couple(
      mappingName('SALESPEOPLE'),
      bcRecordId(String(sp.id)),
      crmRecordId(String(user.systemuserid)),
    );
    coupled.add(String(sp.code));
  }
  const fallback = [...coupled][0];
  if (fallback === undefined)
    throw new Error('no BC salesperson could be coupled to a CRM user: the CRM has no spare user');
  for (const customer of await readAll(connectors.bc, 'customers')) {
    if (!coupled.has(String(customer.salespersonCode)))
      await connectors.bc.update('customers', String(customer.id), { salespersonCode: fallback }, '*');
  }
  const engine = createSyncEngine({
    db,
    bc: connectors.bc,
    crm: connectors.dataverse,
    mappings: options.mappings,
    integrationUserId: options.integrationUserId,
  });
  await engine.fullSync(['CURRENCY']);
}
