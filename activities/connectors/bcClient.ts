// Business Central API v2.0 connector (apis.md A), plus the project's custom API for the tables the
// standard API lacks (resources, customer price groups, sales prices, customer statistics; contract in
// docs/bc-custom-api.md). Every entity lives under companies({companyId}).
import { ApiError, isAlreadyExists } from './apiError';
import { ApiResponse, type ApiRequest, type ApiTransport } from './apiTransport';
import {
  combineFilters,
  getCollectionPage,
  modifiedSinceFilter,
  odataString,
  queryString,
  streamPages,
} from './odataQuery';
import type {
  CallOptions,
  EntityPage,
  JsonRecord,
  ReadQuery,
  TableClient,
  WriteOperation,
  WriteResult,
} from './types';
import { bodyIsApplied } from './writeApplied';
import { failedResult, itemError, needsSecondChance, opLabel, recordOf, settle } from './writeResults';

/**
 * Entity sets read and written through the bcsync extension's custom API (docs/bc-custom-api.md) instead of
 * the standard `api/v2.0` route: the tables API v2.0 lacks, and customers / contacts / items, whose custom
 * pages carry the fields the default mappings sync that API v2.0 does not expose. A mapping configured
 * with `bc.api: 'v2.0'` moves its entity set back (`customEntitySets`, mappings/mappingConfig.ts).
 */
export const BC_CUSTOM_ENTITIES = [
  'resources',
  'customerPriceGroups',
  'salesPrices',
  'customerStatistics',
  'shippingAgents',
  'customers',
  'contacts',
  'items',
] as const;

/**
 * The field that identifies a record within a company besides its SystemId. API v2.0 cannot create a
 * record with a client-chosen id (only the bcsync pages can), so after a create whose answer was lost, this
 * is how the connector finds out whether the record exists before sending the create again (no duplicates
 * under retries).
 */
export const BC_NATURAL_KEYS: Readonly<Record<string, string>> = {
  customers: 'number',
  vendors: 'number',
  contacts: 'number',
  items: 'number',
  employees: 'number',
  resources: 'number',
  currencies: 'code',
  unitsOfMeasure: 'code',
  salespeoplePurchasers: 'code',
  paymentTerms: 'code',
  shipmentMethods: 'code',
  customerPriceGroups: 'code',
  shippingAgents: 'code',
};

/** apis.md A: at most 100 operations per $batch. */
export const BC_MAX_BATCH = 100;
/** apis.md A: server page size 20,000; a larger odata.maxpagesize is answered 413. */
const BC_MAX_PAGE_SIZE = 20_000;

export interface BcClientOptions {
  transport: ApiTransport;
  /** e.g. https://api.businesscentral.dynamics.com */
  apiUrl: string;
  tenant: string;
  environment: string;
  /** `/v2.0/{tenant}/{environment}/api/...` (service-to-service) instead of `/v2.0/{environment}/api/...`. */
  tenantInUrl: boolean;
  company: { id: string } | { name: string };
  /** `{publisher}/{group}/{version}` of the custom API, e.g. `bcsync/integration/v1.0`. */
  customApiPath: string;
  customEntities?: readonly string[];
  naturalKeys?: Readonly<Record<string, string>>;
  /** Operations per $batch request (1..100). */
  batchSize?: number;
  /** Send `Isolation: snapshot` (all-or-nothing batches). Off: one failing item never fails the others. */
  transactionalBatches?: boolean;
}

interface BcBatchResponse {
  responses?: Array<{ id?: string | null; status: number; headers?: Record<string, string>; body?: unknown }>;
}

export class BcClient implements TableClient {
  readonly system = 'bc' as const;
  private resolvedCompanyId: string | undefined;
  private readonly customEntities: ReadonlySet<string>;
  private readonly naturalKeys: Readonly<Record<string, string>>;
  private readonly batchSize: number;

  constructor(private readonly options: BcClientOptions) {
    this.customEntities = new Set(options.customEntities ?? BC_CUSTOM_ENTITIES);
    this.naturalKeys = options.naturalKeys ?? BC_NATURAL_KEYS;
    this.batchSize = Math.min(BC_MAX_BATCH, Math.max(1, options.batchSize ?? BC_MAX_BATCH));
    if ('id' in options.company) this.resolvedCompanyId = options.company.id;
  }

  get transport(): ApiTransport {
    return this.options.transport;
  }

  keyField(): string {
    return 'id';
  }

  modifiedField(): string {
    return 'lastModifiedDateTime';
  }

  /** `https://host/v2.0/[tenant/]environment/api` */
  get apiRoot(): string {
    const { apiUrl, tenant, environment, tenantInUrl } = this.options;
    const tenantPart = tenantInUrl ? `${encodeURIComponent(tenant)}/` : '';
    return `${apiUrl.replace(/\/+$/, '')}/v2.0/${tenantPart}${encodeURIComponent(environment)}/api`;
  }

  get standardBase(): string {
    return `${this.apiRoot}/v2.0`;
  }

  get customBase(): string {
    return `${this.apiRoot}/${this.options.customApiPath.replace(/^\/+|\/+$/g, '')}`;
  }

  isCustomEntity(entity: string): boolean {
    return this.customEntities.has(rootEntity(entity));
  }

  /** The API route (standard or custom) an entity set belongs to. */
  routeBase(entity: string): string {
    return this.isCustomEntity(entity) ? this.customBase : this.standardBase;
  }

  async companyId(options?: CallOptions): Promise<string> {
    if (this.resolvedCompanyId) return this.resolvedCompanyId;
    const { company } = this.options;
    const name = 'name' in company ? company.name : '';
    const url = `${this.standardBase}/companies${queryString({ filter: `name eq ${odataString(name)}` })}`;
    const page = await getCollectionPage(this.transport, url, {}, options?.signal);
    const match = page.records.find((c) => c.name === name);
    if (!match || typeof match.id !== 'string') {
      const all = await getCollectionPage(
        this.transport,
        `${this.standardBase}/companies`,
        {},
        options?.signal,
      );
      const names = all.records.map((c) => String(c.name)).join(', ');
      throw new ApiError({
        system: 'bc',
        kind: 'validation',
        status: 404,
        code: 'CompanyNotFound',
        message: `No company named '${name}' in environment '${this.options.environment}' (BCSYNC_BC_COMPANY_NAME). Companies: ${names || 'none'}. Set BCSYNC_BC_COMPANY_ID or fix the name.`,
        method: 'GET',
        url,
      });
    }
    this.resolvedCompanyId = match.id;
    return match.id;
  }

  async listCompanies(options?: CallOptions): Promise<JsonRecord[]> {
    const page = await getCollectionPage(
      this.transport,
      `${this.standardBase}/companies`,
      {},
      options?.signal,
    );
    return page.records;
  }

  /** Absolute URL of an entity set (or nested path such as `salesInvoices(<id>)/salesInvoiceLines`). */
  async entityUrl(entity: string, options?: CallOptions): Promise<string> {
    return `${this.routeBase(entity)}/${await this.companyPath(entity, options)}`;
  }

  async recordUrl(entity: string, id: string, options?: CallOptions): Promise<string> {
    return `${await this.entityUrl(entity, options)}(${id})`;
  }

  /** `companies(<id>)/<entity>`: the URL relative to the route, as used inside $batch. */
  private async companyPath(entity: string, options?: CallOptions): Promise<string> {
    return `companies(${await this.companyId(options)})/${entity}`;
  }

  async *readPages(entity: string, query: ReadQuery): AsyncGenerator<EntityPage> {
    const headers: Record<string, string> = {};
    if (query.pageSize) headers.Prefer = `odata.maxpagesize=${Math.min(query.pageSize, BC_MAX_PAGE_SIZE)}`;
    let first = query.nextLink;
    if (!first) {
      const filter = combineFilters(
        query.filter,
        query.modifiedSince
          ? modifiedSinceFilter('bc', this.modifiedField(), query.modifiedSince)
          : undefined,
      );
      first = `${await this.entityUrl(entity, query)}${queryString({ filter, select: query.select, expand: query.expand, orderBy: query.orderBy, top: query.top })}`;
    }
    yield* streamPages(this.transport, first, headers, query.signal);
  }

  async get(
    entity: string,
    id: string,
    select?: string[],
    options?: CallOptions,
  ): Promise<JsonRecord | undefined> {
    const url = `${await this.recordUrl(entity, id, options)}${queryString({ select })}`;
    try {
      const response = await this.transport.send({
        method: 'GET',
        url,
        signal: options?.signal,
        idempotent: true,
      });
      return response.json();
    } catch (err) {
      if (err instanceof ApiError && err.kind === 'notFound') return undefined;
      throw err;
    }
  }

  /**
   * BC assigns the id (SystemId) unless the body gives one to a bcsync page; `_id` is ignored. Safe to
   * retry: a lost answer is looked up by that id, else by BC_NATURAL_KEYS.
   */
  async create(entity: string, body: JsonRecord, _id?: string, options?: CallOptions): Promise<JsonRecord> {
    const response = await this.transport.send(
      await this.createRequest(entity, body, options?.signal, false),
    );
    return response.json();
  }

  async update(
    entity: string,
    id: string,
    body: JsonRecord,
    etag?: string,
    options?: CallOptions,
  ): Promise<JsonRecord> {
    const response = await this.transport.send(
      await this.updateRequest(entity, id, body, etag, options?.signal, false),
    );
    return response.json();
  }

  async upsert(entity: string, id: string, body: JsonRecord, options?: CallOptions): Promise<JsonRecord> {
    const existing = await this.get(entity, id, undefined, options);
    if (existing) return this.update(entity, id, body, '*', options);
    return this.create(entity, body, undefined, options);
  }

  async delete(entity: string, id: string, etag?: string, options?: CallOptions): Promise<void> {
    await this.transport.send(await this.deleteRequest(entity, id, etag, options?.signal, false));
  }

  /** A bound action, e.g. `invokeAction('salesInvoices', id, 'Microsoft.NAV.post')`. Not retried if unsure. */
  async invokeAction(entity: string, id: string, action: string, options?: CallOptions): Promise<void> {
    const url = `${await this.recordUrl(entity, id, options)}/${action}`;
    await this.transport.send({ method: 'POST', url, signal: options?.signal, idempotent: false });
  }

  /**
   * JSON $batch in chunks of at most 100 operations per API route, one result per operation in order.
   * Not transactional by default, so one bad item leaves the others applied.
   */
  async writeBatch(ops: WriteOperation[], options?: CallOptions): Promise<WriteResult[]> {
    const results: WriteResult[] = new Array<WriteResult>(ops.length);
    const byRoute = new Map<string, number[]>();
    ops.forEach((op, index) => {
      const route = this.routeBase(op.entity);
      byRoute.set(route, [...(byRoute.get(route) ?? []), index]);
    });
    for (const [route, indexes] of byRoute) {
      for (let start = 0; start < indexes.length; start += this.batchSize) {
        const chunk = indexes.slice(start, start + this.batchSize);
        const chunkResults = await this.sendBatch(
          route,
          chunk.map((i) => ops[i]!),
          options?.signal,
        );
        chunk.forEach((opIndex, n) => (results[opIndex] = chunkResults[n]!));
      }
    }
    // Items that failed for a passing reason get a second chance on their own, where the single-operation
    // retries (and the checks against writing twice) apply. Not for all-or-nothing batches.
    if (this.options.transactionalBatches) return results;
    for (let i = 0; i < ops.length; i++) {
      const second = needsSecondChance(results[i]!);
      if (second) results[i] = await this.writeOne(ops[i]!, options?.signal, second.mayAlreadyBeApplied);
    }
    return results;
  }

  private async sendBatch(
    route: string,
    ops: WriteOperation[],
    signal: AbortSignal | undefined,
  ): Promise<WriteResult[]> {
    const requests = await Promise.all(
      ops.map(async (op, n) => ({ id: String(n + 1), ...(await this.batchItem(op, signal)) })),
    );
    const headers: Record<string, string> = {};
    if (this.options.transactionalBatches) headers.Isolation = 'snapshot';
    let answer: BcBatchResponse;
    try {
      const response = await this.transport.send({
        method: 'POST',
        url: `${route}/$batch`,
        headers,
        body: { requests },
        signal,
        // A lost answer could hide applied creates: never re-sent blindly, settled per item below.
        idempotent: false,
      });
      answer = response.json<BcBatchResponse>();
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      if (err.info.outcomeUnknown) {
        const settled: WriteResult[] = [];
        for (const op of ops) settled.push(await this.writeOne(op, signal, true));
        return settled;
      }
      return ops.map(() => failedResult(err.info));
    }
    const byId = new Map((answer.responses ?? []).map((r) => [String(r.id), r]));
    const results = ops.map((op, n): WriteResult => {
      const item = byId.get(String(n + 1));
      const url = requests[n]!.url;
      if (!item) {
        return failedResult({
          system: 'bc',
          kind: 'transient',
          status: 0,
          code: 'MissingBatchResponse',
          message: `The $batch answer has no response for operation ${n + 1} (${opLabel(op)})`,
          method: requests[n]!.method,
          url,
        });
      }
      if (item.status >= 200 && item.status < 300) {
        const record = recordOf(item.body);
        const id = op.kind === 'create' ? String(record?.id ?? '') : op.id;
        return { ok: true, status: item.status, id, ...(record ? { record } : {}) };
      }
      const error = itemError({
        system: 'bc',
        method: requests[n]!.method,
        url,
        status: item.status,
        body: item.body,
        retryAfter: headerValue(item.headers, 'retry-after'),
      });
      return failedResult(error.info);
    });
    if (this.options.transactionalBatches) return rollBackOnFailure(results);
    return results;
  }

  private async batchItem(
    op: WriteOperation,
    signal: AbortSignal | undefined,
  ): Promise<{ method: string; url: string; headers: Record<string, string>; body?: JsonRecord }> {
    const path = await this.companyPath(op.entity, { signal });
    switch (op.kind) {
      case 'create':
        return { method: 'POST', url: path, headers: { 'Content-Type': 'application/json' }, body: op.body };
      case 'update':
      case 'upsert':
        return {
          method: 'PATCH',
          url: `${path}(${op.id})`,
          headers: {
            'Content-Type': 'application/json',
            'If-Match': (op.kind === 'update' && op.etag) || '*',
          },
          body: op.body,
        };
      case 'delete':
        return { method: 'DELETE', url: `${path}(${op.id})`, headers: { 'If-Match': op.etag ?? '*' } };
    }
  }

  /** One operation on its own, reported as a WriteResult. */
  private writeOne(
    op: WriteOperation,
    signal: AbortSignal | undefined,
    mayAlreadyBeApplied: boolean,
  ): Promise<WriteResult> {
    return settle(async () => {
      switch (op.kind) {
        case 'create': {
          const response = await this.transport.send(
            await this.createRequest(op.entity, op.body, signal, mayAlreadyBeApplied),
          );
          const record = response.json();
          return { ok: true, status: response.status, id: String(record.id ?? ''), record };
        }
        case 'update': {
          const request = await this.updateRequest(
            op.entity,
            op.id,
            op.body,
            op.etag,
            signal,
            mayAlreadyBeApplied,
          );
          const response = await this.transport.send(request);
          return { ok: true, status: response.status, id: op.id, record: response.json() };
        }
        case 'upsert': {
          const record = await this.upsert(op.entity, op.id, op.body, { signal });
          return { ok: true, status: 200, id: String(record.id ?? op.id), record };
        }
        case 'delete': {
          const response = await this.transport.send(
            await this.deleteRequest(op.entity, op.id, op.etag, signal, mayAlreadyBeApplied),
          );
          return { ok: true, status: response.status, id: op.id };
        }
      }
    });
  }

  private async createRequest(
    entity: string,
    body: JsonRecord,
    signal: AbortSignal | undefined,
    mayAlreadyBeApplied: boolean,
  ): Promise<ApiRequest> {
    const url = await this.entityUrl(entity, { signal });
    const keyField = this.naturalKeys[rootEntity(entity)];
    const keyValue = keyField ? body[keyField] : undefined;
    // The bcsync pages create the record with the id the body gives (docs/bc-custom-api.md): look it up by that.
    const clientId = this.isCustomEntity(entity) && typeof body.id === 'string' ? body.id : undefined;
    const findExisting = clientId
      ? async (): Promise<ApiResponse | undefined> => {
          const found = await this.get(entity, clientId, undefined, { signal });
          return found ? new ApiResponse(201, new Headers(), JSON.stringify(found)) : undefined;
        }
      : typeof keyValue === 'string' && keyValue !== ''
        ? async (): Promise<ApiResponse | undefined> => {
            // Natural keys are Code fields, which BC stores upper-cased.
            const filter = `${keyField} eq ${odataString(keyValue.toUpperCase())}`;
            const page = await getCollectionPage(
              this.transport,
              `${url}${queryString({ filter })}`,
              {},
              signal,
            );
            const found = page.records[0];
            return found ? new ApiResponse(201, new Headers(), JSON.stringify(found)) : undefined;
          }
        : undefined;
    if (mayAlreadyBeApplied) {
      if (!findExisting) {
        throw new ApiError({
          system: 'bc',
          kind: 'transient',
          status: 0,
          code: 'OutcomeUnknown',
          message: `The answer to this create was lost and ${entity} has neither an id BC takes nor a natural key in the body to look it up; not sent again to avoid a duplicate`,
          method: 'POST',
          url,
          outcomeUnknown: true,
        });
      }
      const existing = await findExisting();
      if (existing)
        return { method: 'GET', url: `${url}(${existing.json().id as string})`, signal, idempotent: true };
    }
    return {
      method: 'POST',
      url,
      body,
      signal,
      idempotent: false,
      ...(findExisting
        ? {
            checkApplied: findExisting,
            // The retry hit "already exists": our lost first attempt created it.
            explainAfterAmbiguous: async (err: ApiError) =>
              isAlreadyExists(err.info) ? findExisting() : undefined,
          }
        : {}),
    };
  }

  private async updateRequest(
    entity: string,
    id: string,
    body: JsonRecord,
    etag: string | undefined,
    signal: AbortSignal | undefined,
    mayAlreadyBeApplied: boolean,
  ): Promise<ApiRequest> {
    const url = await this.recordUrl(entity, id, { signal });
    return {
      method: 'PATCH',
      url,
      // apis.md A: PATCH requires If-Match (missing -> 400); `*` when the caller has no ETag.
      headers: { 'If-Match': etag ?? '*' },
      body,
      signal,
      idempotent: true,
      mayAlreadyBeApplied,
      explainAfterAmbiguous: async (err) => {
        if (err.kind !== 'conflict') return undefined;
        const current = await this.get(entity, id, undefined, { signal });
        return current && bodyIsApplied(current, body)
          ? new ApiResponse(200, new Headers(), JSON.stringify(current))
          : undefined;
      },
    };
  }

  private async deleteRequest(
    entity: string,
    id: string,
    etag: string | undefined,
    signal: AbortSignal | undefined,
    mayAlreadyBeApplied: boolean,
  ): Promise<ApiRequest> {
    return {
      method: 'DELETE',
      url: await this.recordUrl(entity, id, { signal }),
      headers: { 'If-Match': etag ?? '*' },
      signal,
      idempotent: true,
      mayAlreadyBeApplied,
      // A 404 after our own lost delete means it went through.
      explainAfterAmbiguous: async (err) =>
        err.kind === 'notFound' ? new ApiResponse(204, new Headers(), '') : undefined,
    };
  }
}

/** `salesInvoices(<id>)/salesInvoiceLines` -> `salesInvoices`. */
function rootEntity(entity: string): string {
  return /^[^(/]+/.exec(entity)?.[0] ?? entity;
}

function headerValue(headers: Record<string, string> | undefined, name: string): string | undefined {
  if (!headers) return undefined;
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name);
  return key ? headers[key] : undefined;
}

/** With `Isolation: snapshot`, one failure reverts the whole batch: successes are not real. */
function rollBackOnFailure(results: WriteResult[]): WriteResult[] {
  const failure = results.find((r): r is Extract<WriteResult, { ok: false }> => !r.ok);
  if (!failure) return results;
  return results.map((r) =>
    r.ok
      ? failedResult({
          ...failure.error,
          message: `Rolled back: another operation of the transactional batch failed (${failure.error.message})`,
        })
      : r,
  );
}
