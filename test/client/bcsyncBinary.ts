// Runs the compiled `bcsync` binary in a child process, as a user does (npm test builds first).
import { execFile, spawn } from 'node:child_process';
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

export interface RunningBcsync {
  /** Resolves with the first stdout line matching `pattern` (rejects if the process exits first). */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  output(): string;
  /** SIGTERM (or the signal given, e.g. SIGINT for Ctrl-C), then the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  /** Sends `signal` if the process still runs, without waiting for it to exit. */
  signal(signal: NodeJS.Signals): void;
}

/** A long-running command (`worker`, `console`, `emulate`) in a child process, as a user starts it. */
export function startBcsync(args: string[], env: Record<string, string | undefined> = {}): RunningBcsync {
  return startScript(cli, args, env);
}

/** A long-running node entry point (the bcsync binary, or `npm start`'s dist/client/start.js). */
export function startScript(
  script: string,
  args: string[],
  env: Record<string, string | undefined> = {},
  nodeArgs: string[] = [],
): RunningBcsync {
  const merged: NodeJS.ProcessEnv = { ...process.env };
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) delete merged[k];
    else merged[k] = v;
  }
  const child = spawn(process.execPath, [...nodeArgs, script, ...args], {
    env: merged,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const send = (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  };
  return {
    output: () => out + err,
    waitFor(pattern, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => done(new Error(`no ${pattern} within ${timeoutMs} ms:\n${out}${err}`)),
          timeoutMs,
        );
        const check = () => {
          const m = pattern.exec(out);
          if (m) done(undefined, m);
        };
        const onExit = () =>
          done(new Error(`${script} ${args.join(' ')} exited before ${pattern}:\n${out}${err}`));
        function done(e?: Error, m?: RegExpMatchArray) {
          clearTimeout(timer);
          child.stdout.off('data', check);
          child.off('exit', onExit);
          if (e) reject(e);
          else resolve(m!);
        }
        child.stdout.on('data', check);
        child.once('exit', onExit);
        check();
      });
    },
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      send(signal);
      return exited;
    },
    signal: send,
  };
}
