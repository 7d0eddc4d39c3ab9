// Integration table mappings in MongoDB, with their watermarks. The definition comes from defaults and
// the config file (mappingConfig.ts) and is written here at start-up, so every worker and the CLI see
// the same mappings; the watermarks are the engine's own and survive a re-seed.
import type { Collection, Db } from 'mongodb';
import type { IntegrationTableMapping } from '../mappings/integrationTableMapping';

export interface Watermarks {
  /** Synch. Int. Tbl. Mod. On Fltr.: BC lastModifiedDateTime already processed (BC -> CRM). */
  bcModifiedOn?: Date;
  /** Synch. Modified On Filter: CRM modifiedon already processed (CRM -> BC). */
  crmModifiedOn?: Date;
}

export interface MappingDoc {
  _id: string;
  definition: IntegrationTableMapping;
  watermarks: Watermarks;
  updatedAt: Date;
}

/**
 * The watermark of a job that is not a mapping (Customer Statistics), kept apart so that every document of
 * the mappings collection stays a mapping.
 */
export class JobWatermarkStore {
  private readonly col: Collection<{ _id: string; bcModifiedOn?: Date }>;

  constructor(db: Db) {
    this.col = db.collection('jobWatermarks');
  }

  async get(name: string): Promise<Date | undefined> {
    return (await this.col.findOne({ _id: name }))?.bcModifiedOn ?? undefined;
  }

  /** Only forward (rule 4.5). */
  async advance(name: string, to: Date): Promise<void> {
    const current = await this.get(name);
    if (current && current.getTime() >= to.getTime()) return;
    await this.col.updateOne({ _id: name }, { $set: { bcModifiedOn: to } }, { upsert: true });
  }
}

export class MappingStore {
  constructor(private readonly col: Collection<MappingDoc>) {}

  /** Writes every definition; keeps watermarks. Idempotent. */
  async seed(mappings: IntegrationTableMapping[], now = new Date()): Promise<void> {
    if (mappings.length === 0) return;
    await this.col.bulkWrite(
      mappings.map((m) => ({
        updateOne: {
          filter: { _id: m.name },
          update: { $set: { definition: m, updatedAt: now }, $setOnInsert: { watermarks: {} } },
          upsert: true,
        },
      })),
    );
  }

  async all(): Promise<MappingDoc[]> {
    return this.col.find({}).toArray();
  }

  get(name: string): Promise<MappingDoc | null> {
    return this.col.findOne({ _id: name });
  }

  /** A watermark only moves forward (section 1); the guard is in the filter, so concurrent writers are safe. */
  async advanceWatermark(name: string, side: keyof Watermarks, to: Date): Promise<void> {
    const field = `watermarks.${side}`;
    await this.col.updateOne(
      { _id: name, $or: [{ [field]: { $exists: false } }, { [field]: null }, { [field]: { $lt: to } }] },
      { $set: { [field]: to } },
    );
  }

  /** Full synchronization clears both watermarks (section 7). */
  async clearWatermarks(name: string): Promise<void> {
    await this.col.updateOne({ _id: name }, { $set: { watermarks: {} } });
  }
}
