// Keeps one BC webhook subscription per BC resource the entries read (apis.md A, Webhooks): creates the
// missing ones, renews each before its 3-day expiry, re-creates one BC deleted (a refused notification
// or a missed renewal deletes it), and deletes them on request. What exists is kept in MongoDB.
import type { Logger } from '../../activities/logger';
import { ApiError } from '../../activities/connectors/apiError';
import {
  BC_SUBSCRIPTION_LIFETIME_MS,
  type BcSubscription,
  type BcWebhooks,
} from '../../activities/connectors/bcWebhooks';
import type {
  WebhookSubscriptionDoc,
  WebhookSubscriptionStore,
} from '../../activities/store/webhookSubscriptions';

/** Renew once less than this is left: at 2 of the 3 days, a day of slack for a receiver that was down. */
export const DEFAULT_RENEW_MARGIN_MS = 24 * 3600 * 1000;

export interface SubscriptionManagerOptions {
  webhooks: BcWebhooks;
  store: WebhookSubscriptionStore;
  /** The URL BC posts to (the public URL of the receiver). */
  notificationUrl: string;
  clientState: string;
  /** BC entity sets to watch (read at every maintenance, so mapping changes apply). */
  entitySets: () => string[];
  logger: Logger;
  renewMarginMs?: number;
  /** Clock that BC's `expirationDateTime` is compared with. */
  now?: () => number;
}

export interface MaintenanceReport {
  created: string[];
  renewed: string[];
  /** Subscriptions BC no longer had (deleted after a refused notification, or expired) and were made again. */
  recreated: string[];
  removed: string[];
  unchanged: string[];
  failed: { entitySet: string; error: string }[];
}

const normalise = (resource: string): string =>
  resource
    .replace(/^https?:\/\/[^/]+/i, '')
    .replace(/^\/+/, '')
    .toLowerCase();

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export class SubscriptionManager {
  private running: Promise<MaintenanceReport> | undefined;

  constructor(private readonly options: SubscriptionManagerOptions) {}

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }

  /** One pass over all wanted resources; never throws for one resource, failures are in the report. */
  maintain(): Promise<MaintenanceReport> {
    // Two overlapping passes would both create the missing subscriptions.
    this.running ??= this.maintainOnce().finally(() => (this.running = undefined));
    return this.running;
  }

  private async maintainOnce(): Promise<MaintenanceReport> {
    const { webhooks, store, logger } = this.options;
    const report: MaintenanceReport = {
      created: [],
      renewed: [],
      recreated: [],
      removed: [],
      unchanged: [],
      failed: [],
    };
    const live = await this.liveSubscriptions();
    const stored = new Map((await store.all()).map((d) => [d._id, d]));

    const wanted = new Map<string, string>();
    for (const entitySet of this.options.entitySets()) {
      try {
        wanted.set(await webhooks.resourcePath(entitySet), entitySet);
      } catch (err) {
        report.failed.push({ entitySet, error: errorText(err) });
      }
    }

    // Resources no entry reads any more (a mapping was removed): stop BC from calling for them.
    for (const doc of stored.values()) {
      if (wanted.has(doc._id) || report.failed.some((f) => f.entitySet === doc.entitySet)) continue;
      try {
        await webhooks.delete(this.asBc(doc));
        await store.remove(doc._id);
        report.removed.push(doc.entitySet);
      } catch (err) {
        report.failed.push({ entitySet: doc.entitySet, error: errorText(err) });
      }
    }

    for (const [resource, entitySet] of wanted) {
      try {
        const outcome = await this.ensure(resource, entitySet, stored.get(resource), live);
        report[outcome].push(entitySet);
      } catch (err) {
        report.failed.push({ entitySet, error: errorText(err) });
      }
    }
    for (const failure of report.failed) {
      logger.warn(
        { entitySet: failure.entitySet, err: failure.error },
        'BC webhook subscription could not be set up; the entry still runs on its schedule, retried at the next maintenance',
      );
    }
    logger.info(
      {
        created: report.created,
        renewed: report.renewed,
        recreated: report.recreated,
        removed: report.removed,
        failed: report.failed.length,
      },
      'BC webhook subscriptions maintained',
    );
    return report;
  }

  /** Subscriptions BC has now (both API routes), or undefined when it cannot be asked. */
  private async liveSubscriptions(): Promise<BcSubscription[] | undefined> {
    try {
      const all = await this.options.webhooks.list({ includeCustomRoute: true });
      const byId = new Map(all.map((s) => [s.subscriptionId, s]));
      return [...byId.values()];
    } catch (err) {
      this.options.logger.warn(
        { err: errorText(err) },
        'could not list BC webhook subscriptions; using the stored ones',
      );
      return undefined;
    }
  }

  private async ensure(
    resource: string,
    entitySet: string,
    doc: WebhookSubscriptionDoc | undefined,
    live: BcSubscription[] | undefined,
  ): Promise<'created' | 'renewed' | 'recreated' | 'unchanged'> {
    const { notificationUrl, clientState, webhooks } = this.options;
    if (doc && doc.notificationUrl !== notificationUrl) {
      // The public URL changed: the old subscription would keep calling the old address.
      await webhooks.delete(this.asBc(doc));
      await this.options.store.remove(resource);
      doc = undefined;
    }
    if (!doc) {
      // One BC already has for us (its create answer was lost, or the store was reset) is adopted when it
      // carries our secret; one with another secret is a stale leftover and goes.
      const mine = live?.filter(
        (s) => normalise(s.resource) === normalise(resource) && s.notificationUrl === notificationUrl,
      );
      for (const s of mine ?? []) {
        if (s.clientState === clientState && !doc) {
          doc = this.docOf(resource, entitySet, s, this.now());
          await this.options.store.save(doc);
        } else {
          await webhooks.delete(s);
        }
      }
      if (!doc) {
        await this.create(resource, entitySet);
        return 'created';
      }
    }
    if (live && !live.some((s) => s.subscriptionId === doc.subscriptionId)) {
      await this.create(resource, entitySet);
      return 'recreated';
    }
    if (doc.expiresAt.getTime() - this.now() >= (this.options.renewMarginMs ?? DEFAULT_RENEW_MARGIN_MS)) {
      return 'unchanged';
    }
    return this.renew(doc);
  }

  private async create(resource: string, entitySet: string): Promise<WebhookSubscriptionDoc> {
    const { webhooks, notificationUrl, clientState } = this.options;
    // BC calls the receiver for the handshake before it answers this request, so the receiver must be up.
    const sub = await webhooks.create({ notificationUrl, entity: entitySet, clientState });
    const doc = this.docOf(resource, entitySet, sub, this.now());
    await this.options.store.save(doc);
    return doc;
  }

  private async renew(doc: WebhookSubscriptionDoc): Promise<'renewed' | 'recreated'> {
    const { webhooks } = this.options;
    let renewed: BcSubscription;
    try {
      renewed = await webhooks.renew(this.asBc(doc));
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      if (err.kind === 'notFound') {
        // BC deleted it (expired, or a refused notification): make a new one.
        await this.create(doc._id, doc.entitySet);
        return 'recreated';
      }
      if (err.kind !== 'conflict') throw err;
      // Renewed meanwhile by another receiver on the same database: renew whatever version BC has.
      renewed = await webhooks.renew({ ...this.asBc(doc), '@odata.etag': undefined });
    }
    await this.options.store.save({
      ...this.docOf(doc._id, doc.entitySet, renewed, this.now()),
      createdAt: doc.createdAt,
    });
    return 'renewed';
  }

  /** Deletes every subscription of this receiver in BC and in the store; returns their entity sets. */
  async removeAll(): Promise<string[]> {
    const { webhooks, store, notificationUrl } = this.options;
    const removed: string[] = [];
    for (const doc of await store.all()) {
      await webhooks.delete(this.asBc(doc));
      await store.remove(doc._id);
      removed.push(doc.entitySet);
    }
    // Leftovers BC still calls us for, e.g. from a store that was reset.
    for (const s of (await this.liveSubscriptions()) ?? []) {
      if (s.notificationUrl === notificationUrl) await webhooks.delete(s);
    }
    return removed;
  }

  list(): Promise<WebhookSubscriptionDoc[]> {
    return this.options.store.all();
  }

  private docOf(
    resource: string,
    entitySet: string,
    sub: BcSubscription,
    now: number,
  ): WebhookSubscriptionDoc {
    const expires = sub.expirationDateTime ? Date.parse(sub.expirationDateTime) : NaN;
    return {
      _id: resource,
      kind: 'subscription',
      entitySet,
      resource: sub.resource,
      subscriptionId: sub.subscriptionId,
      notificationUrl: sub.notificationUrl,
      expiresAt: new Date(Number.isNaN(expires) ? now + BC_SUBSCRIPTION_LIFETIME_MS : expires),
      ...(sub['@odata.etag'] ? { etag: sub['@odata.etag'] } : {}),
      createdAt: new Date(now),
      renewedAt: new Date(now),
    };
  }

  private asBc(doc: WebhookSubscriptionDoc): BcSubscription {
    return {
      subscriptionId: doc.subscriptionId,
      notificationUrl: doc.notificationUrl,
      resource: doc.resource,
      clientState: this.options.clientState,
      ...(doc.etag ? { '@odata.etag': doc.etag } : {}),
    };
  }
}
