// Runs the compiled `bcsync` binary in a child process, as a user does (npm test builds first).
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);
const root = join(__dirname, '..', '..');
const cli = join(root, 'bin', 'bcsync.js');

export interface BcsyncRun {
  code: number;
  stdout: string;
  stderr: string;
}

export function assertBuilt(): void {
  if (!existsSync(join(root, 'dist', 'client', 'cli.js')))
    throw new Error('dist/ is missing: run `npm run build` (npm test does it first)');
}

/** `env` is added to the test's environment; a key set to undefined is removed from it. */
export async function bcsync(
  args: string[],
  env: Record<string, string | undefined> = {},
): Promise<BcsyncRun> {
  const merged: NodeJS.ProcessEnv = { ...process.env };
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) delete merged[k];
    else merged[k] = v;
  }
  try {
    const { stdout, stderr } = await exec(process.execPath, [cli, ...args], { env: merged });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}
