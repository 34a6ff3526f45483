// comlink ships node-adapter.d.ts beside the .mjs but its package has no `exports` entry that
// TypeScript 7 follows to it (TOOLCHAIN gotcha 10), so the module is declared here.
declare module 'comlink/dist/esm/node-adapter.mjs' {
  import type { Endpoint } from 'comlink';

  /** The side of a worker_threads channel comlink needs (a Worker or a MessagePort). */
  export interface NodeEndpoint {
    postMessage(message: any, transfer?: any[]): void;
    on(type: string, listener: (...args: any[]) => void): void;
    off(type: string, listener: (...args: any[]) => void): void;
    start?: () => void;
  }

  /** Adapts a worker_threads Worker or MessagePort to comlink's Endpoint. */
  export default function nodeEndpoint(endpoint: NodeEndpoint): Endpoint;
}
