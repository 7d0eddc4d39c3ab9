// How `bcsync worker` starts its process: the memory settings, and a clear error for a bad setting.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { workerEnv, workerNodeArgs } from '../../worker/processSettings';

describe('worker process settings', () => {
  it('gives a worker a heap limit and small semi-spaces unless the user set them', () => {
    expect(workerNodeArgs({}, [])).toEqual(['--max-semi-space-size=8', '--max-old-space-size=512']);
    expect(workerNodeArgs({ BCSYNC_WORKER_HEAP_MB: '1024' }, [])).toContain('--max-old-space-size=1024');
    expect(workerNodeArgs({ BCSYNC_WORKER_HEAP_MB: '0' }, [])).toEqual(['--max-semi-space-size=8']);
    expect(workerNodeArgs({ NODE_OPTIONS: '--max-old-space-size=2048' }, [])).toEqual([
      '--max-semi-space-size=8',
    ]);
    // The re-started process already has both: nothing more to add (no second restart).
    expect(workerNodeArgs({}, ['--max-semi-space-size=8', '--max-old-space-size=512'])).toEqual([]);
    expect(workerEnv({}).MALLOC_ARENA_MAX).toBe('2');
    expect(workerEnv({ MALLOC_ARENA_MAX: '8' }).MALLOC_ARENA_MAX).toBe('8');
  });

  it('refuses a heap size that is not a number of MB, naming the setting', () => {
    expect(() => workerNodeArgs({ BCSYNC_WORKER_HEAP_MB: '512MB' }, [])).toThrow(
      /BCSYNC_WORKER_HEAP_MB is invalid .*a whole number of MB, at least 64/,
    );
    expect(() => workerNodeArgs({ BCSYNC_WORKER_HEAP_MB: '32' }, [])).toThrow(
      /BCSYNC_WORKER_HEAP_MB is invalid/,
    );
    const cli = spawnSync(process.execPath, [join(__dirname, '..', '..', 'bin', 'bcsync.js'), 'worker'], {
      env: { ...process.env, BCSYNC_WORKER_HEAP_MB: 'lots' },
      encoding: 'utf8',
    });
    expect(cli.status).toBe(2);
    expect(cli.stderr).toMatch(/BCSYNC_WORKER_HEAP_MB is invalid .*a whole number of MB/);
  });
});
