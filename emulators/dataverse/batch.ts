// `$batch` (apis.md B/C): multipart/mixed requests, up to 1,000 per batch, change sets that succeed or fail
// as a whole, `Content-ID` references (`$1`) inside change sets, and "stop at the first error unless
// `Prefer: odata.continue-on-error`". The response format follows "Execute batch operations using the Web
// API": `--batchresponse_<id>` parts, `changesetresponse_<id>` for change sets, Location/OData-EntityId
// headers on created rows. The whole batch is one request for throttling (the caller charges it once).
import { randomUUID } from 'node:crypto';
import { DataverseApiError, dvErrors } from './errors';
import { relativeResourcePath } from './entityReference';
import {
  errorResponse,
  parsePrefer,
  type ApiResponse,
  type CallerContext,
  type DataverseApi,
} from './webApi';
import type { DataverseStore } from './store';

export const MAX_BATCH_REQUESTS = 1000;

interface BatchRequestPart {
  kind: 'request';
  contentId?: string;
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string;
}

interface ChangeSetPart {
  kind: 'changeset';
  requests: BatchRequestPart[];
}

type BatchPart = BatchRequestPart | ChangeSetPart;

export interface BatchResult {
  status: number;
  contentType: string;
  body: string;
  /** Entity sets of committed writes (for the write counter). */
  writes: string[];
  /** Requests in the batch (realistic latency grows with them). */
  operations: number;
}

const CRLF = '\r\n';

export function boundaryOf(contentType: string | undefined): string | undefined {
  if (!contentType || !/^multipart\/mixed/i.test(contentType.trim())) return undefined;
  const match = /boundary=("([^"]+)"|[^;\s]+)/i.exec(contentType);
  return match ? (match[2] ?? match[1]) : undefined;
}

/** Splits a multipart body into its parts (the lines between delimiter lines). */
function splitMultipart(body: string, boundary: string): string[] {
  const delimiter = `--${boundary}`;
  const parts: string[] = [];
  let current: string[] | null = null;
  for (const line of body.split(/\r?\n/)) {
    const trimmed = line.trimEnd();
    if (trimmed === delimiter) {
      if (current) parts.push(current.join(CRLF));
      current = [];
    } else if (trimmed === `${delimiter}--`) {
      if (current) parts.push(current.join(CRLF));
      return parts;
    } else if (current) {
      current.push(line);
    }
  }
  throw dvErrors.batchFormat(`The multipart body does not end with the closing boundary '${delimiter}--'.`);
}

/** Splits `headers CRLF CRLF content`; header names come back in lower case. */
function splitHeaders(text: string): { headers: Record<string, string>; content: string } {
  const match = /\r?\n\r?\n/.exec(text);
  const headerText = match ? text.slice(0, match.index) : text;
  const content = match ? text.slice(match.index + match[0].length) : '';
  const headers: Record<string, string> = {};
  for (const line of headerText.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { headers, content };
}

function parseRequestPart(text: string, partHeaders: Record<string, string>): BatchRequestPart {
  const lines = text.replace(/^(\r?\n)+/, '');
  const firstBreak = lines.search(/\r?\n/);
  const requestLine = (firstBreak < 0 ? lines : lines.slice(0, firstBreak)).trim();
  const match = /^([A-Z]+)\s+(.+?)(?:\s+HTTP\/\d\.\d)?$/.exec(requestLine);
  if (!match) throw dvErrors.batchFormat(`Invalid request line in batch: '${requestLine}'.`);
  const afterLine = firstBreak < 0 ? '' : lines.slice(firstBreak).replace(/^\r?\n/, '');
  // A request without headers goes straight to its (empty) body.
  const { headers, content: body } = /^\r?\n/.test(afterLine)
    ? { headers: {}, content: afterLine.replace(/^\r?\n/, '') }
    : splitHeaders(afterLine);
  return {
    kind: 'request',
    contentId: partHeaders['content-id'] ?? headers['content-id'],
    method: match[1],
    url: match[2],
    headers,
    body: body.replace(/(\r?\n)+$/, ''),
  };
}

export function parseBatch(body: string, boundary: string): BatchPart[] {
  const parts: BatchPart[] = [];
  for (const raw of splitMultipart(body, boundary)) {
    const { headers, content } = splitHeaders(raw);
    const changesetBoundary = boundaryOf(headers['content-type']);
    if (changesetBoundary) {
      const requests = splitMultipart(content, changesetBoundary).map((inner) => {
        const split = splitHeaders(inner);
        return parseRequestPart(split.content, split.headers);
      });
      for (const r of requests) {
        if (r.method === 'GET')
          throw dvErrors.batchFormat('GET requests are not allowed within change sets.');
      }
      parts.push({ kind: 'changeset', requests });
    } else {
      parts.push(parseRequestPart(content, headers));
    }
  }
  return parts;
}

const STATUS_TEXT: Record<number, string> = {
  200: 'OK',
  201: 'Created',
  204: 'No Content',
  304: 'Not Modified',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  412: 'Precondition Failed',
  413: 'Payload Too Large',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  503: 'Service Unavailable',
};

function renderResponse(response: ApiResponse, contentId?: string): string {
  const lines = ['Content-Type: application/http', 'Content-Transfer-Encoding: binary'];
  if (contentId !== undefined) lines.push(`Content-ID: ${contentId}`);
  lines.push('', `HTTP/1.1 ${response.status} ${STATUS_TEXT[response.status] ?? ''}`.trimEnd());
  const headers: Record<string, string> = { ...response.headers };
  const entityId = headers['OData-EntityId'];
  if (entityId !== undefined && response.status === 204) {
    delete headers['OData-EntityId'];
    headers.Location = entityId;
    headers['OData-EntityId'] = entityId;
  }
  if (response.body !== undefined) headers['Content-Type'] = 'application/json; odata.metadata=minimal';
  lines.push('OData-Version: 4.0');
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  lines.push('');
  if (response.body !== undefined) lines.push(JSON.stringify(response.body));
  else if (response.text !== undefined) lines.push(response.text);
  else lines.push('');
  return lines.join(CRLF);
}

class ChangeSetFailure extends Error {
  constructor(
    readonly response: ApiResponse,
    readonly contentId: string | undefined,
  ) {
    super('change set failed');
  }
}

export class BatchExecutor {
  constructor(
    private readonly api: DataverseApi,
    private readonly store: DataverseStore,
  ) {}

  execute(
    contentType: string | undefined,
    body: string,
    headers: Record<string, string | undefined>,
    caller: CallerContext,
  ): BatchResult {
    const boundary = boundaryOf(contentType);
    try {
      if (!boundary)
        throw dvErrors.batchFormat("A $batch request needs 'Content-Type: multipart/mixed; boundary=...'.");
      const parts = parseBatch(body, boundary);
      const count = parts.reduce((n, p) => n + (p.kind === 'changeset' ? p.requests.length : 1), 0);
      if (count > MAX_BATCH_REQUESTS) throw dvErrors.batchTooLarge(count);
      return { ...this.run(parts, headers, caller), operations: count };
    } catch (error) {
      const response = errorResponse(error);
      return {
        status: response.status,
        contentType: 'application/json; odata.metadata=minimal',
        body: JSON.stringify(response.body),
        writes: [],
        operations: 1,
      };
    }
  }

  private run(
    parts: BatchPart[],
    outer: Record<string, string | undefined>,
    caller: CallerContext,
  ): Omit<BatchResult, 'operations'> {
    const continueOnError = parsePrefer(outer['prefer']).continueOnError;
    const responseBoundary = `batchresponse_${randomUUID()}`;
    const chunks: string[] = [];
    const writes: string[] = [];
    const contentIds = new Map<string, string>();
    let status = 200;
    // Impersonation set on the batch applies to every part.
    const inherited: Record<string, string> = {};
    for (const name of ['mscrmcallerid', 'callerobjectid']) {
      const value = outer[name];
      if (value !== undefined) inherited[name] = value;
    }

    for (const part of parts) {
      if (part.kind === 'request') {
        const response = this.send(part, inherited, caller, contentIds);
        chunks.push(renderResponse(response, part.contentId));
        if (response.status < 400) writes.push(...response.writes);
        else if (!continueOnError) {
          status = response.status;
          break;
        }
        continue;
      }
      const setBoundary = `changesetresponse_${randomUUID()}`;
      try {
        const responses = this.store.transaction(() =>
          part.requests.map((request) => {
            const response = this.send(request, inherited, caller, contentIds);
            if (response.status >= 400) throw new ChangeSetFailure(response, request.contentId);
            return { response, contentId: request.contentId };
          }),
        );
        const inner = responses.map(
          (r) => `--${setBoundary}${CRLF}${renderResponse(r.response, r.contentId)}`,
        );
        chunks.push(
          `Content-Type: multipart/mixed; boundary=${setBoundary}${CRLF}${CRLF}${inner.join(CRLF)}${CRLF}--${setBoundary}--`,
        );
        for (const r of responses) writes.push(...r.response.writes);
      } catch (error) {
        if (!(error instanceof ChangeSetFailure)) throw error;
        // The whole change set was rolled back; its answer is the failing request's error.
        chunks.push(renderResponse(error.response, error.contentId));
        if (!continueOnError) {
          status = error.response.status;
          break;
        }
      }
    }
    const body = `${chunks.map((c) => `--${responseBoundary}${CRLF}${c}`).join(CRLF)}${CRLF}--${responseBoundary}--${CRLF}`;
    return { status, contentType: `multipart/mixed; boundary=${responseBoundary}`, body, writes };
  }

  private send(
    part: BatchRequestPart,
    inherited: Record<string, string>,
    caller: CallerContext,
    contentIds: Map<string, string>,
  ): ApiResponse {
    try {
      let url = part.url;
      const reference = /^\$(\d+)(.*)$/.exec(url);
      if (reference) {
        const target = contentIds.get(reference[1]);
        if (target === undefined) throw contentIdMissing(reference[1]);
        url = `${target}${reference[2]}`;
      }
      const relative = relativeResourcePath(url);
      const queryStart = relative.indexOf('?');
      const path = queryStart < 0 ? relative : relative.slice(0, queryStart);
      const query = new URLSearchParams(queryStart < 0 ? '' : relative.slice(queryStart + 1));
      const response = this.api.handle({
        method: part.method,
        path,
        query,
        headers: { ...inherited, ...part.headers },
        body: resolveBodyReferences(part.body, contentIds),
        caller,
      });
      const entityId = response.headers['OData-EntityId'];
      if (part.contentId !== undefined && entityId !== undefined && response.status < 400) {
        contentIds.set(part.contentId, relativeResourcePath(entityId));
      }
      return response;
    } catch (error) {
      return errorResponse(error);
    }
  }
}

function contentIdMissing(id: string): DataverseApiError {
  return dvErrors.batchFormat(`Content-ID Reference: '$${id}' does not exist in the batch context.`);
}

/** Replaces `"$1"` values of `@odata.bind` / `@odata.id` with the URL of the row created as Content-ID 1. */
function resolveBodyReferences(body: string, contentIds: Map<string, string>): string {
  if (!body.includes('"$')) return body;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return body;
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return body;
  const record = parsed as Record<string, unknown>;
  for (const [key, value] of Object.entries(record)) {
    if (!(key.endsWith('@odata.bind') || key === '@odata.id') || typeof value !== 'string') continue;
    const match = /^\$(\d+)$/.exec(value);
    if (!match) continue;
    const target = contentIds.get(match[1]);
    if (target === undefined) throw contentIdMissing(match[1]);
    record[key] = `/${target}`;
  }
  return JSON.stringify(record);
}
