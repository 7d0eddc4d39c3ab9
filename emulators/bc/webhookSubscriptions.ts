// Webhook subscriptions (apis.md A: Webhooks; BC docs "Working with webhooks"): creating or renewing one
// first calls `notificationUrl?validationToken=...` and needs 200 with the token as plain text; a
// subscription lives 3 days on the emulator clock unless renewed by PATCH (If-Match); at most 200 exist.
import { randomBytes, randomUUID } from 'node:crypto';
import { z } from 'zod';
import { BcApiError, bcErrors } from './bcErrors';
import type { BcState } from './bcState';
import { CUSTOM_API_PATH } from './bcRoutes';
import { checkIfMatch } from './entityWriter';
import { bcWebhookSupported } from '../../common/bcWebhookSupport';
import { entityDefFor, type ApiRoute } from './entityModel';

export const SUBSCRIPTION_LIFETIME_MS = 3 * 24 * 60 * 60 * 1000;
export const MAX_SUBSCRIPTIONS = 200;
const HANDSHAKE_TIMEOUT_MS = 10_000;

export interface Subscription {
  subscriptionId: string;
  notificationUrl: string;
  resource: string;
  clientState: string;
  expirationDateTime: string;
  userId: string;
  timestamp: number;
  systemCreatedAt: string;
  systemModifiedAt: string;
  lastModifiedDateTime: string;
  etag: string;
  /** Parsed resource. */
  target: { api: ApiRoute; companyId: string; entitySet: string };
}

const createSchema = z.object({
  notificationUrl: z.string().min(1),
  resource: z.string().min(1),
  clientState: z.string().max(2048).optional(),
});

const patchSchema = createSchema.partial();

function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  const parsed = schema.safeParse(body ?? {});
  if (!parsed.success) throw bcErrors.badRequest(`Invalid Request Body: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

/** `/api/v2.0/companies({id})/customers` (relative or absolute, with or without /v2.0/{env}) -> its parts. */
export function parseSubscriptionResource(
  state: BcState,
  resource: string,
  api: ApiRoute,
): Subscription['target'] {
  const path = resource.replace(/^https?:\/\/[^/]+/i, '').split('?')[0];
  const apiPath = api === 'v2.0' ? 'v2.0' : CUSTOM_API_PATH;
  const re = new RegExp(`(?:^|/)api/${apiPath.replace(/\./g, '\\.')}/companies\\(([^)]+)\\)/([A-Za-z]+)/?$`);
  const match = re.exec(path);
  const notSupported = () =>
    bcErrors.badRequest(
      `The resource '${resource}' cannot be subscribed to. Use /api/${apiPath}/companies({id})/{entitySet} with an entity set of this API.`,
    );
  if (!match) throw notSupported();
  const companyId = match[1].replace(/^'(.*)'$/, '$1').toLowerCase();
  if (companyId !== state.company.id) throw bcErrors.recordNotFound('Company', companyId);
  const def = entityDefFor(api, match[2]);
  // Document lines notify through their header (BC docs: "a notification is sent for the header").
  if (!def || def.parentSet) throw notSupported();
  // Only the documented entity sets notify (common/bcWebhookSupport.ts).
  if (!bcWebhookSupported(api === 'v2.0' ? 'v2.0' : 'custom', def.entitySet)) {
    throw bcErrors.badRequest(
      `The resource '${resource}' is not webhook-enabled: '${def.entitySet}' is not in webhookSupportedResources of this API.`,
    );
  }
  return { api, companyId, entitySet: def.entitySet };
}

async function handshake(notificationUrl: string): Promise<void> {
  const token = randomBytes(16).toString('hex');
  let url: URL;
  try {
    url = new URL(notificationUrl);
  } catch {
    throw bcErrors.badRequest(`The notificationUrl '${notificationUrl}' is not an absolute URL.`);
  }
  url.searchParams.set('validationToken', token);
  let status = 0;
  let text = '';
  try {
    const response = await fetch(url, { method: 'POST', signal: AbortSignal.timeout(HANDSHAKE_TIMEOUT_MS) });
    status = response.status;
    text = (await response.text()).trim();
  } catch (error) {
    throw bcErrors.badRequest(
      `The subscription was not registered: the notification URL could not be reached for the validation handshake (${(error as Error).message}).`,
    );
  }
  const echoed = text === token || text === JSON.stringify(token);
  if (status !== 200 || !echoed) {
    throw bcErrors.badRequest(
      `The subscription was not registered: the notification URL must answer the validation request with status 200 and the validationToken as plain text (got status ${status}${status === 200 ? ' and another body' : ''}).`,
    );
  }
}

export class SubscriptionStore {
  private readonly subscriptions = new Map<string, Subscription>();

  constructor(
    private readonly state: BcState,
    private readonly userId: string,
  ) {}

  /** Active subscriptions; expired ones are dropped first (apis.md A: expiry 3 days). */
  active(): Subscription[] {
    const now = this.state.clock.now();
    for (const [id, s] of this.subscriptions) {
      if (Date.parse(s.expirationDateTime) <= now) this.subscriptions.delete(id);
    }
    return [...this.subscriptions.values()];
  }

  get(id: string): Subscription | undefined {
    this.active();
    return this.subscriptions.get(id);
  }

  mustGet(id: string): Subscription {
    const s = this.get(id);
    if (!s) throw new BcApiError(404, 'BadRequest_NotFound', `The subscription '${id}' does not exist.`);
    return s;
  }

  async create(api: ApiRoute, body: unknown): Promise<Subscription> {
    const input = parseBody(createSchema, body);
    const target = parseSubscriptionResource(this.state, input.resource, api);
    if (this.active().length >= MAX_SUBSCRIPTIONS) {
      throw bcErrors.badRequest(
        `The maximum number of subscriptions (${MAX_SUBSCRIPTIONS}) has been reached. Delete one first.`,
      );
    }
    await handshake(input.notificationUrl);
    const now = this.state.clock.now();
    const nowIso = new Date(now).toISOString();
    const subscription: Subscription = {
      subscriptionId: randomUUID().replace(/-/g, ''),
      notificationUrl: input.notificationUrl,
      resource: input.resource,
      clientState: input.clientState ?? '',
      expirationDateTime: new Date(now + SUBSCRIPTION_LIFETIME_MS).toISOString(),
      userId: this.userId,
      timestamp: now,
      systemCreatedAt: nowIso,
      systemModifiedAt: nowIso,
      lastModifiedDateTime: nowIso,
      etag: this.state.nextEtag(),
      target,
    };
    this.subscriptions.set(subscription.subscriptionId, subscription);
    return subscription;
  }

  /** Renewal (apis.md A: PATCH + If-Match repeats the handshake and moves the expiry). */
  async renew(id: string, body: unknown, ifMatch: string | undefined): Promise<Subscription> {
    const current = this.mustGet(id);
    checkIfMatch(ifMatch, { data: {}, etag: current.etag }, true);
    const input = parseBody(patchSchema, body);
    const target = input.resource
      ? parseSubscriptionResource(this.state, input.resource, current.target.api)
      : current.target;
    const notificationUrl = input.notificationUrl ?? current.notificationUrl;
    await handshake(notificationUrl);
    const now = this.state.clock.now();
    const renewed: Subscription = {
      ...current,
      notificationUrl,
      resource: input.resource ?? current.resource,
      clientState: input.clientState ?? current.clientState,
      target,
      expirationDateTime: new Date(now + SUBSCRIPTION_LIFETIME_MS).toISOString(),
      lastModifiedDateTime: new Date(now).toISOString(),
      systemModifiedAt: new Date(now).toISOString(),
      timestamp: now,
      etag: this.state.nextEtag(),
    };
    this.subscriptions.set(id, renewed);
    return renewed;
  }

  delete(id: string, ifMatch?: string): void {
    const current = this.mustGet(id);
    checkIfMatch(ifMatch, { data: {}, etag: current.etag }, false);
    this.subscriptions.delete(id);
  }

  /** Removal after a notification was refused (apis.md A: any non-retryable failure deletes it). */
  drop(id: string): void {
    this.subscriptions.delete(id);
  }

  clear(): void {
    this.subscriptions.clear();
  }

  all(): Subscription[] {
    return [...this.subscriptions.values()];
  }

  load(subscriptions: readonly Subscription[]): void {
    this.subscriptions.clear();
    for (const s of subscriptions) this.subscriptions.set(s.subscriptionId, s);
  }
}

export function subscriptionJson(s: Subscription): Record<string, unknown> {
  return {
    '@odata.etag': s.etag,
    subscriptionId: s.subscriptionId,
    notificationUrl: s.notificationUrl,
    resource: s.resource,
    timestamp: s.timestamp,
    userId: s.userId,
    lastModifiedDateTime: s.lastModifiedDateTime,
    clientState: s.clientState,
    expirationDateTime: s.expirationDateTime,
    systemCreatedAt: s.systemCreatedAt,
    systemCreatedBy: s.userId,
    systemModifiedAt: s.systemModifiedAt,
    systemModifiedBy: s.userId,
  };
}
