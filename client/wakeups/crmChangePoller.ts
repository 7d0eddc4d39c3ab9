// CRM-side wake-ups, an option BC itself does not have (mission.md point 7): for entries with
// `crmWakeEnabled`, Dataverse change tracking (apis.md B, `Prefer: odata.track-changes`) on the mapping's
// entity set every N seconds; rows changed by someone other than the integration user signal the entry.
import type { Logger } from '../../activities/logger';
import { ApiError } from '../../activities/connectors/apiError';
import type { DataverseClient } from '../../activities/connectors/dataverseClient';
import type { JsonRecord } from '../../activities/connectors/types';
import type { CrmDeltaLinkStore } from '../../activities/store/crmDeltaLinks';
import type { EntrySignaller } from './entrySignaller';
import { PollLoop } from './pollLoop';
import type { EntitySetRoute, WakeRoutes } from './wakeRoutes';

export interface CrmChangePollerOptions {
  dataverse: DataverseClient;
  store: CrmDeltaLinkStore;
  signaller: EntrySignaller;
  /** Current routes; read at every poll, so an entry opting in or out applies without a restart. */
  routes: () => Promise<WakeRoutes>;
  /** Seconds between polls; 0 = no polling (pollOnce still works). */
  intervalSeconds: number;
  logger: Logger;
}

export interface EntitySetPoll {
  entitySet: string;
  /** `baseline`: first poll, only the starting deltaLink was taken (its rows are not changes). */
  kind: 'baseline' | 'changes' | 'none' | 'failed';
  /** Changed rows not written by the integration user. */
  foreignChanges: number;
  /** Changed rows written by the integration user itself (the engine's own writes): ignored. */
  ownChanges: number;
  signalled: string[];
  error?: string;
}

const MODIFIED_BY = '_modifiedby_value';

export class CrmChangePoller {
  private readonly loop: PollLoop<EntitySetPoll[]>;

  constructor(private readonly options: CrmChangePollerOptions) {
    this.loop = new PollLoop({
      intervalSeconds: options.intervalSeconds,
      poll: () => this.poll(),
      onError: (err) => options.logger.warn({ err: (err as Error).message }, 'CRM change poll failed'),
    });
  }

  start(): void {
    this.loop.start();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  /** One poll of every entity set an opted-in entry maps. */
  pollOnce(): Promise<EntitySetPoll[]> {
    return this.loop.pollOnce();
  }

  private async poll(): Promise<EntitySetPoll[]> {
    const routes = (await this.options.routes()).crmRoutes();
    if (routes.length === 0) return [];
    // apis.md C: the engine's writes carry the integration user in `_modifiedby_value` (rule 4.4 echo
    // suppression); they are not changes anyone else made.
    const integrationUser = await this.options.dataverse.integrationUserId();
    const results: EntitySetPoll[] = [];
    for (const route of routes) results.push(await this.pollEntitySet(route, integrationUser));
    return results;
  }

  private async pollEntitySet(route: EntitySetRoute, integrationUser: string): Promise<EntitySetPoll> {
    const result: EntitySetPoll = {
      entitySet: route.entitySet,
      kind: 'none',
      foreignChanges: 0,
      ownChanges: 0,
      signalled: [],
    };
    try {
      await this.readAndSignal(route, integrationUser, result);
    } catch (err) {
      result.kind = 'failed';
      result.error = (err as Error).message;
      this.options.logger.warn(
        { entitySet: route.entitySet, entries: route.entries, err: result.error },
        'Dataverse change tracking poll failed; asking again next time (the entries still run on schedule)',
      );
    }
    return result;
  }

  private async readAndSignal(
    route: EntitySetRoute,
    integrationUser: string,
    result: EntitySetPoll,
  ): Promise<void> {
    const { dataverse, store, logger } = this.options;
    const org = dataverse.base;
    const deltaLink = await store.get(org, route.entitySet);
    if (!deltaLink) {
      await store.save(org, route.entitySet, await this.baseline(route.entitySet));
      result.kind = 'baseline';
      return;
    }
    let next: string | undefined;
    let newest: JsonRecord | undefined;
    try {
      // Deleted rows are left out: a deletion never wakes an entry (section 6, scheduled sync does not
      // propagate deletions).
      for await (const page of dataverse.readChanges(route.entitySet, { deltaLink })) {
        for (const row of page.changed) {
          if (row[MODIFIED_BY] === integrationUser) {
            result.ownChanges++;
            continue;
          }
          result.foreignChanges++;
          if (!newest || String(row.modifiedon ?? '') > String(newest.modifiedon ?? '')) newest = row;
        }
        next = page.deltaLink ?? next;
      }
    } catch (err) {
      if (!(err instanceof ApiError) || (err.kind !== 'validation' && err.kind !== 'notFound')) throw err;
      // Dataverse no longer takes the deltaLink (tokens expire, apis.md B): start over, and wake the
      // entries once since the changes in between cannot be told apart.
      logger.warn(
        { entitySet: route.entitySet, err: err.message },
        'Dataverse change tracking token rejected; taking a new one',
      );
      await store.save(org, route.entitySet, await this.baseline(route.entitySet));
      result.kind = 'changes';
      result.signalled = await this.signal(route, { resource: route.entitySet });
      return;
    }
    if (!next)
      throw new Error(`Dataverse change tracking of ${route.entitySet} ended without a new deltaLink`);
    if (newest) {
      result.kind = 'changes';
      const key = dataverse.keyField(route.entitySet);
      const id = typeof newest[key] === 'string' ? `(${newest[key] as string})` : '';
      const at = typeof newest.modifiedon === 'string' ? newest.modifiedon : undefined;
      // A failed signal throws before the new deltaLink is saved: the next poll sees these changes again.
      result.signalled = await this.signal(route, {
        resource: `${route.entitySet}${id}`,
        ...(at ? { at } : {}),
      });
    }
    await store.save(org, route.entitySet, next);
  }

  private async signal(route: EntitySetRoute, notice: { resource: string; at?: string }): Promise<string[]> {
    const signalled: string[] = [];
    for (const entry of route.entries) {
      if ((await this.options.signaller.send(entry, 'crm', notice)) === 'sent') signalled.push(entry);
    }
    return signalled;
  }

  /** First read of an entity set: pages through to the first deltaLink with as few columns as possible. */
  private async baseline(entitySet: string): Promise<string> {
    const select = [this.options.dataverse.keyField(entitySet), MODIFIED_BY, 'modifiedon'];
    let deltaLink: string | undefined;
    for await (const page of this.options.dataverse.readChanges(entitySet, { select })) {
      deltaLink = page.deltaLink ?? deltaLink;
    }
    if (!deltaLink) {
      throw new Error(
        `Dataverse returned no @odata.deltaLink for ${entitySet}: change tracking is off for this table; enable "Track changes" on it or turn off CRM wake-ups for its entry`,
      );
    }
    return deltaLink;
  }
}
