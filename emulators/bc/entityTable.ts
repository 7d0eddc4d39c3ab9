// One in-memory BC table: rows by id, the unique key index, secondary indexes and the rows kept sorted in
// primary-key order, so paging 100,000 customers is a binary search plus a slice, never a sort per page.
import type { EntityDef } from './entityModel';

export type JsonRow = Record<string, unknown>;

export interface StoredRow {
  /** The row exactly as the API returns it (without OData annotations). */
  readonly data: JsonRow;
  /** Weak ETag, changes on every write. */
  readonly etag: string;
}

/** Ordinal comparison as SQL Server does for BC Code fields; numbers and booleans by value. */
export function compareValues(a: unknown, b: unknown): number {
  if (a === b) return 0;
  if (a === undefined || a === null) return -1;
  if (b === undefined || b === null) return 1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'boolean' && typeof b === 'boolean') return a ? 1 : -1;
  const sa = String(a);
  const sb = String(b);
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

export class EntityTable {
  private readonly byId = new Map<string, StoredRow>();
  private readonly unique = new Map<string, string>();
  private readonly indexes = new Map<string, Map<unknown, Set<string>>>();
  private sorted: StoredRow[] = [];
  /** Bumped on every change; lets query caches know when to rebuild. */
  version = 0;

  constructor(readonly def: EntityDef) {
    for (const field of def.indexed ?? []) this.indexes.set(field, new Map());
  }

  get size(): number {
    return this.byId.size;
  }

  get(id: string): StoredRow | undefined {
    return this.byId.get(id.toLowerCase());
  }

  /** Rows in primary-key order. Callers must not mutate the array. */
  rowsInKeyOrder(): readonly StoredRow[] {
    return this.sorted;
  }

  uniqueKeyOf(data: JsonRow): string | undefined {
    const key = this.def.uniqueKey;
    if (!key) return undefined;
    if (key.fields.length === 1) return String(data[key.fields[0]] ?? '');
    return key.fields.map((f) => String(data[f] ?? '')).join('\u0000');
  }

  /** Id of the row holding this unique key, if any. */
  findByUniqueKey(data: JsonRow): string | undefined {
    const key = this.uniqueKeyOf(data);
    return key === undefined ? undefined : this.unique.get(key);
  }

  /** Ids of rows whose indexed field has this value. */
  idsWhere(field: string, value: unknown): readonly string[] {
    const index = this.indexes.get(field);
    if (!index) throw new Error(`Field '${field}' of ${this.def.entitySet} has no index; add it to 'indexed'.`);
    return [...(index.get(value) ?? [])];
  }

  compareRows(a: JsonRow, b: JsonRow): number {
    for (const field of this.def.sortKey) {
      const c = compareValues(a[field], b[field]);
      if (c !== 0) return c;
    }
    return compareValues(a.id, b.id);
  }

  /** Index of the first row strictly after `after` in key order (0 when undefined). */
  positionAfter(after: JsonRow | undefined): number {
    if (!after) return 0;
    let lo = 0;
    let hi = this.sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.compareRows(this.sorted[mid].data, after) <= 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  insert(row: StoredRow): void {
    const id = String(row.data.id);
    this.byId.set(id, row);
    this.addToIndexes(id, row.data);
    this.sorted.splice(this.positionAfter(row.data), 0, row);
    this.version++;
  }

  replace(row: StoredRow): StoredRow {
    const id = String(row.data.id);
    const previous = this.byId.get(id);
    if (!previous) throw new Error(`Cannot replace ${this.def.entitySet}(${id}): no such row.`);
    this.byId.set(id, row);
    this.removeFromIndexes(id, previous.data);
    this.addToIndexes(id, row.data);
    const at = this.indexOfRow(previous.data);
    if (this.compareRows(previous.data, row.data) === 0) {
      this.sorted[at] = row;
    } else {
      this.sorted.splice(at, 1);
      this.sorted.splice(this.positionAfter(row.data), 0, row);
    }
    this.version++;
    return previous;
  }

  remove(id: string): StoredRow | undefined {
    const key = id.toLowerCase();
    const previous = this.byId.get(key);
    if (!previous) return undefined;
    this.byId.delete(key);
    this.removeFromIndexes(key, previous.data);
    this.sorted.splice(this.indexOfRow(previous.data), 1);
    this.version++;
    return previous;
  }

  /** Bulk load (seed, persistence): one sort instead of n sorted inserts. */
  load(rows: readonly StoredRow[]): void {
    for (const row of rows) {
      const id = String(row.data.id);
      this.byId.set(id, row);
      this.addToIndexes(id, row.data);
      this.sorted.push(row);
    }
    this.sorted.sort((a, b) => this.compareRows(a.data, b.data));
    this.version++;
  }

  clear(): void {
    this.byId.clear();
    this.unique.clear();
    for (const index of this.indexes.values()) index.clear();
    this.sorted = [];
    this.version++;
  }

  private indexOfRow(data: JsonRow): number {
    const at = this.positionAfter(data) - 1;
    if (at < 0 || this.sorted[at].data.id !== data.id) {
      throw new Error(`Sorted index of ${this.def.entitySet} lost row ${String(data.id)}.`);
    }
    return at;
  }

  private addToIndexes(id: string, data: JsonRow): void {
    const key = this.uniqueKeyOf(data);
    if (key !== undefined) this.unique.set(key, id);
    for (const [field, index] of this.indexes) {
      const value = data[field];
      let ids = index.get(value);
      if (!ids) index.set(value, (ids = new Set()));
      ids.add(id);
    }
  }

  private removeFromIndexes(id: string, data: JsonRow): void {
    const key = this.uniqueKeyOf(data);
    if (key !== undefined && this.unique.get(key) === id) this.unique.delete(key);
    for (const [field, index] of this.indexes) {
      const ids = index.get(data[field]);
      ids?.delete(id);
      if (ids && ids.size === 0) index.delete(data[field]);
    }
  }
}
