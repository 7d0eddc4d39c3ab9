// Collection queries: `$select`, `$filter`, `$orderby`, `$top`, `$count` and a minimal `$expand`, paged with
// `Prefer: odata.maxpagesize` and an opaque `$skiptoken` (apis.md B: query; paging). The skip token carries
// the sort key of the last row returned, not a position, so rows inserted or deleted while a client pages
// never shift later pages (no row is skipped or returned twice because of concurrent inserts).
import {
  compileFilterWithInfo,
  FilterSyntaxError,
  type FilterPredicate,
  type FilterValueType,
} from '../common/odataFilter';
import { dvErrors } from './errors';
import { LOOKUP_LOGICAL_NAME, LOOKUP_NAVIGATION } from './recordWriter';
import {
  ENTITY_MODELS,
  lookupValueName,
  type AttributeType,
  type EntityModel,
  type LookupDef,
} from './schema';
import type { DataverseStore, Row, Table } from './store';

export const MAX_PAGE_SIZE = 5000;

export interface OrderTerm {
  name: string;
  desc: boolean;
}

export interface ExpandTerm {
  nav: string;
  lookup: LookupDef;
  targets: string[];
  select: string[] | null;
}

export interface QueryOptions {
  select: string[] | null;
  filter?: {
    text: string;
    predicate: FilterPredicate;
    /** Primary keys a matching row must have (fetch by id), answered from the key index. */
    keyIds?: ReadonlySet<string>;
  };
  orderby: OrderTerm[];
  top?: number;
  expand: ExpandTerm[];
  count: boolean;
}

/** Paging position of a plain (or initial change-tracking) listing. */
export interface ListCursor {
  m: 'list';
  page: number;
  /** Sort key values of the last row returned ($orderby columns). */
  k: unknown[];
  /** Primary key of the last row returned (the final tie-breaker). */
  i: string;
  /** Initial change tracking: organisation version when the listing started. */
  t?: number;
}

/** Paging position inside a change-tracking delta. */
export interface DeltaCursor {
  m: 'delta';
  page: number;
  /** Version of the delta token the client sent. */
  from: number;
  /** Upper version bound fixed at the first delta page. */
  upto: number;
  /** 'r' = changed rows, 'd' = deletions. */
  phase: 'r' | 'd';
  /** Version of the last item returned. */
  v: number;
}

export type PageCursor = ListCursor | DeltaCursor;

/** Splits on top-level commas (ignoring those inside parentheses or quotes). */
export function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quoted = false;
  let current = '';
  for (const ch of text) {
    if (ch === "'") quoted = !quoted;
    if (!quoted && ch === '(') depth++;
    if (!quoted && ch === ')') depth--;
    if (!quoted && depth === 0 && ch === ',') {
      parts.push(current.trim());
      current = '';
      continue;
    }
    current += ch;
  }
  if (current.trim() !== '') parts.push(current.trim());
  return parts;
}

function parseSelect(model: EntityModel, text: string | null): string[] | null {
  if (text === null) return null;
  const names = splitTopLevel(text);
  for (const name of names) {
    if (!model.attributes.has(name) && !model.lookupsByValueName.has(name)) {
      throw dvErrors.unknownProperty(model.def.logicalName, name);
    }
  }
  return names;
}

function parseExpand(model: EntityModel, text: string | null): ExpandTerm[] {
  if (text === null) return [];
  return splitTopLevel(text).map((item) => {
    const match = /^([A-Za-z_][A-Za-z0-9_]*)(?:\((.*)\))?$/.exec(item);
    if (!match) throw dvErrors.querySyntax(`Syntax error in $expand at '${item}'.`);
    const nav = model.lookupsByNav.get(match[1]);
    if (!nav) throw dvErrors.unknownProperty(model.def.logicalName, match[1]);
    let select: string[] | null = null;
    if (match[2]) {
      for (const option of match[2].split(';')) {
        const [name, value] = option.split('=');
        if (name.trim() !== '$select' || value === undefined) {
          throw dvErrors.querySyntax(`The emulator supports only $select inside $expand, not '${option}'.`);
        }
        // The columns must exist on every target table of the navigation property.
        for (const target of nav.targets) {
          const targetModel = modelOfLogical(target);
          if (targetModel) parseSelect(targetModel, value);
        }
        select = splitTopLevel(value);
      }
    }
    return { nav: match[1], lookup: nav.lookup, targets: nav.targets, select };
  });
}

function modelOfLogical(logicalName: string): EntityModel | undefined {
  for (const model of ENTITY_MODELS.values()) if (model.def.logicalName === logicalName) return model;
  return undefined;
}

const FILTER_TYPES: Record<AttributeType, FilterValueType> = {
  string: 'string',
  memo: 'string',
  integer: 'number',
  decimal: 'number',
  money: 'number',
  picklist: 'number',
  state: 'number',
  status: 'number',
  boolean: 'boolean',
  datetime: 'datetime',
  dateonly: 'date',
  guid: 'guid',
};

function filterTypeOf(model: EntityModel, name: string): FilterValueType | undefined {
  if (model.lookupsByValueName.has(name)) return 'guid';
  const attribute = model.attributes.get(name);
  return attribute ? FILTER_TYPES[attribute.type] : undefined;
}

export function parseQueryOptions(
  model: EntityModel,
  query: URLSearchParams,
  trackChanges: boolean,
): QueryOptions {
  for (const option of ['$skip', '$search', '$format', '$apply']) {
    // apis.md C: $skip rejected (Dataverse does not support $skip, $search, $format).
    if (query.has(option)) throw dvErrors.unsupportedQueryOption(option);
  }
  for (const name of query.keys()) {
    // FetchXML and saved queries are real query routes (Use FetchXml with Web API); the emulator does not
    // run them and says so instead of returning the whole table.
    if (['fetchXml', 'savedQuery', 'userQuery'].includes(name))
      throw dvErrors.notImplemented(`The ${name} query`);
    if (
      name.startsWith('$') &&
      !['$select', '$filter', '$orderby', '$top', '$expand', '$count', '$skiptoken', '$deltatoken'].includes(
        name,
      )
    ) {
      throw dvErrors.unsupportedQueryOption(name);
    }
  }
  if (trackChanges) {
    // apis.md B: $filter/$orderby/$expand/$top are rejected with change tracking.
    for (const option of ['$filter', '$orderby', '$expand', '$top']) {
      if (query.has(option)) throw dvErrors.notSupportedWithChangeTracking(option.slice(1));
    }
  }
  const select = parseSelect(model, query.get('$select'));
  let filter: QueryOptions['filter'];
  const filterText = query.get('$filter');
  if (filterText !== null) {
    try {
      // Strings compare case-insensitively; literals must fit the column type; a quoted GUID is accepted
      // for a lookup (Filter rows using OData: https://learn.microsoft.com/power-apps/developer/data-platform/webapi/query/filter-rows).
      const compiled = compileFilterWithInfo(filterText, {
        caseInsensitive: true,
        quotedGuids: true,
        propertyType: (name) => filterTypeOf(model, name),
      });
      for (const property of compiled.properties) {
        if (!model.attributes.has(property) && !model.lookupsByValueName.has(property)) {
          throw dvErrors.unknownProperty(model.def.logicalName, property);
        }
      }
      const keyIds = compiled.guidEqualities.get(model.def.primaryId);
      filter = { text: filterText, predicate: compiled.predicate, ...(keyIds ? { keyIds } : {}) };
    } catch (error) {
      if (error instanceof FilterSyntaxError) {
        throw dvErrors.querySyntax(
          `Syntax error at position ${error.position} in '${filterText}'. ${error.message}`,
        );
      }
      throw error;
    }
  }
  const orderby: OrderTerm[] = [];
  const orderText = query.get('$orderby');
  if (orderText !== null) {
    for (const term of splitTopLevel(orderText)) {
      const match = /^([A-Za-z_][A-Za-z0-9_]*)(?:\s+(asc|desc))?$/i.exec(term.trim());
      if (!match) throw dvErrors.querySyntax(`Syntax error in $orderby at '${term}'.`);
      if (!model.attributes.has(match[1]) && !model.lookupsByValueName.has(match[1])) {
        throw dvErrors.unknownProperty(model.def.logicalName, match[1]);
      }
      orderby.push({ name: match[1], desc: (match[2] ?? 'asc').toLowerCase() === 'desc' });
    }
  }
  let top: number | undefined;
  const topText = query.get('$top');
  if (topText !== null) {
    if (!/^\d+$/.test(topText))
      throw dvErrors.querySyntax(`Invalid value '${topText}' for $top query option found.`);
    top = Number(topText);
  }
  const countText = query.get('$count');
  if (countText !== null && countText !== 'true' && countText !== 'false') {
    throw dvErrors.querySyntax(`Invalid value '${countText}' for $count query option found.`);
  }
  return {
    select,
    filter,
    orderby,
    top,
    expand: parseExpand(model, query.get('$expand')),
    count: countText === 'true',
  };
}

// ---- skip tokens ---------------------------------------------------------------------------------------

/** Shaped like the real paging cookie; the payload is the emulator's own (clients must treat it as opaque). */
export function encodeSkipToken(cursor: PageCursor): string {
  const payload = Buffer.from(JSON.stringify(cursor)).toString('base64url');
  const tracking = cursor.m === 'delta' || cursor.t !== undefined ? 'True' : 'False';
  return `<cookie pagenumber="${cursor.page}" pagingcookie="${payload}" istracking="${tracking}" />`;
}

export function decodeSkipToken(token: string): PageCursor {
  const match = /pagingcookie="([A-Za-z0-9_-]*)"/.exec(token);
  if (!match) throw dvErrors.invalidSkipToken();
  try {
    const cursor = JSON.parse(Buffer.from(match[1], 'base64url').toString('utf8')) as PageCursor;
    if (cursor.m === 'list' && typeof cursor.i === 'string' && Array.isArray(cursor.k)) return cursor;
    if (cursor.m === 'delta' && typeof cursor.v === 'number' && typeof cursor.upto === 'number')
      return cursor;
  } catch {
    // fall through
  }
  throw dvErrors.invalidSkipToken();
}

// ---- ordering ------------------------------------------------------------------------------------------

function sortValue(value: unknown): unknown {
  if (value === undefined || value === null) return null;
  return typeof value === 'string' ? value.toLowerCase() : value;
}

function compareValues(a: unknown, b: unknown): number {
  // SQL Server puts NULL below every value.
  if (a === null || a === undefined) return b === null || b === undefined ? 0 : -1;
  if (b === null || b === undefined) return 1;
  const x = a as string | number | boolean;
  const y = b as string | number | boolean;
  return x < y ? -1 : x > y ? 1 : 0;
}

export function sortKey(row: Row, terms: OrderTerm[]): unknown[] {
  return terms.map((t) => sortValue(row[t.name]));
}

function compareKeys(aKey: unknown[], aId: string, bKey: unknown[], bId: string, terms: OrderTerm[]): number {
  for (let i = 0; i < terms.length; i++) {
    const c = compareValues(aKey[i], bKey[i]);
    if (c !== 0) return terms[i].desc ? -c : c;
  }
  return aId < bId ? -1 : aId > bId ? 1 : 0;
}

/** First index in sorted `ids` strictly after `id`. */
function upperBound(ids: string[], id: string): number {
  let lo = 0;
  let hi = ids.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ids[mid] <= id) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

interface SortedCacheEntry {
  mutation: number;
  ids: string[];
}

// Filtered + ordered id lists, reused while the table is unchanged, so paging 100,000 rows ordered by a
// column sorts once rather than once per page.
const sortedCache = new WeakMap<Table, Map<string, SortedCacheEntry>>();
const SORTED_CACHE_SIZE = 8;

function sortedMatches(table: Table, options: QueryOptions): string[] {
  const cacheKey = `${options.filter?.text ?? ''}\u0001${options.orderby.map((t) => `${t.name} ${t.desc}`).join(',')}`;
  let cache = sortedCache.get(table);
  if (!cache) {
    cache = new Map();
    sortedCache.set(table, cache);
  }
  const hit = cache.get(cacheKey);
  if (hit && hit.mutation === table.mutation) return hit.ids;
  const predicate = options.filter?.predicate;
  const keyed: Array<{ id: string; key: unknown[] }> = [];
  for (const [id, row] of table.rows) {
    if (predicate && !predicate(row)) continue;
    keyed.push({ id, key: sortKey(row, options.orderby) });
  }
  keyed.sort((a, b) => compareKeys(a.key, a.id, b.key, b.id, options.orderby));
  const ids = keyed.map((k) => k.id);
  cache.delete(cacheKey);
  cache.set(cacheKey, { mutation: table.mutation, ids });
  if (cache.size > SORTED_CACHE_SIZE) cache.delete(cache.keys().next().value as string);
  return ids;
}

export interface PageResult {
  rows: Row[];
  /** Cursor of the last row when more rows follow. */
  next?: { k: unknown[]; i: string };
  /** Total matches (only computed when $count=true). */
  count?: number;
}

/** Reads one page of a collection query, after `cursor` when given. */
export function readPage(
  table: Table,
  options: QueryOptions,
  pageSize: number,
  cursor?: ListCursor,
): PageResult {
  const predicate = options.filter?.predicate;
  const rows: Row[] = [];
  let more = false;
  if (options.orderby.length === 0) {
    // Default order: primary key; walk the sorted key index from the cursor on (only the requested keys
    // when the filter names them).
    const keyIds = options.filter?.keyIds;
    const ids = keyIds ? [...keyIds].filter((id) => table.rows.has(id)).sort() : table.ids();
    let index = cursor ? upperBound(ids, cursor.i) : 0;
    for (; index < ids.length; index++) {
      const row = table.rows.get(ids[index]);
      if (!row || (predicate && !predicate(row))) continue;
      if (rows.length === pageSize) {
        more = true;
        break;
      }
      rows.push(row);
    }
  } else {
    const ids = sortedMatches(table, options);
    let lo = 0;
    if (cursor) {
      let hi = ids.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        const row = table.rows.get(ids[mid])!;
        if (compareKeys(sortKey(row, options.orderby), ids[mid], cursor.k, cursor.i, options.orderby) <= 0)
          lo = mid + 1;
        else hi = mid;
      }
    }
    for (let index = lo; index < ids.length; index++) {
      if (rows.length === pageSize) {
        more = true;
        break;
      }
      rows.push(table.rows.get(ids[index])!);
    }
  }
  const result: PageResult = { rows };
  if (more && rows.length > 0) {
    const last = rows[rows.length - 1];
    result.next = { k: sortKey(last, options.orderby), i: String(last[table.model.def.primaryId]) };
  }
  if (options.count) {
    let count = 0;
    for (const row of table.rows.values()) if (!predicate || predicate(row)) count++;
    result.count = Math.min(count, MAX_PAGE_SIZE);
  }
  return result;
}

// ---- projection ----------------------------------------------------------------------------------------

export type AnnotationMatcher = (annotation: string) => boolean;

/** `Prefer: odata.include-annotations="*"` or a comma list with `*` wildcards. */
export function annotationMatcher(preference: string | undefined): AnnotationMatcher | undefined {
  if (!preference) return undefined;
  const patterns = preference
    .replace(/^"|"$/g, '')
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '');
  if (patterns.length === 0) return undefined;
  const regexes = patterns.map(
    (p) => new RegExp(`^${p.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`, 'i'),
  );
  return (annotation) => regexes.some((r) => r.test(annotation));
}

const FORMATTED_VALUE = 'OData.Community.Display.V1.FormattedValue';

export function etagOf(row: Row): string {
  return `W/"${String(row.versionnumber)}"`;
}

/** A row as the Web API returns it: `@odata.etag`, the selected columns (all when no $select), lookups. */
export function formatRow(
  store: DataverseStore,
  model: EntityModel,
  row: Row,
  select: string[] | null,
  annotations?: AnnotationMatcher,
  expand: ExpandTerm[] = [],
): Record<string, unknown> {
  const out: Record<string, unknown> = { '@odata.etag': etagOf(row) };
  const names = select ?? model.readableProperties;
  for (const name of names) {
    const value = row[name];
    out[name] = value === undefined ? null : value;
    if (annotations && value !== null && value !== undefined && model.lookupsByValueName.has(name)) {
      const logical = row[`${name}${LOOKUP_LOGICAL_NAME}`];
      const nav = row[`${name}${LOOKUP_NAVIGATION}`];
      if (annotations(FORMATTED_VALUE)) {
        const target = typeof logical === 'string' ? findByLogical(store, logical, String(value)) : undefined;
        if (target) out[`${name}@${FORMATTED_VALUE}`] = target.name;
      }
      if (typeof nav === 'string' && annotations('Microsoft.Dynamics.CRM.associatednavigationproperty')) {
        out[`${name}${LOOKUP_NAVIGATION}`] = nav;
      }
      if (typeof logical === 'string' && annotations('Microsoft.Dynamics.CRM.lookuplogicalname')) {
        out[`${name}${LOOKUP_LOGICAL_NAME}`] = logical;
      }
    }
  }
  out[model.def.primaryId] = row[model.def.primaryId];
  for (const term of expand) {
    const valueName = lookupValueName(term.lookup.attribute);
    const targetId = row[valueName];
    const logical = row[`${valueName}${LOOKUP_LOGICAL_NAME}`];
    let expanded: Record<string, unknown> | null = null;
    if (typeof targetId === 'string' && typeof logical === 'string' && term.targets.includes(logical)) {
      const target = findByLogical(store, logical, targetId);
      if (target) expanded = formatRow(store, target.model, target.row, term.select, annotations);
    }
    out[term.nav] = expanded;
  }
  return out;
}

function findByLogical(
  store: DataverseStore,
  logicalName: string,
  id: string,
): { model: EntityModel; row: Row; name: unknown } | undefined {
  const model = modelOfLogical(logicalName);
  if (!model) return undefined;
  const row = store.get(model.def.entitySet, id);
  if (!row) return undefined;
  return { model, row, name: row[model.def.primaryName] ?? null };
}

/** `@odata.context` of a collection or entity response. */
export function contextUrl(
  serviceRoot: string,
  entitySet: string,
  select: string[] | null,
  suffix = '',
): string {
  const columns = select ? `(${select.join(',')})` : '';
  return `${serviceRoot}/$metadata#${entitySet}${columns}${suffix}`;
}

/** Builds a next/delta link keeping the client's query options, with `$` left readable like the real links. */
export function buildLink(serviceRoot: string, entitySet: string, params: Array<[string, string]>): string {
  const query = params.map(([name, value]) => `${name}=${encodeURIComponent(value)}`).join('&');
  return `${serviceRoot}/${entitySet}${query ? `?${query}` : ''}`;
}
