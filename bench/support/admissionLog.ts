// What a service saw of its users' request rate, recorded in the emulator's process by wrapping its
// service protection (emulators/common/serviceProtection.ts) - the emulator itself is unchanged. For each
// admitted request the instant it was admitted; for each 429 the Retry-After it announced; and every
// request of a user that arrived while a Retry-After given to that user was still running (a 429 that
// was not waited out).
import type { ServiceProtection } from '../../emulators/common/serviceProtection';

export interface AdmissionRecord {
  /** Epoch ms of each admitted request, ascending. */
  admitted: number[];
  /** 429s (and 503s of the BC queue) answered, by the limit that refused them. */
  refused: Record<string, number>;
  /** Requests that arrived before a Retry-After announced to the same user had passed. */
  early: number;
}

export class AdmissionLog {
  private record: AdmissionRecord = { admitted: [], refused: {}, early: 0 };
  private readonly pausedUntil = new Map<string, number>();

  constructor(limits: ServiceProtection) {
    const admit = limits.admit.bind(limits);
    limits.admit = async (user) => {
      if (Date.now() < (this.pausedUntil.get(user) ?? 0)) this.record.early++;
      const admission = await admit(user);
      if (admission.ok) this.record.admitted.push(Date.now());
      else {
        this.record.refused[admission.limit] = (this.record.refused[admission.limit] ?? 0) + 1;
        const until = Date.now() + admission.retryAfterSeconds * 1000;
        this.pausedUntil.set(user, Math.max(until, this.pausedUntil.get(user) ?? 0));
      }
      return admission;
    };
  }

  /** What was recorded since the last call. */
  take(): AdmissionRecord {
    const taken = this.record;
    this.record = { admitted: [], refused: {}, early: 0 };
    this.pausedUntil.clear();
    return taken;
  }
}

/** Requests admitted within [from, from + ms). */
export function admittedWithin(record: AdmissionRecord, from: number, ms: number): number {
  return record.admitted.filter((t) => t >= from && t < from + ms).length;
}
