/**
 * Okapi BM25 over an incremental inverted index: add, replace and delete documents without
 * rebuilding. Scores use the collection statistics at query time, so they stay exact as the
 * index changes. Query terms count with their frequency in the query, saturated by k3 as in
 * Robertson's original formulation: a word repeated in a description (or a thesaurus concept
 * several of its words evoke) weighs more, with diminishing returns.
 *
 * A document may come in fields (title, sections...) with weights: BM25F in its simple form
 * (Robertson, Zaragoza and Taylor, CIKM 2004), where a term's frequency and the document's length
 * are sums over fields of weight x count, saturated once. With every weight 1 it is BM25 over
 * the fields' concatenation.
 */
import { ArgumentError } from '../errors.ts';
import { byScore, type Hit } from './ranking.ts';
import { tokenize } from './text.ts';

/** BM25 parameters (defaults: the usual k1 = 1.2, b = 0.75, k3 = 8) and text analysis. */
export interface Bm25Options {
  k1?: number;
  b?: number;
  /** Saturation of query term frequency (0: each distinct query term counts once). */
  k3?: number;
  /** Text to terms, for documents and queries alike (default {@link tokenize}). */
  analyze?: (text: string) => string[];
  /** Weight of each named field of a document (default 1 for a field not named here). */
  fieldWeights?: Readonly<Record<string, number>>;
  /** Weight of a term wherever a document has it, e.g. less for expansion terms (default 1). */
  termWeight?: (term: string) => number;
}

/** A document's text: one string, or named fields weighted by `Bm25Options.fieldWeights`. */
export type Bm25Text = string | Readonly<Record<string, string>>;

interface Entry<D> {
  doc: D;
  length: number;
  terms: Map<string, number>;
}

/** A BM25 lexical index over documents of type `D`. */
export class Bm25Index<D extends { id: string }> {
  readonly k1: number;
  readonly b: number;
  readonly k3: number;
  readonly #analyze: (text: string) => string[];
  readonly #fieldWeights: Readonly<Record<string, number>>;
  readonly #termWeight: (term: string) => number;
  readonly #docs = new Map<string, Entry<D>>();
  readonly #postings = new Map<string, Map<string, number>>();
  #totalLength = 0;

  constructor(options: Bm25Options = {}) {
    this.k1 = options.k1 ?? 1.2;
    this.b = options.b ?? 0.75;
    this.k3 = options.k3 ?? 8;
    this.#analyze = options.analyze ?? tokenize;
    this.#fieldWeights = { ...options.fieldWeights };
    this.#termWeight = options.termWeight ?? (() => 1);
    for (const [field, w] of Object.entries(this.#fieldWeights)) {
      if (!(typeof w === 'number' && w >= 0 && Number.isFinite(w)))
        throw new ArgumentError(
          `options.fieldWeights.${field}`,
          `expected a finite number >= 0, got ${String(w)}`,
        );
    }
    if (!(this.k1 >= 0)) throw new ArgumentError('options.k1', `expected >= 0, got ${this.k1}`);
    if (!(this.b >= 0 && this.b <= 1))
      throw new ArgumentError('options.b', `expected in [0, 1], got ${this.b}`);
    if (!(this.k3 >= 0)) throw new ArgumentError('options.k3', `expected >= 0, got ${this.k3}`);
  }

  /** Number of indexed documents. */
  get size(): number {
    return this.#docs.size;
  }

  /** Adds `doc` with its text (or weighted fields), replacing any document with the same id. */
  upsert(doc: D, text: Bm25Text): void {
    this.delete(doc.id);
    const terms = new Map<string, number>();
    let length = 0;
    const fields = typeof text === 'string' ? { '': text } : text;
    for (const [field, fieldText] of Object.entries(fields)) {
      const weight = this.#fieldWeights[field] ?? 1;
      if (weight === 0) continue;
      for (const t of this.#analyze(fieldText)) {
        const w = weight * this.#termWeight(t);
        terms.set(t, (terms.get(t) ?? 0) + w);
        length += w;
      }
    }
    for (const [term, tf] of terms) {
      let posting = this.#postings.get(term);
      if (!posting) this.#postings.set(term, (posting = new Map()));
      posting.set(doc.id, tf);
    }
    this.#docs.set(doc.id, { doc, length, terms });
    this.#totalLength += length;
  }

  /** Removes a document; returns whether it was present. */
  delete(id: string): boolean {
    const entry = this.#docs.get(id);
    if (!entry) return false;
    for (const term of entry.terms.keys()) {
      const posting = this.#postings.get(term)!;
      posting.delete(id);
      if (posting.size === 0) this.#postings.delete(term);
    }
    this.#docs.delete(id);
    this.#totalLength -= entry.length;
    return true;
  }

  /** The document stored under `id`. */
  get(id: string): D | undefined {
    return this.#docs.get(id)?.doc;
  }

  /** Top `k` documents for `query` that pass `accept`; documents sharing no term are left out. */
  search(query: string, k: number, accept?: (doc: D) => boolean): Hit[] {
    const n = this.#docs.size;
    if (n === 0 || k <= 0) return [];
    const avgLength = this.#totalLength / n;
    const scores = new Map<string, number>();
    const queryTerms = new Map<string, number>();
    for (const t of this.#analyze(query)) queryTerms.set(t, (queryTerms.get(t) ?? 0) + 1);
    for (const [term, qtf] of queryTerms) {
      const posting = this.#postings.get(term);
      if (!posting) continue;
      const idf = Math.log(1 + (n - posting.size + 0.5) / (posting.size + 0.5));
      const weight = (idf * (this.k3 + 1) * qtf) / (this.k3 + qtf);
      for (const [id, tf] of posting) {
        const length = this.#docs.get(id)!.length;
        const norm = tf + this.k1 * (1 - this.b + (this.b * length) / avgLength);
        scores.set(id, (scores.get(id) ?? 0) + (weight * tf * (this.k1 + 1)) / norm);
      }
    }
    const hits: Hit[] = [];
    for (const [id, score] of scores) {
      if (!accept || accept(this.#docs.get(id)!.doc)) hits.push({ id, score });
    }
    return hits.sort(byScore).slice(0, k);
  }
}
