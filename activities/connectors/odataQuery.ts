// OData system query options shared by both connectors: $filter / $select / $expand, the modified-since
// condition, and the page stream that follows `@odata.nextLink` one page at a time.
import { ApiError } from './apiError';
import type { ApiTransport } from './apiTransport';
import type { EntityPage, JsonRecord, SystemName } from './types';

export interface QueryParts {
  filter?: string;
  select?: string[];
  expand?: string[];
  top?: number;
  orderBy?: string;
}

/** `?$filter=...&$select=...`; values percent-encoded, `$` names literal (both APIs accept that). */
export function queryString(parts: QueryParts): string {
  const params: string[] = [];
  if (parts.filter) params.push(`$filter=${encodeURIComponent(parts.filter)}`);
  if (parts.select?.length) params.push(`$select=${encodeURIComponent(parts.select.join(','))}`);
  if (parts.expand?.length) params.push(`$expand=${encodeURIComponent(parts.expand.join(','))}`);
  if (parts.orderBy) params.push(`$orderby=${encodeURIComponent(parts.orderBy)}`);
  if (parts.top !== undefined) params.push(`$top=${parts.top}`);
  return params.length ? `?${params.join('&')}` : '';
}

/** Joins the mapping's filter and the modified-since condition with `and`. */
export function combineFilters(...filters: Array<string | undefined>): string | undefined {
  const present = filters.filter((f): f is string => !!f && f.trim() !== '');
  if (present.length === 0) return undefined;
  if (present.length === 1) return present[0];
  return present.map((f) => `(${f})`).join(' and ');
}

/** An OData string literal: single quotes doubled. */
export function odataString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/**
 * `<field> ge <instant>` (inclusive on purpose, see ReadQuery.modifiedSince). The instant is normalised to
 * UTC with milliseconds (BC stores ms; Dataverse whole seconds, so .000 is exact there).
 */
export function modifiedSinceFilter(system: SystemName, field: string, since: string): string {
  const ms = Date.parse(since);
  if (Number.isNaN(ms)) {
    throw new ApiError({
      system,
      kind: 'validation',
      status: 0,
      code: 'InvalidModifiedSince',
      message: `modifiedSince '${since}' is not an ISO 8601 date-time (expected e.g. 2024-01-01T00:00:00Z)`,
      method: 'GET',
      url: '',
    });
  }
  return `${field} ge ${new Date(ms).toISOString()}`;
}

interface ODataCollection {
  value?: JsonRecord[];
  '@odata.nextLink'?: string;
  '@odata.deltaLink'?: string;
}

/** One collection page as the API returns it (value + links). */
export async function getCollectionPage(
  transport: ApiTransport,
  url: string,
  headers: Record<string, string>,
  signal: AbortSignal | undefined,
): Promise<{ records: JsonRecord[]; nextLink?: string; deltaLink?: string; servedAt?: Date }> {
  const response = await transport.send({ method: 'GET', url, headers, signal, idempotent: true });
  const page = response.json<ODataCollection>();
  const servedAt = serverDate(response.headers.get('date'));
  // Links are absolute in both APIs; a relative one is resolved against the page that carried it.
  const nextLink = page['@odata.nextLink'] ? new URL(page['@odata.nextLink'], url).toString() : undefined;
  const deltaLink = page['@odata.deltaLink'] ? new URL(page['@odata.deltaLink'], url).toString() : undefined;
  return {
    records: Array.isArray(page.value) ? page.value : [],
    ...(nextLink ? { nextLink } : {}),
    ...(deltaLink ? { deltaLink } : {}),
    ...(servedAt ? { servedAt } : {}),
  };
}

/** The HTTP `Date` header (RFC 9110 5.6.7, whole seconds), if the server sent a valid one. */
function serverDate(header: string | null): Date | undefined {
  if (!header) return undefined;
  const ms = Date.parse(header);
  return Number.isNaN(ms) ? undefined : new Date(ms);
}

/** Streams pages by following `@odata.nextLink`; only one page is held at a time. */
export async function* streamPages(
  transport: ApiTransport,
  firstUrl: string,
  headers: Record<string, string>,
  signal: AbortSignal | undefined,
): AsyncGenerator<EntityPage> {
  let url: string | undefined = firstUrl;
  while (url) {
    const page = await getCollectionPage(transport, url, headers, signal);
    yield {
      records: page.records,
      ...(page.nextLink ? { nextLink: page.nextLink } : {}),
      ...(page.servedAt ? { servedAt: page.servedAt } : {}),
    };
    url = page.nextLink;
  }
}
