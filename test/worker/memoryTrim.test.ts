// A worker's RSS comes back down once native memory is freed (worker/memoryTrim.ts). The scene is what
// glibc does to a worker: many small native allocations (Temporal core's, node's), most of them freed,
// a few still live between them, so glibc can return nothing from the top of its heap and keeps the rest.
// In a child process, so the RSS read is that scene's and not the test runner's.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const memoryTrim = JSON.stringify(join(__dirname, '..', '..', 'dist', 'worker', 'memoryTrim.js'));
const scene = `
const { nativeHeap, trimNativeMemory } = require(${memoryTrim});
const rssMb = () => Number(/VmRSS:\\s+(\\d+)/.exec(require('fs').readFileSync('/proc/self/status', 'utf8'))[1]) / 1024;
// 100,000 native blocks of 2 KB (Buffer.alloc goes to the C library's calloc), every 100th kept.
let blocks = Array.from({ length: 100000 }, () => Buffer.alloc(2048, 1));
const kept = blocks.filter((_, i) => i % 100 === 99);
blocks = undefined;
// V8 frees the blocks' memory after a GC, on a thread of its own: wait until glibc has them back.
const freed = () => {
  gc();
  if (nativeHeap().inUseBytes > 100 * 1048576) return setTimeout(freed, 100);
  const before = rssMb();
  const trimmed = trimNativeMemory();
  console.log(JSON.stringify({ trimmed, before, after: rssMb(), kept: kept.length }));
};
setTimeout(freed, 0);
`;

const glibc = Boolean(
  (process.report.getReport() as { header?: { glibcVersionRuntime?: string } }).header?.glibcVersionRuntime,
);

(glibc ? test : test.skip)('freed native memory goes back to the OS (Linux, glibc)', () => {
  const child = spawnSync(process.execPath, ['--expose-gc', '-e', scene], { encoding: 'utf8' });
  expect(child.stderr).toBe('');
  const { trimmed, before, after } = JSON.parse(child.stdout) as Record<string, number | boolean>;
  expect(trimmed).toBe(true);
  // ~195 MB were freed but are still resident until the trim, which returns most of them.
  expect(before as number).toBeGreaterThan(150);
  expect((before as number) - (after as number)).toBeGreaterThan(100);
});

test('without glibc, or with the setting at 0, nothing is trimmed and nothing fails', () => {
  const child = spawnSync(
    process.execPath,
    [
      '-e',
      `const m = require(${memoryTrim});
       m.startMemoryTrim(0).stop(); m.startMemoryTrim(1).stop();
       console.log(JSON.stringify({ trimmed: m.trimNativeMemory(), heap: m.nativeHeap() !== undefined }));`,
    ],
    { encoding: 'utf8' },
  );
  expect(child.status).toBe(0);
  expect(JSON.parse(child.stdout)).toEqual({ trimmed: glibc, heap: glibc });
});

test('the module loaded twice in one process (a test runner does it per file) still reads and trims', () => {
  const child = spawnSync(
    process.execPath,
    [
      '-e',
      `const path = require.resolve(${memoryTrim});
       const first = require(path);
       delete require.cache[path];
       const second = require(path);
       console.log(JSON.stringify([first, second].map((m) => [m.trimNativeMemory(), m.nativeHeap() !== undefined])));`,
    ],
    { encoding: 'utf8' },
  );
  expect(child.stderr).toBe('');
  expect(JSON.parse(child.stdout)).toEqual([
    [glibc, glibc],
    [glibc, glibc],
  ]);
});
