// Starting and stopping server processes we own, and waiting for their ports.
import { spawn } from 'node:child_process';
import { existsSync, openSync, mkdirSync, readFileSync } from 'node:fs';
import { createConnection, createServer, type Server } from 'node:net';
import { dirname } from 'node:path';
import { maskSecrets } from '../common/secretMasking';
import { childEnvironment } from '../config/settings';

/** The last lines of a server's log, secrets masked: why it stopped, in the error itself. */
export function logTail(logFile: string, lines = 15): string {
  if (!existsSync(logFile)) return '';
  const tail = readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  return maskSecrets(tail);
}

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
      const tail = logFile ? logTail(logFile) : '';
      throw new Error(
        `${what} exited before it opened port ${port}${logFile ? `; see ${logFile}` : ''}` +
          (tail ? `; its log ends:\n${tail}` : ''),
      );
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(
    `${what} did not open port ${port} within ${timeoutMs / 1000} s${logFile ? `; see ${logFile}` : ''}`,
  );
}

/**
 * `count` distinct free TCP ports on loopback for servers we start, picked at random in [min, max] and
 * all held until every one is found. The default range lies below Linux's ephemeral range (32768-60999):
 * a port taken with bind(0) is an ephemeral one, which any outgoing connection may take as its source
 * port before the server binds it, and a second bind(0) after a close may return the same port again
 * (the cluster test's Temporal server once exited before it opened its port).
 */
export async function freePorts(count: number, min = 20000, max = 32767): Promise<number[]> {
  const held: Server[] = [];
  const ports: number[] = [];
  try {
    for (let tries = 0; ports.length < count; tries++) {
      if (tries >= 50 * count) throw new Error(`no ${count} free ports between ${min} and ${max}`);
      const port = min + Math.floor(Math.random() * (max - min + 1));
      if (ports.includes(port)) continue;
      const srv = createServer();
      const bound = await new Promise<boolean>((resolve) => {
        srv.once('error', () => resolve(false));
        srv.listen(port, '127.0.0.1', () => resolve(true));
      });
      if (bound) {
        held.push(srv);
        ports.push(port);
      }
    }
    return ports;
  } finally {
    await Promise.all(held.map((srv) => new Promise((resolve) => srv.close(resolve))));
  }
}

/** A free TCP port on loopback for a server we start (see freePorts). */
export async function freePort(): Promise<number> {
  const [port] = await freePorts(1);
  return port!;
}

/** A user to run a server as (PostgreSQL refuses to run as root). */
export interface RunAs {
  uid: number;
  gid: number;
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
