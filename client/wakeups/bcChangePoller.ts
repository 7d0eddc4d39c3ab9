// BC-side wake-ups for entity sets Business Central sends no webhooks for (common/bcWebhookSupport.ts:
// e.g. API v2.0 contacts, salespeoplePurchasers): every N seconds, the newest
// `lastModifiedDateTime` of each such set is read (`$orderby ... desc&$top=1`, one small request), and a
// change since the previous poll signals the entries that read it, as a notification would.
import type { Logger } from '../../activities/logger';
import type { BcClient } from '../../activities/connectors/bcClient';
import type { EntrySignaller } from './entrySignaller';
import { PollLoop } from './pollLoop';
import type { WakeRoutes } from './wakeRoutes';

export const DEFAULT_BC_POLL_SECONDS = 30;

export interface BcChangePollerOptions {
  bc: Pick<BcClient, 'readPages'>;
  signaller: Pick<EntrySignaller, 'send'>;
  routes: () => WakeRoutes;
  /** Whether BC sends webhooks for the entity set; polled only when it does not. */
  hasWebhooks: (entitySet: string) => boolean;
  /** Seconds between polls; 0 = no polling (pollOnce still works). */
  intervalSeconds: number;
  logger: Logger;
}

export interface BcSetPoll {
  entitySet: string;
  /** `baseline`: first poll, the newest modification was noted (nothing to compare with yet). */
  kind: 'baseline' | 'changes' | 'none' | 'failed';
  signalled: string[];
  error?: string;
}

export class BcChangePoller {
  private readonly loop: PollLoop<BcSetPoll[]>;
  /** Per entity set, the newest lastModifiedDateTime seen (kept in memory; a restart takes a new baseline). */
  private readonly newest = new Map<string, string>();

  constructor(private readonly options: BcChangePollerOptions) {
    this.loop = new PollLoop({
      intervalSeconds: options.intervalSeconds,
      poll: () => this.poll(),
      onError: (err) => options.logger.warn({ err: (err as Error).message }, 'BC change poll failed'),
    });
  }

  /** Entity sets that some entry reads and that have no webhooks. */
  polledEntitySets(): string[] {
    return this.options
      .routes()
      .bcEntitySets()
      .filter((s) => !this.options.hasWebhooks(s));
  }

  start(): void {
    this.loop.start();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  pollOnce(): Promise<BcSetPoll[]> {
    return this.loop.pollOnce();
  }

  private async poll(): Promise<BcSetPoll[]> {
    const results: BcSetPoll[] = [];
    for (const entitySet of this.polledEntitySets()) results.push(await this.pollSet(entitySet));
    return results;
  }

  private async pollSet(entitySet: string): Promise<BcSetPoll> {
    const result: BcSetPoll = { entitySet, kind: 'none', signalled: [] };
    try {
      const since = this.newest.get(entitySet);
      const row = await this.newestRow(entitySet, since);
      if (since === undefined) {
        this.newest.set(entitySet, row?.lastModifiedDateTime ?? '0001-01-01T00:00:00Z');
        result.kind = 'baseline';
        return result;
      }
      if (!row) return result;
      result.kind = 'changes';
      for (const entry of this.options.routes().entriesForBc(entitySet)) {
        const notice = { resource: `${entitySet}(${row.id})`, at: row.lastModifiedDateTime };
        if ((await this.options.signaller.send(entry, 'bc', notice)) === 'sent') result.signalled.push(entry);
      }
      // Moved on only after the signals went out: a failed signal is retried at the next poll.
      this.newest.set(entitySet, row.lastModifiedDateTime);
    } catch (err) {
      result.kind = 'failed';
      result.error = (err as Error).message;
      this.options.logger.warn(
        { entitySet, err: result.error },
        'BC change poll failed; asking again next time (the entries still run on schedule)',
      );
    }
    return result;
  }

  private async newestRow(
    entitySet: string,
    after: string | undefined,
  ): Promise<{ id: string; lastModifiedDateTime: string } | undefined> {
    for await (const page of this.options.bc.readPages(entitySet, {
      ...(after ? { filter: `lastModifiedDateTime gt ${after}` } : {}),
      select: ['id', 'lastModifiedDateTime'],
      orderBy: 'lastModifiedDateTime desc',
      top: 1,
    })) {
      const row = page.records[0];
      if (row && typeof row.lastModifiedDateTime === 'string')
        return { id: String(row.id), lastModifiedDateTime: row.lastModifiedDateTime };
      return undefined;
    }
    return undefined;
  }
}
