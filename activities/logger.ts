// One structured logger (pino) for worker, CLI and activities. Secrets are redacted by path, so a
// client secret or bearer token passed in an object never reaches the output; a URI or message with a
// secret in it (a connection string in an error) is masked by common/secretMasking.ts.
import pino, { type DestinationStream, type Logger } from 'pino';
import { maskSecrets } from '../common/secretMasking';

export type { Logger };

export const redactedPaths = [
  '*.clientSecret',
  '*.client_secret',
  '*.access_token',
  '*.accessToken',
  '*.authorization',
  '*.Authorization',
  '*.headers.authorization',
  '*.headers.Authorization',
  '*.password',
  'clientSecret',
  'authorization',
  'password',
];

/** `level`: the BCSYNC_LOG_LEVEL setting (config/settings.ts); `destination`: stdout unless given (tests). */
export function createLogger(name: string, level: string, destination?: DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    name,
    level,
    redact: { paths: redactedPaths, censor: '[redacted]' },
    hooks: {
      logMethod(args, method) {
        method.apply(this, args.map((a) => (typeof a === 'string' ? maskSecrets(a) : a)) as typeof args);
      },
    },
    formatters: { log: (fields) => maskedFields(fields) as Record<string, unknown> },
  };
  return destination ? pino(options, destination) : pino(options);
}

/** String values of a log line's fields, two levels deep (`{ err: { message } }`), masked. */
function maskedFields(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return maskSecrets(value);
  if (depth >= 2 || value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  if (value instanceof Error)
    return { type: value.name, message: maskSecrets(value.message), stack: maskSecrets(value.stack ?? '') };
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, maskedFields(v, depth + 1)]));
}
