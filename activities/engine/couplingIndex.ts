// How a pass finds the couplings of a page. MongoDB answers one `$in` query per page from the `_id` /
// (mapping, crmId) indexes. FerretDB v1 evaluates `$in` (and, on SQLite, even `_id` equality) by scanning
// the whole collection - measured: 26 s for a 5,000-id `$in` over 100,000 couplings - so there the pass
// reads the mapping's couplings once into memory instead (bounded by `snapshotLimit`; above it, per page).
import type { Database } from '../store/database';
import type { CouplingDoc, CouplingStore } from '../store/couplings';
import type { CouplingLookupMode } from './types';

const ferretDetection = new WeakMap<object, Promise<boolean>>();

/** Whether the server is FerretDB (its buildInfo carries `ferretdbVersion`). */
export function isFerretDb(db: Database): Promise<boolean> {
  let p = ferretDetection.get(db.db);
  if (!p) {
    p = db.db
      .admin()
      .command({ buildInfo: 1 })
      .then((info) => typeof info.ferretdbVersion === 'string')
      .catch(() => false);
    ferretDetection.set(db.db, p);
  }
  return p;
}

export class CouplingIndex {
  private constructor(
    private readonly store: CouplingStore,
    private readonly mapping: string,
    private readonly byBc?: Map<string, CouplingDoc>,
    private readonly byCrm?: Map<string, CouplingDoc>,
  ) {}

  get mode(): 'perPage' | 'snapshot' {
    return this.byBc ? 'snapshot' : 'perPage';
  }

  static async open(
    db: Database,
    store: CouplingStore,
    mapping: string,
    mode: CouplingLookupMode,
    snapshotLimit: number,
  ): Promise<CouplingIndex> {
    const snapshot = mode === 'snapshot' || (mode === 'auto' && (await isFerretDb(db)));
    if (!snapshot) return new CouplingIndex(store, mapping);
    const byBc = new Map<string, CouplingDoc>();
    const byCrm = new Map<string, CouplingDoc>();
    for await (const doc of store.streamMapping(mapping)) {
      if (byBc.size >= snapshotLimit) return new CouplingIndex(store, mapping);
      byBc.set(doc.bcId, doc);
      if (doc.crmId) byCrm.set(doc.crmId, doc);
    }
    return new CouplingIndex(store, mapping, byBc, byCrm);
  }

  /** Couplings of a page keyed by the page's source ids (BC ids or CRM ids). */
  async forPage(side: 'bc' | 'crm', ids: string[]): Promise<Map<string, CouplingDoc>> {
    const out = new Map<string, CouplingDoc>();
    if (this.byBc && this.byCrm) {
      const from = side === 'bc' ? this.byBc : this.byCrm;
      for (const id of ids) {
        const doc = from.get(id);
        if (doc) out.set(id, doc);
      }
      return out;
    }
    const docs =
      side === 'bc'
        ? await this.store.loadByBcIds(this.mapping, ids)
        : await this.store.loadByCrmIds(this.mapping, ids);
    for (const doc of docs) out.set(side === 'bc' ? doc.bcId : doc.crmId!, doc);
    return out;
  }

  /** Keeps the snapshot in step with what the pass wrote. */
  remember(doc: CouplingDoc): void {
    if (!this.byBc || !this.byCrm) return;
    const old = this.byBc.get(doc.bcId);
    if (old?.crmId && old.crmId !== doc.crmId) this.byCrm.delete(old.crmId);
    this.byBc.set(doc.bcId, doc);
    if (doc.crmId) this.byCrm.set(doc.crmId, doc);
  }

  forget(doc: CouplingDoc): void {
    if (!this.byBc || !this.byCrm) return;
    this.byBc.delete(doc.bcId);
    if (doc.crmId) this.byCrm.delete(doc.crmId);
  }
}
