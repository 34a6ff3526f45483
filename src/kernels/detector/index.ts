/**
 * The default streaming anomaly detector (the Analyze stage's per-series scoring): the detector
 * API (`SeriesDetector`, `DetectorBank`, saved state) in detector.ts, its parameters, state layout
 * and alarm threshold in params.ts, the wasm kernel (assembly/detector.ts) behind wasm.ts, its
 * TS twin in twin.ts, and `DetectorPool`, a bank sharded across worker threads (pool.ts; a
 * shard's worker side in shard.ts). NAB scoring of these detectors lives in src/analyze/nab/.
 */
export {
  DetectorBank,
  SeriesDetector,
  STATE_VERSION,
  type BankOptions,
  type BankState,
  type SeriesState,
} from './detector.ts';
export { ALARM_THRESHOLD, checkParams, DEFAULT_PARAMS, type DetectorParams } from './params.ts';
export { DetectorPool, type DetectorPoolOptions } from './pool.ts';
export { type DetectorWorkerApi, type SharedShard, sharedShard, shardWorkerApi } from './shard.ts';
export { initDetector } from './wasm.ts';
