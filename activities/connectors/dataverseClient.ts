// Dataverse Web API v9.2 connector (apis.md B): OData reads with server paging, change tracking as a
// second read mode, writes that cannot duplicate (creates carry a client-chosen id), and multipart
// $batch with one change set per operation and continue-on-error, so items succeed or fail on their own.
import { randomUUID } from 'node:crypto';
import { ApiError, isAlreadyExists } from './apiError';
import { ApiResponse, type ApiRequest, type ApiTransport, type HttpMethod } from './apiTransport';
import {
  buildBatchBody,
  parseBatchResponse,
  type BatchPartRequest,
  type BatchPartResponse,
} from './dataverseBatch';
import {
  combineFilters,
  getCollectionPage,
  modifiedSinceFilter,
  queryString,
  streamPages,
} from './odataQuery';
import type {
  ApiErrorInfo,
  CallOptions,
  ChangePage,
  ChoiceOption,
  ChangeQuery,
  EntityPage,
  JsonRecord,
  ReadQuery,
  TableClient,
  WriteOperation,
  WriteResult,
} from './types';
import { orFilterChunks } from './filterChunks';
import { recordsMatching } from './recordsMatching';
import { bodyIsApplied } from './writeApplied';
import { failedResult, itemError, needsSecondChance, opLabel, recordOf, settle } from './writeResults';

/** Primary key per entity set (logical name + `id`), for the tables the default mappings use. */
export const DATAVERSE_KEY_FIELDS: Readonly<Record<string, string>> = {
  accounts: 'accountid',
  contacts: 'contactid',
  transactioncurrencies: 'transactioncurrencyid',
  products: 'productid',
  uomschedules: 'uomscheduleid',
  uoms: 'uomid',
  pricelevels: 'pricelevelid',
  productpricelevels: 'productpricelevelid',
  systemusers: 'systemuserid',
  invoices: 'invoiceid',
  invoicedetails: 'invoicedetailid',
  nav_accountstatisticses: 'nav_accountstatisticsid',
  businessunits: 'businessunitid',
  teams: 'teamid',
};

/** apis.md B: up to 1,000 requests per $batch. */
export const DATAVERSE_MAX_BATCH = 1000;
/** apis.md B: default and maximum page size 5,000. */
const DATAVERSE_MAX_PAGE_SIZE = 5000;

export interface DataverseClientOptions {
  transport: ApiTransport;
  /** Organization URL, e.g. https://contoso.crm.dynamics.com */
  url: string;
  keyFields?: Readonly<Record<string, string>>;
  /** Requests per $batch (1..1000). */
  batchSize?: number;
  /** `odata.include-annotations` preference for reads; '' for none. */
  includeAnnotations?: string;
}

interface MetadataLabel {
  Label?: string;
}
interface MetadataOption {
  Value: number;
  Label?: { UserLocalizedLabel?: MetadataLabel | null; LocalizedLabels?: MetadataLabel[] };
}

const optionSetPath = (entity: string, attribute: string): string =>
  `EntityDefinitions(LogicalName='${entity}')/Attributes(LogicalName='${attribute}')/Microsoft.Dynamics.CRM.PicklistAttributeMetadata?$select=LogicalName&$expand=OptionSet($select=Options)`;

export interface WhoAmI {
  UserId: string;
  BusinessUnitId: string;
  OrganizationId: string;
}

export class DataverseClient implements TableClient {
  readonly system = 'dataverse' as const;
  readonly base: string;
  private readonly keyFields: Readonly<Record<string, string>>;
  private readonly batchSize: number;
  private whoAmICache: WhoAmI | undefined;

  constructor(private readonly options: DataverseClientOptions) {
    this.base = `${options.url.replace(/\/+$/, '')}/api/data/v9.2`;
    this.keyFields = { ...DATAVERSE_KEY_FIELDS, ...options.keyFields };
    this.batchSize = Math.min(DATAVERSE_MAX_BATCH, Math.max(1, options.batchSize ?? DATAVERSE_MAX_BATCH));
  }

  get transport(): ApiTransport {
    return this.options.transport;
  }

  keyField(entity: string): string {
    const known = this.keyFields[entity];
    if (known) return known;
    // Entity set names are plural logical names: accounts -> accountid, opportunities -> opportunityid.
    const singular = entity.endsWith('ies') ? `${entity.slice(0, -3)}y` : entity.replace(/s$/, '');
    return `${singular}id`;
  }

  modifiedField(): string {
    return 'modifiedon';
  }

  entityUrl(entity: string): string {
    return `${this.base}/${entity}`;
  }

  recordUrl(entity: string, id: string): string {
    return `${this.base}/${entity}(${id})`;
  }

  /** The application user this connector writes as (`_modifiedby_value` of its own writes). */
  async whoAmI(options?: CallOptions): Promise<WhoAmI> {
    if (this.whoAmICache) return this.whoAmICache;
    const response = await this.transport.send({
      method: 'GET',
      url: `${this.base}/WhoAmI`,
      signal: options?.signal,
      idempotent: true,
    });
    this.whoAmICache = response.json<WhoAmI>();
    return this.whoAmICache;
  }

  async integrationUserId(options?: CallOptions): Promise<string> {
    return (await this.whoAmI(options)).UserId;
  }

  private readPrefer(pageSize: number | undefined, ...extra: string[]): Record<string, string> {
    const prefs = [...extra];
    if (pageSize) prefs.push(`odata.maxpagesize=${Math.min(pageSize, DATAVERSE_MAX_PAGE_SIZE)}`);
    const annotations = this.options.includeAnnotations ?? 'Microsoft.Dynamics.CRM.lookuplogicalname';
    if (annotations) prefs.push(`odata.include-annotations="${annotations}"`);
    return prefs.length ? { Prefer: prefs.join(',') } : {};
  }

  async *readPages(entity: string, query: ReadQuery): AsyncGenerator<EntityPage> {
    let first = query.nextLink;
    if (!first) {
      const filter = combineFilters(
        query.filter,
        query.modifiedSince
          ? modifiedSinceFilter('dataverse', this.modifiedField(), query.modifiedSince)
          : undefined,
      );
      first = `${this.entityUrl(entity)}${queryString({ filter, select: query.select, expand: query.expand })}`;
    }
    yield* streamPages(this.transport, first, this.readPrefer(query.pageSize), query.signal);
  }

  /**
   * Change tracking (`Prefer: odata.track-changes`): the first call (no deltaLink) returns every row and,
   * on the last page, a deltaLink; later calls with that deltaLink return rows changed since plus the ids
   * of deleted rows. apis.md B: $filter / $orderby / $expand / $top are not allowed with it.
   */
  async *readChanges(entity: string, query: ChangeQuery): AsyncGenerator<ChangePage> {
    let url: string | undefined =
      query.nextLink ??
      query.deltaLink ??
      `${this.entityUrl(entity)}${queryString({ select: query.select })}`;
    const headers = this.readPrefer(query.pageSize, 'odata.track-changes');
    while (url) {
      const page = await getCollectionPage(this.transport, url, headers, query.signal);
      const changed: JsonRecord[] = [];
      const deleted: string[] = [];
      for (const row of page.records) {
        const deletedId = deletedEntityId(row);
        if (deletedId) deleted.push(deletedId);
        else changed.push(row);
      }
      yield {
        changed,
        deleted,
        ...(page.nextLink ? { nextLink: page.nextLink } : {}),
        ...(page.deltaLink && !page.nextLink ? { deltaLink: page.deltaLink } : {}),
      };
      url = page.nextLink;
    }
  }

  async get(
    entity: string,
    id: string,
    select?: string[],
    options?: CallOptions,
  ): Promise<JsonRecord | undefined> {
    const url = `${this.recordUrl(entity, id)}${queryString({ select })}`;
    try {
      const response = await this.transport.send({
        method: 'GET',
        url,
        headers: this.readPrefer(undefined),
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
   * A choice column's options, from the attribute's metadata ("Query schema definitions": the
   * PicklistAttributeMetadata cast with `$expand=OptionSet($select=Options)`).
   */
  async readOptions(entity: string, attribute: string, options?: CallOptions): Promise<ChoiceOption[]> {
    const response = await this.transport.send({
      method: 'GET',
      url: `${this.base}/${optionSetPath(entity, attribute)}`,
      signal: options?.signal,
      idempotent: true,
    });
    const body = response.json<{ OptionSet?: { Options?: MetadataOption[] } }>();
    return (body.OptionSet?.Options ?? []).map((o) => ({
      value: o.Value,
      label: o.Label?.UserLocalizedLabel?.Label ?? o.Label?.LocalizedLabels?.[0]?.Label ?? '',
    }));
  }

  /**
   * InsertOptionValue on a local option set, the value assigned by Dataverse. Not idempotent: after an
   * ambiguous failure the options are read again and an option with this label counts as the earlier
   * attempt's, so a retry never adds the label twice.
   */
  async insertOption(
    entity: string,
    attribute: string,
    label: string,
    options?: CallOptions,
  ): Promise<number> {
    const findExisting = async (): Promise<ApiResponse | undefined> => {
      const existing = (await this.readOptions(entity, attribute, options)).find((o) => o.label === label);
      return existing
        ? new ApiResponse(200, new Headers(), JSON.stringify({ NewOptionValue: existing.value }))
        : undefined;
    };
    const response = await this.transport.send({
      method: 'POST',
      url: `${this.base}/InsertOptionValue`,
      body: {
        EntityLogicalName: entity,
        AttributeLogicalName: attribute,
        Label: { LocalizedLabels: [{ Label: label, LanguageCode: 1033 }] },
      },
      signal: options?.signal,
      idempotent: false,
      checkApplied: findExisting,
    });
    return response.json<{ NewOptionValue: number }>().NewOptionValue;
  }

  /**
   * POST with the primary key in the body (apis.md B): the id is chosen here (or by the caller), so a
   * retried create finds its own earlier row instead of making a second one.
   */
  async create(entity: string, body: JsonRecord, id?: string, options?: CallOptions): Promise<JsonRecord> {
    const result = await this.writeOne(
      { kind: 'create', entity, body, id: id ?? randomUUID() },
      options?.signal,
      false,
    );
    return unwrap(result);
  }

  /** Create only (`If-None-Match: *`): 412 if the row exists. */
  async createOnly(entity: string, id: string, body: JsonRecord, options?: CallOptions): Promise<JsonRecord> {
    const response = await this.transport.send({
      method: 'PATCH',
      url: this.recordUrl(entity, id),
      headers: { 'If-None-Match': '*', Prefer: 'return=representation' },
      body,
      signal: options?.signal,
      idempotent: true,
      explainAfterAmbiguous: async (err) =>
        err.kind === 'conflict' ? this.currentAsResponse(entity, id, options?.signal) : undefined,
    });
    return this.recordFrom(response, entity, id, options?.signal);
  }

  /** Update only (`If-Match: <etag>`, or `*` without one): 404 if missing, 412 if the ETag is stale. */
  async update(
    entity: string,
    id: string,
    body: JsonRecord,
    etag?: string,
    options?: CallOptions,
  ): Promise<JsonRecord> {
    return unwrap(await this.writeOne({ kind: 'update', entity, id, body, etag }, options?.signal, false));
  }

  /** `PATCH` without If-Match: creates the row with this id or updates it (apis.md B). */
  async upsert(entity: string, id: string, body: JsonRecord, options?: CallOptions): Promise<JsonRecord> {
    return unwrap(await this.writeOne({ kind: 'upsert', entity, id, body }, options?.signal, false));
  }

  async delete(entity: string, id: string, etag?: string, options?: CallOptions): Promise<void> {
    unwrap(await this.writeOne({ kind: 'delete', entity, id, etag }, options?.signal, false));
  }

  /**
   * Multipart $batch of up to 1,000 requests, each in its own change set, with
   * `Prefer: odata.continue-on-error`: one result per operation, in order, and a bad item fails alone.
   */
  async writeBatch(ops: WriteOperation[], options?: CallOptions): Promise<WriteResult[]> {
    const withIds = ops.map(withClientId);
    const results: WriteResult[] = [];
    for (let start = 0; start < withIds.length; start += this.batchSize) {
      const chunk = withIds.slice(start, start + this.batchSize);
      results.push(
        ...(
          await this.sendBatch(
            chunk.map((op) => [op]),
            options?.signal,
          )
        ).flat(),
      );
    }
    return this.settleLeftovers(withIds, results, options?.signal);
  }

  /** All operations in one change set: all applied or none (at most 1,000). */
  async writeAtomic(ops: WriteOperation[], options?: CallOptions): Promise<WriteResult[]> {
    if (ops.length > this.batchSize) {
      throw new ApiError({
        system: 'dataverse',
        kind: 'validation',
        status: 0,
        code: 'BatchTooLarge',
        message: `A change set holds at most ${this.batchSize} operations; got ${ops.length}`,
        method: 'POST',
        url: `${this.base}/$batch`,
      });
    }
    const [results] = await this.sendBatch([ops.map(withClientId)], options?.signal);
    return results!;
  }

  private async settleLeftovers(
    ops: WriteOperation[],
    results: WriteResult[],
    signal: AbortSignal | undefined,
  ): Promise<WriteResult[]> {
    const adoptable: number[] = [];
    for (let i = 0; i < ops.length; i++) {
      const op = ops[i]!;
      const result = results[i]!;
      const second = needsSecondChance(result);
      if (second) {
        results[i] = await this.writeOne(op, signal, second.mayAlreadyBeApplied);
      } else if (!result.ok && op.kind === 'create' && result.error.kind === 'conflict') {
        if (op.id && GUID.test(op.id) && isAdoptable(result.error)) adoptable.push(i);
        else results[i] = await this.adoptExisting(op, result, signal);
      }
    }
    if (adoptable.length > 0) await this.adoptAllExisting(ops, results, adoptable, signal);
    return results;
  }

  /**
   * The creates of a batch answered "already exists" - after a crash, up to a whole page of them - looked
   * up in one query per ADOPT_CHUNK ids, not one request each: at 300 ms per request a page of 1,000
   * single look-ups took five minutes, and the retry outlived its heartbeat timeout.
   */
  private async adoptAllExisting(
    ops: WriteOperation[],
    results: WriteResult[],
    indexes: number[],
    signal: AbortSignal | undefined,
  ): Promise<void> {
    const byEntity = new Map<string, number[]>();
    for (const i of indexes) byEntity.set(ops[i]!.entity, [...(byEntity.get(ops[i]!.entity) ?? []), i]);
    for (const [entity, members] of byEntity) {
      const key = this.keyField(entity);
      const found = new Map<string, JsonRecord>();
      const ids = members.map((i) => ops[i]!.id!.toLowerCase());
      const chunks = orFilterChunks(ids, (id) => `${key} eq ${id}`, ADOPT_CHUNK);
      for (const r of await recordsMatching(this, entity, chunks, { signal }))
        found.set(String(r[key]).toLowerCase(), r);
      for (const i of members) {
        const id = ops[i]!.id!;
        const record = found.get(id.toLowerCase());
        if (record) results[i] = { ok: true, status: 200, id, record };
      }
    }
  }

  /** One result array per change set. */
  private async sendBatch(
    changeSets: WriteOperation[][],
    signal: AbortSignal | undefined,
  ): Promise<WriteResult[][]> {
    let contentId = 0;
    const parts = changeSets.map((set) => set.map((op) => this.batchPart(op, String(++contentId))));
    const { contentType, body } = buildBatchBody(parts);
    const url = `${this.base}/$batch`;
    let partsAnswered: BatchPartResponse[] | undefined;
    try {
      const response = await this.transport.send({
        method: 'POST',
        url,
        headers: { 'Content-Type': contentType, Prefer: 'odata.continue-on-error' },
        body,
        signal,
        // Resending is safe from duplicates (fixed ids) but would turn our own writes into false
        // conflicts: an unknown outcome is settled per item instead.
        idempotent: false,
      });
      try {
        partsAnswered = parseBatchResponse(response.headers.get('content-type') ?? '', response.text);
      } catch {
        // Answered but unreadable: what was applied is unknown, so every item is settled on its own.
        partsAnswered = undefined;
      }
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      if (!err.info.outcomeUnknown) return changeSets.map((set) => set.map(() => failedResult(err.info)));
    }
    if (!partsAnswered) {
      const settled: WriteResult[][] = [];
      for (const set of changeSets) {
        if (set.length === 1) {
          settled.push([await this.writeOne(set[0]!, signal, true)]);
          continue;
        }
        // An atomic change set was applied whole or not at all; writing its items one by one would
        // break that, so the caller gets "outcome unknown" and looks the rows up.
        const unknown: ApiErrorInfo = {
          system: 'dataverse',
          kind: 'transient',
          status: 0,
          code: 'OutcomeUnknown',
          message: 'The answer to this change set was lost; it was applied entirely or not at all',
          method: 'POST',
          url,
          outcomeUnknown: true,
        };
        settled.push(set.map(() => failedResult(unknown)));
      }
      return settled;
    }
    const byContentId = new Map(partsAnswered.filter((p) => p.contentId).map((p) => [p.contentId!, p]));
    return parts.map((set, s) => {
      const answers = set.map((part) => byContentId.get(part.contentId));
      const failed = answers.find((a) => a && a.status >= 400);
      return set.map((part, n): WriteResult => {
        const op = changeSets[s]![n]!;
        const answer = answers[n];
        if (answer && answer.status < 400) {
          if (failed) return failedResult(rolledBack(this.itemFailure(part, failed).info));
          const record = recordOf(safeJson(answer.body));
          return {
            ok: true,
            status: answer.status,
            id: writeId(op, record, this.keyField(op.entity)),
            ...(record ? { record } : {}),
          };
        }
        if (answer) return failedResult(this.itemFailure(part, answer).info);
        if (failed) return failedResult(rolledBack(this.itemFailure(part, failed).info));
        return failedResult({
          system: 'dataverse',
          kind: 'transient',
          status: 0,
          code: 'MissingBatchResponse',
          message: `The $batch answer has no response for ${opLabel(op)} (Content-ID ${part.contentId})`,
          method: part.method,
          url: part.url,
        });
      });
    });
  }

  private itemFailure(
    part: BatchPartRequest,
    answer: { status: number; headers: Record<string, string>; body: string },
  ): ApiError {
    return itemError({
      system: 'dataverse',
      method: part.method,
      url: part.url,
      status: answer.status,
      body: answer.body,
      retryAfter: answer.headers['retry-after'],
    });
  }

  private batchPart(op: WriteOperation, contentId: string): BatchPartRequest {
    const request = this.requestFor(op);
    return {
      contentId,
      method: request.method,
      url: request.url,
      headers: request.headers,
      ...(request.body !== undefined && typeof request.body !== 'string' ? { body: request.body } : {}),
    };
  }

  /** Method, URL, headers and body of one write (used alone and inside $batch). */
  private requestFor(op: WriteOperation): {
    method: HttpMethod;
    url: string;
    headers: Record<string, string>;
    body?: JsonRecord;
  } {
    const representation = { Prefer: 'return=representation' };
    const returning = op.kind === 'delete' ? '' : queryString({ select: op.returnColumns?.slice() });
    switch (op.kind) {
      case 'create':
        return {
          method: 'POST',
          url: `${this.entityUrl(op.entity)}${returning}`,
          headers: representation,
          body: { ...op.body, [this.keyField(op.entity)]: op.id },
        };
      case 'update':
        return {
          method: 'PATCH',
          url: `${this.recordUrl(op.entity, op.id)}${returning}`,
          headers: { ...representation, 'If-Match': op.etag ?? '*' },
          body: op.body,
        };
      case 'upsert':
        return {
          method: 'PATCH',
          url: `${this.recordUrl(op.entity, op.id)}${returning}`,
          headers: representation,
          body: op.body,
        };
      case 'delete':
        return {
          method: 'DELETE',
          url: this.recordUrl(op.entity, op.id),
          headers: op.etag ? { 'If-Match': op.etag } : {},
        };
    }
  }

  /** One write on its own, as a WriteResult. Creates and upserts are idempotent thanks to fixed ids. */
  private writeOne(
    input: WriteOperation,
    signal: AbortSignal | undefined,
    mayAlreadyBeApplied: boolean,
  ): Promise<WriteResult> {
    const op = withClientId(input);
    return settle(async () => {
      const base = this.requestFor(op);
      const request: ApiRequest = { ...base, signal, idempotent: true, mayAlreadyBeApplied };
      if (op.kind === 'update') {
        request.explainAfterAmbiguous = async (err) => {
          if (err.kind !== 'conflict') return undefined;
          const current = await this.get(op.entity, op.id, undefined, { signal });
          return current && bodyIsApplied(current, op.body)
            ? new ApiResponse(200, new Headers(), JSON.stringify(current))
            : undefined;
        };
      } else if (op.kind === 'delete') {
        request.explainAfterAmbiguous = async (err) =>
          err.kind === 'notFound' ? new ApiResponse(204, new Headers(), '') : undefined;
      }
      let response: ApiResponse;
      try {
        response = await this.transport.send(request);
      } catch (err) {
        if (op.kind === 'create' && err instanceof ApiError && err.kind === 'conflict') {
          return this.adoptExisting(op, failedResult(err.info), signal);
        }
        throw err;
      }
      const id = op.kind === 'create' ? op.id! : op.id;
      if (op.kind === 'delete') return { ok: true, status: response.status, id };
      const record = await this.recordFrom(response, op.entity, id, signal);
      return { ok: true, status: response.status, id, record };
    });
  }

  /**
   * A create answered "already exists": the id was chosen for this very create, so the row is the one an
   * earlier attempt (a lost answer, a retried activity) made. Adopted instead of reported.
   */
  private async adoptExisting(
    op: WriteOperation,
    failure: WriteResult,
    signal: AbortSignal | undefined,
  ): Promise<WriteResult> {
    if (op.kind !== 'create' || !op.id || failure.ok || !isAdoptable(failure.error)) return failure;
    const existing = await this.get(op.entity, op.id, undefined, { signal });
    return existing ? { ok: true, status: 200, id: op.id, record: existing } : failure;
  }

  private async currentAsResponse(
    entity: string,
    id: string,
    signal: AbortSignal | undefined,
  ): Promise<ApiResponse | undefined> {
    const current = await this.get(entity, id, undefined, { signal });
    return current ? new ApiResponse(200, new Headers(), JSON.stringify(current)) : undefined;
  }

  /** The written row: the representation if returned, else read back (204 + OData-EntityId). */
  private async recordFrom(
    response: ApiResponse,
    entity: string,
    id: string,
    signal: AbortSignal | undefined,
  ): Promise<JsonRecord> {
    if (response.text) return response.json();
    return (await this.get(entity, id, undefined, { signal })) ?? { [this.keyField(entity)]: id };
  }
}

/** Ids per look-up of already created rows (100 GUIDs: a URL of about 6 KB). */
const ADOPT_CHUNK = 100;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A create refused because the row exists (the id was chosen for this create: an earlier attempt's). */
function isAdoptable(info: ApiErrorInfo): boolean {
  return isAlreadyExists(info) || info.status === 412 || info.status === 409;
}

function withClientId(op: WriteOperation): WriteOperation {
  return op.kind === 'create' && !op.id ? { ...op, id: randomUUID() } : op;
}

function writeId(op: WriteOperation, record: JsonRecord | undefined, keyField: string): string {
  if (op.kind === 'create') return op.id ?? String(record?.[keyField] ?? '');
  return op.id;
}

function unwrap(result: WriteResult): JsonRecord {
  if (!result.ok) throw new ApiError(result.error);
  return result.record ?? {};
}

function rolledBack(info: ApiError['info']): ApiError['info'] {
  return { ...info, message: `Rolled back: another operation of the change set failed (${info.message})` };
}

function safeJson(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * A deleted row in a delta answer: `{"@odata.context": ".../$deletedEntity", "id": "...", "reason":
 * "deleted"}` (OData 4.0, what Dataverse sends) or `{"@removed": {...}, "@id": ".../accounts(<id>)"}`
 * (OData 4.01).
 */
function deletedEntityId(row: JsonRecord): string | undefined {
  const context = row['@odata.context'];
  if (typeof context === 'string' && context.endsWith('$deletedEntity') && typeof row.id === 'string')
    return row.id;
  if (row['@removed'] !== undefined || row['@odata.removed'] !== undefined) {
    const ref = row['@id'] ?? row['@odata.id'] ?? row.id;
    if (typeof ref === 'string') return /\(([^)]+)\)\s*$/.exec(ref)?.[1] ?? ref;
  }
  return undefined;
}
