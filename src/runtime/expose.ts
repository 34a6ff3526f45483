/**
 * The worker side of the pool: exposes an API object through comlink on whatever endpoint this
 * runtime gives a worker, then posts READY so the host knows it may start calling.
 */
import * as Comlink from 'comlink';
import { X0ttaError } from '../errors.ts';
import { inWebWorker, nodeBuiltin } from './detect.ts';
import { nodeEndpoint, type NodePort } from './node-endpoint.ts';
import { CLOSING, READY } from './spawn.ts';

/** Exposes `api` to the host that spawned this worker (see WorkerPool) and signals READY. */
export function exposeWorker(api: object): void {
  const endpoint = inWebWorker() ? webScope() : nodeParentPort();
  Comlink.expose(api, endpoint);
  endpoint.postMessage(READY);
}

type WorkerScope = Comlink.Endpoint & { close?: () => void };

function webScope(): Comlink.Endpoint {
  const scope = globalThis as unknown as WorkerScope;
  announceClose(scope);
  return scope;
}

function nodeParentPort(): Comlink.Endpoint {
  const { parentPort } = nodeBuiltin<{ parentPort: NodePort | null }>('node:worker_threads');
  if (!parentPort) throw new X0ttaError('exposeWorker must run inside a worker');
  return nodeEndpoint(parentPort);
}

/**
 * A web worker that calls `close()` vanishes without any event in the host (browsers, Deno), so
 * its calls would hang: tell the host first.
 */
function announceClose(scope: WorkerScope): void {
  const close = scope.close;
  if (typeof close !== 'function') return;
  scope.close = () => {
    scope.postMessage(CLOSING);
    close.call(scope);
  };
}
