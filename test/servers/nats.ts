/**
 * A real NATS server with JetStream (Debian's `nats-server` package, from apt) for tests: started
 * on 127.0.0.1 and a free port with its JetStream store in a temporary directory. It can be
 * stopped and started again on the same port and store, to test engines riding out a restart:
 * what JetStream stored before is there after.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.ts';
import { OutputTail, terminate } from './process.ts';

/** Where Debian installs the server. */
export const NATS_SERVER = '/usr/sbin/nats-server';
/** How long a (re)started server may take to accept connections. */
const READY_TIMEOUT_MS = 15_000;

/** A running test NATS server. */
export interface TestNats {
  /** `nats://127.0.0.1:<port>`. */
  readonly url: string;
  /** The port (kept across a restart). */
  readonly port: number;
  /** Its temporary directory (the JetStream store), removed by destroy(). */
  readonly dir: string;
  /** The tail of what it printed. */
  output(): string;
  /** Stops the server (SIGTERM: JetStream flushes its store), keeping its data. */
  stop(): Promise<void>;
  /** Starts the stopped server again on the same port and store; resolves once it accepts connections. */
  start(): Promise<void>;
  /** Stops it and removes its directory; safe to call twice. */
  destroy(): Promise<void>;
}

/** Starts nats-server with JetStream on 127.0.0.1, a free port and a temporary store. */
export async function startNats(): Promise<TestNats> {
  if (!existsSync(NATS_SERVER))
    throw new Error(`${NATS_SERVER} is not installed: apt-get install nats-server`);
  const dir = mkdtempSync(join(tmpdir(), 'x0tta6bl4-nats-'));
  const port = await freePort();
  const output = new OutputTail();
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let destroyed = false;

  async function start(): Promise<void> {
    const started = spawn(NATS_SERVER, ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', dir], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    output.follow(started);
    exited = new Promise<void>((resolve) => started.once('exit', () => resolve()));
    child = started;
    await waitReady(port, started);
  }

  async function stop(): Promise<void> {
    const running = child;
    child = undefined;
    if (running) await terminate(running, exited, { signal: 'SIGTERM', timeoutMs: 10_000 });
  }

  const server: TestNats = {
    url: `nats://127.0.0.1:${port}`,
    port,
    dir,
    output: () => output.text,
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
    throw new Error(`nats-server did not get ready: ${(error as Error).message}\n${output.text}`);
  }
  return server;
}

/** Resolves once the port accepts a connection and the server has said hello (its INFO line). */
async function waitReady(port: number, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`exited with ${child.exitCode ?? child.signalCode}`);
    const hello = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ host: '127.0.0.1', port });
      socket.once('data', (data) => {
        socket.destroy();
        resolve(data.toString('utf8').startsWith('INFO '));
      });
      socket.once('error', () => resolve(false));
    });
    if (hello) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`no connection within ${READY_TIMEOUT_MS} ms`);
}
