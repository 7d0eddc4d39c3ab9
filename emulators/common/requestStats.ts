// Request counters behind `GET /_admin/stats` (emulator contract: admin surface). Tests use `writes` to
// prove that nothing was written twice, so only successful writes count (a batch adds one per part).

export interface RequestStatsSnapshot {
  requests: number;
  byStatus: Record<string, number>;
  writes: number;
  writesByEntity: Record<string, number>;
}

export class RequestStats {
  private requests = 0;
  private byStatus = new Map<number, number>();
  private writes = 0;
  private writesByEntity = new Map<string, number>();

  /** One answered API request (admin requests are not counted). */
  recordResponse(status: number): void {
    this.requests++;
    this.byStatus.set(status, (this.byStatus.get(status) ?? 0) + 1);
  }

  /** One successful create/update/delete. */
  recordWrite(entitySet: string, count = 1): void {
    this.writes += count;
    this.writesByEntity.set(entitySet, (this.writesByEntity.get(entitySet) ?? 0) + count);
  }

  snapshot(): RequestStatsSnapshot {
    return {
      requests: this.requests,
      byStatus: Object.fromEntries([...this.byStatus].map(([status, n]) => [String(status), n])),
      writes: this.writes,
      writesByEntity: Object.fromEntries(this.writesByEntity),
    };
  }

  reset(): void {
    this.requests = 0;
    this.byStatus.clear();
    this.writes = 0;
    this.writesByEntity.clear();
  }
}
