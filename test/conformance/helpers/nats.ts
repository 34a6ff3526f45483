/**
 * The NATS server the harness started for this run, on every runtime: vitest's global setup
 * (test/runtime/nats-global-setup.ts) provides its URLs to Node and Chromium, and
 * scripts/with-nats-server.ts hands them to Deno and Bun in NATS_URL and NATS_WS_URL. A suite
 * never starts the server itself, and a run without one fails saying how to get it.
 */
import type { NatsConnection } from '@nats-io/nats-core';

/** Where the harness's server listens. */
export interface NatsUrls {
  /** `nats://host:port`, for TCP clients (Node, Deno, Bun). */
  tcp: string;
  /** `ws://host:port`, for WebSocket clients (a browser). */
  ws: string;
}

interface RuntimeGlobals {
  Deno?: { env: { get(name: string): string | undefined } };
  Bun?: unknown;
  process?: { env: Record<string, string | undefined> };
  document?: unknown;
}

const runtime = globalThis as RuntimeGlobals;

/** The harness's server: from the environment on Deno and Bun, from vitest's `inject` elsewhere. */
export async function natsUrls(): Promise<NatsUrls> {
  if (runtime.Deno || runtime.Bun) {
    const env = (name: string) => (runtime.Deno ? runtime.Deno.env.get(name) : runtime.process?.env[name]);
    const tcp = env('NATS_URL');
    const ws = env('NATS_WS_URL');
    if (!tcp || !ws)
      throw new Error(
        'NATS_URL and NATS_WS_URL are not set: run Deno and Bun through `tsx scripts/with-nats-server.ts` (npm run test:deno, test:bun)',
      );
    return { tcp, ws };
  }
  // Only vitest has `inject`; Deno's stand-in for 'vitest' (test/runtime/deno-vitest.ts) does not.
  const { inject } = await import('vitest');
  return { tcp: inject('natsUrl'), ws: inject('natsWsUrl') };
}

/** A connection to the harness's server and the URL it dialled. */
export interface NatsDial {
  /** The connection. */
  connection: NatsConnection;
  /** The URL dialled: WebSocket in a browser, TCP elsewhere. */
  url: string;
}

/**
 * Connects to the harness's server the way each runtime connects: TCP through
 * @nats-io/transport-node on Node, Deno and Bun; WebSocket through @nats-io/nats-core in a
 * browser, which has no sockets of its own.
 */
export async function connectNats(name: string): Promise<NatsDial> {
  const urls = await natsUrls();
  if (runtime.document !== undefined) {
    const { wsconnect } = await import('@nats-io/nats-core');
    return { connection: await wsconnect({ servers: urls.ws, name }), url: urls.ws };
  }
  const { connect } = await import('@nats-io/transport-node');
  return { connection: await connect({ servers: urls.tcp, name }), url: urls.tcp };
}
