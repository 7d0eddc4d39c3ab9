// One structured logger (pino) for worker, CLI and activities. Secrets are redacted by path, so a
// client secret or bearer token passed in an object never reaches the output.
import pino, { type Logger } from 'pino';

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

/** `level`: the BCSYNC_LOG_LEVEL setting (config/settings.ts). */
export function createLogger(name: string, level: string): Logger {
  return pino({ name, level, redact: { paths: redactedPaths, censor: '[redacted]' } });
}
