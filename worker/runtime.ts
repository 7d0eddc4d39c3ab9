// The Temporal SDK's native runtime logs through a logger installed once per process. Route it to our
// level so a worker is quiet unless something is wrong (BCSYNC_LOG_LEVEL=debug shows everything).
import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';

const levels: Record<string, LogLevel> = {
  trace: 'TRACE',
  debug: 'DEBUG',
  info: 'INFO',
  warn: 'WARN',
  error: 'ERROR',
};
let installed = false;

export function installRuntimeLogger(level: string): void {
  if (installed) return;
  installed = true;
  try {
    Runtime.install({ logger: new DefaultLogger(levels[level] ?? 'INFO') });
  } catch {
    // Already installed by someone else in this process (e.g. a test environment): keep theirs.
  }
}
