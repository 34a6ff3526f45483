/**
 * "Why did this match": the words and thesaurus concepts a query and a document share, so an
 * operator can judge a citation at a glance.
 */
import { term, tokenize, words } from './text.ts';
import { buildConceptMap, type ConceptMap } from './thesaurus.ts';

let defaultConcepts: ConceptMap | undefined;

/** Computes shared terms against one query, reusing its analysis for every document. */
export class MatchExplainer {
  /** Stem -> the query word it came from (what the operator typed is what we show). */
  readonly #words = new Map<string, string>();
  readonly #queryConcepts = new Set<string>();
  readonly #concepts: ConceptMap;

  constructor(query: string, concepts?: ConceptMap) {
    this.#concepts = concepts ?? (defaultConcepts ??= buildConceptMap());
    for (const word of words(query)) if (!this.#words.has(term(word))) this.#words.set(term(word), word);
    for (const word of this.#words.keys())
      for (const tag of this.#concepts.get(word) ?? []) this.#queryConcepts.add(tag);
  }

  /** Shared words first, then shared concepts as `#concept` that no shared word already explains. */
  explain(text: string): string[] {
    const terms = new Set(tokenize(text));
    const shared = [...this.#words.keys()].filter((w) => terms.has(w));
    const explained = new Set(shared.flatMap((w) => this.#concepts.get(w) ?? []));
    const concepts = new Set<string>();
    for (const word of terms) {
      for (const tag of this.#concepts.get(word) ?? []) {
        if (this.#queryConcepts.has(tag) && !explained.has(tag)) concepts.add(tag);
      }
    }
    return [...shared.map((w) => this.#words.get(w)!), ...concepts];
  }
}
