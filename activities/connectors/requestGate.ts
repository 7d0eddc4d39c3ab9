// Back-pressure for one connector: at most N requests in flight (BC allows 5 concurrent requests per user
// and queues 95; Dataverse 52, apis.md A/B), and after a 429 every request of this connector waits out the
// Retry-After instead of hammering the service and collecting more 429s.
import { sleep } from './waiting';

export class RequestGate {
  private active = 0;
  private readonly waiters: Array<() => void> = [];
  private pausedUntil = 0;

  constructor(
    private readonly maxConcurrent: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Holds every request of this connector for `ms` (Retry-After of a 429). */
  pauseFor(ms: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, this.now() + ms);
  }

  async acquire(signal?: AbortSignal): Promise<void> {
    for (;;) {
      const wait = this.pausedUntil - this.now();
      if (wait > 0) await sleep(wait, signal);
      if (this.active < this.maxConcurrent) break;
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    this.active++;
  }

  release(): void {
    this.active--;
    this.waiters.shift()?.();
  }
}
