// `bcsync webhooks`: runs the change-driven wake-ups (client/wakeups) until SIGINT/SIGTERM, or lists /
// removes this installation's BC webhook subscriptions.
import type { Command } from 'commander';
import type { Db } from 'mongodb';
import { BudgetRegistry, createConnectors, type Connectors } from '../../activities/connectors';
import { ConfigError, type ConnectorConfig } from '../../activities/connectors/connectorConfig';
import { companyDatabase } from '../../activities/companyScope';
import { CompanyStore, DEFAULT_COMPANY } from '../../activities/store/companies';
import { sharedBudgetStores } from '../../activities/store/apiBudgets';
import type { Database } from '../../activities/store/database';
import { customEntitySets } from '../../activities/mappings/mappingConfig';
import { requireConnectors } from '../../config/settings';
import { createLogger } from '../../activities/logger';
import { maskSecrets } from '../../common/secretMasking';
import { WebhookSubscriptionStore } from '../../activities/store/webhookSubscriptions';
import { printJson, printTable } from '../output';
import { SubscriptionManager } from '../wakeups/subscriptionManager';
import { DEFAULT_NOTIFICATION_PATH } from '../wakeups/webhookReceiver';
import {
  DEFAULT_COMPANY_REFRESH_MS,
  startWakeupService,
  type RegisteredCompanies,
  type WakeupServiceOptions,
} from '../wakeups/wakeupService';
import { companyNotificationUrl } from '../wakeups/companyWakeups';
import { companyRegistry } from '../wakeups/companyRegistry';
import { withBaseDatabase } from '../database';
import { DEFAULT_BC_POLL_SECONDS } from '../wakeups/bcChangePoller';
import { DEFAULT_CRM_POLL_SECONDS, DEFAULT_WEBHOOK_PORT, wakeupSettings } from '../wakeups/wakeupSettings';
import type { CliContext } from '../context';
import { connectTemporal } from '../temporalClient';
import { entryCompany, selectedConnectorConfig } from '../companySelection';
import { CliError } from '../output';
import { portNumber, wholeNumber } from '../numericOptions';

const pollSeconds = wholeNumber(0, 24 * 3600, 'whole seconds');

interface WebhooksOptions {
  port?: number;
  host?: string;
  publicUrl?: string;
  crmPollSeconds?: number;
  bcPollSeconds?: number;
  list?: boolean;
  unsubscribe?: boolean;
  json?: boolean;
}

function untilSignal(): Promise<string> {
  return new Promise((resolve) => {
    const done = (signal: string) => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      resolve(signal);
    };
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
}

export function registerWebhooks(program: Command, ctx: CliContext): void {
  program
    .command('webhooks')
    .description(
      'receive Business Central webhooks (and poll Dataverse changes for entries that opted in) and wake the entries they concern',
    )
    .option(
      '--port <n>',
      `port of the webhook receiver (env BCSYNC_WEBHOOK_PORT, default ${DEFAULT_WEBHOOK_PORT})`,
      portNumber,
    )
    .option('--host <address>', 'interface to listen on (env BCSYNC_WEBHOOK_HOST, default 127.0.0.1)')
    .option(
      '--public-url <url>',
      'notificationUrl Business Central calls (env BCSYNC_WEBHOOK_PUBLIC_URL, default http://127.0.0.1:<port>/bc/notifications)',
    )
    .option(
      '--crm-poll-seconds <n>',
      `seconds between Dataverse change polls, 0 = off (env BCSYNC_CRM_POLL_SECONDS, default ${DEFAULT_CRM_POLL_SECONDS})`,
      pollSeconds,
    )
    .option(
      '--bc-poll-seconds <n>',
      `seconds between polls of BC entity sets that have no webhooks, 0 = off (env BCSYNC_BC_POLL_SECONDS, default ${DEFAULT_BC_POLL_SECONDS})`,
      pollSeconds,
    )
    .option('--list', 'list the stored BC webhook subscriptions and exit')
    .option('--unsubscribe', "delete this installation's BC webhook subscriptions and exit")
    .option('--json', 'machine-readable output (with --list / --unsubscribe)')
    .action(async (opts: WebhooksOptions) => {
      const settings = wakeupSettings(opts, ctx.settings().wakeups);
      const { mongodbUri } = ctx.connection();
      const mappings = ctx.mappings();
      await withBaseDatabase(ctx, async (base) => {
        // One throttling budget per API identity, shared with the workers (docs/throttling.md).
        const budgets = new BudgetRegistry(sharedBudgetStores(base.db));
        // Built as the worker builds them, so both use the same BC API route per entity set.
        const connectorsOf = (config: ConnectorConfig, company: string): Connectors =>
          createConnectors(config, { bcCustomEntities: customEntitySets(mappings), budgets, company });
        const baseUrl = settings.publicUrl ?? defaultNotificationUrl(settings.port);
        if (opts.list || opts.unsubscribe) {
          const company = await selectedCompany(ctx, base);
          await manageSubscriptions(opts, companyNotificationUrl(baseUrl, company), {
            db: (await companyDatabase(base, ctx.settings().mongo.dbName, company)).db,
            connectors: connectorsOf(await selectedConnectorConfig(ctx, base), company),
            ctx,
          });
          // Slots its requests gave back reach the shared budget before the connection closes.
          await budgets.settle();
          return;
        }
        const served = await servedCompanies(ctx, base, connectorsOf);
        const { client: temporal, close } = await connectTemporal(ctx);
        try {
          const service = await startWakeupService({
            temporal,
            ...served,
            host: settings.host,
            port: settings.port,
            publicUrl: settings.publicUrl,
            crmPollSeconds: settings.crmPollSeconds,
            bcPollSeconds: settings.bcPollSeconds,
            mappingsFile: ctx.settings().mappingsFile,
            logger: createLogger('wakeups', ctx.settings().logLevel),
          });
          // Listening before the address is printed: whoever reads it may stop us at once.
          const signalled = untilSignal();
          console.log(
            `bcsync webhooks: listening on ${service.receiver.url}; MongoDB ${maskSecrets(mongodbUri)}. Ctrl+C stops.`,
          );
          for (const company of service.companies()) {
            console.log(
              `  ${company.company}: BC calls ${maskSecrets(company.notificationUrl)}; ` +
                `webhooks for ${company.subscribedEntitySets().join(', ') || 'nothing'}; ` +
                `polling ${company.bcPoller.polledEntitySets().join(', ') || 'nothing'} every ${settings.bcPollSeconds} s`,
            );
          }
          if (served.registeredCompanies) {
            console.log(
              `  companies registered later (bcsync companies add) are served within ${DEFAULT_COMPANY_REFRESH_MS / 1000} s`,
            );
          }
          await signalled;
          await service.stop();
          await budgets.settle();
        } finally {
          await close();
        }
      });
    });
}

/** The company --list / --unsubscribe work on: --company, else the default; an unregistered one is refused. */
async function selectedCompany(ctx: CliContext, base: Database): Promise<string> {
  const company = ctx.company();
  if (company !== DEFAULT_COMPANY && !(await new CompanyStore(base.db).get(company)))
    throw new CliError(`no company "${company}": see \`bcsync companies list\``, 2);
  return company;
}

/**
 * What the service serves: with --company that company only; else the default company (when its
 * BCSYNC_* connector settings are given) and every registered company, read again while it runs.
 */
async function servedCompanies(
  ctx: CliContext,
  base: Database,
  connectorsOf: (config: ConnectorConfig, company: string) => Connectors,
): Promise<Pick<WakeupServiceOptions, 'db' | 'connectors' | 'registeredCompanies'>> {
  const only = entryCompany(ctx);
  const registered = (one?: string): RegisteredCompanies =>
    companyRegistry({ base, settings: ctx.settings(), connectorsOf, ...(one ? { only: one } : {}) });
  if (only) {
    await selectedCompany(ctx, base);
    const companies = registered(only);
    try {
      await companies.source(only); // a missing secret is this command's error, not a warning in its log
    } catch (err) {
      if (err instanceof ConfigError) throw new CliError(err.message);
      throw err;
    }
    return { registeredCompanies: companies };
  }
  const settings = ctx.settings();
  if (!settings.connectors.ok) {
    // No default company here: fine when companies are registered, else say which settings are missing.
    if ((await new CompanyStore(base.db).list()).length === 0) requireConnectors(settings);
    return { registeredCompanies: registered() };
  }
  return {
    db: base.db,
    connectors: connectorsOf(settings.connectors.config, DEFAULT_COMPANY),
    registeredCompanies: registered(),
  };
}

const defaultNotificationUrl = (port: number): string =>
  `http://127.0.0.1:${port}${DEFAULT_NOTIFICATION_PATH}`;

/** --list and --unsubscribe: no receiver and no Temporal needed (deleting needs no handshake). */
async function manageSubscriptions(
  opts: WebhooksOptions,
  notificationUrl: string,
  deps: { db: Db; connectors: Connectors; ctx: CliContext },
): Promise<void> {
  const { ctx } = deps;
  const store = new WebhookSubscriptionStore(deps.db);
  const manager = new SubscriptionManager({
    webhooks: deps.connectors.bcWebhooks,
    store,
    notificationUrl,
    clientState: await store.clientState(),
    entitySets: () => [],
    logger: createLogger('webhooks', ctx.settings().logLevel),
  });
  if (opts.unsubscribe) {
    const removed = await manager.removeAll();
    if (opts.json) return printJson({ deleted: removed });
    console.log(
      removed.length ? `deleted subscriptions for: ${removed.join(', ')}` : 'no subscriptions to delete',
    );
    return;
  }
  const docs = await manager.list();
  if (opts.json) return printJson(docs);
  printTable(
    ['Entity set', 'Subscription', 'Expires', 'Notification URL'],
    docs.map((d) => [
      d.entitySet,
      d.subscriptionId,
      d.expiresAt.toISOString(),
      maskSecrets(d.notificationUrl),
    ]),
  );
}
