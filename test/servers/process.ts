/**
 * One real server binary (Prometheus, Alertmanager, node_exporter) run for a test: started in
 * its own temporary directory, awaited until its readiness URL answers 200, and stopped with
 * SIGTERM (SIGKILL if it lingers) with the directory removed. Its output is kept so a server
 * that never gets ready fails the test with what it said.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.ts';

/** How long a server may take to answer its readiness URL. */
const READY_TIMEOUT_MS = 30_000;
/** How long a stopped server may take to exit before it is killed. */
const STOP_TIMEOUT_MS = 5_000;
/** How much of a server's output is kept for error messages. */
const OUTPUT_KEEP_CHARS = 8_000;

/** The tail of what a server printed (across its restarts), for error messages. */
export class OutputTail {
  /** The last OUTPUT_KEEP_CHARS characters of its standard output and error. */
  text = '';

  /** Keeps what `child` prints from now on. */
  follow(child: ChildProcess): void {
    const keep = (chunk: Buffer): void => {
      this.text = (this.text + chunk.toString('utf8')).slice(-OUTPUT_KEEP_CHARS);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
  }
}

/** A running server binary. */
export interface RunningServer {
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  readonly url: string;
  /** The port it listens on. */
  readonly port: number;
  /** Its temporary directory (configuration and storage), removed by stop(). */
  readonly dir: string;
  /** The tail of what it printed. */
  output(): string;
  /** Stops it and removes its directory; safe to call twice. */
  stop(): Promise<void>;
}

/** How to start one server binary. */
export interface ServerSpec {
  /** Short name for messages, e.g. `prometheus`. */
  name: string;
  /** The executable, e.g. `/usr/bin/prometheus`. */
  command: string;
  /** Its arguments, given its port and temporary directory. */
  args: (port: number, dir: string) => string[];
  /** Writes its configuration into the directory before it starts. */
  prepare?: (dir: string, port: number) => void;
  /** The path that answers 200 once it is ready, e.g. `/-/ready`. */
  readyPath: string;
  /** The port to listen on, when the caller must know it before the start (default: a free one). */
  port?: number;
}

/** Starts `spec` on 127.0.0.1 (a free port unless it names one) and resolves once its readiness path answers 200. */
export async function startServer(spec: ServerSpec): Promise<RunningServer> {
  const dir = mkdtempSync(join(tmpdir(), `x0tta6bl4-${spec.name}-`));
  const port = spec.port ?? (await freePort());
  spec.prepare?.(dir, port);
  const output = new OutputTail();
  const child = spawn(spec.command, spec.args(port, dir), { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  output.follow(child);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
  const url = `http://127.0.0.1:${port}`;
  let stopped = false;
  const server: RunningServer = {
    url,
    port,
    dir,
    output: () => output.text,
    async stop() {
      if (stopped) return;
      stopped = true;
      await terminate(child, exited);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await waitReady(`${url}${spec.readyPath}`, child, spawnError);
  } catch (error) {
    await server.stop();
    throw new Error(`${spec.name} did not get ready: ${(error as Error).message}\n${output.text}`);
  }
  return server;
}

async function waitReady(url: string, child: ChildProcess, spawnError: Promise<Error>): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let failed: Error | undefined;
  void spawnError.then((error) => (failed = error));
  while (Date.now() < deadline) {
    if (failed) throw failed;
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`exited with ${child.exitCode ?? child.signalCode}`);
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1_000) });
      await response.arrayBuffer();
      if (response.status === 200) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${url} did not answer 200 within ${READY_TIMEOUT_MS} ms`);
}

/**
 * Sends `signal` (default SIGTERM) to a running child and waits for `exited`; a child still
 * running after `timeoutMs` (default 5 s) is sent SIGKILL. A child that never started or has
 * already exited is left alone.
 */
export async function terminate(
  child: ChildProcess,
  exited: Promise<void>,
  options: { signal?: NodeJS.Signals; timeoutMs?: number } = {},
): Promise<void> {
  const { signal = 'SIGTERM', timeoutMs = STOP_TIMEOUT_MS } = options;
  // No pid: the binary never started (spawn failed), so there is nothing to stop.
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  child.kill(signal);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const lingered = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(true), timeoutMs);
  });
  const killed = await Promise.race([exited.then(() => false), lingered]);
  clearTimeout(timer);
  if (killed) {
    child.kill('SIGKILL');
    await exited;
  }
}
