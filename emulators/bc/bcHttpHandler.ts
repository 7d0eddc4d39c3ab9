// The BC emulator's request pipeline: /_admin (no auth, no faults) -> token endpoint (no faults) -> bearer
// token check (401 Authentication_InvalidCredentials) -> service protection limits per user (429 +
// Retry-After, queued requests 503 after the operation timeout) -> fault injection -> routing to entity
// requests, `$batch` or webhook subscriptions.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { handleAdminRequest, isAdminPath, type AdminTarget } from '../common/adminSurface';
import type { FaultInjector } from '../common/faults';
import type { ServiceProtection } from '../common/serviceProtection';
import {
  JsonBodyError,
  parseJsonText,
  parseRequestUrl,
  readText,
  sendEmpty,
  sendJson,
  sendText,
  sleep,
} from '../common/httpServer';
import { matchTokenPath, type TokenIssuer } from '../common/tokens';
import { BcApiError, bcErrors } from './bcErrors';
import { executeBatch, type BatchOperation } from './batchRequests';
import type { BcState } from './bcState';
import { parseApiBase, parseRoute, type ApiBase } from './bcRoutes';
import { executeEntityRequest, type ApiContext, type ApiRequest, type ApiResponse } from './entityRequests';
import { subscriptionJson, type SubscriptionStore } from './webhookSubscriptions';

export interface BcHandlerDeps {
  state: BcState;
  faults: FaultInjector;
  limits: ServiceProtection;
  tokens: TokenIssuer;
  subscriptions: SubscriptionStore;
  admin: AdminTarget;
  tenant: string;
  /** Environment names served (case-insensitive), e.g. `production`. */
  environments: readonly string[];
  /** `http://host:port`, set once the server listens. */
  origin(): string;
  onError(error: unknown): void;
}

type Headers = Record<string, string | undefined>;

const JSON_CONTENT_TYPE = 'application/json; odata.metadata=minimal; charset=utf-8';

function headerMap(req: IncomingMessage): Headers {
  const out: Headers = {};
  for (const [k, v] of Object.entries(req.headers))
    out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

function send(res: ServerResponse, response: ApiResponse): void {
  if (response.rawJson !== undefined) {
    return sendText(res, response.status, response.rawJson, JSON_CONTENT_TYPE, response.headers);
  }
  if (response.body === undefined) return sendEmpty(res, response.status, response.headers);
  if (typeof response.body === 'string') {
    return sendText(
      res,
      response.status,
      response.body,
      response.headers['Content-Type'] ?? 'text/plain',
      response.headers,
    );
  }
  sendJson(res, response.status, response.body, response.headers);
}

function errorResponse(error: BcApiError): ApiResponse {
  return { status: error.status, headers: { ...error.headers, 'OData-Version': '4.0' }, body: error.body() };
}

export function createBcHandler(
  deps: BcHandlerDeps,
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const ctx = (): ApiContext => ({ state: deps.state, origin: deps.origin() });

  function checkBase(base: ApiBase): void {
    const known = deps.environments.some((e) => e.toLowerCase() === base.environment.toLowerCase());
    if (!known) throw bcErrors.environmentNotFound(base.environment);
    if (base.tenant !== undefined && base.tenant.toLowerCase() !== deps.tenant.toLowerCase()) {
      throw bcErrors.environmentNotFound(`${base.tenant}/${base.environment}`);
    }
  }

  /** A request (top level or inside a batch) as the entity layer takes it. */
  function prepare(
    method: string,
    url: URL,
    headers: Headers,
    body: unknown,
  ): ApiRequest | { batch: true; base: ApiBase } {
    const parsed = parseApiBase(url.pathname);
    if (!parsed) throw bcErrors.resourceNotFound(url.pathname);
    checkBase(parsed.base);
    const route = parseRoute(parsed.base, parsed.rest);
    if (route.kind === 'batch') return { batch: true, base: parsed.base };
    if (route.kind === 'subscriptions') {
      throw bcErrors.badRequest('Subscriptions are not available inside a $batch request.');
    }
    return {
      method,
      pathname: url.pathname,
      base: parsed.base,
      route,
      params: url.searchParams,
      headers,
      body,
    };
  }

  function batchOperationRequest(base: ApiBase, op: BatchOperation): ApiRequest {
    // Relative URLs resolve against the batch endpoint's API root, as OData JSON batch defines.
    const url = /^https?:\/\//i.test(op.url)
      ? new URL(op.url)
      : new URL(op.url.startsWith('/') ? op.url : `${base.basePath}/${op.url}`, 'http://emulator.local');
    const headers: Headers = {};
    for (const [k, v] of Object.entries(op.headers ?? {})) headers[k.toLowerCase()] = v;
    const prepared = prepare(op.method.toUpperCase(), url, headers, op.body);
    if ('batch' in prepared)
      throw bcErrors.badRequest('A $batch request cannot contain another $batch request.');
    return prepared;
  }

  async function handleSubscriptions(
    method: string,
    base: ApiBase,
    subscriptionId: string | undefined,
    headers: Headers,
    body: unknown,
  ): Promise<ApiResponse> {
    const store = deps.subscriptions;
    const ok = (status: number, json: unknown): ApiResponse => ({
      status,
      headers: { 'OData-Version': '4.0' },
      body: json,
    });
    const context = `${deps.origin()}${base.basePath}/$metadata#subscriptions`;
    if (subscriptionId === undefined) {
      if (method === 'GET') {
        const value = store
          .active()
          .filter((s) => s.target.api === base.api)
          .map(subscriptionJson);
        return ok(200, { '@odata.context': context, value });
      }
      if (method === 'POST') {
        const created = await store.create(base.api, body);
        return ok(201, { '@odata.context': `${context}/$entity`, ...subscriptionJson(created) });
      }
      throw bcErrors.methodNotAllowed(method, 'subscriptions');
    }
    if (method === 'GET')
      return ok(200, {
        '@odata.context': `${context}/$entity`,
        ...subscriptionJson(store.mustGet(subscriptionId)),
      });
    if (method === 'PATCH') {
      const renewed = await store.renew(subscriptionId, body, headers['if-match']);
      return ok(200, { '@odata.context': `${context}/$entity`, ...subscriptionJson(renewed) });
    }
    if (method === 'DELETE') {
      store.delete(subscriptionId, headers['if-match']);
      return { status: 204, headers: { 'OData-Version': '4.0' } };
    }
    throw bcErrors.methodNotAllowed(method, 'subscriptions');
  }

  async function handleApi(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
  ): Promise<ApiResponse | undefined> {
    const auth = deps.tokens.verify(req.headers.authorization);
    if (!auth.ok) return errorResponse(bcErrors.unauthorized());
    const admission = await deps.limits.admit(auth.clientId);
    if (!admission.ok) {
      return errorResponse(
        admission.limit === 'queueTimeout'
          ? bcErrors.queueTimedOut()
          : bcErrors.tooManyRequests(admission.retryAfterSeconds),
      );
    }
    try {
      const response = await handleAdmitted(req, res, url, auth.clientId);
      if (response) await sleep(deps.faults.processingMs(response.operations));
      return response;
    } finally {
      admission.release();
    }
  }

  async function handleAdmitted(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    clientId: string,
  ): Promise<(ApiResponse & { operations?: number }) | undefined> {
    const fault = deps.faults.decideDetailed(clientId);
    if (deps.faults.latencyMs > 0) await sleep(deps.faults.latencyMs);
    if (fault.kind === 'drop') {
      req.socket.destroy();
      return undefined;
    }
    if (fault.kind === '5xx') return errorResponse(bcErrors.serviceUnavailable());
    if (fault.kind === '429') return errorResponse(bcErrors.tooManyRequests(fault.retryAfterSeconds ?? 1));

    const method = (req.method ?? 'GET').toUpperCase();
    const headers = headerMap(req);
    let body: unknown;
    if (method === 'POST' || method === 'PATCH' || method === 'PUT') {
      try {
        body = parseJsonText(await readText(req));
      } catch (error) {
        if (error instanceof JsonBodyError)
          throw bcErrors.badRequest(`Invalid Request Body: ${error.message}`);
        throw error;
      }
    }
    const parsed = parseApiBase(url.pathname);
    if (!parsed) throw bcErrors.resourceNotFound(url.pathname);
    checkBase(parsed.base);
    const route = parseRoute(parsed.base, parsed.rest);
    if (route.kind === 'subscriptions')
      return handleSubscriptions(method, parsed.base, route.subscriptionId, headers, body);
    if (route.kind === 'batch') {
      if (method !== 'POST') throw bcErrors.methodNotAllowed(method, '$batch');
      const operations = (body as { requests?: unknown } | undefined)?.requests;
      const answer = executeBatch(deps.state, body, headers.isolation, {
        prepare: (op) => batchOperationRequest(parsed.base, op),
        execute: (request) => executeEntityRequest(ctx(), request),
      });
      return { ...answer, operations: Array.isArray(operations) ? operations.length : 1 };
    }
    const request = prepare(method, url, headers, body);
    if ('batch' in request) throw bcErrors.resourceNotFound('$batch');
    return executeEntityRequest(ctx(), request);
  }

  return async (req, res) => {
    const url = parseRequestUrl(req);
    if (isAdminPath(url.pathname)) return handleAdminRequest(req, res, url.pathname, deps.admin);
    const tenant = matchTokenPath(url.pathname);
    if (tenant !== undefined) {
      if ((req.method ?? 'GET').toUpperCase() !== 'POST') {
        return sendJson(res, 405, {
          error: 'invalid_request',
          error_description: 'The token endpoint only accepts POST.',
        });
      }
      const answer = deps.tokens.issue(await readText(req), tenant);
      return sendJson(res, answer.status, answer.body, { 'Cache-Control': 'no-store' });
    }
    let response: ApiResponse | undefined;
    try {
      response = await handleApi(req, res, url);
    } catch (error) {
      if (error instanceof BcApiError) response = errorResponse(error);
      else {
        deps.onError(error);
        response = errorResponse(
          new BcApiError(500, 'Internal_ServerError', `Internal emulator error: ${(error as Error).message}`),
        );
      }
    }
    if (!response) return;
    deps.state.stats.recordResponse(response.status, { method: req.method, url: req.url });
    send(res, response);
  };
}
