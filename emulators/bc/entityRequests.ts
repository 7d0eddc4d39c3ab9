// Executes one API request against the entity sets (GET/POST/PATCH/DELETE and bound actions). Synchronous on
// purpose: a `$batch` runs its operations back to back inside one transaction, and single requests take
// the same path, so both answer identically.
import { bcErrors } from './bcErrors';
import type { BcState } from './bcState';
import type { ApiBase, BcRoute } from './bcRoutes';
import { readCollectionPage } from './collectionPager';
import { viewFields, type EntityDef } from './entityModel';
import type { JsonRow, StoredRow } from './entityTable';
import { createEntity, deleteEntity, updateEntity } from './entityWriter';
import { isGuid } from './fieldValidation';
import { postSalesInvoice } from './invoiceRules';
import { encodeSkipToken, parseCollectionQuery, parseEntityQuery } from './queryOptions';

export interface ApiRequest {
  method: string;
  /** Path as requested (used for nextLink). */
  pathname: string;
  base: ApiBase;
  route: Exclude<BcRoute, { kind: 'batch' } | { kind: 'subscriptions' }>;
  params: URLSearchParams;
  /** Lower-cased header names. */
  headers: Readonly<Record<string, string | undefined>>;
  body: unknown;
}

export interface ApiResponse {
  status: number;
  headers: Record<string, string>;
  /** JSON value, a plain-text string ($count), or undefined for 204. */
  body?: unknown;
  /** Already serialised JSON body (large collection pages skip building 20,000 response objects). */
  rawJson?: string;
}

export interface ApiContext {
  state: BcState;
  /** `http://host:port` of the emulator, for absolute links. */
  origin: string;
}

const ODATA_HEADERS = { 'OData-Version': '4.0' };

function contextUrl(
  ctx: ApiContext,
  base: ApiBase,
  companyId: string,
  entitySet: string,
  single: boolean,
): string {
  return `${ctx.origin}${base.basePath}/$metadata#companies(${companyId})/${entitySet}${single ? '/$entity' : ''}`;
}

function pick(data: JsonRow, select: readonly string[]): JsonRow {
  const out: JsonRow = {};
  for (const field of select) out[field] = data[field];
  return out;
}

function formatRow(
  ctx: ApiContext,
  def: EntityDef,
  row: StoredRow,
  select?: readonly string[],
  expand: readonly string[] = [],
): JsonRow {
  const shown = select ?? viewFields(def);
  const out: JsonRow = shown
    ? { '@odata.etag': row.etag, ...pick(row.data, shown) }
    : { '@odata.etag': row.etag, ...row.data };
  if (expand.includes('salesInvoiceLines') && def.entitySet === 'salesInvoices') {
    const lines = ctx.state.table('salesInvoiceLines');
    out.salesInvoiceLines = lines
      .idsWhere('documentId', row.data.id)
      .map((id) => lines.get(id))
      .filter((l): l is StoredRow => l !== undefined)
      .sort((a, b) => Number(a.data.sequence) - Number(b.data.sequence))
      .map((l) => ({ '@odata.etag': l.etag, ...l.data }));
  }
  return out;
}

function entityResponse(
  ctx: ApiContext,
  req: ApiRequest,
  def: EntityDef,
  companyId: string,
  row: StoredRow,
  status: number,
): ApiResponse {
  const { select, expand } =
    req.method === 'GET' ? parseEntityQuery(def, req.params) : { select: undefined, expand: [] };
  return {
    status,
    headers: { ...ODATA_HEADERS, ETag: row.etag },
    body: {
      '@odata.context': contextUrl(ctx, req.base, companyId, def.entitySet, true),
      ...formatRow(ctx, def, row, select, expand),
    },
  };
}

function checkCompany(ctx: ApiContext, companyId: string): string {
  if (!isGuid(companyId))
    throw bcErrors.querySyntax(`Bad Request - Error in query syntax: '${companyId}' is not a GUID.`);
  if (companyId.toLowerCase() !== ctx.state.company.id) throw bcErrors.recordNotFound('Company', companyId);
  return ctx.state.company.id;
}

function checkKey(id: string): string {
  if (!isGuid(id)) throw bcErrors.querySyntax(`Bad Request - Error in query syntax: '${id}' is not a GUID.`);
  return id.toLowerCase();
}

function nextLink(ctx: ApiContext, req: ApiRequest, after: JsonRow, remainingTop?: number): string {
  const params = new URLSearchParams();
  for (const [k, v] of req.params) if (k !== '$skiptoken' && k !== '$skip') params.append(k, v);
  if (remainingTop !== undefined) params.set('$top', String(remainingTop));
  params.set('$skiptoken', encodeSkipToken(after));
  return `${ctx.origin}${req.pathname}?${params.toString().replace(/%24/g, '$')}`;
}

function readCollection(
  ctx: ApiContext,
  req: ApiRequest & { route: { kind: 'collection' } },
  companyId: string,
): ApiResponse {
  const { def, parent } = req.route;
  const query = parseCollectionQuery(def, req.params, req.headers.prefer);
  let scope: ((row: JsonRow) => boolean) | undefined;
  if (parent) {
    const parentId = checkKey(parent.id);
    if (!ctx.state.get(parent.def.entitySet, parentId))
      throw bcErrors.recordNotFound(parent.def.table, parentId);
    scope = (row) => row.documentId === parentId;
  } else if (def.parentSet && !query.filterFields.includes('documentId')) {
    // Company-level document lines need a document filter in the real API.
    throw bcErrors.dialog('You must specify a document id to get the lines.');
  }
  if (req.route.countOnly) {
    const page = readCollectionPage(ctx.state.table(def.entitySet), { ...query, count: true, top: 0 }, scope);
    return {
      status: 200,
      headers: { ...ODATA_HEADERS, 'Content-Type': 'text/plain' },
      body: String(page.count ?? 0),
    };
  }
  const page = readCollectionPage(ctx.state.table(def.entitySet), query, scope);
  const headers: Record<string, string> = { ...ODATA_HEADERS };
  if (query.pageSizeRequested) headers['Preference-Applied'] = `odata.maxpagesize=${query.pageSize}`;
  // Serialised row by row: a 20,000-row page would otherwise mean 20,000 short-lived copies of rows.
  const parts: string[] = [
    `{"@odata.context":${JSON.stringify(contextUrl(ctx, req.base, companyId, def.entitySet, false))}`,
  ];
  if (page.count !== undefined) parts.push(`,"@odata.count":${page.count}`);
  parts.push(',"value":[');
  const narrowView = viewFields(def) !== undefined;
  page.rows.forEach((r, i) => {
    if (i > 0) parts.push(',');
    if (query.select || query.expand.length > 0 || narrowView)
      parts.push(JSON.stringify(formatRow(ctx, def, r, query.select, query.expand)));
    else parts.push(`{"@odata.etag":${JSON.stringify(r.etag)},${JSON.stringify(r.data).slice(1)}`);
  });
  parts.push(']');
  if (page.next)
    parts.push(`,"@odata.nextLink":${JSON.stringify(nextLink(ctx, req, page.next, page.remainingTop))}`);
  parts.push('}');
  return { status: 200, headers, rawJson: parts.join('') };
}

function companyJson(ctx: ApiContext): JsonRow {
  return { ...ctx.state.company };
}

export function executeEntityRequest(ctx: ApiContext, req: ApiRequest): ApiResponse {
  const { route, method } = req;
  const state = ctx.state;
  switch (route.kind) {
    case 'metadata': {
      if (method !== 'GET') throw bcErrors.methodNotAllowed(method, '$metadata');
      return { status: 200, headers: ODATA_HEADERS, body: serviceDocument(ctx, req.base) };
    }
    case 'companies': {
      if (method !== 'GET') throw bcErrors.methodNotAllowed(method, 'companies');
      if (route.companyId !== undefined) {
        checkCompany(ctx, route.companyId);
        return {
          status: 200,
          headers: ODATA_HEADERS,
          body: {
            '@odata.context': `${ctx.origin}${req.base.basePath}/$metadata#companies/$entity`,
            ...companyJson(ctx),
          },
        };
      }
      return {
        status: 200,
        headers: ODATA_HEADERS,
        body: {
          '@odata.context': `${ctx.origin}${req.base.basePath}/$metadata#companies`,
          value: [companyJson(ctx)],
        },
      };
    }
    case 'collection': {
      const companyId = checkCompany(ctx, route.companyId);
      if (method === 'GET') return readCollection(ctx, { ...req, route }, companyId);
      if (method === 'POST' && !route.countOnly) {
        const parentId = route.parent ? checkKey(route.parent.id) : undefined;
        if (parentId !== undefined && !state.get(route.parent!.def.entitySet, parentId)) {
          throw bcErrors.recordNotFound(route.parent!.def.table, parentId);
        }
        const row = createEntity(state, route.def, req.body, parentId);
        const response = entityResponse(ctx, req, route.def, companyId, row, 201);
        response.headers.Location = `${ctx.origin}${req.pathname}(${String(row.data.id)})`;
        return response;
      }
      throw bcErrors.methodNotAllowed(method, route.def.entitySet);
    }
    case 'entity': {
      const companyId = checkCompany(ctx, route.companyId);
      const id = checkKey(route.id);
      const parentId = route.parent ? checkKey(route.parent.id) : undefined;
      if (method === 'GET') {
        const row = state.get(route.def.entitySet, id);
        if (!row || (parentId !== undefined && row.data.documentId !== parentId)) {
          throw bcErrors.recordNotFound(route.def.table, id);
        }
        return entityResponse(ctx, req, route.def, companyId, row, 200);
      }
      if (method === 'PATCH' || method === 'PUT') {
        const row = updateEntity(state, route.def, id, req.body, req.headers['if-match'], parentId);
        return entityResponse(ctx, req, route.def, companyId, row, 200);
      }
      if (method === 'DELETE') {
        deleteEntity(state, route.def, id, req.headers['if-match'], parentId);
        return { status: 204, headers: ODATA_HEADERS };
      }
      throw bcErrors.methodNotAllowed(method, route.def.entitySet);
    }
    case 'action': {
      checkCompany(ctx, route.companyId);
      const id = checkKey(route.id);
      if (method !== 'POST') throw bcErrors.methodNotAllowed(method, `Microsoft.NAV.${route.action}`);
      if (route.def.entitySet !== 'salesInvoices' || route.action !== 'post') {
        throw bcErrors.actionNotImplemented(route.def.entitySet, route.action);
      }
      postSalesInvoice(state, id);
      state.recordWrite(route.def.entitySet);
      // The real bound action answers 204 No Content.
      return { status: 204, headers: ODATA_HEADERS };
    }
  }
}

function serviceDocument(ctx: ApiContext, base: ApiBase): JsonRow {
  const sets = [...ctx.state.tables.values()]
    .map((t) => t.def)
    .filter((d) => d.api === base.api && !d.parentSet)
    .map((d) => ({ name: d.entitySet, kind: 'EntitySet', url: d.entitySet }));
  return {
    '@odata.context': `${ctx.origin}${base.basePath}/$metadata`,
    value: [{ name: 'companies', kind: 'EntitySet', url: 'companies' }, ...sets],
  };
}
