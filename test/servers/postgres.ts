/**
 * A real PostgreSQL server (Debian's `postgresql` package, from apt) for tests: a fresh cluster
 * made by `initdb` in a temporary directory, listening on 127.0.0.1 and a free port with its
 * unix socket in that directory, trust authentication for the one superuser. PostgreSQL refuses
 * to run as root, so under root the directory is handed to `nobody` and the binaries are run as
 * that user through `setpriv` (which execs, so signals reach the server itself). The server can
 * be stopped and started again on the same port and data, to test a store riding out an outage.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import process from 'node:process';
import postgres from 'postgres';
import { freePort } from './free-port.ts';
import { OutputTail, terminate } from './process.ts';

/** Where Debian installs the server binaries: `/usr/lib/postgresql/<major>/bin`. */
const POSTGRES_ROOT = '/usr/lib/postgresql';
/** How long a (re)started server may take to accept connections. */
const READY_TIMEOUT_MS = 30_000;
/** How long a stopped server may take to exit before it is killed. */
const STOP_TIMEOUT_MS = 10_000;
/** The unprivileged user the server runs as when the tests run as root. */
const UNPRIVILEGED = { uid: 65534, gid: 65534, name: 'nobody' };

/** The newest installed server's bin directory, or undefined when PostgreSQL is not installed. */
export function postgresBinDir(): string | undefined {
  if (!existsSync(POSTGRES_ROOT)) return undefined;
  const majors = readdirSync(POSTGRES_ROOT)
    .filter((name) => /^\d+$/.test(name) && existsSync(join(POSTGRES_ROOT, name, 'bin', 'postgres')))
    .sort((a, b) => Number(b) - Number(a));
  return majors.length > 0 ? join(POSTGRES_ROOT, majors[0], 'bin') : undefined;
}

/** A running test PostgreSQL. */
export interface TestPostgres {
  /** `postgres://postgres@127.0.0.1:<port>/postgres`. */
  readonly url: string;
  /** The port it listens on (kept across a restart). */
  readonly port: number;
  /** Its temporary directory (cluster and socket), removed by destroy(). */
  readonly dir: string;
  /** The tail of what it printed. */
  output(): string;
  /** A URL of another database on the server, created empty. */
  createDatabase(name: string): Promise<string>;
  /** Stops the server (fast shutdown: open connections are cut), keeping its data. */
  stop(): Promise<void>;
  /** Starts the stopped server again on the same port and data; resolves once it accepts connections. */
  start(): Promise<void>;
  /** Stops it and removes its directory; safe to call twice. */
  destroy(): Promise<void>;
}

/** Runs a PostgreSQL binary, as `nobody` when this process is root. */
function asServerUser(command: string, args: string[]): [string, string[]] {
  if (process.getuid?.() !== 0) return [command, args];
  return [
    'setpriv',
    [
      `--reuid=${UNPRIVILEGED.uid}`,
      `--regid=${UNPRIVILEGED.gid}`,
      '--clear-groups',
      '--reset-env',
      command,
      ...args,
    ],
  ];
}

/** Makes a cluster in a temporary directory and starts PostgreSQL on 127.0.0.1 and a free port. */
export async function startPostgres(): Promise<TestPostgres> {
  const bin = postgresBinDir();
  if (!bin) throw new Error(`PostgreSQL is not installed under ${POSTGRES_ROOT}: apt-get install postgresql`);
  const dir = mkdtempSync(join(tmpdir(), 'x0tta6bl4-postgres-'));
  const data = join(dir, 'data');
  if (process.getuid?.() === 0) chownSync(dir, UNPRIVILEGED.uid, UNPRIVILEGED.gid);
  const [initdb, initArgs] = asServerUser(join(bin, 'initdb'), [
    '-D',
    data,
    '-U',
    'postgres',
    '--auth=trust',
    '--encoding=UTF8',
    '--locale=C',
    '--no-sync',
  ]);
  try {
    execFileSync(initdb, initArgs, { cwd: dir, stdio: 'pipe' });
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    const stderr = (error as { stderr?: Buffer }).stderr?.toString() ?? '';
    throw new Error(`initdb failed: ${(error as Error).message}\n${stderr}`);
  }
  const port = await freePort();
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const output = new OutputTail();
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let destroyed = false;

  async function start(): Promise<void> {
    const [command, args] = asServerUser(join(bin!, 'postgres'), [
      '-D',
      data,
      '-h',
      '127.0.0.1',
      '-p',
      String(port),
      '-k',
      dir,
      '-c',
      'fsync=off',
      '-c',
      'max_connections=60',
    ]);
    const started = spawn(command, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    output.follow(started);
    exited = new Promise<void>((resolve) => started.once('exit', () => resolve()));
    child = started;
    await waitReady(url, started);
  }

  async function stop(): Promise<void> {
    const running = child;
    child = undefined;
    // SIGINT is PostgreSQL's fast shutdown: it rolls back open transactions instead of waiting.
    if (running) await terminate(running, exited, { signal: 'SIGINT', timeoutMs: STOP_TIMEOUT_MS });
  }

  const server: TestPostgres = {
    url,
    port,
    dir,
    output: () => output.text,
    async createDatabase(name: string) {
      const admin = postgres(url, { max: 1, onnotice: () => {} });
      try {
        await admin.unsafe(`CREATE DATABASE "${name.replaceAll('"', '""')}"`);
      } finally {
        await admin.end();
      }
      return `postgres://postgres@127.0.0.1:${port}/${encodeURIComponent(name)}`;
    },
    stop,
    start,
    async destroy() {
      if (destroyed) return;
      destroyed = true;
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await start();
  } catch (error) {
    await server.destroy();
    throw new Error(`postgres did not get ready: ${(error as Error).message}\n${output.text}`);
  }
  return server;
}

async function waitReady(url: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`exited with ${child.exitCode ?? child.signalCode}`);
    const probe = postgres(url, { max: 1, connect_timeout: 1, onnotice: () => {} });
    try {
      await probe`SELECT 1`;
      return;
    } catch (error) {
      lastError = error;
    } finally {
      await probe.end({ timeout: 0 });
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(
    `no connection within ${READY_TIMEOUT_MS} ms: ${(lastError as Error)?.message ?? 'none tried'}`,
  );
}
