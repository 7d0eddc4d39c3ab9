// The throttling budget of each API identity, shared by every worker through MongoDB (collection
// `apiBudgets`) as a chain of versions: each batch of changes a process sends (slots taken and given
// back, companies marked as waiting; or a pause, a renewed lease) applies the pure rules of
// activities/connectors/budgetRules.ts to the latest version N and inserts version N+1 under the unique
// `_id` `<identity>|<N+1>`. Of two workers deciding on
// the same version, the unique index lets exactly one insert succeed; the other reads the new version and
// decides again. Why inserts and not a conditional update: FerretDB v1 applies an update by reading the
// document and writing it back whole, so `updateOne({_id, version})` is not a compare-and-set there
// (dev-servers.md) - two workers would both "win" and one's slot would be overwritten. Why MongoDB and
// not Temporal's task-queue rate limits: docs/throttling.md.
import type { Collection, Db } from 'mongodb';
import {
  applyChanges,
  initialState,
  othersActive,
  pausedUntil,
  processOf,
  renewed,
  type BudgetChange,
  type BudgetDecision,
  type BudgetLimits,
  type BudgetState,
} from '../connectors/budgetRules';
import type { AppliedBatch, BudgetStore } from '../connectors/requestBudget';

export const API_BUDGETS_COLLECTION = 'apiBudgets';

export interface ApiBudgetDoc extends BudgetState {
  /** `<identity>|<version>`. */
  _id: string;
  /** The API identity (connectors/budgetIdentity.ts). */
  identity: string;
  version: number;
}

/** Versions kept behind the latest; older ones are deleted in batches of CLEANUP_BATCH. */
const KEPT_VERSIONS = 1_000;
const CLEANUP_BATCH = 100;
/**
 * How long a version this process read may be the start of a forward probe. A probe from version v is
 * only sound while v+1 cannot have been deleted, i.e. fewer than KEPT_VERSIONS changes happened since;
 * at the services' ~20 requests per second (3 changes each) that takes far longer than this.
 */
const HEAD_FRESH_MS = 2_000;
/** Versions after the known one read by one probe (by `_id`, which every server answers from its index). */
const PROBE_AHEAD = 16;
/** Decisions lost to another worker in a row before waiting requests sleep a poll interval instead. */
const MAX_CONFLICTS = 8;

interface Head {
  version: number;
  state: BudgetState;
  readAt: number;
}

const stateOf = (doc: ApiBudgetDoc): BudgetState => ({
  tokens: doc.tokens,
  refilledAt: doc.refilledAt,
  pausedUntil: doc.pausedUntil,
  slots: doc.slots ?? {},
  waiting: doc.waiting ?? {},
});

/** The newest stored version of `identity`'s budget, looked up (not probed forward from a known one). */
async function latestVersion(
  col: Collection<ApiBudgetDoc>,
  identity: string,
): Promise<ApiBudgetDoc | undefined> {
  const [doc] = await col.find({ identity }).sort({ version: -1 }).limit(1).toArray();
  return doc;
}

export class MongoBudgetStore implements BudgetStore {
  readonly pollMs: number;
  readonly releaseDelayMs: number;
  private readonly col: Collection<ApiBudgetDoc>;
  private head: Head | undefined;
  /** An insert of this process lost to another process's: the next change probes for the latest. */
  private contested = true;

  constructor(
    db: Db,
    readonly identity: string,
    readonly limits: BudgetLimits,
    options: { pollMs?: number; releaseDelayMs?: number } = {},
  ) {
    this.col = db.collection<ApiBudgetDoc>(API_BUDGETS_COLLECTION);
    this.pollMs = options.pollMs ?? 25;
    this.releaseDelayMs = options.releaseDelayMs ?? 500;
  }

  private key(version: number): string {
    return `${this.identity}|${version}`;
  }

  /**
   * The latest version: probed forward from the one this process saw last, or looked up. `process`: the
   * process asking (`processOf` its holders); while the version it knows shows no other process using
   * the identity - no slot of another's, no company marked waiting by another - that version is taken as
   * the latest without a probe. Should another process have written meanwhile, the insert after it fails
   * on the unique `_id` and the next try probes (`contested`), so the probe is saved only while the
   * identity has one user; a second one is seen at its first write, and from then on every change
   * probes as before - fairness between processes needs that (docs/throttling.md).
   */
  private async latest(now: number, process?: string): Promise<Head> {
    let head = this.head;
    if (
      head &&
      process !== undefined &&
      !this.contested &&
      Date.now() - head.readAt <= HEAD_FRESH_MS &&
      !othersActive(head.state, process, now)
    )
      return head;
    this.contested = false;
    if (!head || Date.now() - head.readAt > HEAD_FRESH_MS) {
      const doc = await latestVersion(this.col, this.identity);
      head = doc
        ? { version: doc.version, state: stateOf(doc), readAt: Date.now() }
        : { version: 0, state: initialState(this.limits, now), readAt: Date.now() };
    }
    // Versions are written one after the other (each decided on the one before), so the newest of the
    // next PROBE_AHEAD is the latest unless all of them exist: one round trip catches up with what other
    // workers wrote since, instead of one per version (3 workers: ~9 reads per BC request that way).
    for (;;) {
      const from: number = head.version + 1;
      const ids: string[] = Array.from({ length: PROBE_AHEAD }, (_, i) => this.key(from + i));
      const docs: ApiBudgetDoc[] = await this.col.find({ _id: { $in: ids } }).toArray();
      const newest = docs.reduce<ApiBudgetDoc | undefined>(
        (a, d) => (a && a.version >= d.version ? a : d),
        undefined,
      );
      if (!newest) break;
      head = { version: newest.version, state: stateOf(newest), readAt: Date.now() };
      if (newest.version < from + PROBE_AHEAD - 1) break;
    }
    this.head = head;
    return head;
  }

  /**
   * Inserts `state` as the version after `head`; false when another worker got there first. Version 0
   * is never stored: the first version written is 1, made from the initial state.
   */
  private async append(head: Head, state: BudgetState): Promise<boolean> {
    const version = head.version + 1;
    try {
      await this.col.insertOne({ _id: this.key(version), identity: this.identity, version, ...state });
    } catch (err) {
      if ((err as { code?: number }).code === 11000) {
        this.contested = true;
        return false;
      }
      throw err;
    }
    this.head = { version, state, readAt: Date.now() };
    if (version % CLEANUP_BATCH === 0 && version > KEPT_VERSIONS) {
      const from = version - KEPT_VERSIONS - CLEANUP_BATCH;
      const ids = Array.from({ length: CLEANUP_BATCH }, (_, i) => this.key(from + i));
      // Losing a cleanup only leaves a few small documents behind; it never blocks a request.
      await this.col.deleteMany({ _id: { $in: ids } }).catch(() => undefined);
    }
    return true;
  }

  /** Applies `change` to the latest version until it is stored; null from `change` means "no change". */
  private async transition(
    now: number,
    change: (state: BudgetState) => BudgetState | null,
    process?: string,
  ): Promise<void> {
    for (;;) {
      const head = await this.latest(now, process);
      const next = change(head.state);
      if (next === null || (await this.append(head, next))) return;
    }
  }

  async apply(changes: BudgetChange[], now: number): Promise<AppliedBatch> {
    // After MAX_CONFLICTS decisions lost to other workers the requests are refused for a poll interval
    // (they ask again); what the batch gives back is stored whatever it takes.
    let batch = changes;
    const first = changes[0];
    const process = first && processOf(first.kind === 'acquire' ? first.req.holder : first.holder);
    const started = Date.now();
    for (let attempt = 1; ; attempt++) {
      // A retry decides at the time it is made: the refill since `now` is the retry's to count.
      const at = now + (Date.now() - started);
      const head = await this.latest(at, process);
      const applied = applyChanges(head.state, this.limits, at, batch, this.pollMs);
      if (!applied.changed || (await this.append(head, applied.state))) {
        if (batch === changes) return { decisions: applied.decisions, state: applied.state };
        const refused: BudgetDecision = { grant: false, waitMs: this.pollMs, reason: 'concurrency' };
        return {
          decisions: changes.map((c) => (c.kind === 'acquire' ? refused : undefined)),
          state: applied.state,
        };
      }
      if (attempt >= MAX_CONFLICTS && batch === changes) batch = changes.filter((c) => c.kind === 'release');
    }
  }

  async renew(slot: string, holder: string, expiresAt: number): Promise<void> {
    await this.transition(
      Date.now(),
      (state) => {
        const next = renewed(state, slot, holder, expiresAt);
        return next === state ? null : next;
      },
      processOf(holder),
    );
  }

  async pauseUntil(until: number): Promise<void> {
    await this.transition(Date.now(), (state) => {
      const next = pausedUntil(state, until);
      return next === state ? null : next;
    });
  }
}

/** A factory of shared budgets on one database, one store per identity. */
export function sharedBudgetStores(db: Db): (identity: string, limits: BudgetLimits) => BudgetStore {
  return (identity, limits) => new MongoBudgetStore(db, identity, limits);
}

/** The latest version of every identity's budget in this database (`bcsync budgets`). */
export async function latestBudgets(
  db: Db,
): Promise<Array<{ identity: string; version: number; state: BudgetState }>> {
  const col = db.collection<ApiBudgetDoc>(API_BUDGETS_COLLECTION);
  const identities = (await col.distinct('identity')).sort();
  const latest = [];
  for (const identity of identities) {
    const doc = await latestVersion(col, identity);
    if (doc) latest.push({ identity, version: doc.version, state: stateOf(doc) });
  }
  return latest;
}
