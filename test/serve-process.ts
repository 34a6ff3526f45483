/**
 * `x0tta6bl4 serve` as a process of its own, on Node (through tsx), Deno or Bun, for the tests of
 * the service's transport, identity and shutdown: the operator's files it is started with, the
 * URL it prints, its output, and a stop by signal. A runtime that is not installed fails the test
 * that asks for it; nothing is skipped.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

/** The repository's root, where the CLI is started from. */
export const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The runtimes `serve` runs on. */
export type ServeRuntime = 'node' | 'deno' | 'bun';

const bin = (name: string) => join(ROOT, 'node_modules', '.bin', name);

/** How each runtime starts the CLI from its sources (Deno with only the permissions serve needs). */
const COMMANDS: Record<ServeRuntime, () => string[]> = {
  node: () => [process.execPath, '--import', 'tsx', 'src/cli/main.ts'],
  deno: () => [
    bin('deno'),
    'run',
    '--allow-net',
    '--allow-read',
    '--allow-write',
    '--allow-env',
    '--allow-sys',
    'src/cli/main.ts',
  ],
  bun: () => [bin('bun'), 'src/cli/main.ts'],
};

/** Node ids as operators spell them: colons, slashes, @ and spaces. */
export const NODES = ['db:5432', 'api/v1', 'cache@eu', 'web front'];

/**
 * Writes a topology of {@link NODES} and an engine config (1-second ticks, two metrics, then
 * `overrides`) into `dir` as `<name>-topology.json` and `<name>.json`.
 */
export async function writeEngineFiles(
  dir: string,
  overrides: Record<string, unknown> = {},
  name = 'engine',
): Promise<{ topology: string; config: string }> {
  const topology = join(dir, `${name}-topology.json`);
  const config = join(dir, `${name}.json`);
  await writeFile(
    topology,
    JSON.stringify({
      nodes: NODES.map((id) => ({ id })),
      links: NODES.slice(1).map((id, i) => [NODES[i], id]),
      calls: [['web front', 'api/v1']],
      gateways: ['web front'],
    }),
  );
  await writeFile(
    config,
    JSON.stringify({
      tickSeconds: 1,
      latenessSeconds: 0,
      metrics: [
        { name: 'errorRate', min: 0, max: 1, harmful: 'up', roles: ['local'] },
        { name: 'latencyP95', min: 0, harmful: 'up' },
      ],
      ...overrides,
    }),
  );
  return { topology, config };
}

/** A running `serve`. */
export interface ServeProcess {
  readonly child: ChildProcess;
  /** The URL it printed. */
  readonly url: string;
  /** What it printed so far. */
  stdout(): string;
  stderr(): string;
  /** Resolves when it has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Sends `signal` (default SIGTERM) and waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** What a `serve` that exited before listening printed, and how it ended. */
export interface ServeFailure {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Starts `x0tta6bl4 serve ...args` on `runtime` and resolves once it prints its URL; rejects with
 * its output if it exits first or does not listen within `timeoutMs`.
 */
export function startServe(
  runtime: ServeRuntime,
  args: readonly string[],
  timeoutMs = 60_000,
): Promise<ServeProcess> {
  const [command, ...prefix] = COMMANDS[runtime]();
  if (command !== process.execPath && !existsSync(command))
    return Promise.reject(new Error(`${runtime} is not installed at ${command}`));
  const { DEBUG: _debug, ...env } = process.env;
  const child = spawn(command, [...prefix, 'serve', ...args], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
    child.once('exit', (code, signal) => done({ code, signal })),
  );
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`serve on ${runtime} did not listen within ${timeoutMs} ms:\n${stdout}\n${stderr}`));
    }, timeoutMs);
    const onData = () => {
      const found = /^listening on (\S+)$/m.exec(stdout);
      if (!found) return;
      clearTimeout(timer);
      child.stdout.off('data', onData);
      resolve({
        child,
        url: found[1],
        stdout: () => stdout,
        stderr: () => stderr,
        exited,
        stop: (signal = 'SIGTERM') => {
          child.kill(signal);
          return exited;
        },
      });
    };
    child.stdout.on('data', onData);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    void exited.then(({ code }) => {
      clearTimeout(timer);
      reject(
        Object.assign(new Error(`serve exited (${code}) before listening:\n${stderr}`), {
          code,
          stdout,
          stderr,
        }),
      );
    });
  });
}

/** Runs `x0tta6bl4 serve ...args` on `runtime` expecting it to exit without listening: its code and output. */
export function serveFailure(runtime: ServeRuntime, args: readonly string[]): Promise<ServeFailure> {
  return startServe(runtime, args).then(
    async (running) => {
      await running.stop('SIGKILL');
      throw new Error(`serve listened at ${running.url}; expected it to refuse`);
    },
    (error: Error & Partial<ServeFailure>) => {
      if (error.stderr === undefined) throw error;
      return { code: error.code ?? null, stdout: error.stdout ?? '', stderr: error.stderr };
    },
  );
}

/** The last line of a stopped serve's stdout: its final figures (`{ stopped, stats, audit }`). */
export function finalFigures(stdout: string): {
  stopped: string;
  stats: { samplesReceived: number; samplesProcessed: number; refusedBy: Record<string, number> };
  audit: { entries: number; head: string };
} {
  const lines = stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]);
}

/** One NDJSON sample line. */
export const sampleLine = (ts: number, node: string, metric: string, value: unknown): string =>
  JSON.stringify({ ts, node, metric, value });
