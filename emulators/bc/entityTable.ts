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
  /**
   * Rows in key order, possibly holding stale entries (replaced or removed rows: `byId` no longer points at
   * them). Writes only append to `added`; a read merges. Splicing into a 100,000-row array per write was
   * the bottleneck of batched imports.
   */
  private sorted: StoredRow[] = [];
  private added: StoredRow[] = [];
  private stale = 0;
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
    if (this.added.length > 0 || this.stale > 0) this.merge();
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
    if (!index)
      throw new Error(`Field '${field}' of ${this.def.entitySet} has no index; add it to 'indexed'.`);
    return [...(index.get(value) ?? [])];
  }

  compareRows(a: JsonRow, b: JsonRow): number {
    for (const field of this.def.sortKey) {
      const c = compareValues(a[field], b[field]);
      if (c !== 0) return c;
    }
    return compareValues(a.id, b.id);
  }

  insert(row: StoredRow): void {
    const id = String(row.data.id);
    this.byId.set(id, row);
    this.addToIndexes(id, row.data);
    this.append(row);
  }

  replace(row: StoredRow): StoredRow {
    const id = String(row.data.id);
    const previous = this.byId.get(id);
    if (!previous) throw new Error(`Cannot replace ${this.def.entitySet}(${id}): no such row.`);
    this.byId.set(id, row);
    this.removeFromIndexes(id, previous.data);
    this.addToIndexes(id, row.data);
    this.stale++;
    this.append(row);
    return previous;
  }

  remove(id: string): StoredRow | undefined {
    const key = id.toLowerCase();
    const previous = this.byId.get(key);
    if (!previous) return undefined;
    this.byId.delete(key);
    this.removeFromIndexes(key, previous.data);
    this.stale++;
    this.version++;
    return previous;
  }

  /** Bulk load (seed, persistence): one sort instead of n sorted inserts. */
  load(rows: readonly StoredRow[]): void {
    for (const row of rows) {
      const id = String(row.data.id);
      this.byId.set(id, row);
      this.addToIndexes(id, row.data);
      this.added.push(row);
    }
    this.merge();
    this.version++;
  }

  clear(): void {
    this.byId.clear();
    this.unique.clear();
    for (const index of this.indexes.values()) index.clear();
    this.sorted = [];
    this.added = [];
    this.stale = 0;
    this.version++;
  }

  private append(row: StoredRow): void {
    this.added.push(row);
    this.version++;
    // Bound the garbage a long run of writes without reads leaves behind.
    if (this.added.length + this.stale > 50_000 + this.sorted.length) this.merge();
  }

  private merge(): void {
    const live = (r: StoredRow) => this.byId.get(String(r.data.id)) === r;
    // A rolled-back write can bring back a row object that is still in `sorted`: keep one copy.
    const fresh = [...new Set(this.added.filter(live))].sort((a, b) => this.compareRows(a.data, b.data));
    const freshSet = new Set(fresh);
    const base =
      this.stale > 0 || fresh.length > 0
        ? this.sorted.filter((r) => live(r) && !freshSet.has(r))
        : this.sorted;
    const merged: StoredRow[] = new Array<StoredRow>(base.length + fresh.length);
    let i = 0;
    let j = 0;
    let k = 0;
    while (i < base.length && j < fresh.length) {
      merged[k++] = this.compareRows(base[i].data, fresh[j].data) <= 0 ? base[i++] : fresh[j++];
    }
    while (i < base.length) merged[k++] = base[i++];
    while (j < fresh.length) merged[k++] = fresh[j++];
    this.sorted = merged;
    this.added = [];
    this.stale = 0;
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
