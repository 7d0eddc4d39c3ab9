// `bcsync webhooks`: runs the change-driven wake-ups (client/wakeups) until SIGINT/SIGTERM, or lists /
// removes this installation's BC webhook subscriptions.
import type { Command } from 'commander';
import type { Db } from 'mongodb';
import { createConnectors, type Connectors } from '../../activities/connectors';
import { customEntitySets } from '../../activities/mappings/mappingConfig';
import { requireConnectors } from '../../config/settings';
import { createLogger } from '../../activities/logger';
import { connectDatabase } from '../../activities/store/database';
import { maskSecrets } from '../../common/secretMasking';
import { WebhookSubscriptionStore } from '../../activities/store/webhookSubscriptions';
import { printJson, printTable } from '../output';
import { SubscriptionManager } from '../wakeups/subscriptionManager';
import { DEFAULT_NOTIFICATION_PATH } from '../wakeups/webhookReceiver';
import { startWakeupService } from '../wakeups/wakeupService';
import { DEFAULT_BC_POLL_SECONDS } from '../wakeups/bcChangePoller';
import { DEFAULT_CRM_POLL_SECONDS, DEFAULT_WEBHOOK_PORT, wakeupSettings } from '../wakeups/wakeupSettings';
import type { CliContext } from '../context';
import { connectTemporal } from '../temporalClient';
import { entryCompany } from '../companySelection';
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
      if (entryCompany(ctx)) {
        throw new CliError(
          `webhooks wake the default company's entries only; company ${entryCompany(ctx)} runs on its schedule (docs/companies.md)`,
          2,
        );
      }
      const settings = wakeupSettings(opts, ctx.settings().wakeups);
      const { mongodbUri } = ctx.connection();
      // Built as the worker builds them, so both use the same BC API route per entity set.
      const connectors = createConnectors(requireConnectors(ctx.settings()), {
        bcCustomEntities: customEntitySets(ctx.mappings()),
      });
      const database = await connectDatabase(mongodbUri, { dbName: ctx.settings().mongo.dbName });
      try {
        if (opts.list || opts.unsubscribe) {
          await manageSubscriptions(opts, settings.publicUrl ?? defaultNotificationUrl(settings.port), {
            db: database.db,
            connectors,
            ctx,
          });
          return;
        }
        const { client: temporal, close } = await connectTemporal(ctx);
        try {
          const service = await startWakeupService({
            temporal,
            db: database.db,
            connectors,
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
            `bcsync webhooks: listening on ${service.receiver.url}, BC calls ${service.notificationUrl}; ` +
              `webhooks for ${service
                .routes()
                .bcEntitySets()
                .filter((s) => !service.bcPoller.polledEntitySets().includes(s))
                .join(', ')}; ` +
              `polling ${service.bcPoller.polledEntitySets().join(', ') || 'nothing'} every ${settings.bcPollSeconds} s; MongoDB ${maskSecrets(mongodbUri)}. Ctrl+C stops.`,
          );
          await signalled;
          await service.stop();
        } finally {
          await close();
        }
      } finally {
        await database.close();
      }
    });
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
