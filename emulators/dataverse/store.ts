// In-memory Dataverse tables. Everything a write touches goes through `put`, which keeps the indexes
// (sorted primary keys for paging, alternate keys, references for cascades) and the change-tracking
// tombstones in step, and records an undo entry so a failing `$batch` changeset can roll back all its
// parts (apis.md B: atomic changesets). Version numbers are one organisation-wide counter, like the
// SQL rowversion behind `versionnumber` (apis.md C: increasing versionnumber).
import { OptionSets, type OptionSetsSnapshot } from './optionSets';
import {
  ENTITY_MODELS,
  lookupValueName,
  type AlternateKeyDef,
  type EntityModel,
  type LookupDef,
} from './schema';

export type Row = Record<string, unknown>;

export interface Tombstone {
  id: string;
  version: number;
  /** ms since epoch */
  at: number;
}

/** Where a lookup value points from: `entitySet`, row id, lookup attribute. */
export interface Reference {
  entitySet: string;
  id: string;
  attribute: string;
}

const REF_SEPARATOR = '\u0001';

/** A lookup is indexed for cascades unless the system owns it or it only targets users (never deleted). */
function isIndexedLookup(lookup: LookupDef): boolean {
  if (lookup.readOnly) return false;
  const targets = Object.keys(lookup.targets);
  return targets.length > 0 && !(targets.length === 1 && targets[0] === 'systemuser');
}

export class Table {
  readonly rows = new Map<string, Row>();
  readonly tombstones: Tombstone[] = [];
  /** key name -> normalised key value -> row id */
  readonly alternateKeys = new Map<string, Map<string, string>>();
  /** Bumped on every insert/update/delete; query caches compare it. */
  mutation = 0;
  private sortedIds: string[] | null = [];
  readonly indexedLookups: LookupDef[];

  /** The alternate keys an admin created on this table (none in a stock organization). */
  readonly keys: AlternateKeyDef[];

  constructor(
    readonly model: EntityModel,
    enabledKeys: ReadonlySet<string> = new Set(),
  ) {
    this.keys = model.def.alternateKeys.filter((k) => enabledKeys.has(k.name));
    for (const key of this.keys) this.alternateKeys.set(key.name, new Map());
    this.indexedLookups = model.def.lookups.filter(isIndexedLookup);
  }

  /** Primary keys in ascending order: the default (and tie-breaking) order of every page. */
  ids(): string[] {
    if (this.sortedIds === null) {
      this.sortedIds = [...this.rows.keys()].sort();
    }
    return this.sortedIds;
  }

  noteInsert(id: string): void {
    const sorted = this.sortedIds;
    if (sorted === null) return;
    // Appending in order is the common case for sequential seeds; otherwise rebuild lazily on next read.
    if (sorted.length === 0 || sorted[sorted.length - 1] < id) sorted.push(id);
    else this.sortedIds = null;
  }

  noteDelete(): void {
    this.sortedIds = null;
  }
}

export function alternateKeyValue(row: Row, attributes: string[]): string | undefined {
  const parts: string[] = [];
  for (const attribute of attributes) {
    const value = row[attribute];
    if (value === null || value === undefined || value === '') return undefined;
    // The real keys sit on case-insensitive SQL columns.
    parts.push(String(value).toLowerCase());
  }
  return parts.join(REF_SEPARATOR);
}

interface UndoEntry {
  entitySet: string;
  id: string;
  previous: Row | undefined;
  tombstoneAdded: boolean;
}

export interface StoreSnapshot {
  format: 1;
  version: number;
  counters: Record<string, number>;
  tables: Record<string, { rows: Row[]; tombstones: Tombstone[] }>;
  /** Options of choice columns, with those added through InsertOptionValue. */
  optionSets?: OptionSetsSnapshot;
}

export class DataverseStore {
  readonly tables = new Map<string, Table>();
  /** Last versionnumber handed out. */
  version = 1_000_000;
  /** Named counters (invoice numbers, ...). */
  counters: Record<string, number> = {};
  /** Option sets of the choice columns (metadata, not rows). */
  readonly optionSets = new OptionSets();
  /** Set on every change; cleared by the persistence layer after saving. */
  dirty = false;
  private references = new Map<string, string | Set<string>>();
  private undo: UndoEntry[] = [];
  private depth = 0;

  /** Alternate keys created by an admin (`accountnumber_key`, ...); a stock organization has none. */
  readonly enabledKeys: ReadonlySet<string>;

  constructor(
    readonly now: () => number = Date.now,
    options: { alternateKeys?: readonly string[] } = {},
  ) {
    this.enabledKeys = new Set(options.alternateKeys ?? []);
    for (const [entitySet, model] of ENTITY_MODELS)
      this.tables.set(entitySet, new Table(model, this.enabledKeys));
  }

  table(entitySet: string): Table | undefined {
    return this.tables.get(entitySet);
  }

  requireTable(entitySet: string): Table {
    const table = this.tables.get(entitySet);
    if (!table) throw new Error(`Unknown Dataverse entity set '${entitySet}'.`);
    return table;
  }

  get(entitySet: string, id: string): Row | undefined {
    return this.tables.get(entitySet)?.rows.get(id);
  }

  nextVersion(): number {
    return ++this.version;
  }

  nextCounter(name: string, start: number): number {
    const value = (this.counters[name] ?? start - 1) + 1;
    this.counters[name] = value;
    return value;
  }

  /** Server time at whole-second precision (apis.md C: modifiedon has second precision). */
  timestamp(): string {
    return formatSeconds(this.now());
  }

  findByAlternateKey(entitySet: string, keyName: string, normalisedValue: string): string | undefined {
    return this.tables.get(entitySet)?.alternateKeys.get(keyName)?.get(normalisedValue);
  }

  /** Rows whose (cascade-relevant) lookups point at `targetId`. */
  referencesTo(targetId: string): Reference[] {
    const entry = this.references.get(targetId);
    if (entry === undefined) return [];
    const keys = typeof entry === 'string' ? [entry] : [...entry];
    return keys.map((key) => {
      const [entitySet, id, attribute] = key.split(REF_SEPARATOR);
      return { entitySet, id, attribute };
    });
  }

  /**
   * Runs `fn` atomically: if it throws, every `put` made inside is undone (nested calls roll back to
   * their own savepoint), then the error propagates.
   */
  transaction<T>(fn: () => T): T {
    const savepoint = this.undo.length;
    this.depth++;
    try {
      const result = fn();
      this.depth--;
      if (this.depth === 0) this.undo = [];
      return result;
    } catch (error) {
      this.rollbackTo(savepoint);
      this.depth--;
      if (this.depth === 0) this.undo = [];
      throw error;
    }
  }

  /** The one mutation primitive: sets (or with undefined, deletes) a row and maintains every index. */
  put(entitySet: string, id: string, row: Row | undefined, options: { tombstone?: boolean } = {}): void {
    const table = this.requireTable(entitySet);
    const previous = table.rows.get(id);
    let tombstoneAdded = false;
    this.unindex(table, entitySet, id, previous);
    if (row === undefined) {
      if (previous === undefined) return;
      table.rows.delete(id);
      table.noteDelete();
      if (options.tombstone !== false) {
        table.tombstones.push({ id, version: this.nextVersion(), at: this.now() });
        tombstoneAdded = true;
      }
    } else {
      table.rows.set(id, row);
      if (previous === undefined) table.noteInsert(id);
      this.index(table, entitySet, id, row);
    }
    table.mutation++;
    this.dirty = true;
    if (this.depth > 0) this.undo.push({ entitySet, id, previous, tombstoneAdded });
  }

  private rollbackTo(savepoint: number): void {
    while (this.undo.length > savepoint) {
      const entry = this.undo.pop()!;
      const table = this.requireTable(entry.entitySet);
      const current = table.rows.get(entry.id);
      this.unindex(table, entry.entitySet, entry.id, current);
      if (entry.previous === undefined) {
        if (current !== undefined) {
          table.rows.delete(entry.id);
          table.noteDelete();
        }
      } else {
        table.rows.set(entry.id, entry.previous);
        if (current === undefined) table.noteInsert(entry.id);
        this.index(table, entry.entitySet, entry.id, entry.previous);
      }
      if (entry.tombstoneAdded) table.tombstones.pop();
      table.mutation++;
    }
  }

  private index(table: Table, entitySet: string, id: string, row: Row): void {
    for (const key of table.keys) {
      const value = alternateKeyValue(row, key.attributes);
      if (value !== undefined) table.alternateKeys.get(key.name)!.set(value, id);
    }
    for (const lookup of table.indexedLookups) {
      const target = row[lookupValueName(lookup.attribute)];
      if (typeof target === 'string')
        this.addReference(target, [entitySet, id, lookup.attribute].join(REF_SEPARATOR));
    }
  }

  private unindex(table: Table, entitySet: string, id: string, row: Row | undefined): void {
    if (row === undefined) return;
    for (const key of table.keys) {
      const value = alternateKeyValue(row, key.attributes);
      const index = table.alternateKeys.get(key.name)!;
      if (value !== undefined && index.get(value) === id) index.delete(value);
    }
    for (const lookup of table.indexedLookups) {
      const target = row[lookupValueName(lookup.attribute)];
      if (typeof target === 'string') {
        this.removeReference(target, [entitySet, id, lookup.attribute].join(REF_SEPARATOR));
      }
    }
  }

  // Most rows are referenced at most once, so a bare string saves a Set per row at 100,000 rows.
  private addReference(target: string, key: string): void {
    const entry = this.references.get(target);
    if (entry === undefined) this.references.set(target, key);
    else if (typeof entry === 'string') {
      if (entry !== key) this.references.set(target, new Set([entry, key]));
    } else entry.add(key);
  }

  private removeReference(target: string, key: string): void {
    const entry = this.references.get(target);
    if (entry === undefined) return;
    if (typeof entry === 'string') {
      if (entry === key) this.references.delete(target);
      return;
    }
    entry.delete(key);
    if (entry.size === 1) this.references.set(target, [...entry][0]);
    else if (entry.size === 0) this.references.delete(target);
  }

  /** The alternate keys defined on a table of this organization. */
  keysOf(entitySet: string): AlternateKeyDef[] {
    return this.tables.get(entitySet)?.keys ?? [];
  }

  /** Drops every row and tombstone (for reset / reseed). */
  clear(): void {
    for (const [entitySet, model] of ENTITY_MODELS)
      this.tables.set(entitySet, new Table(model, this.enabledKeys));
    this.references.clear();
    this.undo = [];
    this.depth = 0;
    this.version = 1_000_000;
    this.counters = {};
    this.optionSets.reset();
    this.dirty = true;
  }

  /** Forgets tombstones older than the change-tracking retention (they can no longer be asked for). */
  pruneTombstones(olderThanMs: number): void {
    for (const table of this.tables.values()) {
      const keepFrom = table.tombstones.findIndex((t) => t.at >= olderThanMs);
      if (keepFrom > 0) table.tombstones.splice(0, keepFrom);
      else if (keepFrom === -1 && table.tombstones.length > 0) table.tombstones.length = 0;
    }
  }

  snapshot(): StoreSnapshot {
    const tables: StoreSnapshot['tables'] = {};
    for (const [entitySet, table] of this.tables) {
      tables[entitySet] = { rows: [...table.rows.values()], tombstones: table.tombstones };
    }
    return {
      format: 1,
      version: this.version,
      counters: this.counters,
      tables,
      optionSets: this.optionSets.snapshot(),
    };
  }

  restore(snapshot: StoreSnapshot): void {
    this.clear();
    for (const [entitySet, saved] of Object.entries(snapshot.tables)) {
      const table = this.tables.get(entitySet);
      if (!table) continue;
      const primaryId = table.model.def.primaryId;
      for (const row of saved.rows) this.put(entitySet, String(row[primaryId]), row, { tombstone: false });
      table.tombstones.push(...saved.tombstones);
    }
    this.version = snapshot.version;
    this.counters = snapshot.counters ?? {};
    this.optionSets.restore(snapshot.optionSets);
    this.dirty = false;
  }
}

/** `2024-05-01T10:20:30Z`: the whole-second UTC format Dataverse returns for date/time columns. */
export function formatSeconds(ms: number): string {
  return `${new Date(Math.floor(ms / 1000) * 1000).toISOString().slice(0, 19)}Z`;
}
