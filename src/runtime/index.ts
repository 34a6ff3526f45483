/**
 * src/runtime owns where code runs: runtime detection (detect.ts), starting a worker on any
 * runtime (spawn.ts), the worker side of the protocol (expose.ts), the worker pool (pool.ts),
 * zero-copy helpers (transfer.ts), the kernel workers: their tasks (kernel-tasks.ts) and pool
 * (kernel-pool.ts), and the sharded detector workers the engine scores its series in
 * (detector-pool.ts).
 */
export {
  coreCount,
  defaultPoolSize,
  runtimeName,
  sharedMemoryAvailable,
  type RuntimeName,
} from './detect.ts';
export { exposeWorker } from './expose.ts';
export { createKernelPool, type KernelWorkerApi } from './kernel-pool.ts';
export { DetectorPool, type DetectorPoolOptions, type DetectorWorkerApi } from './detector-pool.ts';
export type {
  ScoreRequest,
  SimilaritySearchRequest,
  StatsUpdateRequest,
  StatsUpdateResult,
} from './kernel-tasks.ts';
export { WorkerPool, type CloseOptions, type MethodOf, type PoolOptions } from './pool.ts';
export { workerEntry, type WorkerSource } from './spawn.ts';
export { sharedFloat32Array, transferablesOf } from './transfer.ts';
