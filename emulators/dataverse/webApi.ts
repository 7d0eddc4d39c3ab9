// The Dataverse Web API v9.2 request handler (apis.md B/C). It is synchronous and transport-free: the
// HTTP server and the `$batch` executor both call `handle`, so a batch part behaves exactly like the same
// request sent alone, and no other request can interleave with a changeset.
import { randomUUID } from 'node:crypto';
import { JsonBodyError, parseJsonText } from '../common/httpServer';
import {
  DEFAULT_CHANGE_RETENTION_DAYS,
  formatDeltaToken,
  parseDeltaToken,
  readDeltaPage,
} from './changeTracking';
import { DataverseApiError, dvErrors } from './errors';
import { isGuid, parseKey, type EntityKey } from './entityReference';
import {
  annotationMatcher,
  buildLink,
  contextUrl,
  decodeSkipToken,
  encodeSkipToken,
  etagOf,
  formatRow,
  MAX_PAGE_SIZE,
  parseQueryOptions,
  readPage,
  type ListCursor,
} from './query';
import { RecordWriter, type WriteContext } from './recordWriter';
import { ENTITY_MODELS, ENTITY_DEFS, type EntityModel } from './schema';
import type { DataverseStore, Row } from './store';

export interface CallerContext {
  /** OAuth client id of the token. */
  clientId: string;
  /** systemuserid of the application user of that client. */
  userId: string;
}

export interface ApiRequest {
  method: string;
  /** Resource path relative to the service root (`accounts(...)`), still URL-encoded. */
  path: string;
  query: URLSearchParams;
  /** Header names in lower case. */
  headers: Record<string, string | undefined>;
  body: string;
  caller: CallerContext;
}

export interface ApiResponse {
  status: number;
  headers: Record<string, string>;
  /** JSON body. */
  body?: unknown;
  /** Plain-text body (e.g. `$count`). */
  text?: string;
  /** Entity sets written by this request (one entry per successful write). */
  writes: string[];
}

export interface Preferences {
  returnRepresentation: boolean;
  maxPageSize?: number;
  trackChanges: boolean;
  includeAnnotations?: string;
  continueOnError: boolean;
}

export function parsePrefer(header: string | undefined): Preferences {
  const prefs: Preferences = { returnRepresentation: false, trackChanges: false, continueOnError: false };
  if (!header) return prefs;
  for (const raw of header.split(/,(?=(?:[^"]*"[^"]*")*[^"]*$)/)) {
    const item = raw.trim();
    const [name, ...rest] = item.split('=');
    const value = rest.join('=').trim();
    switch (name.trim().toLowerCase()) {
      case 'return':
        prefs.returnRepresentation = value.toLowerCase() === 'representation';
        break;
      case 'odata.maxpagesize':
        if (/^\d+$/.test(value) && Number(value) > 0) prefs.maxPageSize = Number(value);
        break;
      case 'odata.track-changes':
        prefs.trackChanges = true;
        break;
      case 'odata.include-annotations':
        prefs.includeAnnotations = value.replace(/^"|"$/g, '');
        break;
      case 'odata.continue-on-error':
        prefs.continueOnError = true;
        break;
    }
  }
  return prefs;
}

export interface DataverseApiOptions {
  /** `http://host:port/api/data/v9.2` */
  serviceRoot: () => string;
  organizationId: string;
  businessUnitId: string;
  changeRetentionDays?: number;
}

interface ParsedPath {
  entitySet: string;
  keyText?: string;
  /** Segments after the key: a property, a navigation property, `$ref`, `$count`. */
  rest: string[];
}

function parsePath(rawPath: string): ParsedPath {
  let path: string;
  try {
    path = decodeURIComponent(rawPath);
  } catch {
    throw dvErrors.badRequest(`The request path '${rawPath}' is not correctly URL-encoded.`);
  }
  path = path.replace(/^\/+|\/+$/g, '');
  const name = /^[A-Za-z_$][A-Za-z0-9_.]*/.exec(path);
  if (!name) throw dvErrors.resourceNotFound(path);
  let i = name[0].length;
  let keyText: string | undefined;
  if (path[i] === '(') {
    let quoted = false;
    let j = i + 1;
    for (; j < path.length; j++) {
      if (path[j] === "'") quoted = !quoted;
      else if (path[j] === ')' && !quoted) break;
    }
    if (j >= path.length) throw dvErrors.badRequest(`Unbalanced parentheses in '${path}'.`);
    keyText = path.slice(i + 1, j);
    i = j + 1;
  }
  const rest = path
    .slice(i)
    .split('/')
    .filter((s) => s !== '');
  return { entitySet: name[0], keyText, rest };
}

export class DataverseApi {
  readonly writer: RecordWriter;
  private readonly retentionDays: number;

  constructor(
    private readonly store: DataverseStore,
    writer: RecordWriter,
    private readonly options: DataverseApiOptions,
  ) {
    this.writer = writer;
    this.retentionDays = options.changeRetentionDays ?? DEFAULT_CHANGE_RETENTION_DAYS;
  }

  /** Answers one request; never throws (errors become Dataverse error responses). */
  handle(req: ApiRequest): ApiResponse {
    try {
      return this.route(req);
    } catch (error) {
      return errorResponse(error);
    }
  }

  private route(req: ApiRequest): ApiResponse {
    const method = req.method.toUpperCase();
    const path = req.path.replace(/^\/+/, '');
    if (path === '' || path === '/') {
      if (method !== 'GET') throw dvErrors.methodNotAllowed(method);
      return this.serviceDocument();
    }
    const parsed = parsePath(path);
    if (
      parsed.entitySet === 'WhoAmI' &&
      (parsed.keyText === undefined || parsed.keyText === '') &&
      parsed.rest.length === 0
    ) {
      if (method !== 'GET') throw dvErrors.methodNotAllowed(method);
      return this.whoAmI(req);
    }
    if (parsed.entitySet === 'EntityDefinitions' || parsed.entitySet === 'InsertOptionValue') {
      return this.metadata(req, method, parsed);
    }
    const model = ENTITY_MODELS.get(parsed.entitySet);
    if (!model) throw dvErrors.resourceNotFound(parsed.entitySet);
    const ctx = this.writeContext(req);

    if (parsed.keyText === undefined) {
      if (parsed.rest.length === 1 && parsed.rest[0] === '$count' && method === 'GET') {
        return {
          status: 200,
          headers: { 'Content-Type': 'text/plain' },
          text: String(Math.min(this.store.requireTable(model.def.entitySet).rows.size, MAX_PAGE_SIZE)),
          writes: [],
        };
      }
      if (parsed.rest.length > 0) throw dvErrors.resourceNotFound(parsed.rest[0]);
      if (method === 'GET') return this.list(req, model);
      if (method === 'POST') return this.create(req, model, ctx);
      throw dvErrors.methodNotAllowed(method);
    }

    const key = parseKey(parsed.keyText, model.def.logicalName);
    if (parsed.rest.length === 0) {
      switch (method) {
        case 'GET':
          return this.retrieve(req, model, key);
        case 'PATCH':
          return this.patch(req, model, key, ctx);
        case 'DELETE':
          return this.remove(req, model, key, ctx);
        default:
          throw dvErrors.methodNotAllowed(method);
      }
    }
    return this.member(req, model, key, parsed.rest, ctx);
  }

  /** Choice column metadata and InsertOptionValue (optionSets.ts). */
  private metadata(req: ApiRequest, method: string, parsed: ParsedPath): ApiResponse {
    const root = this.options.serviceRoot();
    if (parsed.entitySet === 'InsertOptionValue') {
      if (method !== 'POST') throw dvErrors.methodNotAllowed(method);
      let body: unknown;
      try {
        body = req.body ? JSON.parse(req.body) : {};
      } catch {
        throw dvErrors.badRequest('The request body is not valid JSON.');
      }
      const value = this.store.optionSets.insertOptionValue(body);
      this.store.dirty = true;
      return {
        status: 200,
        headers: {},
        body: {
          '@odata.context': `${root}/$metadata#Microsoft.Dynamics.CRM.InsertOptionValueResponse`,
          NewOptionValue: value,
        },
        writes: [],
      };
    }
    if (method !== 'GET') throw dvErrors.methodNotAllowed(method);
    const entity = /^LogicalName='([^']*)'$/.exec(parsed.keyText ?? '')?.[1];
    const attribute = /^Attributes\(LogicalName='([^']*)'\)$/.exec(parsed.rest[0] ?? '')?.[1];
    if (!entity || !attribute || parsed.rest.length > 2) {
      throw dvErrors.notImplemented(
        'metadata queries other than EntityDefinitions(LogicalName=...)/Attributes(LogicalName=...)[/Microsoft.Dynamics.CRM.PicklistAttributeMetadata]',
      );
    }
    return {
      status: 200,
      headers: {},
      body: this.store.optionSets.attributeMetadata(entity, attribute, parsed.rest[1], req.query, root),
      writes: [],
    };
  }

  private writeContext(req: ApiRequest): WriteContext {
    // Impersonation headers (MSCRMCallerID = systemuserid, CallerObjectId = Entra object id).
    const callerId = req.headers['mscrmcallerid'];
    const objectId = req.headers['callerobjectid'];
    if (callerId) {
      const id = callerId.replace(/^\{|\}$/g, '').toLowerCase();
      if (!isGuid(id) || !this.store.get('systemusers', id))
        throw dvErrors.recordNotFound('systemuser', callerId);
      return { userId: id, onBehalfOfUserId: req.caller.userId };
    }
    if (objectId) {
      const users = this.store.requireTable('systemusers').rows;
      for (const [id, user] of users) {
        if (String(user.azureactivedirectoryobjectid ?? '').toLowerCase() === objectId.toLowerCase()) {
          return { userId: id, onBehalfOfUserId: req.caller.userId };
        }
      }
      throw dvErrors.recordNotFound('systemuser', objectId);
    }
    return { userId: req.caller.userId };
  }

  private serviceDocument(): ApiResponse {
    const root = this.options.serviceRoot();
    return {
      status: 200,
      headers: {},
      body: {
        '@odata.context': `${root}/$metadata`,
        value: ENTITY_DEFS.map((d) => ({ name: d.entitySet, kind: 'EntitySet', url: d.entitySet })),
      },
      writes: [],
    };
  }

  private whoAmI(req: ApiRequest): ApiResponse {
    const ctx = this.writeContext(req);
    return {
      status: 200,
      headers: {},
      body: {
        '@odata.context': `${this.options.serviceRoot()}/$metadata#Microsoft.Dynamics.CRM.WhoAmIResponse`,
        BusinessUnitId: this.options.businessUnitId,
        UserId: ctx.userId,
        OrganizationId: this.options.organizationId,
      },
      writes: [],
    };
  }

  private list(req: ApiRequest, model: EntityModel): ApiResponse {
    const prefs = parsePrefer(req.headers['prefer']);
    const entitySet = model.def.entitySet;
    const table = this.store.requireTable(entitySet);
    const deltaToken = req.query.get('$deltatoken');
    const tracking = prefs.trackChanges || deltaToken !== null;
    const options = parseQueryOptions(model, req.query, tracking);
    const annotations = annotationMatcher(prefs.includeAnnotations);
    const root = this.options.serviceRoot();
    const pageSize = prefs.maxPageSize
      ? Math.min(prefs.maxPageSize, MAX_PAGE_SIZE)
      : Math.min(options.top ?? MAX_PAGE_SIZE, MAX_PAGE_SIZE);
    const applied: string[] = [];
    if (prefs.maxPageSize) applied.push(`odata.maxpagesize=${pageSize}`);
    if (prefs.trackChanges) applied.push('odata.track-changes');
    if (prefs.includeAnnotations) applied.push(`odata.include-annotations="${prefs.includeAnnotations}"`);
    const headers: Record<string, string> =
      applied.length > 0 ? { 'Preference-Applied': applied.join(',') } : {};
    const skipToken = req.query.get('$skiptoken');
    const cursor = skipToken !== null ? decodeSkipToken(skipToken) : undefined;
    const keep = (names: string[]): Array<[string, string]> =>
      names.flatMap((n) => (req.query.has(n) ? [[n, req.query.get(n)!] as [string, string]] : []));

    if (deltaToken !== null) {
      let from: number;
      let upto: number;
      if (cursor) {
        if (cursor.m !== 'delta') throw dvErrors.invalidSkipToken();
        from = cursor.from;
        upto = cursor.upto;
      } else {
        from = parseDeltaToken(deltaToken, this.store.now(), this.store.version, this.retentionDays);
        upto = this.store.version;
      }
      const page = readDeltaPage(table, from, upto, pageSize, cursor?.m === 'delta' ? cursor : undefined);
      const value = page.items.map((item) =>
        item.kind === 'row'
          ? formatRow(this.store, model, item.row, options.select, annotations)
          : {
              '@odata.context': `${root}/$metadata#${entitySet}/$deletedEntity`,
              id: item.id,
              reason: 'deleted',
            },
      );
      const body: Record<string, unknown> = {
        '@odata.context': contextUrl(root, entitySet, options.select, '/$delta'),
      };
      body.value = value;
      if (page.next) {
        const next = encodeSkipToken({ m: 'delta', page: (cursor?.page ?? 1) + 1, from, upto, ...page.next });
        body['@odata.nextLink'] = buildLink(root, entitySet, [
          ...keep(['$select', '$deltatoken']),
          ['$skiptoken', next],
        ]);
      } else {
        body['@odata.deltaLink'] = buildLink(root, entitySet, [
          ...keep(['$select']),
          ['$deltatoken', formatDeltaToken(upto, this.store.now())],
        ]);
      }
      return { status: 200, headers, body, writes: [] };
    }

    if (cursor && cursor.m !== 'list') throw dvErrors.invalidSkipToken();
    const listCursor = cursor as ListCursor | undefined;
    // The paging cookie remembers an initial change-tracking read even if a later page omits the Prefer header.
    const trackingStart = listCursor?.t ?? (prefs.trackChanges ? this.store.version : undefined);
    const page = readPage(table, options, pageSize, listCursor);
    const body: Record<string, unknown> = { '@odata.context': contextUrl(root, entitySet, options.select) };
    if (page.count !== undefined) body['@odata.count'] = page.count;
    body.value = page.rows.map((row) =>
      formatRow(this.store, model, row, options.select, annotations, options.expand),
    );
    // $top without a page size preference returns at most $top rows and no next page.
    const paging = options.top === undefined || prefs.maxPageSize !== undefined;
    if (page.next && paging) {
      const next = encodeSkipToken({
        m: 'list',
        page: (listCursor?.page ?? 1) + 1,
        k: page.next.k,
        i: page.next.i,
        ...(trackingStart !== undefined ? { t: trackingStart } : {}),
      });
      body['@odata.nextLink'] = buildLink(root, entitySet, [
        ...keep(['$select', '$filter', '$orderby', '$expand', '$count']),
        ['$skiptoken', next],
      ]);
    } else if (trackingStart !== undefined) {
      body['@odata.deltaLink'] = buildLink(root, entitySet, [
        ...keep(['$select']),
        ['$deltatoken', formatDeltaToken(trackingStart, this.store.now())],
      ]);
    }
    return { status: 200, headers, body, writes: [] };
  }

  private locate(model: EntityModel, key: EntityKey): string | undefined {
    return this.writer.resolveId(model.def.entitySet, key);
  }

  private notFound(model: EntityModel, key: EntityKey): DataverseApiError {
    if (key.kind === 'id') return dvErrors.recordNotFound(model.def.logicalName, key.id);
    const text = Object.entries(key.values)
      .map(([k, v]) => `${k}:${String(v)}`)
      .join(',');
    return dvErrors.recordNotFoundByKey(model.def.logicalName, text);
  }

  private entityUrl(model: EntityModel, id: string): string {
    return `${this.options.serviceRoot()}/${model.def.entitySet}(${id})`;
  }

  private retrieve(req: ApiRequest, model: EntityModel, key: EntityKey): ApiResponse {
    const id = this.locate(model, key);
    if (id === undefined) throw this.notFound(model, key);
    const row = this.store.get(model.def.entitySet, id)!;
    const prefs = parsePrefer(req.headers['prefer']);
    const select = new URLSearchParams();
    for (const name of ['$select', '$expand'])
      if (req.query.has(name)) select.set(name, req.query.get(name)!);
    const options = parseQueryOptions(model, select, false);
    const etag = etagOf(row);
    // Conditional retrieval: an unchanged row answers 304 (never with $expand or annotations).
    const ifNoneMatch = req.headers['if-none-match'];
    if (ifNoneMatch && ifNoneMatch === etag && options.expand.length === 0 && !prefs.includeAnnotations) {
      return { status: 304, headers: {}, writes: [] };
    }
    const body = {
      '@odata.context': contextUrl(
        this.options.serviceRoot(),
        model.def.entitySet,
        options.select,
        '/$entity',
      ),
      ...formatRow(
        this.store,
        model,
        row,
        options.select,
        annotationMatcher(prefs.includeAnnotations),
        options.expand,
      ),
    };
    return { status: 200, headers: { ETag: etag }, body, writes: [] };
  }

  private parseBody(req: ApiRequest, model: EntityModel): unknown {
    try {
      return parseJsonText(req.body);
    } catch (error) {
      if (error instanceof JsonBodyError) throw dvErrors.payload(model.def.entitySet, error.message);
      throw error;
    }
  }

  private written(req: ApiRequest, model: EntityModel, row: Row, createdStatus: number): ApiResponse {
    const id = String(row[model.def.primaryId]);
    const prefs = parsePrefer(req.headers['prefer']);
    const headers: Record<string, string> = { 'OData-EntityId': this.entityUrl(model, id) };
    if (!prefs.returnRepresentation) return { status: 204, headers, writes: [model.def.entitySet] };
    const select = new URLSearchParams();
    if (req.query.has('$select')) select.set('$select', req.query.get('$select')!);
    const options = parseQueryOptions(model, select, false);
    headers.ETag = etagOf(row);
    headers['Preference-Applied'] = 'return=representation';
    return {
      status: createdStatus,
      headers,
      body: {
        '@odata.context': contextUrl(
          this.options.serviceRoot(),
          model.def.entitySet,
          options.select,
          '/$entity',
        ),
        ...formatRow(this.store, model, row, options.select, annotationMatcher(prefs.includeAnnotations)),
      },
      writes: [model.def.entitySet],
    };
  }

  private create(req: ApiRequest, model: EntityModel, ctx: WriteContext): ApiResponse {
    const body = this.parseBody(req, model);
    const row = this.store.transaction(() => this.writer.create(model.def.entitySet, body, ctx));
    return this.written(req, model, row, 201);
  }

  private patch(req: ApiRequest, model: EntityModel, key: EntityKey, ctx: WriteContext): ApiResponse {
    const body = this.parseBody(req, model);
    const entitySet = model.def.entitySet;
    const existingId = this.locate(model, key);
    const ifMatch = req.headers['if-match'];
    const ifNoneMatch = req.headers['if-none-match'];
    const update = (id: string): ApiResponse => {
      const row = this.store.transaction(() => this.writer.update(entitySet, id, body, ctx));
      return this.written(req, model, row, 200);
    };
    const insert = (): ApiResponse => {
      const row = this.store.transaction(() =>
        key.kind === 'id'
          ? this.writer.create(entitySet, body, ctx, { id: key.id })
          : this.writer.create(entitySet, body, ctx, { keyValues: this.keyValues(model, key) }),
      );
      return this.written(req, model, row, 201);
    };
    if (ifMatch) {
      // If-Match: * = update only (404 when missing); an ETag must match the current version (412).
      if (existingId === undefined) throw this.notFound(model, key);
      const current = this.store.get(entitySet, existingId)!;
      if (ifMatch.trim() !== '*' && ifMatch.trim() !== etagOf(current)) throw dvErrors.versionMismatch();
      return update(existingId);
    }
    if (ifNoneMatch && ifNoneMatch.trim() === '*') {
      // If-None-Match: * = create only (412 when the row exists).
      if (existingId !== undefined) throw dvErrors.duplicateRecord();
      return insert();
    }
    // No condition: upsert.
    return existingId !== undefined ? update(existingId) : insert();
  }

  private keyValues(
    model: EntityModel,
    key: Extract<EntityKey, { kind: 'alternate' }>,
  ): Record<string, unknown> {
    const keyDef = this.writer.alternateKeyFor(model, key);
    return Object.fromEntries(keyDef.attributes.map((a) => [a, key.values[a]]));
  }

  private remove(req: ApiRequest, model: EntityModel, key: EntityKey, ctx: WriteContext): ApiResponse {
    const id = this.locate(model, key);
    if (id === undefined) throw this.notFound(model, key);
    const ifMatch = req.headers['if-match'];
    if (
      ifMatch &&
      ifMatch.trim() !== '*' &&
      ifMatch.trim() !== etagOf(this.store.get(model.def.entitySet, id)!)
    ) {
      throw dvErrors.versionMismatch();
    }
    this.store.transaction(() => this.writer.delete(model.def.entitySet, id, ctx));
    return { status: 204, headers: {}, writes: [model.def.entitySet] };
  }

  /** `set(key)/property`, `set(key)/nav/$ref`. */
  private member(
    req: ApiRequest,
    model: EntityModel,
    key: EntityKey,
    rest: string[],
    ctx: WriteContext,
  ): ApiResponse {
    const method = req.method.toUpperCase();
    const id = this.locate(model, key);
    if (id === undefined) throw this.notFound(model, key);
    const entitySet = model.def.entitySet;
    const [segment, tail] = rest;
    if (tail === '$ref' && rest.length === 2) {
      if (!model.lookupsByNav.has(segment)) throw dvErrors.unknownProperty(model.def.logicalName, segment);
      if (method === 'DELETE') {
        this.store.transaction(() => this.writer.setReference(entitySet, id, segment, null, ctx));
        return { status: 204, headers: {}, writes: [entitySet] };
      }
      if (method === 'PUT') {
        const body = this.parseBody(req, model) as Record<string, unknown> | undefined;
        const target = body?.['@odata.id'];
        if (typeof target !== 'string')
          throw dvErrors.payload(entitySet, "The body of a $ref request must contain '@odata.id'.");
        this.store.transaction(() => this.writer.setReference(entitySet, id, segment, target, ctx));
        return { status: 204, headers: {}, writes: [entitySet] };
      }
      throw dvErrors.methodNotAllowed(method);
    }
    if (rest.length !== 1) throw dvErrors.resourceNotFound(rest.join('/'));
    const attribute = model.attributes.get(segment);
    if (!attribute && !model.lookupsByValueName.has(segment))
      throw dvErrors.unknownProperty(model.def.logicalName, segment);
    if (method === 'GET') {
      const row = this.store.get(entitySet, id)!;
      return {
        status: 200,
        headers: {},
        body: {
          '@odata.context': `${this.options.serviceRoot()}/$metadata#${entitySet}(${id})/${segment}`,
          value: row[segment] ?? null,
        },
        writes: [],
      };
    }
    if (!attribute) throw dvErrors.methodNotAllowed(method);
    if (method === 'PUT' || method === 'DELETE') {
      const value =
        method === 'PUT' ? (this.parseBody(req, model) as Record<string, unknown> | undefined)?.value : null;
      this.store.transaction(() => this.writer.update(entitySet, id, { [segment]: value ?? null }, ctx));
      return { status: 204, headers: {}, writes: [entitySet] };
    }
    throw dvErrors.methodNotAllowed(method);
  }
}

export function errorResponse(error: unknown): ApiResponse {
  if (error instanceof DataverseApiError) {
    return { status: error.status, headers: { ...error.headers }, body: error.body(), writes: [] };
  }
  const unexpected = dvErrors.unexpected();
  return {
    status: 500,
    headers: {},
    body: {
      error: {
        code: unexpected.code,
        message: `${unexpected.message} (${(error as Error).message}) Request: ${randomUUID()}`,
      },
    },
    writes: [],
  };
}
