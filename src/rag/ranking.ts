/** Ranked hits, shared by the lexical, vector and hybrid retrievers. */

/** One document id with its score under some ranking (higher is better). */
export interface Hit {
  /** The document's id. */
  readonly id: string;
  /** Its score under the ranking. */
  readonly score: number;
}

/** Sorts hits by score, best first; ties by id so rankings are reproducible. */
export function byScore(a: Hit, b: Hit): number {
  return b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}
