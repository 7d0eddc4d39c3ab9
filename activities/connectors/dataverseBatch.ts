// The multipart/mixed body of a Dataverse `$batch` (OData 4.0 section 11.7, apis.md B) and the parsing of
// its answer. Each change set is atomic; every request carries a Content-ID so answers map back to
// requests even when a failed change set answers with its failing request only.
import { randomUUID } from 'node:crypto';
import type { HttpMethod } from './apiTransport';
import type { JsonRecord } from './types';

export interface BatchPartRequest {
  /** Unique within the batch. */
  contentId: string;
  method: HttpMethod;
  /** Absolute URL of the operation. */
  url: string;
  headers?: Record<string, string>;
  body?: JsonRecord;
}

export interface BatchPartResponse {
  contentId?: string;
  status: number;
  headers: Record<string, string>;
  /** Raw body text ('' for 204). */
  body: string;
}

const CRLF = '\r\n';

/** Builds the batch body; each inner array becomes one change set. Returns the Content-Type to send. */
export function buildBatchBody(changeSets: BatchPartRequest[][]): { contentType: string; body: string } {
  const batchBoundary = `batch_${randomUUID()}`;
  const lines: string[] = [];
  for (const changeSet of changeSets) {
    const changeSetBoundary = `changeset_${randomUUID()}`;
    lines.push(`--${batchBoundary}`, `Content-Type: multipart/mixed; boundary="${changeSetBoundary}"`, '');
    for (const part of changeSet) {
      lines.push(
        `--${changeSetBoundary}`,
        'Content-Type: application/http',
        'Content-Transfer-Encoding: binary',
        `Content-ID: ${part.contentId}`,
        '',
        `${part.method} ${part.url} HTTP/1.1`,
      );
      for (const [name, value] of Object.entries(part.headers ?? {})) lines.push(`${name}: ${value}`);
      if (part.body !== undefined) {
        lines.push('Content-Type: application/json; type=entry', '', JSON.stringify(part.body));
      } else {
        lines.push('');
      }
    }
    lines.push(`--${changeSetBoundary}--`);
  }
  lines.push(`--${batchBoundary}--`, '');
  return { contentType: `multipart/mixed; boundary="${batchBoundary}"`, body: lines.join(CRLF) };
}

/** Flattens the multipart answer (change sets included) into the inner HTTP responses, in order. */
export function parseBatchResponse(contentType: string, body: string): BatchPartResponse[] {
  const boundary = boundaryOf(contentType);
  if (!boundary) throw new Error(`The $batch answer is not multipart (Content-Type: ${contentType})`);
  const out: BatchPartResponse[] = [];
  for (const part of splitMultipart(body, boundary)) {
    const { headers, content } = splitHeaders(part);
    const partType = headers['content-type'] ?? '';
    if (partType.toLowerCase().startsWith('multipart/mixed')) {
      out.push(...parseBatchResponse(partType, content));
    } else {
      out.push({ ...parseHttpResponse(content), contentId: headers['content-id'] });
    }
  }
  return out;
}

function boundaryOf(contentType: string): string | undefined {
  const match = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  return match ? (match[1] ?? match[2]) : undefined;
}

function splitMultipart(body: string, boundary: string): string[] {
  const delimiter = `--${boundary}`;
  const pieces = body.split(delimiter);
  const parts: string[] = [];
  // pieces[0] is the preamble; a piece starting with "--" is the epilogue after the closing delimiter.
  for (const piece of pieces.slice(1)) {
    if (piece.startsWith('--')) break;
    parts.push(piece.replace(/^\r?\n/, '').replace(/\r?\n$/, ''));
  }
  return parts;
}

function splitHeaders(text: string): { headers: Record<string, string>; content: string } {
  const match = /\r?\n\r?\n/.exec(text);
  const head = match ? text.slice(0, match.index) : text;
  const content = match ? text.slice(match.index + match[0].length) : '';
  const headers: Record<string, string> = {};
  for (const line of head.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { headers, content };
}

function parseHttpResponse(text: string): Omit<BatchPartResponse, 'contentId'> {
  const newline = /\r?\n/.exec(text);
  const statusLine = newline ? text.slice(0, newline.index) : text;
  const rest = newline ? text.slice(newline.index + newline[0].length) : '';
  const status = Number(/^HTTP\/\d(?:\.\d)?\s+(\d{3})/.exec(statusLine)?.[1] ?? 0);
  // The status line is followed by headers and a blank line, or directly by a blank line.
  const { headers, content } =
    rest.startsWith('\r\n') || rest.startsWith('\n')
      ? { headers: {}, content: rest.replace(/^\r?\n/, '') }
      : splitHeaders(rest);
  return { status, headers, body: content.trim() };
}
