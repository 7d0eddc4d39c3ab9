// Encrypted payloads: every workflow input, result, signal, memo and failure message a bcsync client or
// worker writes to Temporal is AES-256-GCM encrypted, so the Temporal server (and whoever runs it) never
// holds record values or e-mail addresses in plain text. The key id travels in the payload's metadata:
// several keys are accepted at once, the first one encrypts - rotation is "put the new key first, keep
// the old ones until no open history needs them". Payloads written before encryption was turned on
// (no `binary/encrypted` encoding) pass through unchanged. Same wire format as Temporal's encryption
// sample, so the Temporal Web UI decodes through `bcsync codec-server`.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { DataConverter, Payload, PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import type { CodecKey } from '../config/codecKeys';

export type { CodecKey } from '../config/codecKeys';

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA = 'encryption-key-id';
const IV_BYTES = 12;
const TAG_BYTES = 16;

export class CodecKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CodecKeyError';
  }
}

const utf8 = (s: string) => new Uint8Array(Buffer.from(s, 'utf8'));
const text = (b: Uint8Array | null | undefined) => (b ? Buffer.from(b).toString('utf8') : undefined);

export class AesGcmCodec implements PayloadCodec {
  private readonly byId: Map<string, Buffer>;
  private readonly current: CodecKey;

  /** `keys[0]` encrypts; every key decrypts the payloads that name its id. */
  constructor(keys: readonly CodecKey[]) {
    if (keys.length === 0) throw new CodecKeyError('the payload codec needs at least one key');
    this.current = keys[0]!;
    this.byId = new Map(keys.map((k) => [k.id, k.key]));
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      const plain = temporal.api.common.v1.Payload.encode(payload).finish();
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', this.current.key, iv);
      // The key id is authenticated too: a payload cannot be re-labelled to another key.
      cipher.setAAD(Buffer.from(this.current.id, 'utf8'));
      const data = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
      return {
        metadata: { encoding: utf8(ENCRYPTED_ENCODING), [KEY_ID_METADATA]: utf8(this.current.id) },
        data: new Uint8Array(data),
      };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      if (text(payload.metadata?.encoding) !== ENCRYPTED_ENCODING) return payload;
      const keyId = text(payload.metadata?.[KEY_ID_METADATA]);
      const key = keyId === undefined ? undefined : this.byId.get(keyId);
      if (!key) {
        throw new CodecKeyError(
          `a payload is encrypted with key id "${keyId ?? '(none)'}", which is not among the configured keys ` +
            `(${[...this.byId.keys()].join(', ')}): add it to BCSYNC_CODEC_KEYS or BCSYNC_CODEC_KEYS_FILE`,
        );
      }
      const data = Buffer.from(payload.data ?? new Uint8Array());
      const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, IV_BYTES));
      decipher.setAAD(Buffer.from(keyId!, 'utf8'));
      decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
      const plain = Buffer.concat([
        decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)),
        decipher.final(),
      ]);
      return temporal.api.common.v1.Payload.decode(plain) as Payload;
    });
  }
}

/**
 * The data converter of every bcsync client and worker: failure messages and stack traces moved into a
 * payload (common/failureConverter.ts, also in the workflow bundle), and the codec encrypting every
 * payload when keys are configured (without keys, payloads are plain, as Temporal's default).
 */
export function codecDataConverter(keys: readonly CodecKey[]): DataConverter {
  return {
    failureConverterPath: require.resolve('../common/failureConverter'),
    ...(keys.length > 0 ? { payloadCodecs: [new AesGcmCodec(keys)] } : {}),
  };
}
