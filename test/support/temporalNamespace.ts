// A Temporal namespace of a test file's own on the test run's server, with bcsync's search attributes:
// for files that run `bcsync` commands addressing entries by their fixed workflow ids, or that start a
// `bcsync worker` on the default task queue, without meeting another file's workflows or workers.
import { Client, type Connection } from '@temporalio/client';
import { SearchAttributeType } from '@temporalio/common';
import { msToTs } from '@temporalio/common/lib/time';
import { searchAttributeKeyList, searchAttributeKeys } from '../../common/jobQueue';

// IndexedValueType of the operator API (temporal.api.enums.v1), by the SDK's search attribute type.
const indexedValueType: Record<SearchAttributeType, number> = {
  TEXT: 1,
  KEYWORD: 2,
  INT: 3,
  DOUBLE: 4,
  BOOL: 5,
  DATETIME: 6,
  KEYWORD_LIST: 7,
};

/** Registers `namespace` with bcsync's search attributes and waits until the server serves it. */
export async function registerNamespace(connection: Connection, namespace: string): Promise<void> {
  await connection.workflowService.registerNamespace({
    namespace,
    workflowExecutionRetentionPeriod: msToTs('1 day'),
  });
  await connection.operatorService.addSearchAttributes({
    namespace,
    searchAttributes: Object.fromEntries(
      searchAttributeKeyList.map((k) => [k.name, indexedValueType[k.type]]),
    ),
  });
  // A new namespace reaches the server's namespace cache within seconds.
  const client = new Client({ connection, namespace });
  for (let i = 0; ; i++) {
    try {
      for await (const _ of client.workflow.list({ query: `${searchAttributeKeys.state.name} = 'On Hold'` }))
        break;
      return;
    } catch (err) {
      if (i > 60) throw err;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}
