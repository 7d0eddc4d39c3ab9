// The wake-ups of one company (docs/companies.md): its BC subscriptions, made with its own clientState
// and notificationUrl (the receiver's URL plus `/<company>`), its BC and Dataverse change pollers, and a
// signaller that wakes its own entries only. Everything it keeps (subscriptions, secret, delta links) is in
// the company's own database, so one company's notification can never wake another company's entry.
import type { Client } from '@temporalio/client';
import type { Db } from 'mongodb';
import type { Logger } from '../../activities/logger';
import { registerSecret } from '../../activities/connectors/apiError';
import type { Connectors } from '../../activities/connectors';
import { DEFAULT_COMPANY } from '../../activities/store/companies';
import { CrmDeltaLinkStore } from '../../activities/store/crmDeltaLinks';
import { WebhookSubscriptionStore } from '../../activities/store/webhookSubscriptions';
import { BcChangePoller, DEFAULT_BC_POLL_SECONDS } from './bcChangePoller';
import { CrmChangePoller } from './crmChangePoller';
import { EntrySignaller } from './entrySignaller';
import { SubscriptionManager, type MaintenanceReport } from './subscriptionManager';
import type { ReceiverTarget } from './webhookReceiver';
import type { WakeRoutes } from './wakeRoutes';

/** Subscriptions are checked hourly: BC may delete one at any time (a refused notification). */
export const DEFAULT_MAINTENANCE_INTERVAL_MS = 60 * 60 * 1000;
/** After a failed maintenance the next comes sooner. */
const RETRY_MAINTENANCE_MS = 60 * 1000;

/** A company the wake-up service serves: its database and its connectors. */
export interface CompanyWakeupSource {
  /** `default` or a registered company's name. */
  name: string;
  db: Db;
  connectors: Pick<Connectors, 'bc' | 'bcWebhooks' | 'dataverse'>;
  /** Company part of the entry workflow ids; default: the name (none for the default company). */
  entryCompany?: string;
  /** Where the routes come from; default: the effective mappings and the company's stored entries. */
  loadRoutes: () => Promise<WakeRoutes>;
}

/** What every company's wake-ups share: Temporal, the receiver's URL and the service's settings. */
export interface CompanyWakeupSettings {
  temporal: Client;
  /** The notificationUrl of the default company; a registered company's is this plus `/<company>`. */
  baseNotificationUrl: string;
  crmPollSeconds: number;
  bcPollSeconds?: number;
  maintenanceIntervalMs?: number;
  renewMarginMs?: number;
  now?: () => number;
  logger: Logger;
}

export interface CompanyWakeups {
  company: string;
  notificationUrl: string;
  /** What the receiver needs for this company's path. */
  target: ReceiverTarget;
  subscriptions: SubscriptionManager;
  crmPoller: CrmChangePoller;
  bcPoller: BcChangePoller;
  signaller: EntrySignaller;
  firstMaintenance: MaintenanceReport;
  routes(): WakeRoutes;
  refreshRoutes(): Promise<WakeRoutes>;
  /** BC entity sets with a subscription (the others the routes name are polled). */
  subscribedEntitySets(): string[];
  /** Stops polling and maintenance, waits for what runs. Subscriptions stay. */
  stop(): Promise<void>;
}

/** `https://host/bc/notifications` -> `https://host/bc/notifications/cronus-de` for company cronus-de. */
export function companyNotificationUrl(baseUrl: string, company: string): string {
  if (company === DEFAULT_COMPANY) return baseUrl;
  const url = new URL(baseUrl);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/${company}`;
  return url.toString();
}

/** The company a notification path names, given the receiver's base paths; undefined when none. */
export function companyOfPath(pathname: string, basePaths: Iterable<string>): string | undefined {
  for (const base of basePaths) {
    const trimmed = base.replace(/\/+$/, '');
    if (pathname === base || pathname === trimmed) return DEFAULT_COMPANY;
    const rest = pathname.startsWith(`${trimmed}/`) ? pathname.slice(trimmed.length + 1) : undefined;
    if (rest && !rest.includes('/')) return rest;
  }
  return undefined;
}

/**
 * Starts one company's wake-ups. The receiver must already route the company's path to `target`
 * before the first maintenance: BC calls it for the handshake while a subscription is created.
 */
export async function startCompanyWakeups(
  source: CompanyWakeupSource,
  settings: CompanyWakeupSettings,
  route: (company: string, target: ReceiverTarget | undefined) => void,
): Promise<CompanyWakeups> {
  const logger = settings.logger.child({ company: source.name });
  let routes = await source.loadRoutes();
  const refreshRoutes = async (): Promise<WakeRoutes> => {
    routes = await source.loadRoutes();
    return routes;
  };
  const { connectors } = source;
  const subscribedEntitySets = () => routes.bcEntitySets().filter((s) => connectors.bcWebhooks.supports(s));

  const subscriptionStore = new WebhookSubscriptionStore(source.db);
  const clientState = await subscriptionStore.clientState();
  // BC echoes the body of a failed request in some errors; the secret must not reach a log that way.
  registerSecret(clientState);

  const entryCompany = source.entryCompany ?? (source.name === DEFAULT_COMPANY ? undefined : source.name);
  const signaller = new EntrySignaller({ client: settings.temporal, company: entryCompany, logger });
  const target: ReceiverTarget = { company: source.name, clientState, routes: () => routes, signaller };
  const notificationUrl = companyNotificationUrl(settings.baseNotificationUrl, source.name);

  const subscriptions = new SubscriptionManager({
    webhooks: connectors.bcWebhooks,
    store: subscriptionStore,
    notificationUrl,
    clientState,
    // BC sends webhooks for the documented entity sets only; the others are polled (bcChangePoller).
    entitySets: subscribedEntitySets,
    logger,
    renewMarginMs: settings.renewMarginMs,
    now: settings.now,
  });
  const crmPoller = new CrmChangePoller({
    dataverse: connectors.dataverse,
    store: new CrmDeltaLinkStore(source.db),
    signaller,
    routes: refreshRoutes,
    intervalSeconds: settings.crmPollSeconds,
    logger,
  });
  const bcPoller = new BcChangePoller({
    bc: connectors.bc,
    signaller,
    routes: () => routes,
    hasWebhooks: (s) => connectors.bcWebhooks.supports(s),
    intervalSeconds: settings.bcPollSeconds ?? DEFAULT_BC_POLL_SECONDS,
    logger,
  });

  let maintenanceTimer: NodeJS.Timeout | undefined;
  let maintenanceRun: Promise<void> | undefined;
  let stopped = false;
  const interval = settings.maintenanceIntervalMs ?? DEFAULT_MAINTENANCE_INTERVAL_MS;
  const nextDelay = (report: MaintenanceReport | undefined): number =>
    !report || report.failed.length > 0 ? Math.min(interval, RETRY_MAINTENANCE_MS) : interval;
  const scheduleMaintenance = (delayMs: number): void => {
    if (stopped) return;
    maintenanceTimer = setTimeout(() => {
      maintenanceRun = refreshRoutes()
        .then(() => subscriptions.maintain())
        .then(
          (report) => scheduleMaintenance(nextDelay(report)),
          (err: unknown) => {
            logger.warn({ err: (err as Error).message }, 'webhook subscription maintenance failed');
            scheduleMaintenance(nextDelay(undefined));
          },
        );
    }, delayMs);
    maintenanceTimer.unref();
  };

  route(source.name, target);
  let firstMaintenance: MaintenanceReport;
  try {
    firstMaintenance = await subscriptions.maintain();
  } catch (err) {
    route(source.name, undefined);
    throw err;
  }
  scheduleMaintenance(nextDelay(firstMaintenance));
  crmPoller.start();
  bcPoller.start();
  logger.info(
    {
      notificationUrl,
      subscribed: subscribedEntitySets(),
      bcPolled: bcPoller.polledEntitySets(),
      crmWakeEntries: routes.crmRoutes().flatMap((r) => r.entries),
    },
    "company's wake-ups started",
  );

  return {
    company: source.name,
    notificationUrl,
    target,
    subscriptions,
    crmPoller,
    bcPoller,
    signaller,
    firstMaintenance,
    routes: () => routes,
    refreshRoutes,
    subscribedEntitySets,
    stop: async () => {
      stopped = true;
      if (maintenanceTimer) clearTimeout(maintenanceTimer);
      await crmPoller.stop();
      await bcPoller.stop();
      // A renewal in progress needs the receiver for its handshake: the caller closes it afterwards.
      await maintenanceRun;
      await signaller.idle();
    },
  };
}
