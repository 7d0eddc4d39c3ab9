// The entry on a real Temporal dev server (TEMPORAL_ADDRESS, from the jest global setup, with the BcSync*
// search attributes registered): what a person filters on in the Temporal UI. Skipped without a server.
import { randomUUID } from 'node:crypto';
import { Client, Connection, type WorkflowExecutionInfo, type WorkflowHandle } from '@temporalio/client';
import {
  bundleWorkflowCode,
  DefaultLogger,
  NativeConnection,
  Runtime,
  Worker,
  type WorkflowBundle,
} from '@temporalio/worker';
import { EntryState, entryWorkflowId, searchAttributeKeys } from '../../common/jobQueue';
import { jobQueueEntry } from '../../workflows';
import { eventually, runResult, scriptedEngine, statusOf } from './entryTestKit';

const address = process.env.TEMPORAL_ADDRESS;
const namespace = process.env.TEMPORAL_NAMESPACE ?? 'default';
const describeWithServer = address ? describe : describe.skip;

describeWithServer('job queue entry on a Temporal dev server', () => {
  let connection: Connection;
  let nativeConnection: NativeConnection;
  let client: Client;
  let workflowBundle: WorkflowBundle;
  let handle: WorkflowHandle | undefined;

  beforeAll(async () => {
    try {
      Runtime.install({ logger: new DefaultLogger('WARN') });
    } catch {
      // Another test file in this jest worker installed the runtime already.
    }
    connection = await Connection.connect({ address });
    nativeConnection = await NativeConnection.connect({ address });
    client = new Client({ connection, namespace });
    workflowBundle = await bundleWorkflowCode({
      workflowsPath: require.resolve('../../workflows'),
      logger: new DefaultLogger('WARN'),
    });
  });

  afterAll(async () => {
    await handle?.terminate('test finished').catch(() => undefined);
    await nativeConnection?.close();
    await connection?.close();
  });

  it('lists an idle entry under BcSyncState = On Hold with Inactivity Timeout, with its mapping and next run', async () => {
    const engine = scriptedEngine(() => runResult({ unchanged: 5 }));
    const taskQueue = `entry-devserver-${randomUUID()}`;
    const workflowId = entryWorkflowId('CUSTOMER', `devserver-${randomUUID()}`);
    const worker = await Worker.create({
      connection: nativeConnection,
      namespace,
      taskQueue,
      workflowBundle,
      activities: engine.activities,
    });
    await worker.runUntil(async () => {
      handle = await client.workflow.start(jobQueueEntry, {
        taskQueue,
        workflowId,
        args: [{ entry: 'CUSTOMER', mappings: ['CUSTOMER'] }],
      });
      const held = await eventually('the idle first run', statusOf(handle), (s) => s.runs === 1);
      expect(held.state).toBe(EntryState.OnHoldWithInactivityTimeout);

      const listed = await eventually(
        'the entry in the visibility store',
        async () => {
          const found: WorkflowExecutionInfo[] = [];
          const query = `BcSyncState = '${EntryState.OnHoldWithInactivityTimeout}' AND WorkflowId = '${workflowId}'`;
          for await (const execution of client.workflow.list({ query })) found.push(execution);
          return found;
        },
        (found) => found.length === 1,
      );
      const attributes = listed[0].typedSearchAttributes;
      expect(attributes.get(searchAttributeKeys.mapping)).toBe('CUSTOMER');
      expect(attributes.get(searchAttributeKeys.lastResult)).toBe('No changes');
      expect(attributes.get(searchAttributeKeys.failedCount)).toBe(0);
      expect(attributes.get(searchAttributeKeys.nextRunAt)?.toISOString()).toBe(held.nextRunAt);
    });
  });
});
