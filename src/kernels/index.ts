/**
 * Kernels: the WebAssembly hot paths and their TypeScript twins, one folder per kernel (stats,
 * similarity, scoring, detector, embed), each with the same files: `wasm.ts` (the facade over
 * the wasm module), `twin.ts` (the pure-TS twin: fallback and test oracle), `embedded.ts` (the
 * SIMD build as base64, generated from assembly/<kernel>.ts) and `index.ts` (its exports, its own
 * entry point such as `x0tta6bl4/kernels/stats`). `loader.ts` holds what they share (compiling,
 * SIMD detection, `Backend`), `memory.ts` the host-side arena over an instance's memory.
 *
 * This entry point is the pool of kernel workers (workers/kernels.ts) that runs scoring, series
 * statistics and similarity search off the main thread; the detector's sharded pool is
 * `DetectorPool` in `x0tta6bl4/kernels/detector`.
 */
export { createKernelPool } from './pool.ts';
export type {
  KernelWorkerApi,
  ScoreRequest,
  SimilaritySearchRequest,
  StatsUpdateRequest,
  StatsUpdateResult,
} from './tasks.ts';
