// The actions of Business Central's Coupled Data Synchronization Errors page (bc-integration-behaviour.md
// section 7; docs/lineage.md "Error actions"): Retry / Retry All, Find for Deleted, Restore Records,
// Delete Records, Delete Couplings. Used by the CLI and the operator console alike. Every action is
// recorded in the record's lineage, so `bcsync why` tells who did what. Actions never write to BC or
// Dataverse except Delete Records; a restore puts the surviving record on the retry list and the entry's
// next run re-creates its counterpart (rule 4.2 reads the retry list first, whatever the watermark).
import { randomUUID } from 'node:crypto';
import { bcRecordId, crmRecordId, mappingName } from '../../common/ids';
import { isApiError } from '../connectors/apiError';
import type { TableClient } from '../connectors/types';
import type { IntegrationTableMapping } from '../mappings/integrationTableMapping';
import { CouplingStore, type CouplingDoc } from '../store/couplings';
import type { Database } from '../store/database';
import { LineageStore, type LineageDoc } from '../store/lineage';
import { RetryQueueStore, retryKey } from '../store/retryQueue';
import { orFilters } from './odataFilters';
import { recordsMatching } from '../connectors/recordsMatching';

export type ActionOrigin = 'cli' | 'console';

export interface CoupledRecordActionDeps {
  db: Database;
  mapping: IntegrationTableMapping;
  /** Needed by find-deleted, restore and delete (they look at the records); retry and remove-coupling do not. */
  bc?: TableClient;
  crm?: TableClient;
  by: ActionOrigin;
  now?: () => Date;
}

/** A coupling one of whose records is gone (Find for Deleted). */
export interface DeletedCoupling {
  bcId: string;
  crmId: string;
  /** Which side no longer exists. */
  missing: 'bc' | 'crm' | 'both';
}

/** A surviving record its system refused to delete, with the system's reason. */
export interface RefusedDelete extends DeletedCoupling {
  error: string;
}

export class RecordActionError extends Error {
  override name = 'RecordActionError';
}

export function coupledRecordActions(deps: CoupledRecordActionDeps) {
  const { mapping, by } = deps;
  const name = mappingName(mapping.name);
  const couplings = new CouplingStore(deps.db.cols.couplings);
  const retries = new RetryQueueStore(deps.db.db);
  const lineage = new LineageStore(deps.db.db);
  const now = deps.now ?? (() => new Date());

  // One action on several records (retry --all) is one lineage document: the entries share its time.
  const log = (entries: Omit<LineageDoc, '_id' | 'mapping' | 'at' | 'decision' | 'by'>[]) => {
    const at = now();
    return lineage.add(
      entries.map((e) => ({
        _id: randomUUID(),
        mapping: mapping.name,
        at,
        decision: 'Action' as const,
        by,
        ...e,
      })),
    );
  };

  const clients = (): { bc: TableClient; crm: TableClient } => {
    if (!deps.bc || !deps.crm)
      throw new RecordActionError(
        'this action reads Business Central and Dataverse: set the connector settings (README "Connecting to Business Central and Dataverse")',
      );
    return { bc: deps.bc, crm: deps.crm };
  };

  /** The coupling of a record given by either its BC id or its CRM id. */
  async function couplingOf(id: string): Promise<CouplingDoc | null> {
    const lower = id.toLowerCase();
    return (
      (await couplings.findByBc(name, bcRecordId(lower))) ??
      (await couplings.findByCrm(name, crmRecordId(lower)))
    );
  }

  /** Ids of `ids` that exist on one side. */
  async function existing(client: TableClient, entity: string, ids: string[]): Promise<Set<string>> {
    const key = client.keyField(entity);
    const found = new Set<string>();
    for (const r of await recordsMatching(client, entity, orFilters(key, ids, { guids: true }), {
      select: [key],
    }))
      found.add(String(r[key]).toLowerCase());
    return found;
  }

  async function classify(docs: CouplingDoc[]): Promise<DeletedCoupling[]> {
    const { bc, crm } = clients();
    const coupled = docs.filter((d) => d.state === 'coupled' && d.crmId);
    const bcFound = await existing(
      bc,
      mapping.bc.entitySet,
      coupled.map((d) => d.bcId),
    );
    const crmFound = await existing(
      crm,
      mapping.crm.entitySet,
      coupled.map((d) => d.crmId!),
    );
    const out: DeletedCoupling[] = [];
    for (const d of coupled) {
      const bcGone = !bcFound.has(d.bcId.toLowerCase());
      const crmGone = !crmFound.has(d.crmId!.toLowerCase());
      if (bcGone || crmGone)
        out.push({
          bcId: d.bcId,
          crmId: d.crmId!,
          missing: bcGone && crmGone ? 'both' : bcGone ? 'bc' : 'crm',
        });
    }
    return out;
  }

  /** Find for Deleted: couplings of the mapping one of whose records no longer exists. */
  async function findDeleted(): Promise<DeletedCoupling[]> {
    const out: DeletedCoupling[] = [];
    let batch: CouplingDoc[] = [];
    for await (const doc of couplings.streamMapping(mapping.name)) {
      batch.push(doc);
      if (batch.length >= 1000) {
        out.push(...(await classify(batch)));
        batch = [];
      }
    }
    if (batch.length > 0) out.push(...(await classify(batch)));
    return out;
  }

  /** The deleted couplings an action works on: one record (by either id) or all of them. */
  async function deletedTargets(target: string | 'all'): Promise<DeletedCoupling[]> {
    if (target === 'all') return findDeleted();
    const doc = await couplingOf(target);
    if (!doc) throw new RecordActionError(`${mapping.name}: no coupling for record ${target}`);
    const [found] = await classify([doc]);
    if (!found)
      throw new RecordActionError(
        `${mapping.name}: both records of the coupling exist (BC ${doc.bcId}, CRM ${doc.crmId}); nothing was deleted. Use \`remove-coupling\` to uncouple them.`,
      );
    return [found];
  }

  const syncs = (direction: 'toCrm' | 'fromCrm') =>
    mapping.direction === 'Bidirectional' ||
    (mapping.direction === 'ToIntegrationTable') === (direction === 'toCrm');

  return {
    findDeleted,

    /**
     * Retry (one record, by BC or CRM id) / Retry All: clears Skipped, so the next run tries the record
     * again (it is on the retry list with its failure). Returns the records cleared.
     */
    async retry(target: string | 'all'): Promise<string[]> {
      let ids: string[];
      if (target === 'all') {
        const skippedCouplings = await deps.db.cols.couplings
          .find({ mapping: mapping.name, skipped: true })
          .toArray();
        const skippedRetries = (await retries.all(mapping.name)).filter((r) => r.skipped);
        await couplings.clearSkipped(mapping.name);
        await retries.clearSkipped(mapping.name);
        ids = [
          ...new Set([...skippedCouplings.map((c) => c.bcId), ...skippedRetries.map((r) => r.sourceId)]),
        ];
        await log(
          [
            ...skippedCouplings.map((c) => ({ bcId: c.bcId, crmId: c.crmId })),
            ...skippedRetries
              .filter((r) => !skippedCouplings.some((c) => c.bcId === r.sourceId || c.crmId === r.sourceId))
              .map((r) => (r.direction === 'toCrm' ? { bcId: r.sourceId } : { crmId: r.sourceId })),
          ].map((ref) => ({
            ...ref,
            why: 'Retry All: Skipped cleared; the next run tries the record again',
          })),
        );
        return ids;
      }
      const id = target.toLowerCase();
      const c = await couplingOf(id);
      const sourceIds = c ? [c.bcId, ...(c.crmId ? [c.crmId] : [])] : [id];
      const retryDocs = (await retries.all(mapping.name)).filter((r) => sourceIds.includes(r.sourceId));
      if (!c?.skipped && !retryDocs.some((r) => r.skipped)) {
        throw new RecordActionError(
          c || retryDocs.length > 0
            ? `${mapping.name}: record ${target} is not skipped; its next run tries it anyway (\`bcsync sync-record\` runs it now)`
            : `${mapping.name}: no coupling and no failed synchronization for record ${target}`,
        );
      }
      if (c) await couplings.clearSkipped(mapping.name, [c.bcId]);
      await retries.clearSkipped(mapping.name, sourceIds);
      await log([
        {
          ...(c ? { bcId: c.bcId, crmId: c.crmId } : retryRef(retryDocs[0]!)),
          why: 'Retry: Skipped cleared; the next run tries the record again',
        },
      ]);
      return [c?.bcId ?? id];
    },

    /**
     * Restore Records: for a coupling whose record on one side was deleted, the coupling is removed and
     * the surviving record goes on the retry list of the direction towards the deleted side; the next run
     * creates it again and couples it.
     */
    async restore(target: string | 'all'): Promise<DeletedCoupling[]> {
      const found = await deletedTargets(target);
      const restorable = found.filter((d) => d.missing !== 'both');
      if (target !== 'all') {
        const d = found[0]!;
        if (d.missing === 'both')
          throw new RecordActionError(
            `${mapping.name}: both records of the coupling are deleted (BC ${d.bcId}, CRM ${d.crmId}); nothing to restore from. Use \`remove-coupling\`.`,
          );
        const direction = d.missing === 'crm' ? 'toCrm' : 'fromCrm';
        if (!syncs(direction))
          throw new RecordActionError(
            `${mapping.name} synchronizes ${mapping.direction === 'ToIntegrationTable' ? 'BC -> CRM' : 'CRM -> BC'} only, so the deleted ${d.missing === 'crm' ? 'CRM' : 'BC'} record cannot be restored from the other side. Use \`delete\` or \`remove-coupling\`.`,
          );
      }
      const done: DeletedCoupling[] = [];
      for (const d of restorable) {
        const direction = d.missing === 'crm' ? 'toCrm' : 'fromCrm';
        if (!syncs(direction)) continue;
        const sourceId = direction === 'toCrm' ? d.bcId : d.crmId;
        await couplings.uncouple(name, { bcId: bcRecordId(d.bcId) });
        await retries.applyPage(
          [
            {
              _id: retryKey(mapping.name, direction, sourceId),
              mapping: mapping.name,
              direction,
              sourceId,
              skipped: false,
              failures: 0,
              lastError: `requested by Restore Records (${by})`,
              lastJobId: '',
              at: now(),
            },
          ],
          [],
        );
        done.push(d);
      }
      await log(
        done.map((d) => ({
          bcId: d.bcId,
          crmId: d.crmId,
          why: `Restore Records: the ${d.missing === 'crm' ? 'CRM' : 'BC'} record was deleted; coupling removed, the next run creates it again from the ${d.missing === 'crm' ? 'BC' : 'CRM'} record`,
        })),
      );
      return done;
    },

    /**
     * Delete Records: for a coupling whose record on one side was deleted, the surviving record is
     * deleted too and the coupling removed.
     */
    async delete(target: string | 'all'): Promise<{ deleted: DeletedCoupling[]; refused: RefusedDelete[] }> {
      const { bc, crm } = clients();
      const found = await deletedTargets(target);
      const done: DeletedCoupling[] = [];
      const refused: RefusedDelete[] = [];
      for (const d of found) {
        try {
          if (d.missing === 'bc') await deleteRecord(crm, mapping.crm.entitySet, d.crmId);
          else if (d.missing === 'crm') await deleteRecord(bc, mapping.bc.entitySet, d.bcId);
        } catch (err) {
          // One record the system refuses to delete (BC: open invoices) never stops the others.
          if (!isApiError(err)) throw err;
          refused.push({ ...d, error: err.message });
          continue;
        }
        await couplings.uncouple(name, { bcId: bcRecordId(d.bcId) });
        await retries.applyPage(
          [],
          [retryKey(mapping.name, 'toCrm', d.bcId), retryKey(mapping.name, 'fromCrm', d.crmId)],
        );
        done.push(d);
      }
      await log([
        ...done.map((d) => ({
          bcId: d.bcId,
          crmId: d.crmId,
          why:
            d.missing === 'both'
              ? 'Delete Records: both records were already deleted; coupling removed'
              : `Delete Records: the ${d.missing === 'crm' ? 'CRM' : 'BC'} record was deleted, so the ${d.missing === 'crm' ? 'BC' : 'CRM'} record was deleted too; coupling removed`,
        })),
        ...refused.map((d) => ({
          bcId: d.bcId,
          crmId: d.crmId,
          why: `Delete Records refused by ${d.missing === 'crm' ? 'Business Central' : 'Dataverse'}: ${d.error}; the coupling stays`,
        })),
      ]);
      return { deleted: done, refused };
    },

    /** Delete Couplings: uncouples the record (both records stay) and drops its failures. */
    async removeCoupling(target: string): Promise<CouplingDoc> {
      const c = await couplingOf(target);
      if (!c) throw new RecordActionError(`${mapping.name}: no coupling for record ${target}`);
      await couplings.uncouple(name, { bcId: bcRecordId(c.bcId) });
      await retries.applyPage(
        [],
        [
          retryKey(mapping.name, 'toCrm', c.bcId),
          ...(c.crmId ? [retryKey(mapping.name, 'fromCrm', c.crmId)] : []),
        ],
      );
      await log([
        {
          bcId: c.bcId,
          crmId: c.crmId,
          why: 'Remove Coupling: the records are no longer coupled (both stay); a run with Only Coupled off or a match may couple them again',
        },
      ]);
      return c;
    },
  };
}

/** Deletes the version just read (BC requires If-Match): a record changed meanwhile is not deleted blind. */
async function deleteRecord(client: TableClient, entity: string, id: string): Promise<void> {
  const current = await client.get(entity, id);
  if (!current) return;
  const etag = current['@odata.etag'];
  await client.delete(entity, id, typeof etag === 'string' ? etag : undefined);
}

const retryRef = (r: { direction: 'toCrm' | 'fromCrm'; sourceId: string }) =>
  r.direction === 'toCrm' ? { bcId: r.sourceId } : { crmId: r.sourceId };

export type CoupledRecordActions = ReturnType<typeof coupledRecordActions>;
