// The first end-to-end path: the real Temporal dev server and the real MongoDB-compatible server of the
// test run, a real worker (the same startWorker `bcsync worker` uses), a workflow whose activity writes
// to MongoDB and reads it back.
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { MongoClient } from 'mongodb';
import { startWorker, type RunningWorker } from '../../worker/worker';
import { JOB_QUEUE_TASK_QUEUE } from '../../common/jobQueue';
import type { StackCheckResult } from '../../activities/stackCheck';
import { testSettings, withDbName } from '../support/settings';

const taskQueue = `${JOB_QUEUE_TASK_QUEUE}-stack-${randomUUID().slice(0, 8)}`;
const dbName = `stack_${randomUUID().slice(0, 8)}`;
let running: RunningWorker;
let connection: Connection;

beforeAll(async () => {
  running = await startWorker({
    temporalAddress: process.env.TEMPORAL_ADDRESS!,
    mongodbUri: process.env.MONGODB_URI!,
    settings: withDbName(testSettings(), dbName),
    taskQueue,
    shutdownGraceTime: '1s',
  });
  connection = await Connection.connect({ address: process.env.TEMPORAL_ADDRESS! });
});

afterAll(async () => {
  await connection?.close();
  running?.worker.shutdown();
  await running?.done;
  const mongo = await MongoClient.connect(process.env.MONGODB_URI!);
  await mongo.db(dbName).dropDatabase();
  await mongo.close();
});

test('a workflow on a real worker writes to MongoDB through an activity and reads it back', async () => {
  const client = new Client({ connection });
  const token = randomUUID();
  const result = await client.workflow.execute<(t: string) => Promise<StackCheckResult>>('stackCheck', {
    taskQueue,
    workflowId: `stack-check-${token}`,
    args: [token],
  });
  expect(result).toMatchObject({ token, database: dbName, readBack: true });

  // Independently of the worker: the document is really in the database.
  const mongo = await MongoClient.connect(process.env.MONGODB_URI!);
  try {
    const doc = await mongo
      .db(dbName)
      .collection<{ _id: string; writtenAt: Date }>('stackChecks')
      .findOne({ _id: token });
    expect(doc?.writtenAt.toISOString()).toBe(result.writtenAt);
  } finally {
    await mongo.close();
  }

  // And Temporal recorded the activity in the workflow's history.
  const history = await client.workflow.getHandle(`stack-check-${token}`).fetchHistory();
  const scheduled = history.events?.filter((e) => e.activityTaskScheduledEventAttributes) ?? [];
  expect(scheduled.map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name)).toEqual([
    'recordStackCheck',
  ]);
});
