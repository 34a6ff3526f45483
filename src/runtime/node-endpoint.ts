/**
 * comlink's adapter from a worker_threads Worker or MessagePort to a comlink Endpoint, typed once
 * here: tsc reads types/comlink-node-adapter.d.ts, while Deno pairs the .mjs with comlink's own
 * CommonJS-style .d.ts and types the default import as the whole module.
 */
import type { Endpoint } from 'comlink';
import adapter from 'comlink/dist/esm/node-adapter.mjs';

/** The side of a worker_threads channel that comlink needs. */
export interface NodePort {
  postMessage(message: unknown, transfer?: unknown[]): void;
  // biome-ignore lint/suspicious/noExplicitAny: Node's listeners vary by event
  on(type: string, listener: (...args: any[]) => void): void;
  // biome-ignore lint/suspicious/noExplicitAny: as above
  off(type: string, listener: (...args: any[]) => void): void;
  start?: () => void;
}

/** Wraps a worker_threads Worker or MessagePort as a comlink Endpoint. */
export const nodeEndpoint = adapter as unknown as (port: NodePort) => Endpoint;
