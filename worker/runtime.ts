// The Temporal SDK's native runtime is installed once per process: its logger (routed to our level, so a
// worker is quiet unless something is wrong; BCSYNC_LOG_LEVEL=debug shows everything) and, when a metrics
// address is set (BCSYNC_METRICS_ADDRESS, `bcsync worker --metrics`), its Prometheus exporter, which serves
// the SDK's own metrics and bcsync's (activities/metrics.ts) on one `/metrics` route.
import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';

const levels: Record<string, LogLevel> = {
  trace: 'TRACE',
  debug: 'DEBUG',
  info: 'INFO',
  warn: 'WARN',
  error: 'ERROR',
};
let installed = false;

export class RuntimeSettingsError extends Error {
  override name = 'RuntimeSettingsError';
}

export interface RuntimeSettings {
  logLevel: string;
  /** `host:port` of the Prometheus exporter (`/metrics`); none when undefined. */
  metricsAddress?: string;
}

export function installRuntime(settings: RuntimeSettings): void {
  if (installed) return;
  installed = true;
  const { metricsAddress } = settings;
  try {
    Runtime.install({
      logger: new DefaultLogger(levels[settings.logLevel] ?? 'INFO'),
      ...(metricsAddress
        ? {
            telemetryOptions: {
              metrics: {
                prometheus: {
                  bindAddress: metricsAddress,
                  countersTotalSuffix: true,
                  useSecondsForDurations: true,
                },
              },
            },
          }
        : {}),
    });
  } catch (err) {
    // Already installed by someone else in this process (e.g. a test environment): keep theirs, but a
    // metrics endpoint that was asked for and is not there is an error, not a silent gap.
    if (metricsAddress)
      throw new RuntimeSettingsError(
        `cannot serve metrics on ${metricsAddress}: the Temporal runtime of this process was already installed (${(err as Error).message})`,
      );
  }
}

/** The runtime logger only (tests and benches that run workers in-process). */
export function installRuntimeLogger(level: string): void {
  installRuntime({ logLevel: level });
}
