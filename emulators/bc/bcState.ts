// The emulated BC company: every table, the number series, the ETag counter, and the write primitives all
// handlers use. Writes made inside a transaction (a `$batch` with `Isolation: snapshot`) are journalled so a
// failure puts everything back, and their change events (webhooks, statistics) are only released on commit.
import { RequestStats } from '../common/requestStats';
import type { EmulatorClock } from './emulatorClock';
import { blankRow, entityDef, TABLE_DEFS } from './entityModel';
import { EntityTable, type JsonRow, type StoredRow } from './entityTable';
import { NumberSeriesSet } from './numberSeries';

export type ChangeType = 'created' | 'updated' | 'deleted';

export interface EntityChange {
  readonly entitySet: string;
  readonly id: string;
  readonly changeType: ChangeType;
  readonly lastModifiedDateTime: string;
}

export interface CompanyRow {
  id: string;
  systemVersion: string;
  timestamp: number;
  name: string;
  displayName: string;
  businessProfileId: string;
  systemCreatedAt: string;
  systemCreatedBy: string;
  systemModifiedAt: string;
  systemModifiedBy: string;
}

type UndoEntry =
  | { kind: 'insert'; entitySet: string; id: string }
  | { kind: 'replace'; entitySet: string; previous: StoredRow }
  | { kind: 'remove'; entitySet: string; previous: StoredRow }
  | { kind: 'series'; code: string; lastUsed: string | undefined };

interface Transaction {
  undo: UndoEntry[];
  events: EntityChange[];
  /** Entity set of each API-level write, counted on commit. */
  writes: string[];
}

export interface BcStateSnapshot {
  format: 'bcsync-bc-emulator/1';
  company: CompanyRow;
  etagCounter: number;
  numberSeries: Record<string, string | undefined>;
  tables: Record<string, StoredRow[]>;
}

export class BcState {
  readonly tables = new Map<string, EntityTable>();
  readonly numberSeries = new NumberSeriesSet();
  readonly stats = new RequestStats();
  private etagCounter = 0;
  private tx: Transaction | undefined;
  private readonly listeners: ((changes: readonly EntityChange[]) => void)[] = [];

  constructor(
    readonly clock: EmulatorClock,
    public company: CompanyRow,
  ) {
    for (const def of TABLE_DEFS) this.tables.set(def.entitySet, new EntityTable(def));
  }

  table(entitySet: string): EntityTable {
    const table = this.tables.get(entitySet);
    if (!table) throw new Error(`The BC emulator has no table for entity set '${entitySet}'.`);
    return table;
  }

  get(entitySet: string, id: string): StoredRow | undefined {
    return this.table(entitySet).get(id);
  }

  onChanges(listener: (changes: readonly EntityChange[]) => void): void {
    this.listeners.push(listener);
  }

  /** A new weak ETag; the counter plays the role of SQL's rowversion. */
  nextEtag(): string {
    this.etagCounter++;
    return `W/"${btoa(`'${this.etagCounter};'`)}"`;
  }

  /**
   * Server-set lastModifiedDateTime (UTC, ms). Strictly later than the row's previous value, so every write
   * to a row is visible to a `gt` watermark; different rows may share a millisecond as in the real service.
   */
  stampModified(previous?: unknown): string {
    const now = this.clock.now();
    const prev = typeof previous === 'string' ? Date.parse(previous) : NaN;
    return new Date(Number.isNaN(prev) || now > prev ? now : prev + 1).toISOString();
  }

  insert(entitySet: string, data: JsonRow): StoredRow {
    const row: StoredRow = { data, etag: this.nextEtag() };
    this.table(entitySet).insert(row);
    this.tx?.undo.push({ kind: 'insert', entitySet, id: String(data.id) });
    this.emit({
      entitySet,
      id: String(data.id),
      changeType: 'created',
      lastModifiedDateTime: modifiedOf(data, this),
    });
    return row;
  }

  update(entitySet: string, data: JsonRow): StoredRow {
    const row: StoredRow = { data, etag: this.nextEtag() };
    const previous = this.table(entitySet).replace(row);
    this.tx?.undo.push({ kind: 'replace', entitySet, previous });
    this.emit({
      entitySet,
      id: String(data.id),
      changeType: 'updated',
      lastModifiedDateTime: modifiedOf(data, this),
    });
    return row;
  }

  /** Change of a FlowField-like value (balanceDue, companyName): no new ETag, no modified time, no event. */
  patchDerived(entitySet: string, id: string, fields: JsonRow): void {
    const table = this.table(entitySet);
    const current = table.get(id);
    if (!current) return;
    if (Object.entries(fields).every(([k, v]) => current.data[k] === v)) return;
    const previous = table.replace({ data: { ...current.data, ...fields }, etag: current.etag });
    this.tx?.undo.push({ kind: 'replace', entitySet, previous });
  }

  delete(entitySet: string, id: string): StoredRow | undefined {
    const previous = this.table(entitySet).remove(id);
    if (!previous) return undefined;
    this.tx?.undo.push({ kind: 'remove', entitySet, previous });
    this.emit({
      entitySet,
      id: String(previous.data.id),
      changeType: 'deleted',
      lastModifiedDateTime: this.clock.nowIso(),
    });
    return previous;
  }

  nextNumber(seriesCode: string, entitySet: string, numberField = 'number'): string {
    const table = this.table(entitySet);
    this.tx?.undo.push({
      kind: 'series',
      code: seriesCode,
      lastUsed: this.numberSeries.lastUsed(seriesCode),
    });
    return this.numberSeries.next(
      seriesCode,
      (candidate) => table.findByUniqueKey({ [numberField]: candidate }) !== undefined,
    );
  }

  /** One API-level write (create/update/delete/action), counted once it is committed. */
  recordWrite(entitySet: string): void {
    if (this.tx) this.tx.writes.push(entitySet);
    else this.stats.recordWrite(entitySet);
  }

  /** Runs `work` as one transaction: all its writes are kept, or none (apis.md A: Isolation snapshot). */
  transaction<T>(work: () => { result: T; commit: boolean }): T {
    if (this.tx) throw new Error('Nested BC emulator transactions are not supported.');
    const tx: Transaction = { undo: [], events: [], writes: [] };
    this.tx = tx;
    let outcome: { result: T; commit: boolean };
    try {
      outcome = work();
    } catch (err) {
      this.tx = undefined;
      this.rollback(tx);
      throw err;
    }
    this.tx = undefined;
    if (!outcome.commit) {
      this.rollback(tx);
      return outcome.result;
    }
    for (const entitySet of tx.writes) this.stats.recordWrite(entitySet);
    this.release(tx.events);
    return outcome.result;
  }

  clearData(): void {
    for (const table of this.tables.values()) table.clear();
    this.numberSeries.reset();
  }

  snapshot(): BcStateSnapshot {
    const tables: Record<string, StoredRow[]> = {};
    for (const [set, table] of this.tables) tables[set] = [...table.rowsInKeyOrder()];
    return {
      format: 'bcsync-bc-emulator/1',
      company: this.company,
      etagCounter: this.etagCounter,
      numberSeries: this.numberSeries.snapshot(),
      tables,
    };
  }

  load(snapshot: BcStateSnapshot): void {
    if (snapshot.format !== 'bcsync-bc-emulator/1') {
      throw new Error(
        `BC emulator state has format '${String(snapshot.format)}', expected 'bcsync-bc-emulator/1'.`,
      );
    }
    this.clearData();
    this.company = snapshot.company;
    this.etagCounter = snapshot.etagCounter;
    this.numberSeries.load(snapshot.numberSeries);
    for (const [set, rows] of Object.entries(snapshot.tables)) {
      const def = entityDef(set); // throws for a set this version does not know
      // State saved by an older version lacks fields added since (e.g. the custom API's): they read blank.
      const blank = blankRow(def);
      const missing = Object.keys(blank).filter((field) => rows.some((r) => !(field in r.data)));
      this.table(set).load(
        missing.length === 0 ? rows : rows.map((r) => ({ ...r, data: { ...blank, ...r.data } })),
      );
    }
  }

  private emit(change: EntityChange): void {
    if (this.tx) this.tx.events.push(change);
    else this.release([change]);
  }

  private release(changes: readonly EntityChange[]): void {
    if (changes.length === 0) return;
    for (const listener of this.listeners) listener(changes);
  }

  private rollback(tx: Transaction): void {
    for (const entry of tx.undo.reverse()) {
      switch (entry.kind) {
        case 'insert':
          this.table(entry.entitySet).remove(entry.id);
          break;
        case 'replace':
          this.table(entry.entitySet).replace(entry.previous);
          break;
        case 'remove':
          this.table(entry.entitySet).insert(entry.previous);
          break;
        case 'series':
          this.numberSeries.restore(entry.code, entry.lastUsed);
          break;
      }
    }
  }
}

function modifiedOf(data: JsonRow, state: BcState): string {
  return typeof data.lastModifiedDateTime === 'string' ? data.lastModifiedDateTime : state.clock.nowIso();
}
