/**
 * Decision scoring for the planner: each candidate action is a row of f features and scores
 * x . w + (x . A) . B, where w (f) are base weights and A (f x r) and B (r x 1) a LoRA-style
 * low-rank adapter that the decision engine learns from observed outcomes (`update`). Constraint
 * masks remove candidates; a numerically stable softmax with temperature turns scores into
 * choice probabilities, and argmax picks one.
 *
 * ```ts
 * const scorer = await createScorer({ features: 32, rank: 8 });
 * const { best, probabilities } = scorer.score(candidates, { allowed, temperature: 0.5 });
 * const x = candidates.subarray(best * 32, best * 32 + 32);
 * scorer.update(x, succeeded ? 1 : 0, { learningRate: 0.05, loss: 'logistic' });
 * ```
 *
 * The wasm kernel folds the adapter into the weights (w + A.B, recomputed only when parameters
 * change), so a batch costs one f-long SIMD dot product per candidate whatever the rank.
 *
 * Non-finite values:
 * - parameters (weights, A, B) and `update` rows must be finite (ArgumentError otherwise);
 * - candidate features may hold NaN or +-Infinity and follow IEEE arithmetic: a NaN score (a NaN
 *   feature, Infinity times a zero weight, or opposite infinities) marks the candidate rejected:
 *   its score stays NaN, its probability is 0, it is never `best`, and `rejected` counts it;
 * - a +Infinity score wins: the +Infinity candidates share probability 1 equally;
 * - a -Infinity score (masked, or computed) has probability 0 and is never `best`; when no
 *   candidate has a score above -Infinity, `best` is -1 and every probability is 0;
 * - partial sums that overflow f32 (|score| > 3.4e38 along the way) give +-Infinity or NaN,
 *   depending on summation order, so the two backends may differ there; subnormal values are
 *   kept as they are (neither backend flushes them to zero).
 * The backends agree on scores within 1e-5 * sum_j |x_j * w'_j| (w' = w + A.B; f32 vs f64 sums),
 * on which scores are NaN or infinite, and on probabilities within 1e-5 given equal scores.
 */
export {
  createScorer,
  Scorer,
  type Loss,
  type ScoreOptions,
  type ScorerOptions,
  type UpdateOptions,
  type UpdateResult,
} from './scorer.ts';
export type { AdapterParameters, ScoreResult } from './types.ts';
export { initScoring } from './wasm.ts';
