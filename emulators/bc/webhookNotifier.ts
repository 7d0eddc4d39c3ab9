// Webhook notifications (apis.md A): BC waits a coalescing window (30 s) after the first change, then POSTs
// `{"value":[{subscriptionId, clientState, expirationDateTime, resource, changeType, lastModifiedDateTime}]}`
// with one entry per changed entity, or one `collection` entry when more than 1,000 changed in the window.
// Only 408, 429 and 5xx answers (and unreachable receivers) are retried, with backoff and a bounded number
// of attempts; any other non-success answer deletes the subscriptions in that notification.
import type { EntityChange, ChangeType } from './bcState';
import type { EmulatorClock } from './emulatorClock';
import type { Subscription, SubscriptionStore } from './webhookSubscriptions';
import { CUSTOM_API_PATH } from './bcRoutes';

export interface WebhookSettings {
  /** Coalescing window after the first change (BC: 30,000 ms). */
  coalesceMs: number;
  /** More changes than this for one subscription in a window -> one `collection` entry (BC: 1,000). */
  collectionThreshold: number;
  /** First retry delay; doubles per attempt (BC retries for 36 hours). */
  retryBaseMs: number;
  /** Delivery attempts per notification, the first included. */
  maxAttempts: number;
}

export const DEFAULT_WEBHOOK_SETTINGS: WebhookSettings = {
  coalesceMs: 30_000,
  collectionThreshold: 1_000,
  retryBaseMs: 60_000,
  maxAttempts: 8,
};

export interface NotificationEntry {
  subscriptionId: string;
  clientState: string;
  expirationDateTime: string;
  resource: string;
  changeType: ChangeType | 'collection';
  lastModifiedDateTime: string;
}

interface PendingChange {
  changeType: ChangeType;
  lastModifiedDateTime: string;
}

interface UrlBuffer {
  timer?: NodeJS.Timeout;
  /** subscriptionId -> entity id -> change */
  bySubscription: Map<string, { firstChangeAt: number; changes: Map<string, PendingChange> }>;
}

interface RetryItem {
  url: string;
  entries: NotificationEntry[];
  attempt: number;
  timer?: NodeJS.Timeout;
}

export interface DeliveryRecord {
  url: string;
  status: number;
  entries: number;
  outcome: 'delivered' | 'retrying' | 'dropped' | 'subscriptionsDeleted';
}

/** created then updated stays created; anything then deleted is deleted (one entry per entity). */
function mergeChange(previous: PendingChange | undefined, next: PendingChange): PendingChange {
  if (!previous) return next;
  if (next.changeType === 'deleted') return next;
  return {
    changeType: previous.changeType === 'created' ? 'created' : next.changeType,
    lastModifiedDateTime: next.lastModifiedDateTime,
  };
}

export function isRetryableStatus(status: number): boolean {
  return status === 0 || status === 408 || status === 429 || (status >= 500 && status <= 599);
}

export class WebhookNotifier {
  private readonly buffers = new Map<string, UrlBuffer>();
  private readonly retries = new Set<RetryItem>();
  private readonly inFlight = new Set<Promise<void>>();
  private stopped = false;
  /** Recent deliveries, newest last (GET /_admin/webhooks shows them). */
  readonly log: DeliveryRecord[] = [];

  constructor(
    private readonly store: SubscriptionStore,
    private readonly clock: EmulatorClock,
    public settings: WebhookSettings,
  ) {}

  onChanges(changes: readonly EntityChange[]): void {
    if (this.stopped) return;
    const subscriptions = this.store.active();
    if (subscriptions.length === 0) return;
    for (const change of changes) {
      for (const s of subscriptions) {
        if (s.target.entitySet !== change.entitySet) continue;
        const buffer = this.bufferFor(s.notificationUrl);
        let pending = buffer.bySubscription.get(s.subscriptionId);
        if (!pending) {
          pending = {
            firstChangeAt: Date.parse(change.lastModifiedDateTime) || this.clock.now(),
            changes: new Map(),
          };
          buffer.bySubscription.set(s.subscriptionId, pending);
        }
        pending.changes.set(change.id, mergeChange(pending.changes.get(change.id), change));
      }
    }
  }

  /** Delivers everything pending now, retries included, and waits for the answers (POST /_admin/webhooks/flush). */
  async flush(): Promise<void> {
    for (const [url, buffer] of this.buffers) {
      if (buffer.timer) clearTimeout(buffer.timer);
      this.buffers.delete(url);
      this.track(this.deliver(url, this.entriesOf(buffer), 1));
    }
    for (const item of [...this.retries]) {
      if (item.timer) clearTimeout(item.timer);
      this.retries.delete(item);
      this.track(this.deliver(item.url, item.entries, item.attempt));
    }
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  pendingCount(): number {
    let n = 0;
    for (const b of this.buffers.values()) for (const p of b.bySubscription.values()) n += p.changes.size;
    return n + [...this.retries].reduce((sum, r) => sum + r.entries.length, 0);
  }

  clear(): void {
    for (const b of this.buffers.values()) if (b.timer) clearTimeout(b.timer);
    for (const r of this.retries) if (r.timer) clearTimeout(r.timer);
    this.buffers.clear();
    this.retries.clear();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.clear();
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private bufferFor(url: string): UrlBuffer {
    const existing = this.buffers.get(url);
    if (existing) return existing;
    const buffer: UrlBuffer = { bySubscription: new Map() };
    this.buffers.set(url, buffer);
    // apis.md A: the window starts with the first change and is not extended by later ones.
    const timer = setTimeout(() => {
      if (this.buffers.get(url) !== buffer) return;
      this.buffers.delete(url);
      this.track(this.deliver(url, this.entriesOf(buffer), 1));
    }, this.settings.coalesceMs);
    timer.unref();
    buffer.timer = timer;
    return buffer;
  }

  private entriesOf(buffer: UrlBuffer): NotificationEntry[] {
    const entries: NotificationEntry[] = [];
    for (const [subscriptionId, pending] of buffer.bySubscription) {
      const s = this.store.get(subscriptionId);
      if (!s || pending.changes.size === 0) continue;
      const prefix = `api/${s.target.api === 'v2.0' ? 'v2.0' : CUSTOM_API_PATH}/companies(${s.target.companyId})/${s.target.entitySet}`;
      if (pending.changes.size > this.settings.collectionThreshold) {
        let latest = '';
        for (const c of pending.changes.values())
          if (c.lastModifiedDateTime > latest) latest = c.lastModifiedDateTime;
        const since = new Date(pending.firstChangeAt - 1).toISOString();
        entries.push({
          ...this.entryBase(s),
          resource: `/${prefix}?$filter=lastModifiedDateTime%20gt%20${since}`,
          changeType: 'collection',
          lastModifiedDateTime: latest,
        });
        continue;
      }
      for (const [id, change] of pending.changes) {
        entries.push({
          ...this.entryBase(s),
          resource: `${prefix}(${id})`,
          changeType: change.changeType,
          lastModifiedDateTime: change.lastModifiedDateTime,
        });
      }
    }
    return entries;
  }

  private entryBase(
    s: Subscription,
  ): Pick<NotificationEntry, 'subscriptionId' | 'clientState' | 'expirationDateTime'> {
    return {
      subscriptionId: s.subscriptionId,
      clientState: s.clientState,
      expirationDateTime: s.expirationDateTime,
    };
  }

  private track(work: Promise<void>): void {
    const tracked = work.finally(() => this.inFlight.delete(tracked));
    this.inFlight.add(tracked);
  }

  private record(entry: DeliveryRecord): void {
    this.log.push(entry);
    if (this.log.length > 200) this.log.splice(0, this.log.length - 200);
  }

  private async deliver(url: string, allEntries: NotificationEntry[], attempt: number): Promise<void> {
    // Subscriptions deleted or expired while waiting get nothing.
    const entries = allEntries.filter((e) => this.store.get(e.subscriptionId) !== undefined);
    if (entries.length === 0 || this.stopped) return;
    let status = 0;
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ value: entries }),
        signal: AbortSignal.timeout(30_000),
      });
      status = response.status;
      await response.arrayBuffer();
    } catch {
      status = 0;
    }
    if (status >= 200 && status <= 299) {
      this.record({ url, status, entries: entries.length, outcome: 'delivered' });
      return;
    }
    if (isRetryableStatus(status)) {
      if (attempt >= this.settings.maxAttempts || this.stopped) {
        this.record({ url, status, entries: entries.length, outcome: 'dropped' });
        return;
      }
      this.record({ url, status, entries: entries.length, outcome: 'retrying' });
      const item: RetryItem = { url, entries, attempt: attempt + 1 };
      const delay = this.settings.retryBaseMs * 2 ** (attempt - 1);
      item.timer = setTimeout(() => {
        if (!this.retries.delete(item)) return;
        this.track(this.deliver(item.url, item.entries, item.attempt));
      }, delay);
      item.timer.unref();
      this.retries.add(item);
      return;
    }
    // apis.md A: any other non-success answer deletes the subscription.
    for (const id of new Set(entries.map((e) => e.subscriptionId))) this.store.drop(id);
    this.record({ url, status, entries: entries.length, outcome: 'subscriptionsDeleted' });
  }
}
