// API keys for a local Temporal cluster that checks them: the server's JWT claim mapper and default
// authorizer (`global.authorization`) trust the RSA key of a JWKS file made here, and `token()` signs the
// keys a test hands to bcsync as TEMPORAL_API_KEY (sent as `Authorization: Bearer <token>`, as to Temporal
// Cloud). A throw-away key, made on the spot (node:crypto), never committed; real deployments use their
// identity provider's JWKS.
import { generateKeyPairSync, randomUUID, sign, type KeyObject } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface JwtIssuer {
  /** The JWKS the server reads (`file://` key source). */
  jwksFile: string;
  /**
   * A signed token for `subject` with the default claim mapper's permissions, e.g. `default:write`
   * (namespace `default`, role writer) or `temporal-system:admin` (every namespace).
   */
  token(subject: string, permissions: string[], ttlSeconds?: number): string;
}

const base64url = (data: Buffer | string) => Buffer.from(data).toString('base64url');

/** Signs a JWT (RS256) with `key`, naming `kid` so the server picks the key from the JWKS. */
export function signJwt(key: KeyObject, kid: string, claims: Record<string, unknown>): string {
  const header = base64url(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid }));
  const payload = base64url(JSON.stringify(claims));
  const signature = sign('RSA-SHA256', Buffer.from(`${header}.${payload}`), key);
  return `${header}.${payload}.${base64url(signature)}`;
}

/** A new RSA key in `dir/jwks.json` and the issuer of tokens it verifies. */
export function makeJwtIssuer(dir: string): JwtIssuer {
  mkdirSync(dir, { recursive: true });
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = randomUUID();
  const jwk = publicKey.export({ format: 'jwk' });
  const jwksFile = join(dir, 'jwks.json');
  writeFileSync(jwksFile, JSON.stringify({ keys: [{ ...jwk, kid, alg: 'RS256', use: 'sig' }] }));
  return {
    jwksFile,
    token(subject, permissions, ttlSeconds = 3600) {
      const now = Math.floor(Date.now() / 1000);
      return signJwt(privateKey, kid, { sub: subject, permissions, iat: now, exp: now + ttlSeconds });
    },
  };
}
