// How a pass finds the couplings of a page: by default one `$in` query per page (in chunks) on the `_id` /
// (mapping, crmId) indexes, so memory stays bounded by the page. MongoDB answers these from its indexes;
// our FerretDB build does too (devservers/ferretdb/bcsync_pushdown.go - upstream FerretDB 1.24 scanned
// the collection: 26 s per 5,000-id page at 100,000 couplings, now ~0.4 s). `snapshot` reads a mapping's
// couplings into memory once per run instead, for a server that cannot push `$in` down to an index.
import type { CouplingDoc, CouplingStore } from '../store/couplings';
import type { CouplingLookupMode } from './types';

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
    store: CouplingStore,
    mapping: string,
    mode: CouplingLookupMode,
    snapshotLimit: number,
  ): Promise<CouplingIndex> {
    if (mode !== 'snapshot') return new CouplingIndex(store, mapping);
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
