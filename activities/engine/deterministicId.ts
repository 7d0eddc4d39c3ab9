// Client-chosen record ids (exactly-once creates): the id of a record the engine creates is a name-based
// UUID (RFC 4122 version 5, SHA-1) of the mapping and the source record's id. A retried create after a
// crash therefore targets the same id and finds its own earlier record instead of making a second one
// (apis.md B: "the client may supply the primary id in the body"; the BC custom API takes `id` on POST).
import { createHash } from 'node:crypto';

/** Namespace of bcsync's record ids (a fixed random UUID). */
const NAMESPACE = Buffer.from('5f0b6c1e8a2d4e7f9b3c1d2e4f6a8b9c', 'hex');

export function deterministicId(...parts: string[]): string {
  const hash = createHash('sha1').update(NAMESPACE).update(parts.join('|')).digest();
  const bytes = Buffer.from(hash.subarray(0, 16));
  bytes[6] = (bytes[6]! & 0x0f) | 0x50; // version 5
  bytes[8] = (bytes[8]! & 0x3f) | 0x80; // RFC 4122 variant
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Id of the destination record a pass creates for a source record. */
export const destinationId = (mapping: string, direction: 'toCrm' | 'fromCrm', sourceId: string): string =>
  deterministicId(mapping, direction, sourceId.toLowerCase());

/** Id of a pass's job log entry: a retry of the same run resumes the same entry. */
export const passJobId = (runKey: string, mapping: string, direction: 'toCrm' | 'fromCrm'): string =>
  deterministicId('job', runKey, mapping, direction);
