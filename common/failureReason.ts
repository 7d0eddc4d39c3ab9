// Why a Temporal call failed, in words a person can act on. A failure reaches the caller wrapped:
// "Workflow Update failed" / "Workflow execution failed" (client) around "Activity task failed"
// (ActivityFailure) around the activity's own ApplicationFailure, whose message is the reason. The chain is
// walked and the wrappers' generic texts are dropped. Pure: used by workflows (an entry's last error, a
// full sync's per-mapping error) and by the CLI (its error line and exit code).
import { ActivityFailure, ApplicationFailure, ChildWorkflowFailure } from '@temporalio/common';

// The client's wrappers (@temporalio/client, not importable in workflow code): known by name.
const CLIENT_WRAPPERS = new Set(['WorkflowFailedError', 'WorkflowUpdateFailedError']);

/** The failure type of input a workflow rejected (validators, zod at the boundary): a usage error. */
export const INVALID_INPUT = 'InvalidInput';

function isWrapper(err: unknown): boolean {
  return (
    err instanceof ActivityFailure ||
    err instanceof ChildWorkflowFailure ||
    (err instanceof Error && CLIENT_WRAPPERS.has(err.name))
  );
}

/** `err` and its causes, outermost first (at most 20: a cause chain is never that deep). */
export function failureChain(err: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let e = err; e !== undefined && e !== null && chain.length < 20; e = (e as { cause?: unknown }).cause)
    chain.push(e);
  return chain;
}

/**
 * The messages of the failure chain without the wrappers' generic texts, outermost first, joined with
 * ": " (a message that already quotes the next one is not repeated).
 */
export function failureReason(err: unknown): string {
  const parts: string[] = [];
  for (const e of failureChain(err)) {
    if (isWrapper(e) && (e as Error).cause) continue;
    const text = (e instanceof Error ? e.message : String(e)).trim();
    if (text && !parts.some((p) => p.includes(text))) parts.push(text);
  }
  return parts.join(': ') || String(err);
}

/** True when some failure in the chain is the given ApplicationFailure type. */
export function hasFailureType(err: unknown, type: string): boolean {
  return failureChain(err).some((e) => e instanceof ApplicationFailure && e.type === type);
}
