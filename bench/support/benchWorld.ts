// The world a benchmark syncs in: a BC emulator with N customers and one or more demo Dataverse
// organizations, hosted in a child process of their own (they hold every record in memory, so the
// benchmark's process measures bcsync alone), the connectors that reach them, the BCSYNC_* settings that
// point a worker at them, and a MongoDB database with the reference data CUSTOMER needs.
//
// The same spec gives the same world: the BC seed is sized and deterministic, each organization the demo
// seed. A benchmark that compares variants starts one world per variant, so no variant syncs into what
// another one wrote (the CRM -> BC pass of CUSTOMER inserts the CRM-only accounts into BC).
import { fork } from 'node:child_process';
import { createConnectors, type Connectors } from '../../activities/connectors';
import type { HttpConfig } from '../../activities/connectors/connectorConfig';
import { loadMappings } from '../../activities/mappings/mappingConfig';
import { connectDatabase, type Database } from '../../activities/store/database';
import type { ServiceProtectionOverrides } from '../../emulators/common/serviceProtection';
import { AdmissionLog, type AdmissionRecord } from './admissionLog';
import { syncReferenceData } from './syncReferenceData';

export interface ServiceInfo {
  url: string;
  tenant: string;
  clientId: string;
  clientSecret: string;
  tokenUrl: string;
}

export interface WorldInfo {
  /** `apiUrl`: the standard API's root (`.../v2.0/<environment>/api/v2.0`), for a plain client. */
  bc: ServiceInfo & { companyId: string; environment: string; apiUrl: string };
  dataverse: (ServiceInfo & { integrationUserId: string })[];
}

export interface WorldSpec {
  /** BC customers (the sized seed); each organization starts from the demo seed. */
  records: number;
  /** One entry per Dataverse organization: the extra application users it registers. */
  organizations: { additionalClients?: { clientId: string; clientSecret: string }[] }[];
  /**
   * `real`: the services' own limits (docs/emulator-limits.md); `off`: bcsync's own work, no API limit;
   * or the real limits changed by these overrides (a benchmark that scales the window).
   */
  serviceProtection:
    'real' | 'off' | { bc: ServiceProtectionOverrides; dataverse: ServiceProtectionOverrides };
  /** Record what each service admits (support/admissionLog.ts), read with `world.admissions()`. */
  recordAdmissions?: boolean;
  /** Errors of requests that ended runs cut off are not printed. */
  quiet?: boolean;
}

export interface Admissions {
  bc: AdmissionRecord;
  dataverse: AdmissionRecord[];
}

export interface World {
  info: WorldInfo;
  /** The emulators' process (a benchmark reads its CPU time). */
  pid: number;
  /** Switches every service's limits on or off; either way each user's window starts afresh. */
  setLimits(enabled: boolean): Promise<void>;
  /** What each service admitted since the last call (`recordAdmissions`). */
  admissions(): Promise<Admissions>;
  stop(): Promise<void>;
}

type HostCommand = { cmd: 'limits'; enabled: boolean } | { cmd: 'take' } | 'stop';

/** Patient enough for a 100k-record page on a loaded machine. */
export const BENCH_HTTP: HttpConfig = {
  timeoutMs: 300_000,
  retry: { maxAttempts: 8, maxElapsedMs: 300_000, baseDelayMs: 200 },
};

/** Starts the emulators of `spec` in a child process; `stop()` ends it. */
export async function startWorld(spec: WorldSpec): Promise<World> {
  const child = fork(__filename, ['--world-host'], { stdio: 'inherit', execArgv: [] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const info = await new Promise<WorldInfo>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the emulator host exited (${code}) before it was ready`)));
    child.once('message', (m) => resolve(m as WorldInfo));
    child.send(spec);
  });
  // One command at a time: each answer is the next message.
  const ask = <T>(command: HostCommand) =>
    new Promise<T>((resolve) => {
      child.once('message', (m) => resolve(m as T));
      child.send(command);
    });
  return {
    info,
    pid: child.pid!,
    setLimits: async (enabled) => {
      await ask({ cmd: 'limits', enabled });
    },
    admissions: () => ask<Admissions>({ cmd: 'take' }),
    stop: async () => {
      child.send('stop' satisfies HostCommand);
      await exited;
    },
  };
}

/** The child: the emulators of the spec it is sent, until it is sent `stop`. */
async function hostWorld(spec: WorldSpec): Promise<void> {
  const { startBcEmulator } = await import('../../emulators/bc');
  const { startDataverseEmulator } = await import('../../emulators/dataverse');
  const sp = spec.serviceProtection;
  const limits = sp === 'off' ? false : sp === 'real' ? undefined : sp;
  const bc = await startBcEmulator({ port: 0, records: spec.records, limits: limits && limits.bc });
  const dvs: Awaited<ReturnType<typeof startDataverseEmulator>>[] = [];
  for (const org of spec.organizations)
    dvs.push(
      await startDataverseEmulator({
        port: 0,
        seed: 'demo',
        limits: limits && limits.dataverse,
        additionalClients: org.additionalClients,
        ...(spec.quiet ? { onError: () => undefined } : {}),
      }),
    );
  const logs = spec.recordAdmissions
    ? { bc: new AdmissionLog(bc.limits), dataverse: dvs.map((d) => new AdmissionLog(d.limits)) }
    : undefined;
  const service = (e: ServiceInfo): ServiceInfo => ({
    url: e.url,
    tenant: e.tenant,
    clientId: e.clientId,
    clientSecret: e.clientSecret,
    tokenUrl: e.tokenUrl,
  });
  const info: WorldInfo = {
    bc: { ...service(bc), companyId: bc.companyId, environment: bc.environment, apiUrl: bc.apiUrl },
    dataverse: dvs.map((d) => ({ ...service(d), integrationUserId: d.integrationUserId })),
  };
  process.send!(info);
  process.on('message', (m: HostCommand) => {
    if (m === 'stop') void Promise.all([bc.stop(), ...dvs.map((d) => d.stop())]).then(() => process.exit(0));
    else if (m.cmd === 'limits') {
      // Setting the limits also starts every user's window afresh.
      bc.limits.set({ ...(limits && limits.bc), enabled: m.enabled });
      for (const d of dvs) d.limits.set({ ...(limits && limits.dataverse), enabled: m.enabled });
      process.send!('ok');
    } else {
      const empty: AdmissionRecord = { admitted: [], refused: {}, early: 0 };
      const taken: Admissions = {
        bc: logs?.bc.take() ?? empty,
        dataverse: dvs.map((_, i) => logs?.dataverse[i]!.take() ?? empty),
      };
      process.send!(taken);
    }
  });
}

/** bcsync's connectors to BC and to organization `org` of the world. */
export function worldConnectors(info: WorldInfo, org: number): Connectors {
  const dv = info.dataverse[org]!;
  return createConnectors({
    bc: {
      ...info.bc,
      company: { id: info.bc.companyId },
      apiUrl: info.bc.url,
      scope: 'https://api.businesscentral.dynamics.com/.default',
      tenantInUrl: false,
      customApiPath: 'bcsync/integration/v1.0',
    },
    dataverse: { ...dv, scope: `${dv.url}/.default` },
    http: BENCH_HTTP,
  });
}

/** The BCSYNC_* settings (README) that point a worker at BC and organization `org` of the world. */
export function worldEnv(info: WorldInfo, org: number): Record<string, string> {
  const dv = info.dataverse[org]!;
  return {
    BCSYNC_BC_TENANT: info.bc.tenant,
    BCSYNC_BC_ENVIRONMENT: info.bc.environment,
    BCSYNC_BC_COMPANY_ID: info.bc.companyId,
    BCSYNC_BC_CLIENT_ID: info.bc.clientId,
    BCSYNC_BC_CLIENT_SECRET: info.bc.clientSecret,
    BCSYNC_BC_API_URL: info.bc.url,
    BCSYNC_BC_TOKEN_URL: info.bc.tokenUrl,
    BCSYNC_DATAVERSE_URL: dv.url,
    BCSYNC_DATAVERSE_TENANT: dv.tenant,
    BCSYNC_DATAVERSE_CLIENT_ID: dv.clientId,
    BCSYNC_DATAVERSE_CLIENT_SECRET: dv.clientSecret,
    BCSYNC_DATAVERSE_TOKEN_URL: dv.tokenUrl,
    BCSYNC_LOG_LEVEL: 'warn',
  };
}

/**
 * A fresh database `dbName` on `mongodbUri` with CUSTOMER's reference data for organization `org`
 * (salespeople coupled, currencies synced). `drop()` removes it and closes the connection.
 */
export async function prepareDatabase(
  info: WorldInfo,
  org: number,
  mongodbUri: string,
  dbName: string,
): Promise<{ db: Database; connectors: Connectors; drop(): Promise<void> }> {
  const db = await connectDatabase(mongodbUri, { dbName });
  const connectors = worldConnectors(info, org);
  await syncReferenceData({
    db,
    connectors,
    mappings: loadMappings(),
    integrationUserId: info.dataverse[org]!.integrationUserId,
  });
  return {
    db,
    connectors,
    drop: async () => {
      await db.db.dropDatabase().catch(() => undefined);
      await db.close();
    },
  };
}

if (process.argv.includes('--world-host')) {
  process.once('message', (spec) => {
    hostWorld(spec as WorldSpec).catch((err: unknown) => {
      console.error(err);
      process.exit(1);
    });
  });
}
