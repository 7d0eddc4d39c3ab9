// Failure messages and stack traces go into an encoded payload instead of the plain failure fields, so the
// payload codec (temporal/payloadCodec.ts) encrypts them like any other payload: an API error naming a
// record leaves no value in the history. Loaded by path on both sides (the workflow bundle and the
// worker's and clients' data converter), so it stays free of Node imports.
import { DefaultFailureConverter } from '@temporalio/common';

export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
