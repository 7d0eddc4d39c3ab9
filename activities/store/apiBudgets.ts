// The throttling budget of each API identity, shared by every worker through one MongoDB document per
// identity (collection `apiBudgets`). Each decision reads the document, applies the pure rules of
// activities/connectors/budgetRules.ts and writes the result back only if nobody wrote in between (a
// version number in the filter): an atomic single-document write, the portable subset's substitute for
// a transaction. Why MongoDB and not Temporal's task-queue rate limits: docs/throttling.md.
import type { Collection, Db } from 'mongodb';
import {
  decide,
  initialState,
  type AcquireRequest,
  type BudgetDecision,
  type BudgetLimits,
  type BudgetState,
} from '../connectors/budgetRules';
import type { BudgetStore } from '../connectors/requestBudget';

export const API_BUDGETS_COLLECTION = 'apiBudgets';

export interface ApiBudgetDoc extends BudgetState {
  /** `bc|<api origin>|<tenant>|<client id>` or `dataverse|<organization origin>|<client id>`. */
  _id: string;
  version: number;
}

/** Attempts of the read-decide-write cycle before a contended decision waits a poll interval. */
const MAX_CONFLICTS = 5;

export class MongoBudgetStore implements BudgetStore {
  readonly pollMs: number;
  private readonly col: Collection<ApiBudgetDoc>;

  constructor(
    db: Db,
    readonly identity: string,
    readonly limits: BudgetLimits,
    options: { pollMs?: number } = {},
  ) {
    this.col = db.collection<ApiBudgetDoc>(API_BUDGETS_COLLECTION);
    this.pollMs = options.pollMs ?? 25;
  }

  private async load(now: number): Promise<ApiBudgetDoc> {
    const found = await this.col.findOne({ _id: this.identity });
    if (found) return found;
    const fresh: ApiBudgetDoc = { _id: this.identity, version: 0, ...initialState(this.limits, now) };
    try {
      await this.col.insertOne(fresh);
      return fresh;
    } catch (err) {
      if ((err as { code?: number }).code !== 11000) throw err;
      const doc = await this.col.findOne({ _id: this.identity });
      if (!doc) throw err;
      return doc;
    }
  }

  async tryAcquire(req: AcquireRequest, now: number): Promise<BudgetDecision> {
    let decision: BudgetDecision = { grant: false, waitMs: this.pollMs, reason: 'concurrency' };
    for (let attempt = 0; attempt < MAX_CONFLICTS; attempt++) {
      const doc = await this.load(now);
      decision = decide(doc, this.limits, now, req, this.pollMs);
      if (!decision.grant) {
        const waiting = doc.waiting?.[req.company];
        // Refresh the waiting mark only when it would go stale soon: one write per waiter per second.
        if (!waiting || now - waiting.seenAt > 500) {
          await this.col.updateOne(
            { _id: this.identity },
            { $set: { [`waiting.${req.company}`]: { since: waiting?.since ?? now, seenAt: now } } },
          );
        }
        return decision;
      }
      const { state } = decision;
      const result = await this.col.updateOne(
        { _id: this.identity, version: doc.version },
        {
          $set: {
            tokens: state.tokens,
            refilledAt: state.refilledAt,
            [`slots.${decision.slot}`]: state.slots[decision.slot],
          },
          $unset: { [`waiting.${req.company}`]: '' },
          $inc: { version: 1 },
        },
      );
      if (result.modifiedCount === 1) return decision;
    }
    return { grant: false, waitMs: this.pollMs, reason: 'concurrency' };
  }

  async release(slot: string, holder: string): Promise<void> {
    // Frees the slot only if this request still holds it (an expired lease may have been taken over).
    await this.col.updateOne(
      { _id: this.identity, [`slots.${slot}.holder`]: holder },
      { $set: { [`slots.${slot}.expiresAt`]: 0 } },
    );
  }

  async pauseUntil(until: number): Promise<void> {
    await this.col.updateOne({ _id: this.identity }, { $max: { pausedUntil: until }, $inc: { version: 1 } });
  }
}

/** A factory of shared budgets on one database, one store per identity. */
export function sharedBudgetStores(db: Db): (identity: string, limits: BudgetLimits) => BudgetStore {
  return (identity, limits) => new MongoBudgetStore(db, identity, limits);
}
