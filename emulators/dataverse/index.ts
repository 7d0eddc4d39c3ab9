// Dataverse Web API v9.2 emulator (emulator contract: `startDataverseEmulator`). Serves the OAuth2 token
// endpoint, `/api/data/v9.2/...` with bearer-token authentication, the service protection limits of a real
// organization (429 + Retry-After, common/serviceProtection.ts), fault injection and the `/_admin` surface.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { handleAdminRequest, isAdminPath, type AdminTarget } from '../common/adminSurface';
import { DEFAULT_EMULATOR_CREDENTIALS } from '../common/credentials';
import { FaultInjector, type FaultSettings } from '../common/faults';
import {
  BodyTooLargeError,
  parseRequestUrl,
  readText,
  sendEmpty,
  sendJson,
  sendText,
  sleep,
  startHttpServer,
} from '../common/httpServer';
import { SnapshotFile } from '../common/persistence';
import {
  DATAVERSE_SERVICE_PROTECTION,
  ServiceProtection,
  type LimitKind,
  type ServiceProtectionOverrides,
} from '../common/serviceProtection';
import { RequestStats } from '../common/requestStats';
import { matchTokenPath, TokenIssuer, type ClientCredential } from '../common/tokens';
import { BatchExecutor } from './batch';
import { DEFAULT_CHANGE_RETENTION_DAYS } from './changeTracking';
import { dvErrors, type DataverseApiError } from './errors';
import { formatRow } from './query';
import { RecordWriter } from './recordWriter';
import { ENTITY_MODELS } from './schema';
import {
  BASE_CURRENCY_ID,
  BUSINESS_UNIT_ID,
  ORGANIZATION_ID,
  ensureApplicationUser,
  seedStore,
  type SeedKind,
} from './seed';
import { DataverseState } from './state';
import { DataverseStore, type StoreSnapshot } from './store';
import { DataverseApi, type ApiResponse } from './webApi';

/**
 * "The maximum length of URL accepted is 32 KB (32768 characters)"; longer ones only inside a $batch body
 * (https://learn.microsoft.com/power-apps/developer/data-platform/webapi/compose-http-requests-handle-errors#maximum-url-length).
 */
export const DATAVERSE_MAX_URL_LENGTH = 32_768;

export { DataverseState } from './state';
export type { SeedKind } from './seed';

export const DEFAULT_DATAVERSE_PORT = 7049;
/** An assumed round trip of 40-160 ms, plus 8 ms per request of a $batch (faults.realisticLatency). */
const DATAVERSE_LATENCY = { baseMs: 40, spreadMs: 120, perOperationMs: 8 };
const API_PREFIX = /^\/api\/data\/v9\.[0-2](?=\/|$)/;

export interface DataverseEmulatorOptions {
  host?: string;
  /** 0 picks a free port (tests); default 7049. */
  port?: number;
  seed?: SeedKind;
  /** Adds N accounts and N contacts to the seed. */
  records?: number;
  /** Share (0..1) of those accounts and contacts that stand for the BC emulator's sized seed. Default 0. */
  overlap?: number;
  /** Folder to keep state in across restarts (JSON snapshot). */
  stateDir?: string;
  faults?: FaultSettings;
  /**
   * Service protection limits, on by default with Dataverse's per-user figures (6,000 requests and 1,200 s
   * of execution time per 5 minutes, 52 concurrent); override single figures or `timeScale`, or `false`.
   */
  limits?: ServiceProtectionOverrides | false;
  tenant?: string;
  clientId?: string;
  clientSecret?: string;
  /** More registered applications, each with its own application user. */
  additionalClients?: ClientCredential[];
  tokenTtlSeconds?: number;
  /** Clock (ms since epoch) for timestamps, token expiry and delta-token expiry. */
  now?: () => number;
  /** Change-tracking retention (delta tokens older than this fail); default 7 days. */
  changeRetentionDays?: number;
  /** How often state is saved to `stateDir` while it changes (ms); default 10 s. */
  autoSaveMs?: number;
  /** Where unexpected internal errors are reported; default console.error. */
  onError?: (error: unknown) => void;
  /**
   * Alternate keys an admin created (`accountnumber_key`, `productnumber_key`, `isocurrencycode_key`). A stock
   * organization has none (Use an alternate key to reference a record:
   * https://learn.microsoft.com/power-apps/developer/data-platform/use-alternate-key-reference-record), so
   * by default duplicates of these columns are stored and `accounts(accountnumber='...')` is refused.
   */
  alternateKeys?: Array<'accountnumber_key' | 'productnumber_key' | 'isocurrencycode_key'>;
  /** Organization.CreateProductsWithoutParentInActiveState; default false: new products are Draft. */
  createProductsActive?: boolean;
}

export interface RunningDataverseEmulator {
  /** Organisation URL (`http://127.0.0.1:port`), the equivalent of `https://org.crm.dynamics.com`. */
  url: string;
  /** Web API service root: `${url}/api/data/v9.2`. */
  apiUrl: string;
  /** `${url}/${tenant}/oauth2/v2.0/token` */
  tokenUrl: string;
  /** Scope to request: `${url}/.default`. */
  scope: string;
  port: number;
  tenant: string;
  clientId: string;
  clientSecret: string;
  /** systemuserid of the application user of `clientId` (returned as `_modifiedby_value` of its writes). */
  integrationUserId: string;
  organizationId: string;
  businessUnitId: string;
  state: DataverseState;
  faults: FaultInjector;
  limits: ServiceProtection;
  stats: RequestStats;
  stop(): Promise<void>;
}

export async function startDataverseEmulator(
  options: DataverseEmulatorOptions = {},
): Promise<RunningDataverseEmulator> {
  const defaults = DEFAULT_EMULATOR_CREDENTIALS;
  const tenant = options.tenant ?? defaults.tenant;
  const clientId = options.clientId ?? defaults.clientId;
  const clientSecret = options.clientSecret ?? defaults.clientSecret;
  const now = options.now ?? Date.now;
  const onError = options.onError ?? ((error: unknown) => console.error('[dataverse-emulator]', error));

  const issuer = new TokenIssuer({
    clientId,
    clientSecret,
    tenant,
    ttlSeconds: options.tokenTtlSeconds,
    additionalClients: options.additionalClients,
    now,
    // The organisation URL is the audience (scope `{url}/.default`); known once the server listens.
    audience: () => serviceRoot.replace(/\/api\/data\/v9\.2$/, ''),
  });
  const faults = new FaultInjector(options.faults ?? {}, { now, latencyProfile: DATAVERSE_LATENCY });
  // Real time, not `now`: limits are about the load on the server right now.
  const limits = new ServiceProtection(DATAVERSE_SERVICE_PROTECTION, options.limits ?? {});
  const stats = new RequestStats();
  const store = new DataverseStore(now, { alternateKeys: options.alternateKeys ?? [] });
  const writer = new RecordWriter(store, {
    createProductsActive: options.createProductsActive ?? false,
    organizationId: ORGANIZATION_ID,
    businessUnitId: BUSINESS_UNIT_ID,
    baseCurrencyId: () =>
      store.get('transactioncurrencies', BASE_CURRENCY_ID) ? BASE_CURRENCY_ID : undefined,
  });
  const state = new DataverseState(store, writer, () => issuer.clientIds);

  const snapshotFile = options.stateDir
    ? new SnapshotFile<StoreSnapshot>(options.stateDir, 'dataverse')
    : undefined;
  const saved = snapshotFile?.load();
  if (saved) store.restore(saved);
  else
    seedStore(store, {
      kind: options.seed ?? 'demo',
      records: options.records ?? 0,
      overlap: options.overlap ?? 0,
      clientIds: issuer.clientIds,
    });
  for (const id of issuer.clientIds) ensureApplicationUser(store, id);

  let serviceRoot = '';
  const api = new DataverseApi(store, writer, {
    serviceRoot: () => serviceRoot,
    organizationId: ORGANIZATION_ID,
    businessUnitId: BUSINESS_UNIT_ID,
    changeRetentionDays: options.changeRetentionDays,
  });
  const batch = new BatchExecutor(api, store);

  const admin: AdminTarget = {
    faults,
    limits,
    stats,
    records: (entitySet) => {
      const model = ENTITY_MODELS.get(entitySet);
      if (!model) return undefined;
      const table = store.requireTable(entitySet);
      return table.ids().map((id) => formatRow(store, model, table.rows.get(id)!, null));
    },
    reset: (request) => {
      seedStore(store, {
        kind: request.seed ?? 'demo',
        records: request.records ?? 0,
        overlap: request.overlap ?? 0,
        clientIds: issuer.clientIds,
      });
      stats.reset();
    },
  };

  const respond = (res: ServerResponse, response: ApiResponse): void => {
    const headers: Record<string, string> = {
      'OData-Version': '4.0',
      REQ_ID: randomUUID(),
      ...response.headers,
    };
    if (response.body !== undefined) sendJson(res, response.status, response.body, headers);
    else if (response.text !== undefined)
      sendText(res, response.status, response.text, 'text/plain; charset=utf-8', headers);
    else sendEmpty(res, response.status, headers);
  };

  const sendError = (res: ServerResponse, error: DataverseApiError): void => {
    stats.recordResponse(error.status);
    respond(res, { status: error.status, headers: error.headers, body: error.body(), writes: [] });
  };

  const handler = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = parseRequestUrl(req);
    const pathname = url.pathname;
    if (isAdminPath(pathname)) return handleAdminRequest(req, res, pathname, admin);

    const tokenTenant = matchTokenPath(pathname);
    if (tokenTenant !== undefined) {
      if (req.method !== 'POST')
        return sendJson(res, 405, { error: 'invalid_request', error_description: 'Use POST.' });
      const answer = issuer.issue(await readText(req), tokenTenant);
      stats.recordResponse(answer.status);
      return sendJson(res, answer.status, answer.body, { 'Cache-Control': 'no-store', Pragma: 'no-cache' });
    }

    const prefix = API_PREFIX.exec(pathname);
    if (!prefix)
      return sendError(
        res,
        dvErrors.noHttpResource(`${serviceRoot.replace(/\/api\/data\/v9\.2$/, '')}${pathname}`),
      );

    const auth = issuer.verify(req.headers.authorization);
    if (!auth.ok) {
      stats.recordResponse(401);
      // The real service answers 401 with an empty body and a WWW-Authenticate challenge.
      return sendEmpty(res, 401, {
        'WWW-Authenticate': `Bearer authorization_uri=${url.protocol}//login.microsoftonline.com/${tenant}/oauth2/authorize, resource_id=${serviceRoot.replace(/\/api\/data\/v9\.2$/, '')}`,
      });
    }

    // A $batch is one request for the request count; its execution time counts in full.
    const admission = await limits.admit(auth.clientId);
    if (!admission.ok) return sendError(res, limitError(admission.limit, admission.retryAfterSeconds));
    try {
      await handleAdmitted(req, res, url, pathname, prefix[0], auth.clientId, {
        ...(admission.remaining !== undefined
          ? { 'x-ms-ratelimit-burst-remaining-xrm-requests': String(admission.remaining) }
          : {}),
        ...(admission.executionTimeRemainingMs !== undefined
          ? { 'x-ms-ratelimit-time-remaining-xrm-requests': String(admission.executionTimeRemainingMs) }
          : {}),
      });
    } finally {
      admission.release();
    }
  };

  const limitError = (limit: LimitKind, retryAfterSeconds: number): DataverseApiError => {
    const effective = limits.effective;
    if (limit === 'requests')
      return dvErrors.throttled(retryAfterSeconds, effective.requests, Math.round(effective.windowMs / 1000));
    if (limit === 'executionTime') return dvErrors.throttledExecutionTime(retryAfterSeconds);
    return dvErrors.throttledConcurrency(retryAfterSeconds, limits.settings.maxConcurrent);
  };

  const handleAdmitted = async (
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    pathname: string,
    prefix: string,
    clientId: string,
    limitHeaders: Record<string, string>,
  ): Promise<void> => {
    // Inside the admission: the delay holds a concurrency slot and counts as execution time.
    if (faults.latencyMs > 0) await sleep(faults.latencyMs);
    const outcome = faults.decideDetailed(clientId);
    if (outcome.kind === 'drop') {
      stats.recordResponse(0);
      req.socket.destroy();
      return;
    }
    if (outcome.kind === '5xx') return sendError(res, dvErrors.serviceUnavailable());
    if (outcome.kind === '429') {
      const settings = faults.settings;
      return sendError(
        res,
        outcome.reason === 'budget' && settings.budget
          ? dvErrors.throttled(
              outcome.retryAfterSeconds ?? 1,
              settings.budget.requests,
              settings.budget.windowSeconds,
            )
          : dvErrors.throttledExecutionTime(outcome.retryAfterSeconds ?? 1),
      );
    }
    const rateHeaders: Record<string, string> =
      outcome.budgetRemaining !== undefined
        ? { ...limitHeaders, 'x-ms-ratelimit-burst-remaining-xrm-requests': String(outcome.budgetRemaining) }
        : limitHeaders;

    let body: string;
    try {
      body = await readText(req);
    } catch (error) {
      if (error instanceof BodyTooLargeError) {
        stats.recordResponse(413);
        return sendJson(res, 413, { error: { code: '0x80060888', message: error.message } });
      }
      throw error;
    }
    const resource = pathname.slice(prefix.length);
    const headers = lowerCaseHeaders(req);
    const caller = { clientId, userId: ensureApplicationUser(store, clientId) };

    if (resource.replace(/\/+$/, '') === '/$batch') {
      if (req.method !== 'POST') return sendError(res, dvErrors.methodNotAllowed(req.method ?? ''));
      const result = batch.execute(headers['content-type'], body, headers, caller);
      for (const entitySet of result.writes) stats.recordWrite(entitySet);
      await sleep(faults.processingMs(result.operations));
      stats.recordResponse(result.status, { method: req.method, url: req.url });
      return sendText(res, result.status, result.body, result.contentType, {
        'OData-Version': '4.0',
        REQ_ID: randomUUID(),
        ...rateHeaders,
      });
    }

    const rawPath = (req.url ?? '').split('?')[0].replace(API_PREFIX, '');
    const response = api.handle({
      method: req.method ?? 'GET',
      path: rawPath,
      query: url.searchParams,
      headers,
      body,
      caller,
    });
    for (const entitySet of response.writes) stats.recordWrite(entitySet);
    await sleep(faults.processingMs());
    stats.recordResponse(response.status, { method: req.method, url: req.url });
    respond(res, { ...response, headers: { ...rateHeaders, ...response.headers } });
  };

  const server = await startHttpServer({
    host: options.host,
    port: options.port ?? DEFAULT_DATAVERSE_PORT,
    handler,
    onError,
    now,
    maxUrlLength: DATAVERSE_MAX_URL_LENGTH,
  });
  serviceRoot = `${server.url}/api/data/v9.2`;

  if (snapshotFile) {
    snapshotFile.startAutoSave(
      () => store.snapshot(),
      () => store.dirty,
      () => {
        store.dirty = false;
      },
      options.autoSaveMs ?? 10_000,
      onError,
    );
  }

  // Deletions older than the change-tracking retention can no longer be asked for.
  const retentionMs = (options.changeRetentionDays ?? DEFAULT_CHANGE_RETENTION_DAYS) * 24 * 3600 * 1000;
  const pruneTimer = setInterval(() => store.pruneTombstones(now() - retentionMs), 3600_000);
  pruneTimer.unref();

  let stopped = false;
  return {
    url: server.url,
    apiUrl: serviceRoot,
    tokenUrl: `${server.url}/${tenant}/oauth2/v2.0/token`,
    scope: `${server.url}/.default`,
    port: server.port,
    tenant,
    clientId,
    clientSecret,
    integrationUserId: state.integrationUserId,
    organizationId: ORGANIZATION_ID,
    businessUnitId: BUSINESS_UNIT_ID,
    state,
    faults,
    limits,
    stats,
    async stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(pruneTimer);
      await server.close();
      if (snapshotFile) {
        snapshotFile.stopAutoSave();
        await snapshotFile.save(store.snapshot());
      }
    },
  };
}

function lowerCaseHeaders(req: IncomingMessage): Record<string, string | undefined> {
  const headers: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}
