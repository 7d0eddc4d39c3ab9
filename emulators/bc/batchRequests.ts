// JSON `$batch` (apis.md A): `{"requests":[{id,method,url,headers,body}]}` -> `{"responses":[{id,status,
// headers,body}]}`, at most 100 operations. With `Isolation: snapshot` the batch is one transaction: every
// operation runs, and if any failed none of the changes stay (the responses still show each operation's own
// outcome, as in the BC documentation's example). Without it each operation stands alone. OData 4.01's
// `atomicityGroup` and `dependsOn` are not in BC's documentation ("Using OData transactional $batch
// requests" names only `Isolation: snapshot`): they are answered 501, never silently ignored.
import { z } from 'zod';
import { BcApiError, bcErrors } from './bcErrors';
import type { BcState } from './bcState';
import type { ApiRequest, ApiResponse } from './entityRequests';

export const MAX_BATCH_OPERATIONS = 100;

const batchSchema = z.object({
  requests: z.array(
    z.object({
      id: z.union([z.string(), z.number(), z.null()]).optional(),
      method: z.string().min(1),
      url: z.string().min(1),
      headers: z.record(z.string(), z.string()).optional(),
      body: z.unknown().optional(),
      atomicityGroup: z.string().optional(),
      dependsOn: z.array(z.string()).optional(),
    }),
  ),
});

export type BatchOperation = z.infer<typeof batchSchema>['requests'][number];

export interface BatchHooks {
  /** Turns an operation into an API request (URL resolution, environment and route checks); throws BcApiError. */
  prepare(op: BatchOperation): ApiRequest;
  execute(request: ApiRequest): ApiResponse;
}

function lowerCaseHeaders(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) out[k.toLowerCase()] = v;
  return out;
}

function operationResponse(
  op: BatchOperation,
  hooks: BatchHooks,
): { status: number; json: Record<string, unknown> } {
  let response: ApiResponse;
  try {
    response = hooks.execute(hooks.prepare(op));
  } catch (error) {
    if (!(error instanceof BcApiError)) throw error;
    response = { status: error.status, headers: error.headers, body: error.body() };
  }
  const headers = lowerCaseHeaders(response.headers);
  if (
    (response.body !== undefined || response.rawJson !== undefined) &&
    headers['content-type'] === undefined
  ) {
    headers['content-type'] = 'application/json; odata.metadata=minimal';
  }
  headers['odata-version'] = '4.0';
  const json: Record<string, unknown> = { id: op.id ?? null, status: response.status, headers };
  if (response.rawJson !== undefined) json.body = JSON.parse(response.rawJson) as unknown;
  else if (response.body !== undefined) json.body = response.body;
  return { status: response.status, json };
}

export function executeBatch(
  state: BcState,
  body: unknown,
  isolation: string | undefined,
  hooks: BatchHooks,
): ApiResponse {
  const parsed = batchSchema.safeParse(body);
  if (!parsed.success) {
    throw bcErrors.badRequest(
      `Invalid Request Body: the JSON batch needs {"requests":[{"id","method","url"}]}. ${z.prettifyError(parsed.error)}`,
    );
  }
  const ops = parsed.data.requests;
  const unsupported = ops.find((op) => op.atomicityGroup !== undefined || op.dependsOn !== undefined);
  if (unsupported) {
    throw bcErrors.notImplemented(
      `'${unsupported.atomicityGroup !== undefined ? 'atomicityGroup' : 'dependsOn'}' in a JSON $batch (use the header Isolation: snapshot for an all-or-nothing batch)`,
    );
  }
  if (ops.length > MAX_BATCH_OPERATIONS) {
    // apis.md A: at most 100 operations per batch.
    throw bcErrors.badRequest(
      `The batch request contains ${ops.length} operations, but the maximum number of operations in a batch request is ${MAX_BATCH_OPERATIONS}. Split the batch.`,
    );
  }
  const runAll = () => ops.map((op) => operationResponse(op, hooks));
  let results: { status: number; json: Record<string, unknown> }[];
  if ((isolation ?? '').trim().toLowerCase() === 'snapshot') {
    results = state.transaction(() => {
      const all = runAll();
      return { result: all, commit: all.every((r) => r.status < 400) };
    });
  } else {
    results = runAll();
  }
  return {
    status: 200,
    headers: { 'OData-Version': '4.0' },
    body: { responses: results.map((r) => r.json) },
  };
}
