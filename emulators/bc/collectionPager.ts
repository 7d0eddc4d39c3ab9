// Reads one page of a collection. The skip token holds the sort values of the last row served, and the next
// page starts strictly after them in the current order: rows written while a client pages never shift the
// pages, so no row that existed all along is served twice or skipped (apis.md C: maxpagesize + skiptoken).
import type { EntityTable, JsonRow, StoredRow } from './entityTable';
import { compareValues } from './entityTable';
import type { CollectionQuery, OrderTerm } from './queryOptions';

export interface CollectionPage {
  rows: StoredRow[];
  /** Sort values of the last row when more rows follow (becomes the next $skiptoken). */
  next?: JsonRow;
  /** With `$top` larger than the page: how many rows the next page may still return. */
  remainingTop?: number;
  count?: number;
}

type Comparator = (a: JsonRow, b: JsonRow) => number;

function comparatorFor(table: EntityTable, orderBy: readonly OrderTerm[]): Comparator {
  if (orderBy.length === 0) return (a, b) => table.compareRows(a, b);
  return (a, b) => {
    for (const term of orderBy) {
      const c = compareValues(a[term.field], b[term.field]);
      if (c !== 0) return term.desc ? -c : c;
    }
    return table.compareRows(a, b);
  };
}

interface SortedCache {
  version: number;
  rows: StoredRow[];
}

// Sorted copies for $orderby reads, rebuilt only when the table changed since (one sort per query shape).
const sortedCaches = new WeakMap<EntityTable, Map<string, SortedCache>>();

function orderedRows(
  table: EntityTable,
  orderBy: readonly OrderTerm[],
  compare: Comparator,
): readonly StoredRow[] {
  if (orderBy.length === 0) return table.rowsInKeyOrder();
  const key = orderBy.map((t) => `${t.field} ${t.desc ? 'desc' : 'asc'}`).join(',');
  let caches = sortedCaches.get(table);
  if (!caches) sortedCaches.set(table, (caches = new Map()));
  const cached = caches.get(key);
  if (cached && cached.version === table.version) return cached.rows;
  const rows = [...table.rowsInKeyOrder()].sort((a, b) => compare(a.data, b.data));
  if (caches.size >= 8) caches.delete(caches.keys().next().value as string);
  caches.set(key, { version: table.version, rows });
  return rows;
}

function firstAfter(rows: readonly StoredRow[], after: JsonRow | undefined, compare: Comparator): number {
  if (!after) return 0;
  let lo = 0;
  let hi = rows.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compare(rows[mid].data, after) <= 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The values a skip token must carry to resume after `row` in this order. */
function sortValues(table: EntityTable, orderBy: readonly OrderTerm[], row: JsonRow): JsonRow {
  const values: JsonRow = { id: row.id };
  for (const field of table.def.sortKey) values[field] = row[field];
  for (const term of orderBy) values[term.field] = row[term.field];
  return values;
}

export function readCollectionPage(
  table: EntityTable,
  query: CollectionQuery,
  scope?: (row: JsonRow) => boolean,
): CollectionPage {
  const compare = comparatorFor(table, query.orderBy);
  const rows = orderedRows(table, query.orderBy, compare);
  // A fetch by id (`id eq <guid> or ...` over 100,000 rows) checks the id set before the filter.
  const ids = query.filterIds;
  const matches = (row: JsonRow) =>
    (!ids || ids.has(String(row.id).toLowerCase())) &&
    (!scope || scope(row)) &&
    (!query.filter || query.filter(row));
  const page: CollectionPage = { rows: [] };
  if (query.count) {
    let count = 0;
    for (const r of rows) if (matches(r.data)) count++;
    page.count = count;
  }
  // $skip applies to the first page only; later pages resume from the token.
  let toSkip = query.after ? 0 : (query.skip ?? 0);
  const limit = query.top !== undefined ? Math.min(query.top, query.pageSize) : query.pageSize;
  let i = firstAfter(rows, query.after, compare);
  for (; i < rows.length && page.rows.length < limit; i++) {
    if (!matches(rows[i].data)) continue;
    if (toSkip > 0) {
      toSkip--;
      continue;
    }
    page.rows.push(rows[i]);
  }
  // Server-driven paging honours $top across pages (OData 4.01 Protocol 11.2.6.3 and 11.2.6.7): with a page
  // smaller than $top the nextLink carries the rows still allowed, and the last page ends at $top.
  const remainingTop = query.top === undefined ? undefined : query.top - page.rows.length;
  if (remainingTop === 0 || page.rows.length < limit) return page;
  for (; i < rows.length; i++) {
    if (matches(rows[i].data)) {
      page.next = sortValues(table, query.orderBy, page.rows[page.rows.length - 1].data);
      if (remainingTop !== undefined) page.remainingTop = remainingTop;
      break;
    }
  }
  return page;
}
