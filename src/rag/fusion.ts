/**
 * Reciprocal rank fusion (Cormack, Clarke and Büttcher, SIGIR 2009): each ranking contributes
 * weight / (k + rank) for every document it ranks (rank starting at 1). Rank-based, so BM25
 * scores and cosine similarities need no calibration against each other.
 */
import { ArgumentError } from '../errors.ts';
import { byScore, type Hit } from './ranking.ts';

/** One ranking and how much it counts. */
export interface WeightedRanking {
  /** The ranking, best first. */
  readonly hits: readonly Hit[];
  /** Its weight in the fused score (each rank contributes weight / (k + rank)). */
  readonly weight: number;
}

/** The constant k of the original paper: damps the difference between the first few ranks. */
export const RRF_K = 60;

/** Fuses rankings into one, best first. */
export function reciprocalRankFusion(rankings: readonly WeightedRanking[], k = RRF_K): Hit[] {
  if (!(k > 0)) throw new ArgumentError('k', `expected > 0, got ${k}`);
  const fused = new Map<string, number>();
  for (const [i, { hits, weight }] of rankings.entries()) {
    if (!(weight >= 0)) throw new ArgumentError(`rankings[${i}].weight`, `expected >= 0, got ${weight}`);
    hits.forEach((hit, rank) => fused.set(hit.id, (fused.get(hit.id) ?? 0) + weight / (k + rank + 1)));
  }
  return [...fused].map(([id, score]) => ({ id, score })).sort(byScore);
}
