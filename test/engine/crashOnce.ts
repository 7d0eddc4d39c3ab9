// An engine that dies once at a chosen step of a pass (a worker killed mid-activity), for the exactly-once
// scenarios: the first time the pass in `direction` reaches `point` on a page that writes, it throws Crash.
import type { SyncEngine } from '../../activities/engine/engine';
import type { CrashPoint, PassDirection, SyncEngineDeps } from '../../activities/engine/types';
import type { EngineStack } from './engineHarness';

export class Crash extends Error {}

export function crashOnce(
  stack: EngineStack,
  point: CrashPoint,
  direction: PassDirection = 'fromCrm',
  deps: Partial<SyncEngineDeps> = {},
): SyncEngine {
  let crashed = false;
  return stack.engineWith({
    ...deps,
    crashAt: (at, ctx) => {
      if (crashed || at !== point || ctx.direction !== direction || (ctx.writes ?? 1) === 0) return;
      crashed = true;
      throw new Crash(`crash at ${at}`);
    },
  });
}
