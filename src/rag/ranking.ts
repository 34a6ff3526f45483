/** Ranked hits, shared by the lexical, vector and hybrid retrievers. */

/** One document id with its score under some ranking (higher is better). */
export interface Hit {
  readonly id: string;
  readonly score: number;
}

/** Sorts hits by score, best first; ties by id so rankings are reproducible. */
export function byScore(a: Hit, b: Hit): number {
  return b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}
