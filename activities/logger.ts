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

/** An appending log file (its folder made if missing), for a process whose terminal shows something else. */
export function logFileDestination(path: string): DestinationStream {
  return pino.destination({ dest: path, mkdir: true, append: true, sync: false });
}

/** String values of a log line's fields, two levels deep (`{ err: { message } }`), masked. */
function maskedFields(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return maskSecrets(value);
  if (depth >= 2 || value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  if (value instanceof Error)
    return { type: value.name, message: maskSecrets(value.message), stack: maskSecrets(value.stack ?? '') };
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, maskedFields(v, depth + 1)]));
}

// ---- the ids of a log line --------------------------------------------------------------------------

/**
 * The ids an operator looks a sync up by ("what happened to this record, and why?"): the job queue entry
 * and its company, the Temporal workflow and run, the mapping, the pass and its job log id, the record on
 * each side. Every log line an activity writes carries those it knows.
 */
export interface LogIds {
  entry?: string;
  company?: string;
  workflowId?: string;
  runId?: string;
  activityAttempt?: number;
  mapping?: string;
  direction?: string;
  jobId?: string;
  bcId?: string;
  crmId?: string;
}

/** The logging surface activities use: pino's, or any object with these methods (tests). */
export interface IdLogger {
  debug?(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  child?(bindings: Record<string, unknown>): IdLogger;
}

/**
 * The one child-logger factory: a logger whose every line carries `ids` (a pino child; the same fields
 * merged into each line for a logger without `child`). Children of children add ids, so the activity
 * names the run, the pass names its job and a page names each record. Masking is the parent's.
 */
export function withIds<L extends IdLogger>(logger: L | undefined, ids: LogIds): IdLogger | undefined {
  if (!logger) return undefined;
  const bound = Object.fromEntries(
    Object.entries(ids).filter(([, v]) => v !== undefined && v !== null && v !== ''),
  );
  if (Object.keys(bound).length === 0) return logger;
  if (typeof logger.child === 'function') return logger.child(bound);
  const merged = (obj: object) => ({ ...bound, ...obj });
  return {
    debug: (obj, msg) => logger.debug?.(merged(obj), msg),
    info: (obj, msg) => logger.info(merged(obj), msg),
    warn: (obj, msg) => logger.warn(merged(obj), msg),
    error: (obj, msg) => logger.error(merged(obj), msg),
    child: (more) => withIds(logger, { ...bound, ...more } as LogIds)!,
  };
}
