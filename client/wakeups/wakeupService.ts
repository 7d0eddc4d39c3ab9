// Change-driven wake-ups as one service (`bcsync webhooks`, and part of `npm start`): one webhook receiver
// for every company the deployment serves, and per company its BC subscriptions and change pollers
// (companyWakeups.ts). Companies registered or removed while it runs are picked up at the next refresh.
// Wake-ups only bring a run forward; the scheduled runs stay the safety net for any change a lost signal
// did not announce.
import type { Client } from '@temporalio/client';
import type { Db } from 'mongodb';
import type { Logger } from '../../activities/logger';
import { loadMappings } from '../../activities/mappings/mappingConfig';
import { DEFAULT_COMPANY } from '../../activities/store/companies';
import { collections } from '../../activities/store/database';
import { JobQueueEntryStore } from '../../activities/store/jobQueueEntries';
import {
  companyOfPath,
  startCompanyWakeups,
  type CompanyWakeups,
  type CompanyWakeupSettings,
  type CompanyWakeupSource,
} from './companyWakeups';
import {
  DEFAULT_NOTIFICATION_PATH,
  startWebhookReceiver,
  type ReceiverTarget,
  type RunningWebhookReceiver,
} from './webhookReceiver';
import { wakeRoutesFrom, type WakeRoutes } from './wakeRoutes';

export { DEFAULT_MAINTENANCE_INTERVAL_MS } from './companyWakeups';

/** How often the company registry is read again, so a company added while the service runs is served. */
export const DEFAULT_COMPANY_REFRESH_MS = 60 * 1000;

/** The registered companies (`bcsync companies add`) the service serves besides the default company. */
export interface RegisteredCompanies {
  names(): Promise<string[]>;
  /** The company's database and connectors; throws (naming what is missing) when they cannot be built. */
  source(name: string): Promise<Omit<CompanyWakeupSource, 'loadRoutes'>>;
}

export interface WakeupServiceOptions {
  temporal: Client;
  /** The default company's database; with `connectors`, absent when only registered companies are served. */
  db?: Db;
  connectors?: CompanyWakeupSource['connectors'];
  /** Company part of the default company's entry workflow ids (tests isolate their entries with it). */
  company?: string;
  /** Where the default company's routes come from; default: the mappings and its stored entries. */
  loadRoutes?: () => Promise<WakeRoutes>;
  /** Registered companies to serve as well, each on `<public URL>/<company>`. */
  registeredCompanies?: RegisteredCompanies;
  /** Listen address of the receiver (default 127.0.0.1). */
  host?: string;
  /** 0 = a free port. */
  port: number;
  /** The notificationUrl BC calls for the default company; default `http://127.0.0.1:<port>/bc/notifications`. */
  publicUrl?: string;
  /** Seconds between Dataverse change polls; 0 = no CRM wake-ups. */
  crmPollSeconds: number;
  /** Seconds between polls of BC entity sets without webhooks (default 30); 0 = those wake no entry. */
  bcPollSeconds?: number;
  /** The mapping config file (setting BCSYNC_MAPPINGS_FILE), re-read at every maintenance. */
  mappingsFile?: string;
  maintenanceIntervalMs?: number;
  companyRefreshMs?: number;
  renewMarginMs?: number;
  /** Clock compared with BC's subscription expiry (tests move it with the emulator's clock). */
  now?: () => number;
  logger: Logger;
}

export interface WakeupService {
  receiver: RunningWebhookReceiver;
  /** The default company's notificationUrl; each registered company's is this plus `/<company>`. */
  notificationUrl: string;
  /** The wake-ups of every company served now, the default company first. */
  companies(): CompanyWakeups[];
  /** One company's wake-ups (`default` for the default company). */
  company(name: string): CompanyWakeups | undefined;
  /** Reads the company registry again: starts the wake-ups of added companies, stops removed ones'. */
  refreshCompanies(): Promise<void>;
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
  const targets = new Map<string, ReceiverTarget>();
  const basePaths = new Set([
    DEFAULT_NOTIFICATION_PATH,
    ...(options.publicUrl ? [new URL(options.publicUrl).pathname] : []),
  ]);
  const route = (company: string, target: ReceiverTarget | undefined): void => {
    if (target) targets.set(company, target);
    else targets.delete(company);
  };
  const receiver = await startWebhookReceiver({
    host: options.host,
    port: options.port,
    targetFor: (pathname) => {
      const company = companyOfPath(pathname, basePaths);
      return company === undefined ? undefined : targets.get(company);
    },
    logger,
  });
  const notificationUrl =
    options.publicUrl ?? `http://127.0.0.1:${receiver.port}${DEFAULT_NOTIFICATION_PATH}`;
  const settings: CompanyWakeupSettings = {
    temporal: options.temporal,
    baseNotificationUrl: notificationUrl,
    crmPollSeconds: options.crmPollSeconds,
    bcPollSeconds: options.bcPollSeconds,
    maintenanceIntervalMs: options.maintenanceIntervalMs,
    renewMarginMs: options.renewMarginMs,
    now: options.now,
    logger,
  };

  const running = new Map<string, CompanyWakeups>();
  const stopAll = async (): Promise<void> => {
    for (const company of running.values()) await company.stop();
    running.clear();
  };
  try {
    if (options.db && options.connectors) {
      running.set(
        DEFAULT_COMPANY,
        await startCompanyWakeups(
          {
            name: DEFAULT_COMPANY,
            db: options.db,
            connectors: options.connectors,
            entryCompany: options.company,
            loadRoutes: options.loadRoutes ?? routesFromConfig(options.db, options.mappingsFile),
          },
          settings,
          route,
        ),
      );
    }
  } catch (err) {
    await receiver.close();
    throw err;
  }

  let refreshing: Promise<void> | undefined;
  const refreshOnce = async (): Promise<void> => {
    const registry = options.registeredCompanies;
    if (!registry) return;
    const names = new Set(await registry.names());
    for (const [name, company] of running) {
      if (name === DEFAULT_COMPANY || names.has(name)) continue;
      // Its subscriptions stay in BC; BC deletes them once the receiver refuses their notifications.
      await company.stop();
      route(name, undefined);
      running.delete(name);
      logger.info({ company: name }, 'company removed: its wake-ups stopped');
    }
    for (const name of names) {
      if (running.has(name)) continue;
      try {
        const source = await registry.source(name);
        running.set(
          name,
          await startCompanyWakeups(
            { ...source, loadRoutes: routesFromConfig(source.db, options.mappingsFile) },
            settings,
            route,
          ),
        );
      } catch (err) {
        // One company's missing secret or unreachable API never stops the others' wake-ups.
        logger.warn(
          { company: name, err: (err as Error).message },
          "company's wake-ups could not start; its entries run on their schedule, tried again at the next refresh",
        );
      }
    }
  };
  const refreshCompanies = (): Promise<void> => {
    refreshing ??= refreshOnce().finally(() => (refreshing = undefined));
    return refreshing;
  };
  try {
    await refreshCompanies();
  } catch (err) {
    await stopAll();
    await receiver.close();
    throw err;
  }

  let stopped = false;
  let refreshTimer: NodeJS.Timeout | undefined;
  const scheduleRefresh = (): void => {
    if (stopped || !options.registeredCompanies) return;
    refreshTimer = setTimeout(() => {
      refreshCompanies()
        .catch((err: unknown) =>
          logger.warn({ err: (err as Error).message }, 'could not read the company registry'),
        )
        .finally(scheduleRefresh);
    }, options.companyRefreshMs ?? DEFAULT_COMPANY_REFRESH_MS);
    refreshTimer.unref();
  };
  scheduleRefresh();
  logger.info(
    { listening: receiver.url, notificationUrl, companies: [...running.keys()] },
    'wake-up service started',
  );

  return {
    receiver,
    notificationUrl,
    companies: () => [...running.values()],
    company: (name) => running.get(name),
    refreshCompanies,
    stop: async () => {
      stopped = true;
      if (refreshTimer) clearTimeout(refreshTimer);
      await refreshing?.catch(() => undefined);
      const stopping = [...running.values()];
      // The receiver keeps answering until every company stopped: a refused notification would make BC
      // delete the subscription, which a restart is meant to reuse.
      for (const company of stopping) await company.stop();
      await receiver.close();
      await Promise.all(stopping.map((c) => c.signaller.idle()));
      running.clear();
      targets.clear();
    },
  };
}
