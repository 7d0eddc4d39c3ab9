// "These records, please": the rows that match a list of `or` filters (filterChunks.ts), one GET per
// filter and every page of each. The one way records are read by a list of keys - by id or by natural
// key, on either API, on the first pass and on the re-check after a crash - so a page of 1,000 keys costs
// ten requests, never a thousand (at 300 ms a request, one GET per record outlived the heartbeat timeout).
import type { FilterChunk } from './filterChunks';
import type { JsonRecord, ReadQuery, TableClient } from './types';

export async function recordsMatching(
  client: Pick<TableClient, 'readPages'>,
  entity: string,
  filters: Iterable<FilterChunk<unknown> | string>,
  query: Omit<ReadQuery, 'filter' | 'changes' | 'modifiedSince' | 'nextLink'> = {},
): Promise<JsonRecord[]> {
  const out: JsonRecord[] = [];
  for (const f of filters) {
    const filter = typeof f === 'string' ? f : f.filter;
    for await (const page of client.readPages(entity, { ...query, filter })) out.push(...page.records);
  }
  return out;
}
