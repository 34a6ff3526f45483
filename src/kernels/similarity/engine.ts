/**
 * The slot-level storage and search contract both backends implement: the wasm engine
 * (wasm.ts) and the pure-TS twin (twin.ts). The index (similarity-index.ts) owns ids, validation and
 * swap-with-last deletes; engines see dense slots 0..size-1 and trust their arguments.
 */

/** Similarity measure. Scores: `dot` q.x, `cosine` q.x/(|q||x|), `l2` squared distance. */
export type Metric = 'dot' | 'cosine' | 'l2';

/** Row storage: exact f32, or int8 (per-row scale) scanned first and rescored in f32. */
export type Precision = 'f32' | 'int8';

/** What an engine is built for; fixed for its lifetime. */
export interface EngineConfig {
  readonly dim: number;
  readonly metric: Metric;
  readonly precision: Precision;
  /** int8 only: candidates kept per result before exact rescoring (k * rescore). */
  readonly rescore: number;
}

/** Top-k of a batch: `k` entries per query, best first; keys are higher-is-better. */
export interface SlotHits {
  /** Score for dot and cosine, minus the squared distance for l2; NaN stored as -Infinity. */
  readonly keys: Float32Array;
  readonly slots: Uint32Array;
}

/** Dense row storage with exact top-k search. */
export interface SimilarityEngine {
  /** Ensures room for `rows` (<= maxRows(config)) rows; memory grows, rows are kept. */
  reserve(rows: number): void;
  /** Stores `ids.length` rows from `vectors` (dim floats each) at slots `start`.. */
  write(start: number, ids: ArrayLike<number>, vectors: Float32Array): void;
  /** Copies row `from` (vector and id) over row `to`. */
  move(from: number, to: number): void;
  /** A copy of the stored vector at `slot` (normalised for cosine). */
  read(slot: number): Float32Array;
  /** Best `k` (<= size) rows of the first `size` for each of `nq` queries (dim floats each). */
  search(queries: Float32Array, nq: number, k: number, size: number): SlotHits;
}

// wasm32 addresses stop at 4 GiB; 64 MiB stay free for query scratch and static data.
const STORAGE_BYTES = 2 ** 32 - 2 ** 26;

/** Bytes of wasm storage per row (id, f32 row, int8 row and scale), padded like the kernel's. */
export function bytesPerRow(config: EngineConfig): number {
  const f32 = 4 + Math.ceil(config.dim / 4) * 16;
  return config.precision === 'int8' ? f32 + 4 + Math.ceil(config.dim / 16) * 16 : f32;
}

/** Most rows an index can hold: what fits in wasm32 memory (the twin keeps the same limit). */
export function maxRows(config: EngineConfig): number {
  return Math.floor(STORAGE_BYTES / bytesPerRow(config));
}

/** Sentinel slot of an empty heap entry (ranks below every real row). */
export const EMPTY_SLOT = 0xffffffff;

/** Integer code of a metric in the wasm kernel (2 = squared L2; others are dot products). */
export function metricCode(metric: Metric): number {
  return metric === 'dot' ? 0 : metric === 'cosine' ? 1 : 2;
}
