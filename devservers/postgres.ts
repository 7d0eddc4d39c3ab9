// A PostgreSQL instance of our own (Debian's `postgresql` package, any version from 12): its own data
// folder under the state dir, loopback only, no Unix socket, password authentication. The local Temporal
// cluster keeps its history and its SQL visibility there, and FerretDB its documents.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { isExecutable, onPath } from './binaryLookup';
import { isAlive, startDetached, type RunAs } from './processes';

export const POSTGRES_USER = 'bcsync';

export interface PostgresInstance {
  pid: number;
  port: number;
  user: string;
  password: string;
  dataDir: string;
  logFile: string;
  /** initdb, postgres, pg_isready. */
  binDir: string;
}

/** The folder with initdb and postgres: PATH, else Debian's /usr/lib/postgresql/<newest>/bin. */
export function postgresBinDir(path: string): string | undefined {
  // Through symlinks (some images link initdb and postgres alone into /usr/local/bin).
  const initdb = onPath('initdb', path);
  if (initdb) return dirname(realpathSync(initdb));
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => /^\d+$/.test(v) && Number(v) >= 12)
    .sort((a, b) => Number(b) - Number(a));
  return versions
    .map((v) => join(root, v, 'bin'))
    .find((dir) => isExecutable(join(dir, 'initdb')) && isExecutable(join(dir, 'postgres')));
}

export const POSTGRES_MISSING =
  'PostgreSQL 12 or newer is needed for the local Temporal cluster: `apt-get install postgresql` (Debian), or put initdb and postgres on PATH';

/**
 * PostgreSQL will not run as root: as root we run it as the `postgres` user the Debian package creates.
 * Otherwise as ourselves.
 */
function postgresRunAs(): RunAs | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' });
  const uid = id('-u');
  const gid = id('-g');
  if (uid.status !== 0 || gid.status !== 0)
    throw new Error(
      'PostgreSQL does not run as root and there is no `postgres` user to run it as: `apt-get install postgresql` creates it',
    );
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

/** Every folder above `dir` lets `runAs` through; else a message naming the one that does not. */
function assertReachable(dir: string, runAs: RunAs): void {
  for (let d = dir; ; d = dirname(d)) {
    const st = statSync(d);
    const through = st.uid === runAs.uid ? 0o100 : st.gid === runAs.gid ? 0o010 : 0o001;
    if ((st.mode & through) === 0)
      throw new Error(
        `PostgreSQL runs as the postgres user, which cannot enter ${d}: set BCSYNC_STATE_DIR to a folder it can reach (e.g. under /var/tmp), or \`chmod o+x ${d}\``,
      );
    if (d === dirname(d)) return;
  }
}

function giveTo(runAs: RunAs | undefined, ...paths: string[]): void {
  if (runAs) for (const p of paths) chownSync(p, runAs.uid, runAs.gid);
}

/**
 * Creates the data folder on first use (initdb, UTF8, a random password kept in `<dir>/password`, 0600)
 * and starts the server on `port`. `throwAway`: no fsync (tests; a crash may lose the data).
 */
export function startPostgres(opts: {
  dir: string;
  port: number;
  throwAway?: boolean;
  /** PATH (DevSettings.path). */
  path: string;
}): PostgresInstance {
  const bin = postgresBinDir(opts.path);
  if (!bin) throw new Error(POSTGRES_MISSING);
  const runAs = postgresRunAs();
  const dataDir = join(opts.dir, 'data');
  const passwordFile = join(opts.dir, 'password');
  mkdirSync(opts.dir, { recursive: true, mode: 0o700 });
  if (runAs) {
    // The postgres user must reach its folder through ours (traverse only, no listing).
    chmodSync(dirname(opts.dir), statSync(dirname(opts.dir)).mode | 0o111);
    assertReachable(dirname(dirname(opts.dir)), runAs);
  }
  giveTo(runAs, opts.dir);
  if (!existsSync(join(dataDir, 'PG_VERSION'))) {
    rmSync(dataDir, { recursive: true, force: true });
    const password = randomBytes(18).toString('base64url');
    writeFileSync(passwordFile, password, { mode: 0o600 });
    const pwfile = join(opts.dir, 'initdb.pw');
    writeFileSync(pwfile, password, { mode: 0o600 });
    giveTo(runAs, pwfile);
    const res = spawnSync(
      join(bin, 'initdb'),
      [
        '-D',
        dataDir,
        '-U',
        POSTGRES_USER,
        `--pwfile=${pwfile}`,
        '--auth=scram-sha-256',
        '-E',
        'UTF8',
        '--locale=C',
        ...(opts.throwAway ? ['--no-sync'] : []),
      ],
      { encoding: 'utf8', ...runAs },
    );
    rmSync(pwfile, { force: true });
    if (res.status !== 0)
      throw new Error(`initdb of ${dataDir} failed: ${res.stderr || res.stdout || res.error?.message}`);
  }
  const password = readFileSync(passwordFile, 'utf8').trim();
  const logFile = join(opts.dir, 'postgres.log');
  const settings = [
    'listen_addresses=127.0.0.1',
    'unix_socket_directories=',
    'max_connections=300',
    ...(opts.throwAway ? ['fsync=off', 'synchronous_commit=off', 'full_page_writes=off'] : []),
  ];
  const pid = startDetached(
    join(bin, 'postgres'),
    ['-D', dataDir, '-p', String(opts.port), ...settings.flatMap((s) => ['-c', s])],
    logFile,
    {},
    runAs,
  );
  return { pid, port: opts.port, user: POSTGRES_USER, password, dataDir, logFile, binDir: bin };
}

/** Waits until the server accepts connections (its port opens before it does). */
export async function waitForPostgres(pg: PostgresInstance, timeoutMs = 60_000): Promise<void> {
  const bin = pg.binDir;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = spawnSync(
      join(bin, 'pg_isready'),
      ['-h', '127.0.0.1', '-p', String(pg.port), '-U', pg.user, '-d', 'postgres', '-t', '2'],
      { encoding: 'utf8' },
    );
    if (res.status === 0) return;
    if (!isAlive(pg.pid))
      throw new Error(`PostgreSQL exited before it accepted connections; see ${pg.logFile}`);
    if (Date.now() > deadline)
      throw new Error(
        `PostgreSQL did not accept connections within ${timeoutMs / 1000} s; see ${pg.logFile}`,
      );
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** A postgres:// URL for `database` (contains the password: never print it). */
export function postgresUrl(
  pg: Pick<PostgresInstance, 'user' | 'password' | 'port'>,
  database: string,
): string {
  return `postgres://${pg.user}:${encodeURIComponent(pg.password)}@127.0.0.1:${pg.port}/${database}`;
}
