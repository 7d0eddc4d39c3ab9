// The whole path on a production-like cluster instead of the dev servers (issue 11, item 5): the full
// Temporal server built from go.temporal.io/server with PostgreSQL for persistence and SQL visibility,
// its frontend behind TLS with a CA this test makes, and FerretDB on the same PostgreSQL - all started
// by the project's own `servers up --cluster` code. The real `bcsync` binary does the rest as an operator
// would: `setup` (which must register the BcSync* search attributes itself: nothing else does here),
// a worker and the webhook receiver as processes, a change in BC that wakes the CUSTOMER entry, the run
// that carries it to the CRM, then the worker killed (SIGKILL) and replaced, and the next change carried
// by the new worker. A second cluster requires client certificates (mTLS) and checks API keys with the
// server's JWT claim mapper and default authorizer (keys this test signs): no certificate, no key or a
// forged key are refused; a namespace writer's key cannot register search attributes, so `setup` names
// the administrator's command and starts nothing; an administrator's key sets up, and a worker holding
// only the writer's key runs the entries.
//
// Needs PostgreSQL (Debian's `postgresql`) and the server build (`npm run dev-servers:install --
// --cluster`); .ci/run installs both. Elsewhere the test is skipped with a note unless CI or
// BCSYNC_CLUSTER_TEST=1 asks for it, and then a missing part fails it.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { readSettings } from '../../config/settings';
import { makeClusterCertificates, type ClusterCertificates } from '../../devservers/certificates';
import { clusterMissing } from '../../devservers/cluster';
import { makeJwtIssuer } from '../../devservers/jwtKeys';
import { down, up, type ServersState, type UpOptions } from '../../devservers/devServers';
import { freePort } from '../../devservers/processes';
import { startEmulators, type RunningEmulators } from '../../emulators';
import { emulatorConnectorEnv } from '../../client/emulatorConnection';
import { searchAttributeDefinitions, type EntryStatus } from '../../common/jobQueue';
import type { JsonRecord } from '../../activities/connectors/types';
import { bcClient, type BcClient } from '../emulators/bcTestClient';

const exec = promisify(execFile);
const cli = join(__dirname, '..', '..', 'bin', 'bcsync.js');

const { dev } = readSettings(process.env);
const missing = clusterMissing(dev);
const required = process.env.CI === 'true' || process.env.BCSYNC_CLUSTER_TEST === '1';
if (missing.length > 0 && !required)
  console.warn(`cluster system test skipped: it needs ${missing.join('; ')}`);
const describeCluster = missing.length === 0 || required ? describe : describe.skip;

interface Proc {
  child: ChildProcess;
  /** Signals the whole process group. */
  kill(signal: NodeJS.Signals): void;
  output: string[];
  exited: Promise<NodeJS.Signals | number | null>;
}

/** The CRM account of that name, as the Dataverse emulator holds it. */
async function crmAccountNamed(em: RunningEmulators, name: string): Promise<JsonRecord | undefined> {
  const res = await fetch(`${em.dataverse.url}/_admin/records/accounts`);
  const accounts = ((await res.json()) as { value: JsonRecord[] }).value;
  return accounts.find((a) => a.name === name);
}

/** The `bcsync` commands of a test, in `env()` plus `extra`; long-running ones kept to be stopped. */
function processes(env: () => NodeJS.ProcessEnv) {
  const procs: Proc[] = [];

  const bcsync = async (args: string[], extra: NodeJS.ProcessEnv = {}) => {
    try {
      const { stdout, stderr } = await exec(process.execPath, [cli, ...args], {
        env: { ...env(), ...extra },
      });
      return { code: 0, stdout, stderr };
    } catch (err) {
      const e = err as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  };

  /** A long-running `bcsync` command (worker, webhooks) until killed; its output kept for failures. */
  const start = (args: string[], extra: NodeJS.ProcessEnv = {}): Proc => {
    // Its own process group: `bcsync worker` runs the worker in a child process, and a kill must take
    // both, as a crash of the machine or container would.
    const child = spawn(process.execPath, [cli, ...args], {
      env: { ...env(), ...extra },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const output: string[] = [];
    child.stdout!.on('data', (b: Buffer) => output.push(b.toString()));
    child.stderr!.on('data', (b: Buffer) => output.push(b.toString()));
    const exited = new Promise<NodeJS.Signals | number | null>((resolve) =>
      child.once('exit', (code, signal) => resolve(signal ?? code)),
    );
    const proc: Proc = { child, output, exited, kill: (signal) => process.kill(-child.pid!, signal) };
    procs.push(proc);
    return proc;
  };

  /** Polls until `probe` gives a value; the message names what was awaited and the processes' output. */
  async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 90_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe().catch(() => undefined);
      if (value !== undefined) return value;
      for (const p of procs)
        if (p.child.exitCode !== null && p.child.signalCode === null)
          throw new Error(`${what}: a bcsync process exited (${p.child.exitCode}):\n${p.output.join('')}`);
      if (Date.now() > deadline)
        throw new Error(
          `timed out waiting for ${what}\n${procs.map((p) => p.output.join('')).join('\n---\n')}`,
        );
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  /** SIGTERM to every long-running command's group, then waits for each. */
  async function stopAll(): Promise<void> {
    for (const p of procs) {
      try {
        p.kill('SIGTERM');
      } catch {
        /* the group is gone */
      }
      await p.exited;
    }
  }

  return { procs, bcsync, start, until, stopAll };
}

/** A cluster (servers up --cluster) in a fresh folder, the demo emulators, and the env of its bcsync commands. */
async function startClusterWorld(
  prefix: string,
  options: (dir: string) => Pick<UpOptions, 'requireClientCert' | 'auth'> = () => ({}),
): Promise<{
  dir: string;
  servers: ServersState;
  em: RunningEmulators;
  env: NodeJS.ProcessEnv;
  ca: ClusterCertificates;
}> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const ca = makeClusterCertificates(join(dir, 'test-ca'), dev.path);
  const servers = await up({
    dev,
    stateDir: dir,
    cluster: true,
    ephemeral: true,
    temporalPort: 0,
    mongoPort: 0,
    certificates: ca,
    ...options(dir),
  });
  const em = await startEmulators({ bcPort: 0, dataversePort: 0, seed: 'demo', webhookCoalesceMs: 200 });
  const env = {
    ...process.env,
    ...emulatorConnectorEnv(em),
    TEMPORAL_ADDRESS: servers.temporal.address,
    TEMPORAL_NAMESPACE: 'default',
    TEMPORAL_TLS_SERVER_CA_CERT_PATH: ca.caCert,
    TEMPORAL_TLS_SERVER_NAME: ca.serverName,
    MONGODB_URI: servers.mongo.address,
    BCSYNC_LOG_LEVEL: 'warn',
  };
  return { dir, servers, em, env, ca };
}

describeCluster(
  'a production-like cluster: Temporal server on PostgreSQL with TLS, FerretDB on PostgreSQL',
  () => {
    let dir: string;
    let servers: ServersState;
    let em: RunningEmulators;
    let bc: BcClient;
    let env: NodeJS.ProcessEnv;
    let connection: Connection;

    const { bcsync, start, until, stopAll } = processes(() => env);

    const customerStatus = async (): Promise<EntryStatus | undefined> => {
      const r = await bcsync(['status', 'CUSTOMER', '--json']);
      return r.code === 0 ? (JSON.parse(r.stdout) as EntryStatus) : undefined;
    };

    const accountNamed = (name: string) => crmAccountNamed(em, name);

    /** Renames a BC customer through the API, as a BC user would; BC then sends its webhook. */
    const renameCustomer = async (from: string, to: string): Promise<void> => {
      const found = await bc.get(`customers?$filter=displayName eq '${from}'`);
      const customer = (found.json as { value: JsonRecord[] }).value[0]!;
      const res = await bc.request('PATCH', `customers(${String(customer.id)})`, {
        body: { displayName: to },
        headers: { 'If-Match': String(customer['@odata.etag']) },
      });
      expect(res.status).toBe(200);
    };

    beforeAll(async () => {
      let certificates: ClusterCertificates;
      ({ dir, servers, em, env, ca: certificates } = await startClusterWorld('bcsync-cluster-'));
      bc = await bcClient(em.bc);
      env.BCSYNC_WEBHOOK_PORT = String(await freePort());
      connection = await Connection.connect({
        address: servers.temporal.address,
        tls: {
          serverNameOverride: certificates.serverName,
          serverRootCACertificate: readFileSync(certificates.caCert),
        },
      });
    }, 300_000);

    afterAll(async () => {
      await stopAll();
      await connection?.close();
      await em?.stop();
      if (dir) {
        await down({ stateDir: dir });
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('refuses plaintext: the frontend serves TLS only', async () => {
      const plain = await Connection.connect({ address: servers.temporal.address, connectTimeout: '3s' })
        .then(async (c) => {
          try {
            await c.workflowService.getSystemInfo({});
            return 'answered';
          } finally {
            await c.close();
          }
        })
        .catch(() => 'refused');
      expect(plain).toBe('refused');
      expect(servers.temporal.route).toBe('temporal-server');
      expect(servers.mongo.route).toBe('ferretdb-postgresql');
    });

    it('setup registers the search attributes, a BC change wakes CUSTOMER, a killed worker is replaced', async () => {
      const client = new Client({ connection });
      const registered = async () =>
        Object.keys(
          (await connection.operatorService.listSearchAttributes({ namespace: 'default' }))
            .customAttributes ?? {},
        );
      // A fresh cluster knows none of them.
      expect(await registered()).not.toContain('BcSyncState');

      const setup = await bcsync(['setup']);
      expect({ code: setup.code, stderr: setup.stderr }).toEqual({ code: 0, stderr: '' });
      expect(await registered()).toEqual(
        expect.arrayContaining(searchAttributeDefinitions.map((d) => d.name)),
      );

      const first = start(['worker']);
      start(['webhooks', '--crm-poll-seconds', '0', '--bc-poll-seconds', '0']);

      // The entries' first runs (scheduled by setup) find nothing coupled yet.
      const firstRun = await until('the first CUSTOMER run', async () => {
        const st = await customerStatus();
        return st?.lastRun ? st : undefined;
      });
      expect(firstRun.lastRun?.outcome).not.toBe('Run failed');
      // The initial full synchronization, as BC's set-up guide runs it: the demo customers reach the CRM.
      const full = await bcsync(['full-sync']);
      expect({ code: full.code, stderr: full.stderr }).toEqual({ code: 0, stderr: '' });
      expect(await accountNamed('Adatum Corporation')).toBeDefined();
      // SQL visibility on PostgreSQL answers a query on bcsync's own search attributes.
      const listed = await until('the CUSTOMER entry in visibility', async () => {
        const ids: string[] = [];
        for await (const wf of client.workflow.list({ query: `BcSyncMapping = 'CUSTOMER'` }))
          ids.push(wf.workflowId);
        return ids.length > 0 ? ids : undefined;
      });
      expect(listed).toEqual([expect.stringContaining('CUSTOMER')]);

      // A change in BC: webhook -> `bcsync webhooks` -> signal -> run -> the account is renamed.
      await renameCustomer('Adatum Corporation', 'Adatum Corporation (cluster 1)');
      await until('the first rename in the CRM', () => accountNamed('Adatum Corporation (cluster 1)'));
      // The kill comes after the run that carried the change has ended: a run killed midway waits out its
      // heartbeat timeout (2 minutes) before another worker retries it, which the failover tests cover
      // (test/system/workerFailover*.test.ts); this one is about a replacement worker on the cluster.
      const woken = await until('the CUSTOMER run to end', async () => {
        const st = await customerStatus();
        return st && st.state !== 'In Process' ? st : undefined;
      });
      expect(woken.changeSignals.bc).toBeGreaterThanOrEqual(1);

      // The worker dies without a goodbye; a new one takes over the same task queue.
      first.kill('SIGKILL');
      expect(await first.exited).toBe('SIGKILL');
      await until('the killed worker gone', async () => {
        try {
          process.kill(-first.child.pid!, 0);
          return undefined;
        } catch {
          return true;
        }
      });
      start(['worker']);
      await renameCustomer('Adatum Corporation (cluster 1)', 'Adatum Corporation (cluster 2)');
      const renamed = await until('the second rename in the CRM', () =>
        accountNamed('Adatum Corporation (cluster 2)'),
      ).catch(async (err: Error) => {
        // What the entry was doing, for a failure that only shows on a loaded machine.
        const described = await client.workflow.getHandle(listed[0]!).describe();
        throw new Error(
          `${err.message}\nCUSTOMER entry: ${JSON.stringify(await customerStatus())}\n` +
            `pending activities: ${JSON.stringify(described.raw.pendingActivities)}`,
        );
      });
      expect(renamed).toBeDefined();
      const after = await until('a status answered by the new worker', customerStatus);
      expect(after.runs).toBeGreaterThan(woken.runs);
      expect(after.lastRun?.outcome).toBe('Changes');
      expect(after.lastRun?.result?.modified).toBeGreaterThanOrEqual(1);
    }, 300_000);
  },
);

describeCluster('a cluster that requires client certificates and checks API keys (JWT authorizer)', () => {
  let dir: string;
  let servers: ServersState;
  let em: RunningEmulators;
  let env: NodeJS.ProcessEnv;
  let keys: { admin: string; worker: string; forged: string };
  const { bcsync, start, until, stopAll } = processes(() => env);

  beforeAll(async () => {
    let certificates: ClusterCertificates;
    ({
      dir,
      servers,
      em,
      env,
      ca: certificates,
    } = await startClusterWorld('bcsync-cluster-auth-', (d) => {
      const issuer = makeJwtIssuer(join(d, 'jwt'));
      // Keys as an identity provider issues them: an administrator of namespace `default`, and the
      // narrower key a worker needs (writer: poll, complete, start); one signed by a key the server does
      // not trust.
      keys = {
        admin: issuer.token('bcsync-admin', ['default:admin']),
        worker: issuer.token('bcsync-worker', ['default:write']),
        forged: makeJwtIssuer(join(d, 'other-jwt')).token('bcsync-admin', ['temporal-system:admin']),
      };
      const adminToken = issuer.token('bcsync-cluster', ['temporal-system:admin']);
      return { requireClientCert: true, auth: { jwksFile: issuer.jwksFile, adminToken } };
    }));
    env.TEMPORAL_TLS_CLIENT_CERT_PATH = certificates.clientCert;
    env.TEMPORAL_TLS_CLIENT_KEY_PATH = certificates.clientKey;
  }, 300_000);

  afterAll(async () => {
    await stopAll();
    await em?.stop();
    if (dir) {
      await down({ stateDir: dir });
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a client without a certificate, and calls without a key or with a forged one', async () => {
    const withoutCertificate = await bcsync(['entries', '--json'], {
      TEMPORAL_TLS_CLIENT_CERT_PATH: '',
      TEMPORAL_TLS_CLIENT_KEY_PATH: '',
      TEMPORAL_API_KEY: keys.admin,
    });
    expect(withoutCertificate.code).not.toBe(0);
    expect(withoutCertificate.stderr).toMatch(
      /cannot reach Temporal at \S+ namespace default \(TLS, API key\)/,
    );
    // Without a key even reading the namespace's search attributes is refused.
    const noKey = await bcsync(['setup'], { TEMPORAL_API_KEY: '' });
    expect(noKey.code).not.toBe(0);
    expect(noKey.stderr).toMatch(/may not register them \(7 PERMISSION_DENIED: Request unauthorized\.\)/);
    expect(noKey.stdout).not.toMatch(/: started/);
    // A key signed by another key: the SDK's connection check is refused already.
    const forged = await bcsync(['setup'], { TEMPORAL_API_KEY: keys.forged });
    expect(forged.code).not.toBe(0);
    expect(forged.stderr).toMatch(/cannot reach Temporal at \S+ namespace default \(mTLS, API key\)/);
    expect(forged.stderr).not.toContain(keys.forged);
  });

  it("a namespace writer's key: setup names the administrator's command and starts nothing", async () => {
    const setup = await bcsync(['setup'], { TEMPORAL_API_KEY: keys.worker });
    expect(setup.code).not.toBe(0);
    expect(setup.stderr).toContain(
      `temporal operator search-attribute create --address ${servers.temporal.address} --namespace default --name BcSyncMapping --type Keyword`,
    );
    expect(setup.stderr).toContain('No entry was started.');
    expect(setup.stdout).not.toMatch(/: started/);
    expect(setup.stderr).not.toContain(keys.worker);
  });

  it("setup with the administrator's key; a worker with the writer's key runs the entries", async () => {
    const setup = await bcsync(['setup'], { TEMPORAL_API_KEY: keys.admin });
    expect({ code: setup.code, stderr: setup.stderr }).toEqual({ code: 0, stderr: '' });
    expect(setup.stdout).toMatch(/^search attributes registered on namespace default: BcSyncMapping/);
    start(['worker'], { TEMPORAL_API_KEY: keys.worker });
    const firstRun = await until('the first CUSTOMER run', async () => {
      const r = await bcsync(['status', 'CUSTOMER', '--json'], { TEMPORAL_API_KEY: keys.worker });
      const st = r.code === 0 ? (JSON.parse(r.stdout) as EntryStatus) : undefined;
      return st?.lastRun ? st : undefined;
    });
    expect(firstRun.lastRun?.outcome).not.toBe('Run failed');
    const full = await bcsync(['full-sync', '--mapping', 'CUSTOMER'], { TEMPORAL_API_KEY: keys.worker });
    expect({ code: full.code, stderr: full.stderr }).toEqual({ code: 0, stderr: '' });
    expect(await crmAccountNamed(em, 'Adatum Corporation')).toBeDefined();
  });
});
