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
//   malloc arena, and each keeps freed memory.
export const DEFAULT_WORKER_HEAP_MB = 512;
const SEMI_SPACE_MB = 8;

/** Node options for a worker process; a setting given already (flags or NODE_OPTIONS) is left alone. */
export function workerNodeArgs(
  env: NodeJS.ProcessEnv = process.env,
  execArgv: readonly string[] = process.execArgv,
): string[] {
  const given = [...execArgv, ...(env.NODE_OPTIONS ?? '').split(/\s+/)];
  const has = (flag: string) => given.some((a) => a.startsWith(flag));
  const args: string[] = [];
  if (!has('--max-semi-space-size')) args.push(`--max-semi-space-size=${SEMI_SPACE_MB}`);
  if (has('--max-old-space-size')) return args;
  const raw = env.BCSYNC_WORKER_HEAP_MB?.trim();
  if (raw === '0') return args;
  const mb = raw ? Number(raw) : DEFAULT_WORKER_HEAP_MB;
  if (!Number.isInteger(mb) || mb < 64) {
    throw new Error(
      `BCSYNC_WORKER_HEAP_MB must be a whole number of MB, at least 64 (or 0 for V8's own default); got "${raw}".`,
    );
  }
  return [...args, `--max-old-space-size=${mb}`];
}

/** Environment for a worker process (glibc reads MALLOC_ARENA_MAX at start). */
export function workerEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return { ...env, MALLOC_ARENA_MAX: env.MALLOC_ARENA_MAX ?? '2' };
}
