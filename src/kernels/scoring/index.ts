/**
 * Decision scoring for the planner: each candidate is a row x of f features and scores
 *   x . w + scale ((x . A) . B + (x . Ah) . Bh[i])
 * where w (f) are base weights, A (f x r) and B (r) a LoRA low-rank adapter on the feature
 * projection shared by every candidate, and Ah (f x r) and Bh (n x r) one on the action head,
 * whose row Bh[i] belongs to the candidate's action i (so each action learns its own
 * correction). Either adapter may be left out; `scale` is LoRA's alpha / r (or alpha / sqrt(r)).
 * The decision engine learns both from observed outcomes (`update`: forward, gradient and an SGD
 * step of A and B in the wasm kernel, with optional seeded dropout on the adapters' input).
 * Constraint masks remove candidates; a numerically stable softmax with temperature turns
 * scores into choice probabilities, and argmax picks one.
 *
 * ```ts
 * const scorer = await createScorer({ features: 32, rank: 8, scale: 2, actions: 5 });
 * const { best, probabilities } = scorer.score(candidates, { allowed, actions, temperature: 0.5 });
 * const x = candidates.subarray(best * 32, best * 32 + 32);
 * scorer.update(x, succeeded ? 1 : 0, { learningRate: 0.05, loss: 'logistic', action: actions[best] });
 * ```
 *
 * The wasm kernel folds the adapters into the weights (w + s A.B, and one row w + s (A.B + Ah.Bh[i])
 * per action; recomputed only when parameters change), so a batch costs one f-long dot product
 * per candidate whatever the rank (SIMD, four rows at a time, without an action head).
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
 * The backends agree on scores within 1e-5 * sum_j |x_j * w'_j| (w' the merged weights; f32 vs f64 sums),
 * on which scores are NaN or infinite, and on probabilities within 1e-5 given equal scores.
 */
export {
  type AdapterInitialisation,
  createScorer,
  Scorer,
  type Loss,
  type ScoreOptions,
  type ScorerOptions,
  type UpdateOptions,
  type UpdateResult,
} from './scorer.ts';
export type { AdapterParameters, ScoreResult, ScorerShape } from './types.ts';
export { initScoring } from './wasm.ts';
