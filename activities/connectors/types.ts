// The contract between the sync engine and the two API connectors (Business Central API v2.0 and the
// Dataverse Web API v9.2). The engine only sees this interface, so tests and the real services are
// interchangeable, and the emulators are reached through the very same connector code.

/** A row as the API returns it (JSON object, OData annotations included, e.g. `@odata.etag`). */
export type JsonRecord = Record<string, unknown>;

export type SystemName = 'bc' | 'dataverse';

/** Cancellation for one connector call (e.g. the activity's cancellation signal). */
export interface CallOptions {
  signal?: AbortSignal;
}

export interface ReadQuery extends CallOptions {
  /** OData `$filter` of the mapping (table filter / integration table filter), combined with `and`. */
  filter?: string;
  /**
   * Only rows modified at or after this instant (ISO 8601). Inclusive (`ge`) on purpose: Dataverse
   * `modifiedon` has whole-second precision, so `gt` would lose a second write in the same second.
   */
  modifiedSince?: string;
  /** `$select` list; undefined = all fields. */
  select?: string[];
  /** Server page size (`Prefer: odata.maxpagesize`). */
  pageSize?: number;
  /** Resume from an `@odata.nextLink` (a checkpoint saved in a heartbeat). */
  nextLink?: string;
  /** `$expand` list (e.g. `salesInvoiceLines` on BC `salesInvoices`); undefined = none. */
  expand?: string[];
  /** `$orderby` and `$top` (BC only): e.g. the newest row by lastModifiedDateTime. */
  orderBy?: string;
  top?: number;
  /**
   * A pass's read of the changes since its watermark (not a look-up by id or code). The APIs ignore it; a
   * dry run leaves the rows it would have written out of such reads (activities/engine/dryRun.ts).
   */
  changes?: true;
}

/** Dataverse change tracking (`Prefer: odata.track-changes`): the second read mode. */
export interface ChangeQuery extends CallOptions {
  /** `@odata.deltaLink` of the previous run; undefined = initial run (all rows + a first deltaLink). */
  deltaLink?: string;
  /** Resume from an `@odata.nextLink` of an interrupted run. */
  nextLink?: string;
  select?: string[];
  pageSize?: number;
}

export interface EntityPage {
  records: JsonRecord[];
  /** Absent on the last page. */
  nextLink?: string;
  /**
   * The API server's time when it answered (its `Date` header, whole seconds, so never later than the
   * read): watermarks are capped with the server's clock, not the worker's (docs/reading-changes.md).
   */
  servedAt?: Date;
}

export interface ChangePage {
  /** Created or updated rows. */
  changed: JsonRecord[];
  /** Ids of deleted rows. */
  deleted: string[];
  nextLink?: string;
  /** Present on the last page: pass to the next `readChanges` call. */
  deltaLink?: string;
}

export type ApiErrorKind = 'transient' | 'throttled' | 'validation' | 'conflict' | 'notFound' | 'auth';

/** Every API failure, classified, with the API's own code and message kept for the error log. */
export interface ApiErrorInfo {
  system: SystemName;
  kind: ApiErrorKind;
  /** HTTP status, 0 for a network failure. */
  status: number;
  /** The API's own error code, e.g. `Application_StringExceededLength`, `0x80044331`. */
  code: string;
  /** The API's own message. */
  message: string;
  method: string;
  /** Request URL without query secrets (there are none: tokens travel in headers). */
  url: string;
  retryAfterMs?: number;
  /**
   * The request may or may not have been applied (connection dropped or timed out after it was sent) and
   * the connector could not prove either: look the record up before writing it again.
   */
  outcomeUnknown?: boolean;
}

/**
 * Columns of the record a create/update/upsert returns (Dataverse `return=representation` with `$select`;
 * default: every column). BC always returns the whole entity and ignores it.
 */
interface Returning {
  returnColumns?: readonly string[];
}

export type WriteOperation =
  | ({
      kind: 'create';
      entity: string;
      body: JsonRecord;
      /** client-chosen id (Dataverse) */ id?: string;
    } & Returning)
  | ({ kind: 'update'; entity: string; id: string; body: JsonRecord; etag?: string } & Returning)
  | ({ kind: 'upsert'; entity: string; id: string; body: JsonRecord } & Returning)
  | { kind: 'delete'; entity: string; id: string; etag?: string };

export type WriteResult =
  { ok: true; status: number; id: string; record?: JsonRecord } | { ok: false; error: ApiErrorInfo };

/** One connector per system. `entity` is the entity set name (`customers`, `accounts`, ...). */
export interface TableClient {
  readonly system: SystemName;
  /** Primary key field of an entity (`id` in BC; `accountid` etc. in Dataverse). */
  keyField(entity: string): string;
  /** Server-set modified time field (`lastModifiedDateTime` / `modifiedon`). */
  modifiedField(entity: string): string;
  /** Streams pages (never the whole table in memory). */
  readPages(entity: string, query: ReadQuery): AsyncIterable<EntityPage>;
  get(entity: string, id: string, select?: string[], options?: CallOptions): Promise<JsonRecord | undefined>;
  create(entity: string, body: JsonRecord, id?: string, options?: CallOptions): Promise<JsonRecord>;
  update(
    entity: string,
    id: string,
    body: JsonRecord,
    etag?: string,
    options?: CallOptions,
  ): Promise<JsonRecord>;
  delete(entity: string, id: string, etag?: string, options?: CallOptions): Promise<void>;
  /** Batched writes with one result per operation, in order; one failing item never fails the others. */
  writeBatch(ops: WriteOperation[], options?: CallOptions): Promise<WriteResult[]>;
  /**
   * Create or update by id. Dataverse: one `PATCH` without `If-Match`. Business Central has no upsert and
   * cannot take a client-chosen id: updates the record if `id` exists, else creates one (with a new id).
   */
  upsert?(entity: string, id: string, body: JsonRecord, options?: CallOptions): Promise<JsonRecord>;
  /** Change tracking read mode (Dataverse only): changed rows, deleted ids, and a deltaLink at the end. */
  readChanges?(entity: string, query: ChangeQuery): AsyncIterable<ChangePage>;
  /** Options of a choice column (Dataverse only): `entity` and `attribute` are logical names. */
  readOptions?(entity: string, attribute: string, options?: CallOptions): Promise<ChoiceOption[]>;
  /** Adds an option to a choice column's local option set (Dataverse only); returns its value. */
  insertOption?(entity: string, attribute: string, label: string, options?: CallOptions): Promise<number>;
  /**
   * Dry run only (docs/dry-run.md): whether this run would have written the row - it cannot be read back,
   * and rows the server would have made with it (a unit group's base unit) do not exist either.
   */
  wouldHaveWritten?(entity: string, id: string): boolean;
}

/** One option of a Dataverse choice column. */
export interface ChoiceOption {
  value: number;
  label: string;
}
