// How a worker process is started (`bcsync worker`; bench/engineInitialSync.ts starts it the same way).
// The engine holds pages, not tables, so a worker's live heap stays small; what its RSS shows is mostly
// garbage and allocator slack, which these settings keep in check. Measured on the 100,000-customer
// initial sync (bench/engineInitialSync.ts, peak RSS of the worker process): 305-328 MB with node's
// defaults, 272-289 MB with these, at the same speed.
// - A V8 heap limit: without one V8 sizes the heap from the machine's memory and lets garbage pile up
//   towards it between major collections (BCSYNC_WORKER_HEAP_MB, default 512; 0 = V8's own default).
// - A smaller young generation (8 MB semi-spaces instead of 16): the main isolate and the workflow
//   thread's each reserve three of them.
// - MALLOC_ARENA_MAX=2: glibc gives each thread (Temporal core, libuv pool, workflow thread) its own
//   malloc arena, and each keeps freed memory. Fewer arenas do not return that memory, though: with 1,000
//   entries on hold glibc kept ~390 MB free with 2 arenas or 16 (bench/idleCost.ts); the worker's
//   periodic trim (worker/memoryTrim.ts) is what gives it back.
import { readSettings } from '../config/settings';

const SEMI_SPACE_MB = 8;

/** Node options for a worker process; a setting given already (flags or NODE_OPTIONS) is left alone. */
export function workerNodeArgs(env: NodeJS.ProcessEnv, execArgv: readonly string[]): string[] {
  const given = [...execArgv, ...(env.NODE_OPTIONS ?? '').split(/\s+/)];
  const has = (flag: string) => given.some((a) => a.startsWith(flag));
  const args: string[] = [];
  if (!has('--max-semi-space-size')) args.push(`--max-semi-space-size=${SEMI_SPACE_MB}`);
  if (has('--max-old-space-size')) return args;
  // BCSYNC_WORKER_HEAP_MB, validated with every other setting (a SettingsError names it).
  const mb = readSettings(env).worker.heapMb;
  if (mb === 0) return args;
  return [...args, `--max-old-space-size=${mb}`];
}

/** Environment for a worker process (glibc reads MALLOC_ARENA_MAX at start). */
export function workerEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { ...env, MALLOC_ARENA_MAX: env.MALLOC_ARENA_MAX ?? '2' };
}
