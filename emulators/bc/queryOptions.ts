// OData query options of a BC collection read: $filter (common compiler), $select, $orderby, $top, $skip,
// $skiptoken, $count, $expand and `Prefer: odata.maxpagesize` (apis.md A: server page size 20,000, a larger
// requested size -> 413).
import {
  compileFilterWithInfo,
  FilterSyntaxError,
  type FilterPredicate,
  type FilterValueType,
} from '../common/odataFilter';
import { bcErrors } from './bcErrors';
import type { EntityDef, FieldType } from './entityModel';
import type { JsonRow } from './entityTable';

export const SERVER_PAGE_SIZE = 20_000;

export interface OrderTerm {
  field: string;
  desc: boolean;
}

export interface CollectionQuery {
  filter?: FilterPredicate;
  /** Ids a matching row must have (a fetch by id), checked before the filter is evaluated. */
  filterIds?: ReadonlySet<string>;
  /** Properties the filter reads. */
  filterFields: string[];
  select?: string[];
  orderBy: OrderTerm[];
  top?: number;
  skip?: number;
  /** Sort values of the last row of the previous page. */
  after?: JsonRow;
  pageSize: number;
  /** Whether the client asked for a page size (echoed in Preference-Applied). */
  pageSizeRequested: boolean;
  count: boolean;
  expand: string[];
}

/** Navigation properties that `$expand` accepts, per entity set. */
const EXPANDABLE: Readonly<Record<string, readonly string[]>> = {
  salesInvoices: ['salesInvoiceLines'],
};

function unknownProperty(def: EntityDef, name: string) {
  return bcErrors.badRequest(
    `Could not find a property named '${name}' on type 'Microsoft.NAV.${def.entityType}'.`,
  );
}

function checkField(def: EntityDef, name: string): void {
  if (!(name in def.fields)) throw unknownProperty(def, name);
}

export function encodeSkipToken(values: JsonRow): string {
  return Buffer.from(JSON.stringify(values)).toString('base64url');
}

function decodeSkipToken(token: string): JsonRow {
  try {
    const parsed = JSON.parse(
      Buffer.from(token.replace(/^'|'$/g, ''), 'base64url').toString('utf8'),
    ) as unknown;
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) return parsed as JsonRow;
  } catch {
    // fall through to the error below
  }
  throw bcErrors.querySyntax(
    `The skip token '${token}' is not valid. Use the @odata.nextLink exactly as returned.`,
  );
}

/** `Prefer: odata.maxpagesize=N` among comma-separated preferences. */
export function requestedPageSize(prefer: string | undefined): number | undefined {
  if (!prefer) return undefined;
  const match = /(?:^|[,;\s])odata\.maxpagesize\s*=\s*"?(\d+)"?/i.exec(prefer);
  return match ? Number(match[1]) : undefined;
}

function nonNegativeInt(name: string, value: string): number {
  if (!/^\d+$/.test(value))
    throw bcErrors.querySyntax(`The value '${value}' of ${name} is not a non-negative integer.`);
  return Number(value);
}

const FILTER_TYPES: Record<FieldType, FilterValueType> = {
  text: 'string',
  code: 'string',
  option: 'string',
  decimal: 'number',
  integer: 'number',
  boolean: 'boolean',
  date: 'date',
  datetime: 'datetime',
  guid: 'guid',
};

function filterTypeOf(def: EntityDef, name: string): FilterValueType | undefined {
  const field = def.fields[name];
  return field ? FILTER_TYPES[field.type] : undefined;
}

export function parseCollectionQuery(
  def: EntityDef,
  params: URLSearchParams,
  prefer: string | undefined,
): CollectionQuery {
  const query: CollectionQuery = {
    filterFields: [],
    orderBy: [],
    pageSize: SERVER_PAGE_SIZE,
    pageSizeRequested: false,
    count: false,
    expand: [],
  };
  const filterText = params.get('$filter');
  if (filterText !== null && filterText.trim() !== '') {
    try {
      // Business Central compares text case-sensitively (tolower/toupper "disable case sensitivity"), types
      // each literal by its field, and refuses `or` across two fields: Using filter expressions in OData URIs
      // https://learn.microsoft.com/dynamics365/business-central/dev-itpro/webservices/use-filter-expressions-in-odata-uris
      // and Known limitations https://learn.microsoft.com/dynamics365/business-central/dev-itpro/webservices/odata-known-limitations
      const compiled = compileFilterWithInfo(filterText, {
        caseInsensitive: false,
        orAcrossProperties: false,
        propertyType: (name) => filterTypeOf(def, name),
      });
      for (const name of compiled.properties) checkField(def, name);
      query.filter = compiled.predicate;
      const ids = compiled.guidEqualities.get('id');
      if (ids) query.filterIds = ids;
      query.filterFields = compiled.properties;
    } catch (error) {
      if (error instanceof FilterSyntaxError)
        throw bcErrors.querySyntax(`Bad Request - Error in query syntax. ${error.message}`);
      throw error;
    }
  }
  const select = params.get('$select');
  if (select !== null && select.trim() !== '') {
    query.select = select.split(',').map((s) => s.trim());
    for (const name of query.select) checkField(def, name);
  }
  const orderBy = params.get('$orderby');
  if (orderBy !== null && orderBy.trim() !== '') {
    query.orderBy = orderBy.split(',').map((term) => {
      const [field, direction = 'asc', ...rest] = term.trim().split(/\s+/);
      if (rest.length > 0 || !/^(asc|desc)$/i.test(direction)) {
        throw bcErrors.querySyntax(
          `Bad Request - Error in query syntax: invalid $orderby term '${term.trim()}'.`,
        );
      }
      checkField(def, field);
      return { field, desc: direction.toLowerCase() === 'desc' };
    });
  }
  const top = params.get('$top');
  if (top !== null) query.top = nonNegativeInt('$top', top);
  const skip = params.get('$skip');
  if (skip !== null) query.skip = nonNegativeInt('$skip', skip);
  const skipToken = params.get('$skiptoken');
  if (skipToken !== null) query.after = decodeSkipToken(skipToken);
  const count = params.get('$count');
  query.count = count !== null && count.toLowerCase() === 'true';
  const expand = params.get('$expand');
  if (expand !== null && expand.trim() !== '') {
    query.expand = expand.split(',').map((s) => s.trim());
    for (const nav of query.expand) {
      if (!(EXPANDABLE[def.entitySet] ?? []).includes(nav)) throw unknownProperty(def, nav);
    }
  }
  const size = requestedPageSize(prefer);
  if (size !== undefined) {
    if (size > SERVER_PAGE_SIZE) throw bcErrors.pageSizeTooLarge(size, SERVER_PAGE_SIZE); // apis.md A: -> 413
    query.pageSize = Math.max(1, size);
    query.pageSizeRequested = true;
  }
  return query;
}

/** Single-entity reads accept $select and $expand only. */
export function parseEntityQuery(
  def: EntityDef,
  params: URLSearchParams,
): Pick<CollectionQuery, 'select' | 'expand'> {
  const q = parseCollectionQuery(def, new URLSearchParams(), undefined);
  const select = params.get('$select');
  if (select !== null && select.trim() !== '') {
    q.select = select.split(',').map((s) => s.trim());
    for (const name of q.select) checkField(def, name);
  }
  const expand = params.get('$expand');
  if (expand !== null && expand.trim() !== '') {
    q.expand = expand.split(',').map((s) => s.trim());
    for (const nav of q.expand)
      if (!(EXPANDABLE[def.entitySet] ?? []).includes(nav)) throw unknownProperty(def, nav);
  }
  return { select: q.select, expand: q.expand };
}
