// Programmatic access to the emulator's data for tests and scripts (emulator contract: `state`). Writes
// go through the same validation and server-set columns as the Web API, and can act as any user, so a
// test can simulate "a salesperson edited this account in the CRM" without going through HTTP.
import { dvErrors } from './errors';
import { formatRow } from './query';
import type { RecordWriter } from './recordWriter';
import { applicationUserId, ensureApplicationUser, salespersonId, seedStore, type SeedKind } from './seed';
import { ENTITY_MODELS } from './schema';
import type { DataverseStore } from './store';

export interface StateWriteOptions {
  /** systemuserid recorded as createdby/modifiedby; default: the integration user. */
  userId?: string;
  /** Primary key for a create. */
  id?: string;
}

export class DataverseState {
  constructor(
    readonly store: DataverseStore,
    private readonly writer: RecordWriter,
    private readonly clientIds: () => string[],
  ) {}

  /** The application user of the emulator's main client id (what the connector sees as itself). */
  get integrationUserId(): string {
    return applicationUserId(this.clientIds()[0]);
  }

  applicationUserId(clientId: string): string {
    return applicationUserId(clientId);
  }

  /** Licensed, enabled salespeople of the demo seed (index 0..4). */
  salespersonId(index: number): string {
    return salespersonId(index);
  }

  /** Current organisation-wide row version. */
  get version(): number {
    return this.store.version;
  }

  entitySets(): string[] {
    return [...ENTITY_MODELS.keys()];
  }

  count(entitySet: string): number {
    return this.store.requireTable(entitySet).rows.size;
  }

  /** All rows as the Web API returns them (all columns, `@odata.etag`). */
  list(entitySet: string): Record<string, unknown>[] {
    const model = this.model(entitySet);
    const table = this.store.requireTable(entitySet);
    return table.ids().map((id) => formatRow(this.store, model, table.rows.get(id)!, null));
  }

  get(entitySet: string, id: string): Record<string, unknown> | undefined {
    const model = this.model(entitySet);
    const row = this.store.get(entitySet, id.toLowerCase());
    return row ? formatRow(this.store, model, row, null) : undefined;
  }

  /** Creates a row from a Web API body (binds allowed); throws DataverseApiError on invalid data. */
  create(
    entitySet: string,
    body: Record<string, unknown>,
    options: StateWriteOptions = {},
  ): Record<string, unknown> {
    const model = this.model(entitySet);
    const row = this.store.transaction(() =>
      this.writer.create(
        entitySet,
        body,
        { userId: options.userId ?? this.integrationUserId },
        { id: options.id },
      ),
    );
    return formatRow(this.store, model, row, null);
  }

  update(
    entitySet: string,
    id: string,
    body: Record<string, unknown>,
    options: StateWriteOptions = {},
  ): Record<string, unknown> {
    const model = this.model(entitySet);
    const row = this.store.transaction(() =>
      this.writer.update(entitySet, id.toLowerCase(), body, {
        userId: options.userId ?? this.integrationUserId,
      }),
    );
    return formatRow(this.store, model, row, null);
  }

  delete(entitySet: string, id: string, options: StateWriteOptions = {}): void {
    this.model(entitySet);
    this.store.transaction(() =>
      this.writer.delete(entitySet, id.toLowerCase(), { userId: options.userId ?? this.integrationUserId }),
    );
  }

  /** Replaces all data with a fresh seed. */
  reset(options: { seed?: SeedKind; records?: number } = {}): void {
    seedStore(this.store, {
      kind: options.seed ?? 'demo',
      records: options.records ?? 0,
      clientIds: this.clientIds(),
    });
  }

  ensureApplicationUser(clientId: string): string {
    return ensureApplicationUser(this.store, clientId);
  }

  private model(entitySet: string) {
    const model = ENTITY_MODELS.get(entitySet);
    if (!model) throw dvErrors.resourceNotFound(entitySet);
    return model;
  }
}
