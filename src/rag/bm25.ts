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
  /** Saturation of document term frequency (`Bm25Options.k1`, default 1.2). */
  readonly k1: number;
  /** Length normalisation, 0..1 (`Bm25Options.b`, default 0.75). */
  readonly b: number;
  /** Saturation of query term frequency (`Bm25Options.k3`, default 8). */
  readonly k3: number;
  readonly #analyze: (text: string) => string[];
  readonly #fieldWeights: Readonly<Record<string, number>>;
  readonly #termWeight: (term: string) => number;
  // Documents live in numbered slots (reused after deletes) so that postings and scoring work on
  // small integers and typed arrays rather than id strings: search cost is the postings' length.
  readonly #slotOf = new Map<string, number>();
  readonly #entries: (Entry<D> | undefined)[] = [];
  readonly #free: number[] = [];
  /** Term -> slot -> weighted term frequency. */
  readonly #postings = new Map<string, Map<number, number>>();
  #totalLength = 0;
  #scores = new Float64Array(0);

  /** An empty index. */
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
    return this.#slotOf.size;
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
        if (w === 0) continue;
        terms.set(t, (terms.get(t) ?? 0) + w);
        length += w;
      }
    }
    const slot = this.#free.pop() ?? this.#entries.length;
    this.#entries[slot] = { doc, length, terms };
    this.#slotOf.set(doc.id, slot);
    for (const [term, tf] of terms) {
      let posting = this.#postings.get(term);
      if (!posting) this.#postings.set(term, (posting = new Map()));
      posting.set(slot, tf);
    }
    this.#totalLength += length;
  }

  /** Removes a document; returns whether it was present. */
  delete(id: string): boolean {
    const slot = this.#slotOf.get(id);
    if (slot === undefined) return false;
    const entry = this.#entries[slot]!;
    for (const term of entry.terms.keys()) {
      const posting = this.#postings.get(term)!;
      posting.delete(slot);
      if (posting.size === 0) this.#postings.delete(term);
    }
    this.#slotOf.delete(id);
    this.#entries[slot] = undefined;
    this.#free.push(slot);
    this.#totalLength -= entry.length;
    return true;
  }

  /** The document stored under `id`. */
  get(id: string): D | undefined {
    const slot = this.#slotOf.get(id);
    return slot === undefined ? undefined : this.#entries[slot]!.doc;
  }

  /** Top `k` documents for `query` that pass `accept`; documents sharing no term are left out. */
  search(query: string, k: number, accept?: (doc: D) => boolean): Hit[] {
    const n = this.#slotOf.size;
    if (n === 0 || k <= 0) return [];
    const avgLength = this.#totalLength / n;
    if (this.#scores.length < this.#entries.length) this.#scores = new Float64Array(this.#entries.length * 2);
    const scores = this.#scores;
    const touched: number[] = [];
    const queryTerms = new Map<string, number>();
    for (const t of this.#analyze(query)) queryTerms.set(t, (queryTerms.get(t) ?? 0) + 1);
    for (const [term, qtf] of queryTerms) {
      const posting = this.#postings.get(term);
      if (!posting) continue;
      const idf = Math.log(1 + (n - posting.size + 0.5) / (posting.size + 0.5));
      const weight = (idf * (this.k3 + 1) * qtf) / (this.k3 + qtf);
      for (const [slot, tf] of posting) {
        const length = this.#entries[slot]!.length;
        const norm = tf + this.k1 * (1 - this.b + (this.b * length) / avgLength);
        if (scores[slot] === 0) touched.push(slot);
        scores[slot] += (weight * tf * (this.k1 + 1)) / norm;
      }
    }
    const best = new TopK(k);
    for (const slot of touched) {
      const doc = this.#entries[slot]!.doc;
      if (!accept || accept(doc)) best.offer({ id: doc.id, score: scores[slot] });
      scores[slot] = 0;
    }
    return best.sorted();
  }
}

/** The k best hits by {@link byScore}, kept in a binary heap whose root is the worst kept. */
class TopK {
  readonly #heap: Hit[] = [];

  constructor(readonly k: number) {}

  offer(hit: Hit): void {
    const heap = this.#heap;
    if (heap.length < this.k) {
      heap.push(hit);
      let i = heap.length - 1;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if (byScore(heap[i], heap[parent]) <= 0) break;
        [heap[i], heap[parent]] = [heap[parent], heap[i]];
        i = parent;
      }
    } else if (byScore(hit, heap[0]) < 0) {
      heap[0] = hit;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let worst = i;
        if (l < heap.length && byScore(heap[l], heap[worst]) > 0) worst = l;
        if (r < heap.length && byScore(heap[r], heap[worst]) > 0) worst = r;
        if (worst === i) break;
        [heap[i], heap[worst]] = [heap[worst], heap[i]];
        i = worst;
      }
    }
  }

  sorted(): Hit[] {
    return [...this.#heap].sort(byScore);
  }
}
