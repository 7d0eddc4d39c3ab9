// One clock for everything time-dependent in the BC emulator (lastModifiedDateTime, subscription expiry,
// overdue amounts), so tests can move time forward instead of waiting three days for a webhook to expire.
export class EmulatorClock {
  private offsetMs = 0;

  now(): number {
    return Date.now() + this.offsetMs;
  }

  nowIso(): string {
    return new Date(this.now()).toISOString();
  }

  /** Today's date as BC stores dates (`YYYY-MM-DD`). */
  today(): string {
    return this.nowIso().slice(0, 10);
  }

  advance(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) {
      throw new Error(`The emulator clock only moves forward: advance(${ms}) needs a positive number of ms.`);
    }
    this.offsetMs += ms;
  }

  get offset(): number {
    return this.offsetMs;
  }
}
