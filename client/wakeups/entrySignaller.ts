// Sends the change signals to the entry workflows. A wake-up is only a hint: the entry's next run reads
// everything changed since its watermark anyway (rule 4.5), so a lost or failed signal delays a change
// until the next scheduled run but never loses it. Signals are therefore sent once, never queued on disk.
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Logger } from '../../activities/logger';
import { entryWorkflowId, type ChangeNotice } from '../../common/jobQueue';
import { bcChangedSignal, crmChangedSignal } from '../../workflows/messages';

export type ChangeSource = 'bc' | 'crm';

/** `sent`, or `notStarted` when no entry workflow runs under that id (the entry was never started). */
export type SignalOutcome = 'sent' | 'notStarted';

export interface EntrySignallerOptions {
  client: Client;
  /** Company part of the entry workflow ids (entryWorkflowId), when entries run per company. */
  company?: string;
  logger: Logger;
}

interface EntryQueue {
  /** The newest notice that arrived while a signal for the entry was in flight. */
  pending: ChangeNotice | undefined;
}

export class EntrySignaller {
  private readonly queues = new Map<string, EntryQueue>();
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly options: EntrySignallerOptions) {}

  workflowId(entry: string): string {
    return entryWorkflowId(entry, this.options.company);
  }

  /**
   * Signals the entry and waits for Temporal to accept the signal. Throws when Temporal cannot be
   * reached, so a caller that keeps its own position (the CRM poller) can ask again next time.
   */
  async send(entry: string, source: ChangeSource, notice: ChangeNotice): Promise<SignalOutcome> {
    const handle = this.options.client.workflow.getHandle(this.workflowId(entry));
    try {
      await handle.signal(source === 'bc' ? bcChangedSignal : crmChangedSignal, notice);
      return 'sent';
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) {
        this.options.logger.info(
          { entry, workflowId: this.workflowId(entry), source },
          'change for a job queue entry whose workflow is not running; nothing to wake (start the entry to sync it)',
        );
        return 'notStarted';
      }
      throw err;
    }
  }

  /**
   * Fire-and-forget wake-up, for the webhook receiver that must answer BC at once. While a signal to an
   * entry is in flight, further notices for it collapse into one follow-up signal: a burst of notifications
   * costs one or two signals per entry, not one per changed record.
   */
  wake(entry: string, source: ChangeSource, notice: ChangeNotice): void {
    const key = `${source}:${entry}`;
    const queue = this.queues.get(key);
    if (queue) {
      queue.pending = notice;
      return;
    }
    const fresh: EntryQueue = { pending: notice };
    this.queues.set(key, fresh);
    const work = this.drain(key, entry, source, fresh);
    const tracked = work.finally(() => this.inFlight.delete(tracked));
    this.inFlight.add(tracked);
  }

  /** Resolves once every wake-up asked for so far has been sent (or given up). */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private async drain(key: string, entry: string, source: ChangeSource, queue: EntryQueue): Promise<void> {
    try {
      while (queue.pending) {
        const notice = queue.pending;
        queue.pending = undefined;
        try {
          await this.send(entry, source, notice);
        } catch (err) {
          this.options.logger.warn(
            { entry, workflowId: this.workflowId(entry), source, err: (err as Error).message },
            'could not signal the job queue entry; its next scheduled run still picks up the change',
          );
        }
      }
    } finally {
      this.queues.delete(key);
    }
  }
}
