// Business Central webhook subscriptions (apis.md A): create, renew before the 3-day expiry, delete, list;
// and the receiver's answer to BC's validation handshake. Subscriptions to custom API entities go to the
// custom API route's own `subscriptions` endpoint, as BC requires.
import { z } from 'zod';
import { bcWebhookSupported } from '../../common/bcWebhookSupport';
import { ApiError, isApiError } from './apiError';
import type { BcClient } from './bcClient';
import { getCollectionPage } from './odataQuery';
import type { CallOptions } from './types';

/** apis.md A: a subscription expires 3 days after it was created or last renewed. */
export const BC_SUBSCRIPTION_LIFETIME_MS = 3 * 24 * 3600 * 1000;
/** Renew when less than this is left: one day of slack for a worker that was down. */
export const DEFAULT_RENEW_MARGIN_MS = 24 * 3600 * 1000;

export const subscriptionSchema = z.looseObject({
  subscriptionId: z.string(),
  notificationUrl: z.string(),
  resource: z.string(),
  clientState: z.string().optional().nullable(),
  expirationDateTime: z.string().optional(),
  lastModifiedDateTime: z.string().optional(),
  '@odata.etag': z.string().optional(),
});
export type BcSubscription = z.infer<typeof subscriptionSchema>;

export interface SubscriptionInput {
  /** Where BC posts notifications (https for a real tenant). */
  notificationUrl: string;
  /** Entity set to watch, e.g. `customers` (the resource path is built from the company and route). */
  entity: string;
  /** Echoed in every notification: a shared secret to recognise genuine calls (max 2048 chars). */
  clientState?: string;
}

export const notificationSchema = z.object({
  value: z.array(
    z.looseObject({
      subscriptionId: z.string(),
      clientState: z.string().optional().nullable(),
      expirationDateTime: z.string().optional(),
      resource: z.string(),
      changeType: z.enum(['created', 'updated', 'deleted', 'collection']),
      lastModifiedDateTime: z.string().optional(),
    }),
  ),
});
export type BcNotification = z.infer<typeof notificationSchema>['value'][number];

export class BcWebhooks {
  constructor(private readonly bc: BcClient) {}

  /** Whether BC sends notifications for this entity set on its route (common/bcWebhookSupport.ts). */
  supports(entity: string): boolean {
    return bcWebhookSupported(this.bc.isCustomEntity(entity) ? 'custom' : 'v2.0', entity);
  }

  /** `api/v2.0/companies(<id>)/customers` (or the custom API path), as BC expects in `resource`. */
  async resourcePath(entity: string, options?: CallOptions): Promise<string> {
    const url = await this.bc.entityUrl(entity, options);
    return url.slice(url.indexOf('/api/') + 1);
  }

  private subscriptionsUrl(entity?: string): string {
    return `${entity ? this.bc.routeBase(entity) : this.bc.standardBase}/subscriptions`;
  }

  private subscriptionUrl(sub: Pick<BcSubscription, 'subscriptionId' | 'resource'>): string {
    const custom = !sub.resource.replace(/^\/+/, '').startsWith('api/v2.0/');
    const base = custom ? `${this.bc.customBase}/subscriptions` : this.subscriptionsUrl();
    return `${base}('${encodeURIComponent(sub.subscriptionId)}')`;
  }

  /** BC first calls notificationUrl?validationToken=... and only creates the subscription if answered. */
  async create(input: SubscriptionInput, options?: CallOptions): Promise<BcSubscription> {
    const body = {
      notificationUrl: input.notificationUrl,
      resource: await this.resourcePath(input.entity, options),
      ...(input.clientState !== undefined ? { clientState: input.clientState } : {}),
    };
    const response = await this.bc.transport.send({
      method: 'POST',
      url: this.subscriptionsUrl(input.entity),
      body,
      signal: options?.signal,
      // A lost answer may hide a created subscription: list() and renew/delete settle it, no blind resend.
      idempotent: false,
    });
    return subscriptionSchema.parse(response.json());
  }

  /** PATCH with If-Match restarts the 3-day lifetime (and repeats the handshake). */
  async renew(sub: BcSubscription, options?: CallOptions): Promise<BcSubscription> {
    const response = await this.bc.transport.send({
      method: 'PATCH',
      url: this.subscriptionUrl(sub),
      headers: { 'If-Match': sub['@odata.etag'] ?? '*' },
      body: {
        notificationUrl: sub.notificationUrl,
        resource: sub.resource,
        ...(sub.clientState ? { clientState: sub.clientState } : {}),
      },
      signal: options?.signal,
      idempotent: true,
    });
    return subscriptionSchema.parse(response.json());
  }

  /** Deletes a subscription; an already deleted one is not an error. */
  async delete(
    sub: Pick<BcSubscription, 'subscriptionId' | 'resource'> & { '@odata.etag'?: string },
    options?: CallOptions,
  ): Promise<void> {
    try {
      await this.bc.transport.send({
        method: 'DELETE',
        url: this.subscriptionUrl(sub),
        headers: { 'If-Match': sub['@odata.etag'] ?? '*' },
        signal: options?.signal,
        idempotent: true,
      });
    } catch (err) {
      if (err instanceof ApiError && err.kind === 'notFound') return;
      throw err;
    }
  }

  /**
   * Subscriptions of this client on the standard route and the custom API route (customers, contacts and
   * items are subscribed there); a company without the bcsync extension answers 404 there, which is
   * no subscription rather than an error.
   */
  async list(options?: CallOptions & { includeCustomRoute?: boolean }): Promise<BcSubscription[]> {
    const urls = [this.subscriptionsUrl()];
    if (options?.includeCustomRoute !== false) urls.push(`${this.bc.customBase}/subscriptions`);
    const out: BcSubscription[] = [];
    for (const [n, url] of urls.entries()) {
      try {
        const page = await getCollectionPage(this.bc.transport, url, {}, options?.signal);
        out.push(...page.records.map((r) => subscriptionSchema.parse(r)));
      } catch (err) {
        if (n > 0 && isApiError(err) && err.info.kind === 'notFound') continue;
        throw err;
      }
    }
    return out;
  }

  /** Renews every listed subscription that expires within `marginMs`; returns the renewed ones. */
  async renewExpiring(
    options?: CallOptions & { marginMs?: number; now?: number; includeCustomRoute?: boolean },
  ): Promise<BcSubscription[]> {
    const renewed: BcSubscription[] = [];
    for (const sub of await this.list(options)) {
      if (needsRenewal(sub, options?.now ?? Date.now(), options?.marginMs))
        renewed.push(await this.renew(sub, options));
    }
    return renewed;
  }
}

export function needsRenewal(
  sub: BcSubscription,
  now: number,
  marginMs: number = DEFAULT_RENEW_MARGIN_MS,
): boolean {
  const expires = sub.expirationDateTime ? Date.parse(sub.expirationDateTime) : NaN;
  if (Number.isNaN(expires)) return true;
  return expires - now < marginMs;
}

export interface ValidationAnswer {
  status: 200 | 400;
  headers: { 'Content-Type': 'text/plain; charset=utf-8'; 'X-Content-Type-Options': 'nosniff' };
  body: string;
}

// Microsoft documents no length for the token (apis.md A: an opaque value on the query string); BC's are
// short. 1,024 characters leaves room for any real one and keeps the receiver from reflecting bulk text.
export const MAX_VALIDATION_TOKEN_LENGTH = 1024;

/**
 * The receiver's side of the handshake: BC calls `notificationUrl?validationToken=<token>` and expects
 * 200 with the token as plain text (apis.md A). Returns that answer, or undefined when the request is
 * not a validation request (then it is a notification).
 */
export function answerValidation(requestUrl: string | URL): ValidationAnswer | undefined {
  const url = typeof requestUrl === 'string' ? new URL(requestUrl, 'http://receiver.invalid') : requestUrl;
  const token = url.searchParams.get('validationToken');
  if (token === null) return undefined;
  // The token is echoed to whoever calls: as plain text that no browser may sniff into HTML or script,
  // and only as long as a real one (anything longer is not BC: refused, not reflected).
  const headers = {
    'Content-Type': 'text/plain; charset=utf-8',
    'X-Content-Type-Options': 'nosniff',
  } as const;
  if (token.length > MAX_VALIDATION_TOKEN_LENGTH)
    return { status: 400, headers, body: 'validationToken is too long' };
  return { status: 200, headers, body: token };
}

/** Parses a notification body; throws a ZodError naming the bad field if it is not one. */
export function parseNotification(body: unknown): BcNotification[] {
  return notificationSchema.parse(body).value;
}
