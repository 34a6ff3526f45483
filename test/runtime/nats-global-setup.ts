/**
 * vitest's global setup for both projects (Node and Chromium): one real nats-server for the whole
 * run (test/servers/nats-websocket.ts), its URLs provided to the suites (read through
 * test/conformance/helpers/nats.ts), stopped when the run ends. A missing nats-server fails the
 * run here, before any suite.
 */
import type { TestProject } from 'vitest/node';
import { startNatsWithWebSocket } from '../servers/nats-websocket.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The run's nats-server for TCP clients, `nats://127.0.0.1:<port>`. */
    natsUrl: string;
    /** The run's nats-server for WebSocket clients, `ws://127.0.0.1:<port>`. */
    natsWsUrl: string;
  }
}

/** Starts the server and provides its URLs; returns the teardown that stops it. */
export async function setup(project: TestProject): Promise<() => Promise<void>> {
  const nats = await startNatsWithWebSocket();
  project.provide('natsUrl', nats.url);
  project.provide('natsWsUrl', nats.wsUrl);
  return () => nats.stop();
}
