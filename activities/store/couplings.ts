// Couplings: the CRM Integration Record table (5331), one document per coupled pair and mapping.
import { z } from 'zod';
import type { Collection } from 'mongodb';
import type { BcRecordId, CrmRecordId, JobId, MappingName } from '../../common/ids';

export const SyncResult = z.enum(['Success', 'Failure']);
export type SyncResult = z.infer<typeof SyncResult>;

/** Per-direction bookkeeping (section 3): the source modified time at last sync, result, job, last error. */
export const DirectionState = z.object({
  lastSyncModifiedOn: z.date().optional(),
  lastResult: SyncResult.optional(),
  lastJobId: z.string().optional(),
  /** A fingerprint of the last error, to detect "same error twice in a row" (-> Skipped). */
  lastError: z.string().optional(),
});
export type DirectionState = z.infer<typeof DirectionState>;

export const CouplingDoc = z.object({
  _id: z.string(),
  mapping: z.string(),
  bcId: z.string(),
  /** Absent while a BC -> CRM insert is only intended (exactly-once create, resolved on retry). */
  crmId: z.string().optional(),
  /** `pending`: the create intent was recorded but not yet confirmed by the destination. */
  state: z.enum(['coupled', 'pending']),
  toCrm: DirectionState.default({}),
  fromCrm: DirectionState.default({}),
  skipped: z.boolean().default(false),
  createdAt: z.date(),
  updatedAt: z.date(),
});
export type CouplingDoc = z.infer<typeof CouplingDoc>;

export const couplingKey = (mapping: MappingName, bcId: BcRecordId): string => `${mapping}|${bcId}`;

export class CouplingConflictError extends Error {
  override name = 'CouplingConflictError';
}

export class CouplingStore {
  constructor(private readonly col: Collection<CouplingDoc>) {}

  findByBc(mapping: MappingName, bcId: BcRecordId): Promise<CouplingDoc | null> {
    return this.col.findOne({ _id: couplingKey(mapping, bcId) });
  }

  findByCrm(mapping: MappingName, crmId: CrmRecordId): Promise<CouplingDoc | null> {
    return this.col.findOne({ mapping, crmId });
  }

  /**
   * Couples a pair by hand or after an insert. One-to-one (section 3): fails with "already coupled" when
   * either side is coupled to another record in this mapping.
   */
  async couple(
    mapping: MappingName,
    bcId: BcRecordId,
    crmId: CrmRecordId,
    now = new Date(),
  ): Promise<CouplingDoc> {
    const existingCrm = await this.findByCrm(mapping, crmId);
    if (existingCrm && existingCrm.bcId !== bcId) {
      throw new CouplingConflictError(
        `${mapping}: CRM record ${crmId} is already coupled to BC record ${existingCrm.bcId}; uncouple it first`,
      );
    }
    const existingBc = await this.findByBc(mapping, bcId);
    if (existingBc?.crmId && existingBc.crmId !== crmId) {
      throw new CouplingConflictError(
        `${mapping}: BC record ${bcId} is already coupled to CRM record ${existingBc.crmId}; uncouple it first`,
      );
    }
    const doc: CouplingDoc = existingBc
      ? { ...existingBc, crmId, state: 'coupled', updatedAt: now }
      : {
          _id: couplingKey(mapping, bcId),
          mapping,
          bcId,
          crmId,
          state: 'coupled',
          toCrm: {},
          fromCrm: {},
          skipped: false,
          createdAt: now,
          updatedAt: now,
        };
    await this.col.replaceOne({ _id: doc._id }, doc, { upsert: true });
    return doc;
  }

  async uncouple(mapping: MappingName, ids: { bcId?: BcRecordId; crmId?: CrmRecordId }): Promise<boolean> {
    const filter = ids.bcId ? { _id: couplingKey(mapping, ids.bcId) } : { mapping, crmId: ids.crmId };
    const res = await this.col.deleteOne(filter);
    return res.deletedCount === 1;
  }

  count(mapping: MappingName): Promise<number> {
    return this.col.countDocuments({ mapping });
  }

  /** Records whose last result in a direction was Failure and are not skipped (rule 4.2). */
  failedNotSkipped(mapping: MappingName, direction: 'toCrm' | 'fromCrm') {
    return this.col.find({ mapping, skipped: false, [`${direction}.lastResult`]: 'Failure' });
  }
}

export type { JobId };
