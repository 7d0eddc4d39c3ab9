// What the pieces of a pass share: the stores it writes, its setup, and one record in flight on a page.
// Kept apart from syncPass.ts so the rule modules (classify, planWrites, pageOutcome) do not import it.
import type { JsonRecord, WriteOperation } from '../connectors/types';
import type { IntegrationTableMapping } from '../mappings/integrationTableMapping';
import type { CouplingDoc, CouplingStore } from '../store/couplings';
import type { JobLogStore } from '../store/jobLog';
import type { LineageStore } from '../store/lineage';
import type { MappingStore } from '../store/mappingStore';
import type { RetryQueueStore } from '../store/retryQueue';
import type { SyncErrorStore } from '../store/syncErrors';
import type { MatchReviewStore } from '../store/matchReviews';
import type { MatchIndex } from './matchCoupling';
import type { CouplingIndex } from './couplingIndex';
import type { FieldValue } from './fieldMapping';
import type { PassDirection, SyncEngineDeps } from './types';

export interface PassStores {
  couplings: CouplingStore;
  jobLog: JobLogStore;
  errors: SyncErrorStore;
  retries: RetryQueueStore;
  mappingStore: MappingStore;
  /** Record lineage (docs/lineage.md); absent when turned off (`SyncEngineDeps.lineage: false`). */
  lineage?: LineageStore;
  reviews: MatchReviewStore;
}

/** The match index of a mapping's run, built by the first pass that needs it and shared by both. */
export interface MatchIndexHolder {
  index?: Promise<MatchIndex>;
}

export interface PassSetup {
  deps: SyncEngineDeps;
  stores: PassStores;
  mapping: IntegrationTableMapping;
  allMappings: IntegrationTableMapping[];
  direction: PassDirection;
  jobId: string;
  syncOnlyCoupled: boolean;
  /** The coupling index of the mapping's previous pass in this run (a snapshot is read once per run). */
  index?: CouplingIndex;
  /** Shared by the passes of one run of the mapping. */
  matches?: MatchIndexHolder;
  /** Source records another mapping's records wait for: read and synced first, coupled or not. */
  needed?: string[];
}

/** One source record on a page, and what the pass learned and decided about it so far. */
export interface Item {
  rec: JsonRecord;
  id: string;
  label: string;
  coupling?: CouplingDoc;
  /** The pass coupled it by match just now: no base to detect a conflict against. */
  justCoupled?: boolean;
  dest?: JsonRecord;
  destId?: string;
  op?: WriteOperation;
  action?: 'Inserted' | 'Modified';
  payload?: FieldValue[];
}

/** Fields that name a record for people (job log, error log), in order of preference. */
export const LABEL_FIELDS = [
  'number',
  'code',
  'displayName',
  'name',
  'fullname',
  'productnumber',
  'isocurrencycode',
  'invoicenumber',
] as const;

export function labelOf(rec: JsonRecord): string {
  for (const k of LABEL_FIELDS) {
    const v = rec[k];
    if (typeof v === 'string' && v !== '') return v;
  }
  return '';
}
