/**
 * src/runtime owns where code runs: runtime detection (detect.ts), starting a worker on any
 * runtime (spawn.ts), the worker side of the protocol (expose.ts, node-endpoint.ts), the generic
 * worker pool (pool.ts) and zero-copy helpers (transfer.ts). It knows no kernel or stage: the
 * kernel and detector worker pools are built on it in src/kernels.
 */
export {
  coreCount,
  defaultPoolSize,
  runtimeName,
  sharedMemoryAvailable,
  type RuntimeName,
} from './detect.ts';
export { exposeWorker } from './expose.ts';
export {
  WorkerPool,
  type CloseOptions,
  type MethodCall,
  type MethodOf,
  type PoolOptions,
} from './pool.ts';
export { workerEntry, type WorkerSource } from './spawn.ts';
export { sharedFloat32Array, transferablesOf } from './transfer.ts';
