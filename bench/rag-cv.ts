/**
 * Cross-validation for retrieval parameters (issue 19, section 2): folds by runbook, so that the
 * questions about one runbook (and about runbooks that share a question) never sit in both the
 * training and the held-out folds, and every parameter is chosen on the training folds alone.
 * The figure it gives is that of the whole procedure (choose on k-1 folds, score the k-th), not
 * of one parameter setting; a grid of settings is scored once per question and the choice per
 * fold is arithmetic over those scores.
 */
import type { LabelledQuery } from '../src/rag/evaluate.ts';

/** Where each setting of a grid put each question's first relevant runbook (1-based; 0: not in the list). */
export interface ScoredSetting {
  /** The setting, as it should be reported. */
  readonly name: string;
  /** `ranks[i]`: rank of the first relevant runbook for question i (0 when it was not retrieved). */
  readonly ranks: readonly number[];
}

/** The outcome of cross-validated selection. */
export interface CrossValidated {
  /** Share of questions with their runbook first, each scored in its held-out fold. */
  readonly recallAt1: number;
  /** Share of questions with their runbook in the top 3, each scored in its held-out fold. */
  readonly recallAt3: number;
  /** Mean reciprocal rank, each question scored in its held-out fold. */
  readonly mrr: number;
  /** The setting chosen on the training folds of each fold, in fold order. */
  readonly chosen: readonly string[];
}

/**
 * Assigns every question to one of `k` folds: questions that share a relevant runbook (directly
 * or through other questions) form one group, and groups go to folds by a hash of their first
 * runbook id, largest groups first onto the fold with fewest questions (so folds stay balanced
 * and the assignment does not depend on the order of the file).
 */
export function runbookFolds(queries: readonly LabelledQuery[], k: number): number[] {
  const parent = new Map<string, string>();
  const find = (id: string): string => {
    const p = parent.get(id) ?? id;
    if (p === id) return id;
    const root = find(p);
    parent.set(id, root);
    return root;
  };
  for (const q of queries) {
    for (const id of q.relevant) if (!parent.has(id)) parent.set(id, id);
    for (const id of q.relevant.slice(1)) parent.set(find(id), find(q.relevant[0]));
  }
  const groups = new Map<string, number[]>();
  queries.forEach((q, i) => {
    const root = find(q.relevant[0]);
    groups.set(root, [...(groups.get(root) ?? []), i]);
  });
  const ordered = [...groups].sort(
    ([a, ia], [b, ib]) => ib.length - ia.length || fnv(a) - fnv(b) || (a < b ? -1 : 1),
  );
  const sizes = new Array<number>(k).fill(0);
  const fold = new Array<number>(queries.length).fill(0);
  for (const [, members] of ordered) {
    const f = sizes.indexOf(Math.min(...sizes));
    for (const i of members) fold[i] = f;
    sizes[f] += members.length;
  }
  return fold;
}

/**
 * For each fold, picks the setting with the best mean of top-1 and top-3 on the other folds (MRR
 * breaks ties, then the earlier setting), and scores it on the fold.
 */
export function crossValidate(settings: readonly ScoredSetting[], fold: readonly number[]): CrossValidated {
  const k = Math.max(...fold) + 1;
  const held: number[] = new Array(fold.length).fill(0);
  const chosen: string[] = [];
  for (let f = 0; f < k; f++) {
    let best = settings[0];
    let bestScore = -1;
    for (const s of settings) {
      let score = 0;
      s.ranks.forEach((rank, i) => {
        if (fold[i] !== f) score += objective(rank);
      });
      if (score > bestScore + 1e-9) [best, bestScore] = [s, score];
    }
    chosen.push(best.name);
    best.ranks.forEach((rank, i) => {
      if (fold[i] === f) held[i] = rank;
    });
  }
  return { ...summarise(held), chosen };
}

/** Top-1, top-3 and MRR of a list of ranks (0: not retrieved). */
export function summarise(ranks: readonly number[]): { recallAt1: number; recallAt3: number; mrr: number } {
  const n = ranks.length || 1;
  return {
    recallAt1: ranks.filter((r) => r === 1).length / n,
    recallAt3: ranks.filter((r) => r >= 1 && r <= 3).length / n,
    mrr: ranks.reduce((s, r) => s + (r > 0 ? 1 / r : 0), 0) / n,
  };
}

// The goal's two figures weigh equally; MRR (scaled so it only breaks ties) orders the rest.
function objective(rank: number): number {
  return (rank === 1 ? 0.5 : 0) + (rank >= 1 && rank <= 3 ? 0.5 : 0) + (rank > 0 ? 1e-3 / rank : 0);
}

function fnv(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}
