// Starting and stopping server processes we own, and waiting for their ports.
import { spawn } from 'node:child_process';
import { openSync, mkdirSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { dirname } from 'node:path';
import { childEnvironment } from '../config/settings';

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export function portOpen(port: number, host = '127.0.0.1', timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export async function waitForPort(
  port: number,
  what: string,
  timeoutMs: number,
  pid?: number,
  logFile?: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await portOpen(port)) return;
    if (pid !== undefined && !isAlive(pid)) {
      throw new Error(`${what} exited before it opened port ${port}${logFile ? `; see ${logFile}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(
    `${what} did not open port ${port} within ${timeoutMs / 1000} s${logFile ? `; see ${logFile}` : ''}`,
  );
}

/** A free TCP port on loopback (bind to 0, read it, close). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** A user to run a server as (PostgreSQL refuses to run as root). */
export interface RunAs {
  uid: number;
  gid: number;
}

/**
 * A free TCP port in [min, max] (tries random ones). For the Temporal server's membership ports, which
 * its SQL schema keeps in a signed 16-bit column, below the system's ephemeral range.
 */
export async function freePortBetween(min: number, max: number): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const port = min + Math.floor(Math.random() * (max - min + 1));
    const free = await new Promise<boolean>((resolve) => {
      const srv = createServer();
      srv.once('error', () => resolve(false));
      srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
    });
    if (free) return port;
  }
  throw new Error(`no free port between ${min} and ${max}`);
}

/** Starts a detached process (it outlives the CLI that started it), output to a log file. */
export function startDetached(
  cmd: string,
  args: string[],
  logFile: string,
  env: NodeJS.ProcessEnv = {},
  runAs?: RunAs,
): number {
  mkdirSync(dirname(logFile), { recursive: true });
  const out = openSync(logFile, 'a');
  const child = spawn(cmd, args, {
    detached: true,
    stdio: ['ignore', out, out],
    env: childEnvironment(env),
    ...runAs,
  });
  child.unref();
  if (child.pid === undefined) throw new Error(`could not start ${cmd}`);
  return child.pid;
}

/** SIGTERM the process group, then SIGKILL after a grace period. */
export async function stopProcess(pid: number, graceMs = 5000): Promise<void> {
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(-pid, sig);
    } catch {
      try {
        process.kill(pid, sig);
      } catch {
        /* already gone */
      }
    }
  };
  signal('SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline && isAlive(pid)) await new Promise((r) => setTimeout(r, 100));
  if (isAlive(pid)) signal('SIGKILL');
}
