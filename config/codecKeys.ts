// The keys of the payload codec (temporal/payloadCodec.ts), from BCSYNC_CODEC_KEYS and
// BCSYNC_CODEC_KEYS_FILE: `id:base64key` items separated by commas or new lines (`#` starts a comment
// line), each key 32 random bytes (`openssl rand -base64 32`). The first key encrypts; all of them
// decrypt (rotation, README "Encrypted payloads"). A problem names the setting and the key id, never a key.
import { readFileSync } from 'node:fs';

export interface CodecKey {
  id: string;
  key: Buffer;
}

/** Parses one source of keys; `source` names it in the problems (a variable, or the file's variable and path). */
export function parseCodecKeys(spec: string, source: string, problems: string[]): CodecKey[] {
  const keys: CodecKey[] = [];
  for (const raw of spec.split(/[,\n]/)) {
    const item = raw.trim();
    if (!item || item.startsWith('#')) continue;
    const colon = item.indexOf(':');
    if (colon <= 0) {
      problems.push(`${source}: each key is written as <id>:<base64 key>; one item has no id`);
      continue;
    }
    const id = item.slice(0, colon).trim();
    const key = Buffer.from(item.slice(colon + 1).trim(), 'base64');
    if (key.length !== 32)
      problems.push(
        `${source}: key "${id}" is ${key.length} bytes, AES-256 needs 32 (make one with \`openssl rand -base64 32\`)`,
      );
    else if (keys.some((k) => k.id === id)) problems.push(`${source}: key id "${id}" appears twice`);
    else keys.push({ id, key });
  }
  return keys;
}

/** The keys of BCSYNC_CODEC_KEYS, then those of BCSYNC_CODEC_KEYS_FILE; empty when neither is set. */
export function readCodecKeys(
  spec: string | undefined,
  file: string | undefined,
  problems: string[],
): CodecKey[] {
  const keys = spec ? parseCodecKeys(spec, 'BCSYNC_CODEC_KEYS', problems) : [];
  if (!file) return keys;
  let content: string;
  try {
    content = readFileSync(file, 'utf8');
  } catch (err) {
    problems.push(
      `BCSYNC_CODEC_KEYS_FILE: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}): set it to ${CODEC_KEYS_FILE_HINT}`,
    );
    return keys;
  }
  for (const k of parseCodecKeys(content, `BCSYNC_CODEC_KEYS_FILE ${file}`, problems)) {
    if (keys.some((x) => x.id === k.id))
      problems.push(`key id "${k.id}" is in both BCSYNC_CODEC_KEYS and BCSYNC_CODEC_KEYS_FILE`);
    else keys.push(k);
  }
  return keys;
}

export const CODEC_KEYS_HINT =
  'payload keys as <id>:<base64 of 32 bytes>, comma-separated, the encrypting key first (none: payloads unencrypted)';
export const CODEC_KEYS_FILE_HINT =
  'the path of a file of such keys, one per line (read after BCSYNC_CODEC_KEYS)';
