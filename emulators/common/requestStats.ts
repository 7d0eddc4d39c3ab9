// Request counters behind `GET /_admin/stats` (emulator contract: admin surface). Tests use `writes` to
// prove that nothing was written twice, so only successful writes count (a batch adds one per part).
// `GET /_admin/requests` lists the latest requests themselves, so a test can count what kind of request a
// client sent (e.g. one look-up per page, not one per record) without timing anything.

/** One answered API request as the request log keeps it: the method, the decoded path and query. */
export interface LoggedRequest {
  method: string;
  url: string;
  status: number;
}

/** Requests the log keeps (the oldest are dropped first). */
const LOG_LIMIT = 10_000;

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
  private log: LoggedRequest[] = [];

  /** One answered API request (admin requests are not counted); logged when the request is given. */
  recordResponse(status: number, request?: { method?: string; url?: string }): void {
    if (request) {
      let url = request.url ?? '';
      try {
        url = decodeURIComponent(url);
      } catch {
        // A malformed escape: logged as sent.
      }
      this.log.push({ method: request.method ?? 'GET', url, status });
      if (this.log.length > LOG_LIMIT) this.log.splice(0, this.log.length - LOG_LIMIT);
    }
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

  /** The logged requests, oldest first. */
  requestLog(): LoggedRequest[] {
    return [...this.log];
  }

  reset(): void {
    this.log = [];
    this.requests = 0;
    this.byStatus.clear();
    this.writes = 0;
    this.writesByEntity.clear();
  }
}
