// Deterministic GUIDs for seed data. The shared SeededRandom.guid() formats through toString/slice, which
// costs more than a second for the half million ids of a 100,000-record seed; byte lookups are cheaper.
import type { SeededRandom } from '../common/seededRandom';

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** A version-4-shaped, lower-case GUID drawn from `rng` (same seed, same ids). */
export function seedGuid(rng: SeededRandom): string {
  const a = (rng.next() * 4294967296) >>> 0;
  const b = (rng.next() * 4294967296) >>> 0;
  const c = (rng.next() * 4294967296) >>> 0;
  const d = (rng.next() * 4294967296) >>> 0;
  return (
    HEX[a >>> 24] +
    HEX[(a >>> 16) & 255] +
    HEX[(a >>> 8) & 255] +
    HEX[a & 255] +
    '-' +
    HEX[b >>> 24] +
    HEX[(b >>> 16) & 255] +
    '-' +
    HEX[0x40 | ((b >>> 8) & 15)] +
    HEX[b & 255] +
    '-' +
    HEX[0x80 | ((c >>> 24) & 63)] +
    HEX[(c >>> 16) & 255] +
    '-' +
    HEX[(c >>> 8) & 255] +
    HEX[c & 255] +
    HEX[d >>> 24] +
    HEX[(d >>> 16) & 255] +
    HEX[(d >>> 8) & 255] +
    HEX[d & 255]
  );
}
