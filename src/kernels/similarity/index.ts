/**
 * Vector similarity search: dot, cosine and squared L2 of one or many queries against an
 * N x d f32 matrix held in wasm memory, with exact top-k selection inside the kernel, an int8
 * scalar-quantised variant, and rows that can be added, updated and deleted without a rebuild.
 *
 * ```ts
 * await initSimilarity();
 * const index = await createSimilarityIndex({ dim: 384, metric: 'cosine' });
 * index.addMany([7, 8, 9], embeddings);        // 3 x 384 floats
 * const { ids, scores } = index.search(query, 10);
 * ```
 *
 * Storage: rows live in the index's own wasm memory (padded to a multiple of 4 floats), which
 * grows by doubling as rows are added. Cosine rows are normalised in place there on insert, so
 * a cosine search is a dot product. Deletes move the last row into the freed slot.
 *
 * Backends: `wasm` (assembly/similarity.ts, SIMD build embedded) and `ts` (the twin, the
 * fallback where wasm SIMD is missing). Both return the same ids and scores up to f32 summation
 * order: each score is within (d + 2) * 2^-23 * B of the exact value, where B is the largest
 * sum |q_i x_i| over the rows (sum (q_i - x_i)^2 for l2; 1 for cosine), and ids differ only
 * between rows whose scores are that close. A batched search and single searches can differ
 * in the same way (the batched scan sums in another order).
 *
 * Numbers: vectors and queries must be finite (NaN or +-Infinity components throw
 * ArgumentError naming the argument and component). Scores are computed in f32; products of
 * magnitudes beyond ~1e19 overflow to +-Infinity. A score that overflows to NaN (Infinity
 * minus Infinity) is reported as -Infinity for dot and cosine, +Infinity for l2, and ranks
 * last. Cosine normalises rows and queries in f64 first, so it cannot overflow; an all-zero
 * vector has cosine 0 with everything. Very small (subnormal) values are kept as they are.
 */
export type { Metric, Precision } from './engine.ts';
export {
  createSimilarityIndex,
  MAX_DIM,
  MAX_ID,
  MAX_K,
  SimilarityIndex,
  type SimilarityIndexOptions,
  type TopK,
} from './similarity-index.ts';
export { initSimilarity } from './wasm.ts';
