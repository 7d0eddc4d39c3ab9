// Business Central webhook subscriptions this installation owns (apis.md A: 3-day expiry, renew with
// PATCH), and the receiver's clientState secret. Kept in MongoDB so a restarted or second receiver
// renews the subscriptions it already has instead of piling up new ones (BC allows 200 per tenant).
import { randomBytes } from 'node:crypto';
import type { Collection, Db } from 'mongodb';

export const WEBHOOK_SUBSCRIPTIONS_COLLECTION = 'webhookSubscriptions';

/** One subscription per BC resource path; `_id` is that path, e.g. `api/v2.0/companies(<id>)/customers`. */
export interface WebhookSubscriptionDoc {
  _id: string;
  kind: 'subscription';
  /** Entity set of the resource (`customers`), for people and for the wake routes. */
  entitySet: string;
  resource: string;
  subscriptionId: string;
  notificationUrl: string;
  /** BC's `expirationDateTime`. */
  expiresAt: Date;
  /** `@odata.etag` of the subscription, sent as If-Match on renew and delete. */
  etag?: string;
  createdAt: Date;
  renewedAt: Date;
}

/** The shared secret BC echoes as `clientState` in every notification. Never logged or printed. */
interface ClientStateDoc {
  _id: '#clientState';
  kind: 'clientState';
  value: string;
  createdAt: Date;
}

type StoredDoc = WebhookSubscriptionDoc | ClientStateDoc;

const CLIENT_STATE_ID = '#clientState';

export class WebhookSubscriptionStore {
  private readonly col: Collection<StoredDoc>;

  constructor(db: Db) {
    this.col = db.collection<StoredDoc>(WEBHOOK_SUBSCRIPTIONS_COLLECTION);
  }

  /**
   * The receiver's clientState: created once (random, 32 bytes) and then reused, so subscriptions made by
   * an earlier run keep being accepted. Two receivers starting at once agree on the first one written.
   */
  async clientState(): Promise<string> {
    const candidate = randomBytes(32).toString('base64url');
    for (let attempt = 0; ; attempt++) {
      try {
        await this.col.updateOne(
          { _id: CLIENT_STATE_ID },
          { $setOnInsert: { kind: 'clientState', value: candidate, createdAt: new Date() } },
          { upsert: true },
        );
        break;
      } catch (err) {
        // A concurrent upsert of the same _id loses with a duplicate key error; the other one's value wins.
        if (attempt > 0 || (err as { code?: number }).code !== 11000) throw err;
      }
    }
    const doc = await this.col.findOne({ _id: CLIENT_STATE_ID });
    if (doc?.kind !== 'clientState') {
      throw new Error(
        `The webhook clientState is missing from MongoDB collection ${WEBHOOK_SUBSCRIPTIONS_COLLECTION} right after it was written; check that the database accepts writes.`,
      );
    }
    return doc.value;
  }

  async all(): Promise<WebhookSubscriptionDoc[]> {
    const docs = await this.col.find({ kind: 'subscription' }).sort({ _id: 1 }).toArray();
    return docs.filter((d): d is WebhookSubscriptionDoc => d.kind === 'subscription');
  }

  async get(resource: string): Promise<WebhookSubscriptionDoc | undefined> {
    const doc = await this.col.findOne({ _id: resource, kind: 'subscription' });
    return doc?.kind === 'subscription' ? doc : undefined;
  }

  async save(doc: WebhookSubscriptionDoc): Promise<void> {
    await this.col.replaceOne({ _id: doc._id }, doc, { upsert: true });
  }

  async remove(resource: string): Promise<void> {
    await this.col.deleteOne({ _id: resource, kind: 'subscription' });
  }
}
