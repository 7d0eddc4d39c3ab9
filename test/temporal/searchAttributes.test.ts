// `bcsync setup` on a namespace without the BcSync* search attributes (any server other than our dev
// server): it registers them through the operator service before it starts an entry; where the server
// refuses, it stops with the administrator's command (client/searchAttributes.ts).
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { adminCommand, ensureSearchAttributes } from '../../client/searchAttributes';
import { searchAttributeDefinitions } from '../../common/jobQueue';

const exec = promisify(execFile);
const address = process.env.TEMPORAL_ADDRESS;
const describeWithServer = address ? describe : describe.skip;
const cli = join(__dirname, '..', '..', 'bin', 'bcsync.js');

test('the administrator command names every missing attribute, for a self-hosted server and for Temporal Cloud', () => {
  const missing = searchAttributeDefinitions.slice(0, 2);
  expect(adminCommand('temporal.contoso.internal:7233', 'bcsync-prod', missing)).toBe(
    'temporal operator search-attribute create --address temporal.contoso.internal:7233 --namespace bcsync-prod ' +
      '--name BcSyncMapping --type Keyword --name BcSyncState --type Keyword',
  );
  expect(adminCommand('contoso-sync.a1b2c.tmprl.cloud:7233', 'contoso-sync.a1b2c', missing)).toBe(
    'tcld namespace search-attributes add --namespace contoso-sync.a1b2c --sa "BcSyncMapping=Keyword" --sa "BcSyncState=Keyword"',
  );
});

describeWithServer('bcsync setup on a fresh namespace', () => {
  const namespace = `bcsync-sa-${randomUUID().slice(0, 8)}`;
  let connection: Connection;

  beforeAll(async () => {
    connection = await Connection.connect({ address });
    await connection.workflowService.registerNamespace({
      namespace,
      workflowExecutionRetentionPeriod: msToTs('1 day'),
    });
    // A new namespace reaches every service of the server with its namespace cache refresh.
    for (let i = 0; ; i++) {
      try {
        await connection.workflowService.describeNamespace({ namespace });
        break;
      } catch (err) {
        if (i > 100) throw err;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
  });

  afterAll(async () => {
    const client = new Client({ connection, namespace });
    for await (const w of client.workflow.list({ query: 'ExecutionStatus = "Running"' }))
      await client.workflow
        .getHandle(w.workflowId)
        .terminate('test finished')
        .catch(() => undefined);
    await connection?.close();
  });

  it('registers the missing attributes, then starts the entries; the next time nothing is missing', async () => {
    const before = await connection.operatorService.listSearchAttributes({ namespace });
    expect(Object.keys(before.customAttributes ?? {}).filter((k) => k.startsWith('BcSync'))).toEqual([]);

    const env = {
      ...process.env,
      TEMPORAL_NAMESPACE: namespace,
      BCSYNC_DB_NAME: `sa_${randomUUID().slice(0, 8)}`,
    };
    const first = await exec(process.execPath, [cli, 'setup'], { env });
    const lines = first.stdout.split('\n');
    expect(lines[0]).toBe(
      `search attributes registered on namespace ${namespace}: ${searchAttributeDefinitions.map((d) => d.name).join(', ')}`,
    );
    expect(lines.slice(1).some((l) => /^CUSTOMER: started/.test(l))).toBe(true);
    const after = await connection.operatorService.listSearchAttributes({ namespace });
    for (const d of searchAttributeDefinitions) expect(after.customAttributes).toHaveProperty(d.name);

    // Nothing left to register the next time (a second `setup` would also update the running entries,
    // which needs a worker on this namespace).
    const client = new Client({ connection, namespace });
    expect(await ensureSearchAttributes(client, { address: address! })).toEqual([]);
  });
});
