// The order one-off runs take their mappings in (full synchronization, dry run): dependencies first. A
// cycle or a dependency on nothing is a configuration error no retry fixes.
import { ApplicationFailure } from '@temporalio/workflow';
import { inDependencyOrder } from '../common/dependencyOrder';

/** `mappings` in dependency order; fails the workflow for good (`BadConfig`) when no order exists. */
export function mappingsInOrder(mappings: string[], dependsOn: Record<string, string[]>): string[] {
  try {
    return inDependencyOrder(mappings, dependsOn);
  } catch (err) {
    throw ApplicationFailure.nonRetryable((err as Error).message, 'BadConfig');
  }
}
