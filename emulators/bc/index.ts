// Business Central API v2.0 emulator (emulator contract: `startBcEmulator(opts)`): token endpoint, the
// standard entity sets, our custom API (docs/bc-custom-api.md), $batch, webhooks, fault injection, the
// /_admin surface, deterministic seed data and optional persistence to a state folder.
import { z } from 'zod';
import {
  resetRequestSchema,
  seedKindSchema,
  type AdminTarget,
  type ResetRequest,
} from '../common/adminSurface';
import { DEFAULT_EMULATOR_CREDENTIALS } from '../common/credentials';
import { FaultInjector, faultSettingsSchema, type FaultSettings } from '../common/faults';
import { startHttpServer } from '../common/httpServer';
import {
  BC_SERVICE_PROTECTION,
  ServiceProtection,
  serviceProtectionOverridesSchema,
} from '../common/serviceProtection';
import { SnapshotFile } from '../common/persistence';
import { TokenIssuer } from '../common/tokens';
import { createBcHandler } from './bcHttpHandler';
import { CUSTOM_API_PATH } from './bcRoutes';
import { BcState, type BcStateSnapshot, type CompanyRow } from './bcState';
import { seedDemo } from './demoSeed';
import { EmulatorClock } from './emulatorClock';
import { isEntitySet } from './entityModel';
import { seedSized } from './sizedSeed';
import { DEFAULT_WEBHOOK_SETTINGS, WebhookNotifier, type WebhookSettings } from './webhookNotifier';
import { SubscriptionStore, subscriptionJson, type Subscription } from './webhookSubscriptions';

export { BcState } from './bcState';
export type { EntityChange } from './bcState';
export { EmulatorClock } from './emulatorClock';
export { ENTITY_DEFS, LCY_CODE } from './entityModel';

/** An assumed round trip of 80-250 ms, plus 15 ms per operation of a $batch (faults.realisticLatency). */
const BC_LATENCY = { baseMs: 80, spreadMs: 170, perOperationMs: 15 };

/** The resource of Business Central's scope `https://api.businesscentral.dynamics.com/.default`. */
export const BC_AUDIENCE = 'https://api.businesscentral.dynamics.com';

/** Fixed so URLs stay valid across resets and restarts of a seeded emulator. */
export const BC_COMPANY_ID = '7d5ad1b6-3c8f-4f5a-9e8b-0c1d2e3f4a5b';
const INTEGRATION_USER_ID = 'b1c2d3e4-0000-4000-8000-00000000b5c1';

export const bcEmulatorOptionsSchema = z
  .object({
    host: z.string().default('127.0.0.1'),
    /** 0 picks a free port (tests). */
    port: z.number().int().min(0).max(65535).default(7048),
    seed: seedKindSchema.default('demo'),
    /** Sized seed: N customers, contacts, items ... (overrides `seed`). */
    records: z.number().int().min(0).max(5_000_000).optional(),
    /** Folder for state snapshots; state is loaded from there at start when present. */
    stateDir: z.string().optional(),
    autoSaveMs: z.number().int().min(100).default(30_000),
    webhookCoalesceMs: z.number().int().min(0).default(DEFAULT_WEBHOOK_SETTINGS.coalesceMs),
    webhookCollectionThreshold: z.number().int().min(0).default(DEFAULT_WEBHOOK_SETTINGS.collectionThreshold),
    webhookRetryBaseMs: z.number().int().min(0).default(DEFAULT_WEBHOOK_SETTINGS.retryBaseMs),
    webhookMaxAttempts: z.number().int().min(1).default(DEFAULT_WEBHOOK_SETTINGS.maxAttempts),
    /** Fault settings (random faults, latency); none by default. */
    faults: faultSettingsSchema.partial().optional(),
    /**
     * Service protection limits, on by default with BC's per-user figures (6,000 requests per 5 minutes,
     * 5 concurrent + 95 queued); override single figures or `timeScale`, or `false` to turn them off.
     */
    limits: z.union([serviceProtectionOverridesSchema, z.literal(false)]).optional(),
    environments: z.array(z.string().min(1)).min(1).default(['production']),
    tenant: z.string().optional(),
    clientId: z.string().optional(),
    clientSecret: z.string().optional(),
    tokenTtlSeconds: z.number().int().min(1).optional(),
    companyName: z.string().default('CRONUS USA, Inc.'),
  })
  .strict();

export type BcEmulatorOptions = z.input<typeof bcEmulatorOptionsSchema>;

export interface RunningBcEmulator {
  /** `http://host:port` */
  url: string;
  port: number;
  companyId: string;
  /** Default environment name (first of `environments`). */
  environment: string;
  tenant: string;
  clientId: string;
  clientSecret: string;
  /** `{url}/v2.0/{environment}/api/v2.0` */
  apiUrl: string;
  /** `{url}/v2.0/{environment}/api/bcsync/integration/v1.0` */
  customApiUrl: string;
  /** `{url}/{tenant}/oauth2/v2.0/token` */
  tokenUrl: string;
  /** Programmatic access for tests (tables, stats, number series). */
  state: BcState;
  faults: FaultInjector;
  limits: ServiceProtection;
  clock: EmulatorClock;
  webhooks: {
    subscriptions: SubscriptionStore;
    notifier: WebhookNotifier;
    /** Delivers pending notifications now and waits for the answers. */
    flush(): Promise<void>;
  };
  reset(request?: ResetRequest): void;
  stop(): Promise<void>;
}

interface PersistedBcState {
  state: BcStateSnapshot;
  subscriptions: Subscription[];
  clockOffsetMs: number;
}

function companyRow(name: string, clock: EmulatorClock): CompanyRow {
  const now = clock.nowIso();
  return {
    id: BC_COMPANY_ID,
    systemVersion: '26.0.30643.32481',
    timestamp: 1,
    name,
    displayName: name,
    businessProfileId: '',
    systemCreatedAt: now,
    systemCreatedBy: '00000000-0000-0000-0000-000000000001',
    systemModifiedAt: now,
    systemModifiedBy: '00000000-0000-0000-0000-000000000001',
  };
}

export async function startBcEmulator(options: BcEmulatorOptions = {}): Promise<RunningBcEmulator> {
  const opts = bcEmulatorOptionsSchema.parse(options);
  const defaults = DEFAULT_EMULATOR_CREDENTIALS;
  const tenant = opts.tenant ?? defaults.tenant;
  const clientId = opts.clientId ?? defaults.clientId;
  const clientSecret = opts.clientSecret ?? defaults.clientSecret;
  const clock = new EmulatorClock();
  const state = new BcState(clock, companyRow(opts.companyName, clock));
  const faults = new FaultInjector((opts.faults ?? {}) as FaultSettings, {
    now: () => clock.now(),
    latencyProfile: BC_LATENCY,
  });
  // Real time, not the emulator clock: limits are about the load on the server right now.
  const limits = new ServiceProtection(BC_SERVICE_PROTECTION, opts.limits ?? {});
  // Tokens follow real time: moving the emulator clock (subscription expiry tests) must not log clients out.
  const tokens = new TokenIssuer({
    clientId,
    clientSecret,
    tenant,
    ttlSeconds: opts.tokenTtlSeconds,
    audience: () => BC_AUDIENCE,
  });
  const subscriptions = new SubscriptionStore(state, INTEGRATION_USER_ID);
  const settings: WebhookSettings = {
    coalesceMs: opts.webhookCoalesceMs,
    collectionThreshold: opts.webhookCollectionThreshold,
    retryBaseMs: opts.webhookRetryBaseMs,
    maxAttempts: opts.webhookMaxAttempts,
  };
  const notifier = new WebhookNotifier(subscriptions, clock, settings);
  let dirty = false;
  state.onChanges((changes) => {
    dirty = true;
    notifier.onChanges(changes);
  });

  const seed = (request: ResetRequest): void => {
    notifier.clear();
    subscriptions.clear();
    state.clearData();
    state.company = companyRow(opts.companyName, clock);
    const records = request.records ?? (request.seed === undefined ? opts.records : undefined);
    if (records !== undefined) seedSized(state, records);
    else if ((request.seed ?? opts.seed) === 'demo') seedDemo(state);
    // Seeding goes through the write path; tests count only their own writes.
    notifier.clear();
    state.stats.reset();
    dirty = true;
  };

  const snapshotFile = opts.stateDir ? new SnapshotFile<PersistedBcState>(opts.stateDir, 'bc') : undefined;
  const persisted = snapshotFile?.load();
  if (persisted) {
    state.load(persisted.state);
    subscriptions.load(persisted.subscriptions);
    if (persisted.clockOffsetMs > 0) clock.advance(persisted.clockOffsetMs);
  } else {
    seed({});
  }
  const snapshot = (): PersistedBcState => ({
    state: state.snapshot(),
    subscriptions: subscriptions.all(),
    clockOffsetMs: clock.offset,
  });

  const admin: AdminTarget = {
    faults,
    limits,
    stats: state.stats,
    records: (entitySet) => {
      if (entitySet === 'subscriptions') return subscriptions.active().map(subscriptionJson);
      if (!isEntitySet(entitySet)) return undefined;
      return state
        .table(entitySet)
        .rowsInKeyOrder()
        .map((r) => ({ '@odata.etag': r.etag, ...r.data }));
    },
    reset: (request) => seed(request),
    extraRoutes: {
      'POST webhooks/flush': async () => {
        await notifier.flush();
        return { ok: true, deliveries: notifier.log.slice(-20) };
      },
      'GET webhooks': () => ({
        settings: notifier.settings,
        subscriptions: subscriptions.active().map(subscriptionJson),
        pending: notifier.pendingCount(),
        deliveries: notifier.log,
      }),
      'PUT webhooks/settings': (body) => {
        const parsed = webhookSettingsSchema.parse(body ?? {});
        notifier.settings = { ...notifier.settings, ...parsed };
        return notifier.settings;
      },
      'GET clock': () => ({ now: clock.nowIso(), offsetMs: clock.offset }),
      'POST clock': (body) => {
        const { advanceMs } = clockAdvanceSchema.parse(body ?? {});
        clock.advance(advanceMs);
        return { now: clock.nowIso(), offsetMs: clock.offset };
      },
    },
  };

  let origin = '';
  const handler = createBcHandler({
    state,
    faults,
    limits,
    tokens,
    subscriptions,
    admin,
    tenant,
    environments: opts.environments,
    origin: () => origin,
    onError: (error) => {
      process.stderr.write(`BC emulator: unexpected error: ${(error as Error).stack ?? String(error)}\n`);
    },
  });
  // Business Central documents no URL length limit: the request head keeps Node's 16 KB limit (431).
  const server = await startHttpServer({ host: opts.host, port: opts.port, handler, now: () => clock.now() });
  origin = server.url;
  if (snapshotFile) {
    snapshotFile.startAutoSave(
      snapshot,
      () => dirty,
      () => {
        dirty = false;
      },
      opts.autoSaveMs,
      (error) =>
        process.stderr.write(`BC emulator: saving state to ${snapshotFile.path} failed: ${String(error)}\n`),
    );
  }

  const environment = opts.environments[0];
  let stopped = false;
  return {
    url: server.url,
    port: server.port,
    companyId: BC_COMPANY_ID,
    environment,
    tenant,
    clientId,
    clientSecret,
    apiUrl: `${server.url}/v2.0/${environment}/api/v2.0`,
    customApiUrl: `${server.url}/v2.0/${environment}/api/${CUSTOM_API_PATH}`,
    tokenUrl: `${server.url}/${tenant}/oauth2/v2.0/token`,
    state,
    faults,
    limits,
    clock,
    webhooks: { subscriptions, notifier, flush: () => notifier.flush() },
    reset: (request = {}) => seed(resetRequestSchema.parse(request)),
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await notifier.stop();
      await server.close();
      if (snapshotFile) {
        snapshotFile.stopAutoSave();
        await snapshotFile.save(snapshot());
      }
    },
  };
}

const webhookSettingsSchema = z
  .object({
    coalesceMs: z.number().int().min(0),
    collectionThreshold: z.number().int().min(0),
    retryBaseMs: z.number().int().min(0),
    maxAttempts: z.number().int().min(1),
  })
  .partial()
  .strict();

const clockAdvanceSchema = z.object({ advanceMs: z.number().int().min(0) }).strict();
