// The demo pair synchronized by a CUSTOMER entry workflow on a real worker, as `bcsync setup` and
// `bcsync worker` run it: the engine stack (both emulators, MongoDB), reference data coupled, a worker on a
// task queue of the test's own and the entry started On Hold, so it runs only when the test says so
// (`runNow`), never on its own schedule. Every pass names the Temporal run that did it (lineage).
import { Client, Connection, type WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import type { EffectiveMappings } from '../../activities/mappings/mappingConfig';
import { entryWorkflowId, type RunResult } from '../../common/jobQueue';
import { runNowUpdate } from '../../workflows/messages';
import { startWorker, type RunningWorker } from '../../worker/worker';
import { startEngineStack, type EngineStack } from '../engine/engineHarness';
import { prepareReferenceData } from '../engine/engineTestData';
import { testSettings, withDbName } from './settings';

export interface CustomerEntry {
  stack: EngineStack;
  client: Client;
  entry: WorkflowHandleWithFirstExecutionRunId;
  runNow(fullSync?: boolean): Promise<RunResult>;
  stop(): Promise<void>;
}

export async function startCustomerEntry(options: {
  /** The entry's name (its workflow id is `entryWorkflowId(entry)`). */
  entry: string;
  taskQueue: string;
  /** Mappings with entry names of the test's own; default the default mappings. */
  mappings?: EffectiveMappings;
}): Promise<CustomerEntry> {
  const stack = await startEngineStack(options.mappings ? { mappings: options.mappings } : {});
  let worker: RunningWorker | undefined;
  let connection: Connection | undefined;
  let entry: WorkflowHandleWithFirstExecutionRunId | undefined;
  const stop = async () => {
    await entry?.terminate('test finished').catch(() => undefined);
    worker?.worker.shutdown();
    await worker?.done;
    await connection?.close();
    await stack.stop();
  };
  try {
    await prepareReferenceData(stack);
    worker = await startWorker({
      temporalAddress: process.env.TEMPORAL_ADDRESS!,
      mongodbUri: process.env.MONGODB_URI!,
      settings: withDbName(testSettings(), stack.db.db.databaseName),
      taskQueue: options.taskQueue,
      shutdownGraceTime: '1s',
      activities: {
        connectors: { bc: stack.connectors.bc, dataverse: stack.connectors.dataverse },
        engine: { integrationUserId: stack.integrationUserId, mappings: stack.mappings, pageSize: 50 },
      },
    });
    connection = await Connection.connect({ address: process.env.TEMPORAL_ADDRESS! });
    const client = new Client({ connection });
    const started = await client.workflow.start('jobQueueEntry', {
      taskQueue: options.taskQueue,
      workflowId: entryWorkflowId(options.entry),
      args: [{ entry: options.entry, mappings: ['CUSTOMER'], startOnHold: true }],
    });
    entry = started;
    return {
      stack,
      client,
      entry: started,
      runNow: (fullSync = false) => started.executeUpdate(runNowUpdate, { args: [{ fullSync }] }),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
