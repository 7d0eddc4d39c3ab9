// A worker gives the native memory it has freed back to the OS (glibc's malloc_trim, every
// BCSYNC_WORKER_MEMORY_TRIM_SECONDS). glibc keeps what Temporal's core and node free in its arenas and
// returns only the top of each: free pages below a live allocation stay resident for the life of the
// process, so a worker's RSS is the high-water mark of everything it ever did, not what it holds.
// Measured (bench/idleCost.ts --malloc-trim, 1,000 entries on hold): glibc 27 MB in use and 386 MB free
// in its arenas, RSS 590 MB; malloc_trim(0) -> 184 MB. Only on Linux with glibc; elsewhere (macOS,
// Windows, musl) the C library is left alone.
import koffi from 'koffi';

interface Glibc {
  /** Returns the free pages of every arena to the OS (glibc >= 2.8 also trims inside the arenas). */
  mallocTrim(pad: number): number;
  /** glibc >= 2.33 only. */
  mallinfo2?: () => Record<'uordblks' | 'hblkhd' | 'fordblks', number>;
}
let glibc: Glibc | null | undefined;

/** glibc's libc.so.6 with its own entry point, or undefined (not Linux, or another C library: musl). */
function loadLibc(): ReturnType<typeof koffi.load> | undefined {
  if (process.platform !== 'linux') return undefined;
  try {
    const lib = koffi.load('libc.so.6');
    lib.func('const char *gnu_get_libc_version()');
    return lib;
  } catch {
    return undefined;
  }
}

function loadGlibc(): Glibc | null {
  const lib = loadLibc();
  if (!lib) return null;
  // Anonymous: koffi's named types are process-wide, and a second load of this module in the same
  // process (a test runner's fresh module registry per file) would define the name again and throw.
  const mallinfo2 = koffi.struct({
    arena: 'size_t',
    ordblks: 'size_t',
    smblks: 'size_t',
    hblks: 'size_t',
    hblkhd: 'size_t',
    usmblks: 'size_t',
    fsmblks: 'size_t',
    uordblks: 'size_t',
    fordblks: 'size_t',
    keepcost: 'size_t',
  });
  const mallocTrim = lib.func('int malloc_trim(size_t pad)') as Glibc['mallocTrim'];
  try {
    return { mallocTrim, mallinfo2: lib.func('mallinfo2', mallinfo2, []) as Glibc['mallinfo2'] };
  } catch {
    return { mallocTrim };
  }
}

/** glibc, loaded once through an FFI (koffi); null where the C library is another one. */
function glibcLibrary(): Glibc | null {
  if (glibc === undefined) glibc = loadGlibc();
  return glibc;
}

/**
 * glibc's own account of its heap, all arenas: bytes handed out and not given back (live native memory)
 * and bytes free but kept; undefined without glibc (or before glibc 2.33).
 */
export function nativeHeap(): { inUseBytes: number; freeBytes: number } | undefined {
  const info = glibcLibrary()?.mallinfo2?.();
  return info && { inUseBytes: info.uordblks + info.hblkhd, freeBytes: info.fordblks };
}

/** Gives glibc's free memory back to the OS; false where there is no glibc. */
export function trimNativeMemory(): boolean {
  const lib = glibcLibrary();
  lib?.mallocTrim(0);
  return lib !== null;
}

export interface MemoryTrim {
  stop(): void;
}

/** Trims every `seconds` (0: never) until stopped; the timer does not keep the process alive. */
export function startMemoryTrim(seconds: number): MemoryTrim {
  if (seconds === 0 || !glibcLibrary()) return { stop: () => undefined };
  const timer = setInterval(trimNativeMemory, seconds * 1000);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
