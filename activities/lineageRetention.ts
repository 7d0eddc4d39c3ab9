// The lineage retention clean-up (docs/lineage.md): FerretDB, Cosmos DB and DocumentDB have no TTL
// indexes we can rely on, so a Temporal Schedule (created by `bcsync setup`) runs this activity daily.
import type { Db } from 'mongodb';
import { LineageStore } from './store/lineage';

export interface LineagePruneResult {
  retentionDays: number;
  before: string;
  deleted: number;
}

export function createLineageRetentionActivities(deps: { db: Db; retentionDays: number; now?: () => Date }) {
  return {
    /** Deletes lineage entries older than BCSYNC_LINEAGE_RETENTION_DAYS (default 30) (the worker's settings). */
    async pruneLineage(): Promise<LineagePruneResult> {
      const { retentionDays } = deps;
      const now = deps.now?.() ?? new Date();
      const before = new Date(now.getTime() - retentionDays * 86_400_000);
      const deleted = await new LineageStore(deps.db).pruneOlderThan(before);
      return { retentionDays, before: before.toISOString(), deleted };
    },
  };
}
