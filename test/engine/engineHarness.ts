// A private stack for the engine's scenario tests: both API emulators on random ports, connectors pointed at
// them, a private MongoDB database on the test run's server, and the engine on top.
import { emulatorConnectorConfig } from '../../client/emulatorConnection';
import { createConnectors, type Connectors } from '../../activities/connectors';
import type { JsonRecord } from '../../activities/connectors/types';
import { createSyncEngine, type SyncEngine } from '../../activities/engine/engine';
import type { SyncEngineDeps } from '../../activities/engine/types';
import {
  customEntitySets,
  loadMappings,
  type EffectiveMappings,
} from '../../activities/mappings/mappingConfig';
import type { Database } from '../../activities/store/database';
import { startBcEmulator, type RunningBcEmulator } from '../../emulators/bc';
import { startDataverseEmulator, type RunningDataverseEmulator } from '../../emulators/dataverse';
import { createDataverseClient } from '../../activities/connectors';
import type { DataverseClient } from '../../activities/connectors/dataverseClient';
import { testDatabase } from '../support/database';

/** A Dataverse clock a test can freeze (two writes in one second) and move. */
export class TestClock {
  frozenAt?: number;
  now = (): number => this.frozenAt ?? Date.now();
}

export const SALES_USER = { clientId: 'sales-user-app', clientSecret: 'sales-user-secret' };

export interface EngineStack {
  emulators: { bc: RunningBcEmulator; dataverse: RunningDataverseEmulator };
  /** Dataverse as a salesperson (not the integration user) sees it: for edits made by people. */
  salesCrm: DataverseClient;
  dvClock: TestClock;
  db: Database;
  connectors: Connectors;
  mappings: EffectiveMappings;
  integrationUserId: string;
  engine: SyncEngine;
  /** A second engine on the same stores with other settings (crash hooks, page size). */
  engineWith(overrides: Partial<SyncEngineDeps>): SyncEngine;
  bcRecords(entitySet: string): Promise<JsonRecord[]>;
  crmRecords(entitySet: string): Promise<JsonRecord[]>;
  stop(): Promise<void>;
}

async function adminRecords(url: string, entitySet: string): Promise<JsonRecord[]> {
  const res = await fetch(`${url}/_admin/records/${entitySet}`);
  if (!res.ok) throw new Error(`admin records ${entitySet}: HTTP ${res.status}`);
  return ((await res.json()) as { value: JsonRecord[] }).value;
}

export async function startEngineStack(
  options: {
    seed?: 'demo' | 'empty';
    records?: number;
    deps?: Partial<SyncEngineDeps>;
    mappings?: EffectiveMappings;
  } = {},
): Promise<EngineStack> {
  const dvClock = new TestClock();
  const seed = options.seed ?? 'demo';
  const dataverse = await startDataverseEmulator({
    port: 0,
    seed,
    records: options.records,
    now: dvClock.now,
    additionalClients: [SALES_USER],
    onError: () => undefined,
  });
  const bc = await startBcEmulator({ port: 0, seed, records: options.records, webhookCoalesceMs: 60_000 });
  const emulators = { bc, dataverse };
  const db = await testDatabase('engine');
  const mappings = options.mappings ?? loadMappings();
  const connectors = createConnectors(
    emulatorConnectorConfig(
      { bc, dataverse },
      { timeoutMs: 10_000, retry: { maxAttempts: 10, maxElapsedMs: 30_000, baseDelayMs: 5 } },
    ),
    {
      retry: { baseDelayMs: 5, maxDelayMs: 40, retryAfterScale: 0.01 },
      // A mapping set to `bc.api: 'v2.0'` reads and writes its entity set on the standard route.
      bcCustomEntities: customEntitySets(mappings),
    },
  );
  const integrationUserId = dataverse.integrationUserId;
  const base: SyncEngineDeps = {
    db,
    bc: connectors.bc,
    crm: connectors.dataverse,
    mappings,
    integrationUserId,
    pageSize: 50,
    ...options.deps,
  };
  const salesCrm = createDataverseClient(
    {
      url: dataverse.url,
      tenant: dataverse.tenant,
      clientId: SALES_USER.clientId,
      clientSecret: SALES_USER.clientSecret,
      tokenUrl: dataverse.tokenUrl,
      scope: dataverse.scope,
    },
    { timeoutMs: 10_000, retry: { maxAttempts: 10, maxElapsedMs: 30_000, baseDelayMs: 5 } },
  );
  return {
    emulators,
    salesCrm,
    dvClock,
    db,
    connectors,
    mappings,
    integrationUserId,
    engine: createSyncEngine(base),
    engineWith: (overrides) => createSyncEngine({ ...base, ...overrides }),
    bcRecords: (set) => adminRecords(bc.url, set),
    crmRecords: (set) => adminRecords(dataverse.url, set),
    async stop() {
      await Promise.all([bc.stop(), dataverse.stop()]);
      await db.close();
    },
  };
}
