// The payload codec (temporal/payloadCodec.ts): AES-256-GCM, key id in the metadata, several keys for
// rotation, keys from the environment or a file (config/codecKeys.ts); errors never show a key.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { readSettings, SettingsError } from '../../config/settings';
import { AesGcmCodec } from '../../temporal/payloadCodec';

const codecKeys = (env: Record<string, string>) => readSettings(env).codec.keys;

const key = (id: string) => ({ id, key: randomBytes(32) });
const record = { email: 'anna.lindqvist@contoso.com', name: 'Anna Lindqvist' };
const payload = (): Payload => defaultPayloadConverter.toPayload(record)!;
const meta = (p: Payload, k: string) => Buffer.from(p.metadata![k]!).toString();

test('encrypts: no record value in the stored bytes, the key id in the metadata, and back again', async () => {
  const codec = new AesGcmCodec([key('2026-12')]);
  const [encoded] = await codec.encode([payload()]);
  expect(meta(encoded!, 'encoding')).toBe('binary/encrypted');
  expect(meta(encoded!, 'encryption-key-id')).toBe('2026-12');
  expect(Buffer.from(encoded!.data!).toString('latin1')).not.toMatch(/anna|Lindqvist|json/i);
  const [decoded] = await codec.decode([encoded!]);
  expect(defaultPayloadConverter.fromPayload(decoded!)).toEqual(record);
});

test('rotation: the first key encrypts, the older keys still decrypt what they wrote', async () => {
  const oldKey = key('2026-06');
  const newKey = key('2026-12');
  const [old] = await new AesGcmCodec([oldKey]).encode([payload()]);
  const rotated = new AesGcmCodec([newKey, oldKey]);
  expect(defaultPayloadConverter.fromPayload((await rotated.decode([old!]))[0]!)).toEqual(record);
  const [fresh] = await rotated.encode([payload()]);
  expect(meta(fresh!, 'encryption-key-id')).toBe('2026-12');
  // A payload from before encryption was turned on is read as it is.
  expect(await rotated.decode([payload()])).toEqual([payload()]);
  // A key that was dropped too early: the error names the id and where keys come from.
  await expect(new AesGcmCodec([newKey]).decode([old!])).rejects.toThrow(
    /key id "2026-06", which is not among the configured keys \(2026-12\): add it to BCSYNC_CODEC_KEYS/,
  );
});

test('tampering with the data or the key id is detected', async () => {
  const k = key('a');
  const codec = new AesGcmCodec([k, { id: 'b', key: k.key }]);
  const [encoded] = await codec.encode([payload()]);
  const flipped = Buffer.from(encoded!.data!);
  flipped[20] = flipped[20]! ^ 1;
  await expect(codec.decode([{ ...encoded!, data: flipped }])).rejects.toThrow(/authenticate/);
  const relabelled = {
    ...encoded!,
    metadata: { ...encoded!.metadata, 'encryption-key-id': Buffer.from('b') },
  };
  await expect(codec.decode([relabelled])).rejects.toThrow(/authenticate/);
});

test('keys from BCSYNC_CODEC_KEYS and BCSYNC_CODEC_KEYS_FILE; bad keys named, never shown', () => {
  const a = randomBytes(32).toString('base64');
  const b = randomBytes(32).toString('base64');
  const dir = mkdtempSync(join(tmpdir(), 'bcsync-keys-'));
  const file = join(dir, 'keys');
  writeFileSync(file, `# rotated 2026-12-01\nold:${b}\n`);
  expect(codecKeys({ BCSYNC_CODEC_KEYS: `new:${a}`, BCSYNC_CODEC_KEYS_FILE: file }).map((k) => k.id)).toEqual(
    ['new', 'old'],
  );
  expect(codecKeys({})).toEqual([]);
  const short = randomBytes(16).toString('base64');
  let error: Error | undefined;
  try {
    codecKeys({ BCSYNC_CODEC_KEYS: `k1:${short}` });
  } catch (err) {
    error = err as Error;
  }
  expect(error).toBeInstanceOf(SettingsError);
  expect(error!.message).toMatch(/BCSYNC_CODEC_KEYS: key "k1" is 16 bytes, AES-256 needs 32/);
  expect(error!.message).not.toContain(short);
  expect(() => codecKeys({ BCSYNC_CODEC_KEYS_FILE: join(dir, 'missing') })).toThrow(
    /BCSYNC_CODEC_KEYS_FILE: cannot read .*missing \(ENOENT\)/,
  );
  expect(() => codecKeys({ BCSYNC_CODEC_KEYS: `x:${a},x:${b}` })).toThrow(/key id "x" appears twice/);
  expect(() => codecKeys({ BCSYNC_CODEC_KEYS: `old:${a}`, BCSYNC_CODEC_KEYS_FILE: file })).toThrow(
    /key id "old" is in both BCSYNC_CODEC_KEYS and BCSYNC_CODEC_KEYS_FILE/,
  );
});
