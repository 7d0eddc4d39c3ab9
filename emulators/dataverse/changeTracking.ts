// Change tracking (apis.md B/C): `Prefer: odata.track-changes` lists rows and ends with an
// `@odata.deltaLink`; following it returns rows changed since (ordered by version) and then deletions as
// `$deletedEntity` entries. The token has the real shape `<version>!<MM/dd/yyyy HH:mm:ss>` and expires after
// the organisation's retention (default 7 days).
import { dvErrors } from './errors';
import type { DeltaCursor } from './query';
import type { Row, Table } from './store';

export const DEFAULT_CHANGE_RETENTION_DAYS = 7;

const pad = (n: number): string => String(n).padStart(2, '0');

export function formatDeltaToken(version: number, ms: number): string {
  const d = new Date(ms);
  const date = `${pad(d.getUTCMonth() + 1)}/${pad(d.getUTCDate())}/${d.getUTCFullYear()}`;
  const time = `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
  return `${version}!${date} ${time}`;
}

/** Returns the version a delta token stands for; throws the platform's errors for bad or expired tokens. */
export function parseDeltaToken(
  token: string,
  now: number,
  currentVersion: number,
  retentionDays: number,
): number {
  const match = /^(\d+)!(\d{2})\/(\d{2})\/(\d{4}) (\d{2}):(\d{2}):(\d{2})$/.exec(token);
  if (!match) throw dvErrors.invalidDeltaToken(token);
  const version = Number(match[1]);
  const issued = Date.UTC(
    Number(match[4]),
    Number(match[2]) - 1,
    Number(match[3]),
    Number(match[5]),
    Number(match[6]),
    Number(match[7]),
  );
  if (Number.isNaN(issued) || version > currentVersion) throw dvErrors.invalidDeltaToken(token);
  if (now - issued > retentionDays * 24 * 3600 * 1000) throw dvErrors.expiredDeltaToken();
  return version;
}

export type DeltaItem = { kind: 'row'; row: Row } | { kind: 'deleted'; id: string };

interface ChangedList {
  ids: string[];
  versions: number[];
}

// Rows changed in (from, upto], by version. The list stays valid while paging: a row written again gets a
// version above `upto` and belongs to the next delta, so it is skipped here rather than lost.
const changedCache = new WeakMap<Table, Map<string, ChangedList>>();

function changedRows(table: Table, from: number, upto: number): ChangedList {
  const key = `${from}:${upto}`;
  let cache = changedCache.get(table);
  if (!cache) {
    cache = new Map();
    changedCache.set(table, cache);
  }
  const hit = cache.get(key);
  if (hit) return hit;
  const changed: Array<[number, string]> = [];
  for (const [id, row] of table.rows) {
    const version = row.versionnumber as number;
    if (version > from && version <= upto) changed.push([version, id]);
  }
  changed.sort((a, b) => a[0] - b[0]);
  const list = { ids: changed.map((c) => c[1]), versions: changed.map((c) => c[0]) };
  cache.set(key, list);
  if (cache.size > 8) cache.delete(cache.keys().next().value as string);
  return list;
}

function firstAfter(sortedVersions: number[], version: number): number {
  let lo = 0;
  let hi = sortedVersions.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sortedVersions[mid] <= version) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export interface DeltaPage {
  items: DeltaItem[];
  next?: Pick<DeltaCursor, 'phase' | 'v'>;
}

/** One page of changes in (from, upto]: changed rows first (by version), then deletions. */
export function readDeltaPage(
  table: Table,
  from: number,
  upto: number,
  pageSize: number,
  position?: Pick<DeltaCursor, 'phase' | 'v'>,
): DeltaPage {
  const items: DeltaItem[] = [];
  let phase = position?.phase ?? 'r';
  let after = position?.v ?? from;
  if (phase === 'r') {
    const list = changedRows(table, from, upto);
    for (let i = firstAfter(list.versions, after); i < list.ids.length; i++) {
      const row = table.rows.get(list.ids[i]);
      if (!row || row.versionnumber !== list.versions[i]) continue;
      if (items.length === pageSize) return { items, next: { phase: 'r', v: after } };
      items.push({ kind: 'row', row });
      after = list.versions[i];
    }
    phase = 'd';
    after = from;
  }
  const tombstones = table.tombstones;
  let lastVersion = after;
  for (
    let i = firstAfter(
      tombstones.map((t) => t.version),
      after,
    );
    i < tombstones.length;
    i++
  ) {
    const tombstone = tombstones[i];
    if (tombstone.version > upto) break;
    // Re-created after the delete (an upsert with the same id): the row itself will be reported.
    if (table.rows.has(tombstone.id)) continue;
    if (items.length === pageSize) return { items, next: { phase: 'd', v: lastVersion } };
    items.push({ kind: 'deleted', id: tombstone.id });
    lastVersion = tombstone.version;
  }
  return { items };
}
