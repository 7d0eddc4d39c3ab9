// Where the CRM change poller left off: one Dataverse change-tracking deltaLink per entity set (apis.md B,
// `Prefer: odata.track-changes`). Kept in MongoDB so a restart asks only for what changed since.
import type { Collection, Db } from 'mongodb';

export const CRM_DELTA_LINKS_COLLECTION = 'crmDeltaLinks';

export interface CrmDeltaLinkDoc {
  /** `<organization URL>|<entity set>`: a deltaLink only means something for the org that issued it. */
  _id: string;
  organizationUrl: string;
  entitySet: string;
  deltaLink: string;
  updatedAt: Date;
}

const key = (organizationUrl: string, entitySet: string): string => `${organizationUrl}|${entitySet}`;

export class CrmDeltaLinkStore {
  private readonly col: Collection<CrmDeltaLinkDoc>;

  constructor(db: Db) {
    this.col = db.collection<CrmDeltaLinkDoc>(CRM_DELTA_LINKS_COLLECTION);
  }

  async get(organizationUrl: string, entitySet: string): Promise<string | undefined> {
    const doc = await this.col.findOne({ _id: key(organizationUrl, entitySet) });
    return doc?.deltaLink;
  }

  async save(organizationUrl: string, entitySet: string, deltaLink: string, now = new Date()): Promise<void> {
    const _id = key(organizationUrl, entitySet);
    await this.col.replaceOne(
      { _id },
      { organizationUrl, entitySet, deltaLink, updatedAt: now },
      { upsert: true },
    );
  }

  /** Forgets a deltaLink Dataverse no longer accepts (tokens expire, default 7 days). */
  async clear(organizationUrl: string, entitySet: string): Promise<void> {
    await this.col.deleteOne({ _id: key(organizationUrl, entitySet) });
  }
}
