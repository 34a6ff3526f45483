/**
 * A real NATS server for the portable suites (test/conformance): JetStream in a temporary store,
 * plain TCP for Node, Deno and Bun, and WebSocket for a browser, both on 127.0.0.1 and free ports.
 * Started around a whole run, never by a suite: by vitest's global setup
 * (test/runtime/nats-global-setup.ts) and by scripts/with-nats-server.ts for Deno and Bun.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.ts';
import { NATS_SERVER } from './nats.ts';
import { OutputTail, terminate } from './process.ts';

/** How long the server may take to say it is ready. */
const READY_TIMEOUT_MS = 15_000;

/** A running server with both listeners. */
export interface NatsWithWebSocket {
  /** `nats://127.0.0.1:<port>`. */
  readonly url: string;
  /** `ws://127.0.0.1:<port>`. */
  readonly wsUrl: string;
  /** Stops the server and removes its store; safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Starts nats-server with JetStream, TCP and WebSocket (no TLS: loopback only) and resolves once
 * it says it is ready. Throws, saying how to install it, when the binary is missing.
 */
export async function startNatsWithWebSocket(): Promise<NatsWithWebSocket> {
  if (!existsSync(NATS_SERVER))
    throw new Error(`${NATS_SERVER} is not installed (apt-get install nats-server); the NATS suites need it`);
  const dir = mkdtempSync(join(tmpdir(), 'x0tta6bl4-nats-ws-'));
  const [port, wsPort] = [await freePort(), await freePort()];
  const config = join(dir, 'nats.conf');
  writeFileSync(
    config,
    [
      `listen: "127.0.0.1:${port}"`,
      `jetstream { store_dir: ${JSON.stringify(join(dir, 'store'))} }`,
      `websocket { host: "127.0.0.1", port: ${wsPort}, no_tls: true }`,
      '',
    ].join('\n'),
  );
  const output = new OutputTail();
  const child = spawn(NATS_SERVER, ['-c', config], { stdio: ['ignore', 'pipe', 'pipe'] });
  output.follow(child);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let stopped = false;
  const server: NatsWithWebSocket = {
    url: `nats://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${wsPort}`,
    async stop() {
      if (stopped) return;
      stopped = true;
      await terminate(child, exited, { signal: 'SIGTERM', timeoutMs: 10_000 });
      rmSync(dir, { recursive: true, force: true });
    },
  };
  // It prints "Server is ready" once every listener (TCP, WebSocket) accepts connections.
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (!output.text.includes('Server is ready')) {
    const failure =
      child.exitCode !== null || child.signalCode !== null
        ? `exited with ${child.exitCode ?? child.signalCode}`
        : Date.now() > deadline
          ? `not ready within ${READY_TIMEOUT_MS} ms`
          : undefined;
    if (failure) {
      await server.stop();
      throw new Error(`nats-server ${failure}:\n${output.text}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return server;
}
