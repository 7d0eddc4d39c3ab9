// Change-driven wake-ups as one service (`bcsync webhooks`, and part of `npm start`): the webhook
// receiver, the BC subscriptions it needs, and the optional Dataverse change poller. Wake-ups only bring
// a run forward; the scheduled runs stay the safety net for any change a lost signal did not announce.
import type { Client } from '@temporalio/client';
import type { Db } from 'mongodb';
import type { Logger } from '../../activities/logger';
import { registerSecret } from '../../activities/connectors/apiError';
import type { Connectors } from '../../activities/connectors';
import { loadMappings } from '../../activities/mappings/mappingConfig';
import { CrmDeltaLinkStore } from '../../activities/store/crmDeltaLinks';
import { collections } from '../../activities/store/database';
import { JobQueueEntryStore } from '../../activities/store/jobQueueEntries';
import { WebhookSubscriptionStore } from '../../activities/store/webhookSubscriptions';
import { BcChangePoller, DEFAULT_BC_POLL_SECONDS } from './bcChangePoller';
import { CrmChangePoller } from './crmChangePoller';
import { EntrySignaller } from './entrySignaller';
import { SubscriptionManager, type MaintenanceReport } from './subscriptionManager';
import {
  DEFAULT_NOTIFICATION_PATH,
  startWebhookReceiver,
  type RunningWebhookReceiver,
} from './webhookReceiver';
import { wakeRoutesFrom, type WakeRoutes } from './wakeRoutes';

/** Subscriptions are checked hourly: BC may delete one at any time (a refused notification). */
export const DEFAULT_MAINTENANCE_INTERVAL_MS = 60 * 60 * 1000;
/** After a failed maintenance the next comes sooner. */
const RETRY_MAINTENANCE_MS = 60 * 1000;

export interface WakeupServiceOptions {
  temporal: Client;
  db: Db;
  connectors: Pick<Connectors, 'bc' | 'bcWebhooks' | 'dataverse'>;
  /** Listen address of the receiver (default 127.0.0.1). */
  host?: string;
  /** 0 = a free port. */
  port: number;
  /** The notificationUrl BC calls; default `http://127.0.0.1:<port>/bc/notifications`. */
  publicUrl?: string;
  /** Seconds between Dataverse change polls; 0 = no CRM wake-ups. */
  crmPollSeconds: number;
  /** Seconds between polls of BC entity sets without webhooks (default 30); 0 = those wake no entry. */
  bcPollSeconds?: number;
  /** Company part of the entry workflow ids, when entries run per company. */
  company?: string;
  /** Where the routes come from; default: the effective mappings and the stored entry settings. */
  loadRoutes?: () => Promise<WakeRoutes>;
  /** The mapping config file (setting BCSYNC_MAPPINGS_FILE), re-read at every maintenance. */
  mappingsFile?: string;
  maintenanceIntervalMs?: number;
  renewMarginMs?: number;
  /** Clock compared with BC's subscription expiry (tests move it with the emulator's clock). */
  now?: () => number;
  logger: Logger;
}

export interface WakeupService {
  receiver: RunningWebhookReceiver;
  notificationUrl: string;
  subscriptions: SubscriptionManager;
  crmPoller: CrmChangePoller;
  bcPoller: BcChangePoller;
  signaller: EntrySignaller;
  /** The first maintenance pass, run at start. */
  firstMaintenance: MaintenanceReport;
  /** Current routes (refreshed at every maintenance). */
  routes(): WakeRoutes;
  /** Re-reads mappings and entry settings. */
  refreshRoutes(): Promise<WakeRoutes>;
  /** Stops polling and maintenance, waits for signals in flight, closes the receiver. Subscriptions stay. */
  stop(): Promise<void>;
}

/** Routes from the mapping config (BCSYNC_MAPPINGS_FILE) and the CRM wake option stored per entry. */
export function routesFromConfig(db: Db, mappingsFile: string | undefined): () => Promise<WakeRoutes> {
  const entries = new JobQueueEntryStore(collections(db).jobQueueEntries);
  return async () => {
    const effective = loadMappings(mappingsFile);
    const stored = await entries.all();
    return wakeRoutesFrom(
      effective,
      stored.map((doc) => ({ entry: doc.entry, crmWakeEnabled: doc.crmWakeEnabled })),
    );
  };
}

export async function startWakeupService(options: WakeupServiceOptions): Promise<WakeupService> {
  const logger = options.logger;
  const loadRoutes = options.loadRoutes ?? routesFromConfig(options.db, options.mappingsFile);
  let routes = await loadRoutes();
  const refreshRoutes = async (): Promise<WakeRoutes> => {
    routes = await loadRoutes();
    return routes;
  };

  const subscriptionStore = new WebhookSubscriptionStore(options.db);
  const clientState = await subscriptionStore.clientState();
  // BC echoes the body of a failed request in some errors; the secret must not reach a log that way.
  registerSecret(clientState);

  const signaller = new EntrySignaller({ client: options.temporal, company: options.company, logger });
  const publicPath = options.publicUrl ? new URL(options.publicUrl).pathname : DEFAULT_NOTIFICATION_PATH;
  const receiver = await startWebhookReceiver({
    host: options.host,
    port: options.port,
    paths: [DEFAULT_NOTIFICATION_PATH, publicPath],
    clientState,
    routes: () => routes,
    signaller,
    logger,
  });
  const notificationUrl =
    options.publicUrl ?? `http://127.0.0.1:${receiver.port}${DEFAULT_NOTIFICATION_PATH}`;

  const subscriptions = new SubscriptionManager({
    webhooks: options.connectors.bcWebhooks,
    store: subscriptionStore,
    notificationUrl,
    clientState,
    // BC sends webhooks for the documented entity sets only; the others are polled (bcChangePoller).
    entitySets: () => routes.bcEntitySets().filter((s) => options.connectors.bcWebhooks.supports(s)),
    logger,
    renewMarginMs: options.renewMarginMs,
    now: options.now,
  });
  const crmPoller = new CrmChangePoller({
    dataverse: options.connectors.dataverse,
    store: new CrmDeltaLinkStore(options.db),
    signaller,
    routes: refreshRoutes,
    intervalSeconds: options.crmPollSeconds,
    logger,
  });

  const bcPoller = new BcChangePoller({
    bc: options.connectors.bc,
    signaller,
    routes: () => routes,
    hasWebhooks: (s) => options.connectors.bcWebhooks.supports(s),
    intervalSeconds: options.bcPollSeconds ?? DEFAULT_BC_POLL_SECONDS,
    logger,
  });

  let maintenanceTimer: NodeJS.Timeout | undefined;
  let maintenanceRun: Promise<void> | undefined;
  let stopped = false;
  const interval = options.maintenanceIntervalMs ?? DEFAULT_MAINTENANCE_INTERVAL_MS;
  const scheduleMaintenance = (delayMs: number): void => {
    if (stopped) return;
    maintenanceTimer = setTimeout(() => {
      maintenanceRun = refreshRoutes()
        .then(() => subscriptions.maintain())
        .then(
          (report) =>
            scheduleMaintenance(
              report.failed.length > 0 ? Math.min(interval, RETRY_MAINTENANCE_MS) : interval,
            ),
          (err: unknown) => {
            logger.warn({ err: (err as Error).message }, 'webhook subscription maintenance failed');
            scheduleMaintenance(Math.min(interval, RETRY_MAINTENANCE_MS));
          },
        );
    }, delayMs);
    maintenanceTimer.unref();
  };

  let firstMaintenance: MaintenanceReport;
  try {
    firstMaintenance = await subscriptions.maintain();
  } catch (err) {
    await receiver.close();
    throw err;
  }
  scheduleMaintenance(
    firstMaintenance.failed.length > 0 ? Math.min(interval, RETRY_MAINTENANCE_MS) : interval,
  );
  crmPoller.start();
  bcPoller.start();
  logger.info(
    {
      listening: receiver.url,
      notificationUrl,
      subscribed: routes.bcEntitySets().filter((s) => options.connectors.bcWebhooks.supports(s)),
      bcPolled: bcPoller.polledEntitySets(),
      bcPollSeconds: options.bcPollSeconds ?? DEFAULT_BC_POLL_SECONDS,
      crmPollSeconds: options.crmPollSeconds,
      crmWakeEntries: routes.crmRoutes().flatMap((r) => r.entries),
    },
    'wake-up service started',
  );

  return {
    receiver,
    notificationUrl,
    subscriptions,
    crmPoller,
    bcPoller,
    signaller,
    firstMaintenance,
    routes: () => routes,
    refreshRoutes,
    stop: async () => {
      stopped = true;
      if (maintenanceTimer) clearTimeout(maintenanceTimer);
      await crmPoller.stop();
      await bcPoller.stop();
      // A renewal in progress needs the receiver for its handshake.
      await maintenanceRun;
      await receiver.close();
      await signaller.idle();
    },
  };
}
