// One run of a mapping at a time (docs/one-run-per-mapping.md): a run waits until no other run holds any
// of its mappings, holds them while it runs (renewing the leases) and gives them back at its end. A full
// synchronization and the mapping's own job queue entry therefore never write the same records at once.
// Like Business Central's job queue category, the second run waits rather than fails.
import { MappingLeaseStore, type MappingLeaseDoc } from '../store/mappingLeases';
import type { EngineLogger } from './types';

/** A lease not renewed for this long (its worker was killed) no longer keeps other runs out. */
export const MAPPING_LEASE_TTL_MS = 60_000;
/** How often a waiting run looks again. */
export const MAPPING_LEASE_POLL_MS = 2_000;

export interface LeaseOptions {
  leases: MappingLeaseStore;
  /** The run: the activity's run key, the same for a retried attempt (which takes its lease back at once). */
  holder: string;
  /** The job queue entry, shown to whoever waits for it. */
  label: string;
  ttlMs?: number;
  pollMs?: number;
  signal?: AbortSignal;
  logger?: EngineLogger;
}

/** The runs this one waited for, as the run's result message says it. */
export interface Waited {
  mapping: string;
  label: string;
}

const pause = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(signal.reason as Error);
    });
  });

/** Runs `work` holding every one of `mappings` (taken in name order, so two runs never deadlock). */
export async function holdingMappings<T>(
  mappings: string[],
  o: LeaseOptions,
  work: (waited: Waited[]) => Promise<T>,
): Promise<T> {
  const ttlMs = o.ttlMs ?? MAPPING_LEASE_TTL_MS;
  const held: MappingLeaseDoc[] = [];
  const waited: Waited[] = [];
  let renewal: NodeJS.Timeout | undefined;
  try {
    for (const mapping of [...new Set(mappings)].sort()) {
      for (let told = false; ;) {
        const attempt = await o.leases.tryAcquire(mapping, o.holder, o.label, ttlMs);
        if (attempt.ok) {
          held.push(attempt.lease);
          break;
        }
        if (!told) {
          told = true;
          waited.push({ mapping, label: attempt.heldBy.label });
          o.logger?.info(
            { mapping, heldBy: attempt.heldBy.label, since: attempt.heldBy.acquiredAt, run: o.label },
            `${mapping} is being synchronized by ${attempt.heldBy.label}: ${o.label} waits until it has finished`,
          );
        }
        await pause(o.pollMs ?? MAPPING_LEASE_POLL_MS, o.signal);
      }
    }
    renewal = setInterval(() => {
      for (const lease of held) {
        o.leases.renew(lease, ttlMs).then(
          (still) => {
            if (!still)
              o.logger?.error(
                { mapping: lease.mapping, run: o.label },
                `${o.label} lost its hold on ${lease.mapping}: it did not renew it for ${ttlMs / 1000} s and another run took it over`,
              );
          },
          (err: unknown) =>
            o.logger?.warn({ mapping: lease.mapping, err }, 'renewing the mapping lease failed'),
        );
      }
    }, ttlMs / 4);
    renewal.unref();
    return await work(waited);
  } finally {
    if (renewal) clearInterval(renewal);
    await Promise.all(held.map((lease) => o.leases.release(lease).catch(() => undefined)));
  }
}

/** The sentence a run's result carries when it waited for another run. */
export function waitedMessage(waited: Waited[]): string {
  return waited.map((w) => `Waited for ${w.label} to finish ${w.mapping} first.`).join(' ');
}
