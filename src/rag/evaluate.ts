/**
 * Retrieval quality measures for the labelled query set. Definitions (per query, then averaged):
 * - Recall@k: 1 if at least one relevant document is in the top k, else 0 (success@k; each
 *   query names the runbooks that answer it, and one good citation answers the operator).
 * - MRR: 1 / rank of the first relevant document (0 if none is retrieved).
 */

/** A labelled query. */
export interface LabelledQuery {
  /** The query's id. */
  readonly id: string;
  /** The query as an operator would word it. */
  readonly text: string;
  /** Ids of the documents that answer it. */
  readonly relevant: readonly string[];
}

/** Averages over a query set. */
export interface RetrievalQuality {
  /** Queries evaluated. */
  readonly queries: number;
  /** Share of queries with a relevant document first. */
  readonly recallAt1: number;
  /** Share of queries with a relevant document in the top 3. */
  readonly recallAt3: number;
  /** Mean reciprocal rank of the first relevant document. */
  readonly mrr: number;
  /** Ids of queries with no relevant document in the top 3. */
  readonly misses: readonly string[];
}

/** Scores rankings (`ranked[i]` = ids for `queries[i]`, best first). */
export function evaluateRankings(
  queries: readonly LabelledQuery[],
  ranked: readonly (readonly string[])[],
): RetrievalQuality {
  let r1 = 0,
    r3 = 0,
    mrr = 0;
  const misses: string[] = [];
  queries.forEach((q, i) => {
    const rank = ranked[i].findIndex((id) => q.relevant.includes(id)) + 1;
    if (rank === 1) r1++;
    if (rank >= 1 && rank <= 3) r3++;
    else misses.push(q.id);
    if (rank >= 1) mrr += 1 / rank;
  });
  const n = queries.length || 1;
  return { queries: queries.length, recallAt1: r1 / n, recallAt3: r3 / n, mrr: mrr / n, misses };
}
