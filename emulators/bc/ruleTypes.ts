// The hooks through which per-table business logic (BC's OnValidate/OnInsert/OnDelete triggers, as far as
// the API shows them) plugs into the generic create/update/delete flow of entityWriter.ts.
import type { BcState } from './bcState';
import type { JsonRow } from './entityTable';

export interface RuleContext {
  readonly state: BcState;
  /** Parent document id when the request came through a nested path (salesInvoices({id})/salesInvoiceLines). */
  readonly parentId?: string;
}

export interface EntityRules {
  /** Validates relations and fills derived fields of `row` (already merged with `changes`). */
  apply?(ctx: RuleContext, row: JsonRow, changes: JsonRow, current: JsonRow | undefined): void;
  afterInsert?(ctx: RuleContext, row: JsonRow): void;
  afterUpdate?(ctx: RuleContext, before: JsonRow, after: JsonRow): void;
  /** Throws to refuse a delete. */
  beforeDelete?(ctx: RuleContext, row: JsonRow): void;
  afterDelete?(ctx: RuleContext, row: JsonRow): void;
}
