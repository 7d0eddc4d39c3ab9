// One run of a mapping at a time (docs/one-run-per-mapping.md): a run holds a lease on each mapping it
// synchronizes, renewed while it runs and given back at its end; a lease nobody renews (the worker was
// killed) expires, so a mapping is never locked for good.
//
// FerretDB v1 applies an update by reading the document and writing it back whole, so a conditional update
// is no compare-and-set (activities/store/apiBudgets.ts). Leases are therefore a chain of inserts: lease n+1
// of a mapping has `_id` `<mapping>|<n+1>`, and of two runs taking over lease n at once the unique `_id`
// lets exactly one insert succeed. Only the holder ever updates its own lease document (renew, release).
import type { Collection } from 'mongodb';

export interface MappingLeaseDoc {
  /** `<mapping>|<n>`. */
  _id: string;
  mapping: string;
  n: number;
  /** The run holding it: the activity's run key, which a retried attempt of the same run shares. */
  holder: string;
  /** What an operator recognises: the job queue entry (`CUSTOMER`, `FULL SYNC CUSTOMER`). */
  label: string;
  acquiredAt: Date;
  /** Renewed while the holder runs; past it, anyone may take the mapping over. */
  expiresAt: Date;
}

export type LeaseAttempt = { ok: true; lease: MappingLeaseDoc } | { ok: false; heldBy: MappingLeaseDoc };

/** Lease documents kept behind the latest of a mapping (older ones are deleted on acquisition). */
const KEPT = 5;

const isDuplicateKey = (err: unknown): boolean => (err as { code?: number }).code === 11000;

export class MappingLeaseStore {
  constructor(
    private readonly col: Collection<MappingLeaseDoc>,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** The mapping's newest lease (held, expired or given back), if any. */
  async latest(mapping: string): Promise<MappingLeaseDoc | null> {
    return this.col.find({ mapping }).sort({ n: -1 }).limit(1).next();
  }

  /** Whether `lease` still keeps others out. */
  live(lease: MappingLeaseDoc): boolean {
    return lease.expiresAt.getTime() > this.now().getTime();
  }

  /**
   * Takes the mapping for `holder` unless another holder's lease is live. The holder's own live lease (a
   * retried attempt of the same run) is taken over at once.
   */
  async tryAcquire(mapping: string, holder: string, label: string, ttlMs: number): Promise<LeaseAttempt> {
    for (;;) {
      const current = await this.latest(mapping);
      if (current && current.holder !== holder && this.live(current)) return { ok: false, heldBy: current };
      const n = (current?.n ?? 0) + 1;
      const now = this.now();
      const lease: MappingLeaseDoc = {
        _id: `${mapping}|${n}`,
        mapping,
        n,
        holder,
        label,
        acquiredAt: now,
        expiresAt: new Date(now.getTime() + ttlMs),
      };
      try {
        await this.col.insertOne(lease);
      } catch (err) {
        if (isDuplicateKey(err)) continue; // another run took lease n first: look again
        throw err;
      }
      await this.col.deleteMany({ mapping, n: { $lte: n - KEPT } });
      return { ok: true, lease };
    }
  }

  /**
   * Extends the holder's lease. False when it is no longer the mapping's newest lease: it expired (the holder
   * stalled longer than its time to live) and another run took the mapping over.
   */
  async renew(lease: MappingLeaseDoc, ttlMs: number): Promise<boolean> {
    const expiresAt = new Date(this.now().getTime() + ttlMs);
    await this.col.updateOne({ _id: lease._id, holder: lease.holder }, { $set: { expiresAt } });
    const current = await this.latest(lease.mapping);
    return current?._id === lease._id;
  }

  /** Gives the mapping back (the lease expires now). */
  async release(lease: MappingLeaseDoc): Promise<void> {
    await this.col.updateOne({ _id: lease._id, holder: lease.holder }, { $set: { expiresAt: this.now() } });
  }
}
