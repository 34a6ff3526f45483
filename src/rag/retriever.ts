/**
 * Hybrid retrieval: a BM25 lexical index (its terms expanded with thesaurus concepts) and an
 * exact vector index over the same documents, fused by weighted reciprocal rank fusion. Every
 * change goes to the {@link RagStore} first and then to both in-memory indexes; `open` rebuilds
 * the indexes from the store.
 */
import { ArgumentError } from '../errors.ts';
import { documentLinkKeys, type AlertLink } from './alert.ts';
import { Bm25Index } from './bm25.ts';
import { documentFields, documentText, leadText, type RagDocument } from './document.ts';
import type { Embedder } from './embedder.ts';
import { MatchExplainer } from './explain.ts';
import { compileFilter, type RetrievalFilter } from './filter.ts';
import { reciprocalRankFusion, RRF_K } from './fusion.ts';
import type { Hit } from './ranking.ts';
import { RetrievalResult, type RetrievalHit } from './result.ts';
import type { RagStore, StoredDocument } from './store.ts';
import { tokenize } from './text.ts';
import { buildConceptMap, expandConcepts, OPS_THESAURUS, type ConceptMap } from './thesaurus.ts';
import { VectorIndex, type VectorPrecision } from './vector-index.ts';

/** Which rankings a search uses. */
export type RetrievalMode = 'hybrid' | 'lexical' | 'vector';

/**
 * RRF weights. Equal weights: on the dev half of the query set the vector ranking and BM25 (both
 * with the thesaurus) fail on different queries and neither dominates; weighting BM25 1.5x or 2x
 * and score-based fusions (min-max, z-score, margin-weighted RRF) did no better there. See
 * bench/rag.bench.ts for both halves.
 */
export const DEFAULT_FUSION_WEIGHTS = { lexical: 1, vector: 1 } as const;

/**
 * BM25F weights of the document fields (see `documentFields`); a field not named weighs 1. The
 * title (with the alert names) and what the alert means say what a runbook is about; fenced code
 * (commands, queries, sample output) shares words with every runbook of its stack. Chosen on the
 * dev halves of both query sets (bench/rag-public.bench.ts, bench/rag.bench.ts), where title 1-3,
 * meaning 1-2, code 0.25-1 and concept weights 0.5-1 all came within one question of each other;
 * the shipped runbooks have no meaning or code sections, and their ranks did not move.
 */
export const DEFAULT_FIELD_WEIGHTS: Readonly<Record<string, number>> = { title: 2, meaning: 2, code: 0.25 };

/** How much a thesaurus concept counts in a document's BM25 term frequencies, against a word's 1. */
export const CONCEPT_WEIGHT = 1;

/** Options of {@link HybridRetriever.open}. */
export interface RetrieverOptions {
  /** Turns text into vectors for the vector ranking. */
  embedder: Embedder;
  /** Where documents and their vectors persist. */
  store: RagStore;
  /** Vector storage: exact f32 (default) or int8 with exact f32 rescoring. */
  precision?: VectorPrecision;
  /** RRF weights (default {@link DEFAULT_FUSION_WEIGHTS}). */
  weights?: { lexical: number; vector: number };
  /** RRF rank constant (default {@link RRF_K}). */
  fusionK?: number;
  /** BM25F weights of the document fields (default {@link DEFAULT_FIELD_WEIGHTS}). */
  fieldWeights?: Readonly<Record<string, number>>;
  /** How much a thesaurus concept counts in a document, against a word's 1 (default {@link CONCEPT_WEIGHT}). */
  conceptWeight?: number;
  /**
   * Concepts BM25 expands document and query terms with (default {@link OPS_THESAURUS});
   * `null` gives plain BM25.
   */
  thesaurus?: Readonly<Record<string, string>> | null;
}

/** Options of one search. */
export interface SearchOptions {
  /** Documents to return (default 5). */
  k?: number;
  /** Minimum final score in [0, 1] (default 0). */
  threshold?: number;
  /** Metadata every returned document must match (default none). */
  filter?: RetrievalFilter;
  /** Default 'hybrid'. */
  mode?: RetrievalMode;
}

// Each ranking contributes this many candidates (at least) to the fusion.
const MIN_POOL = 50;
// Separates a document id from its row number in vector keys (ids never contain it).
const ROW = '\u0000';

/**
 * Texts embedded per document (one vector row each): the whole document, its title with its
 * symptoms (what an operator would say, without the remedy prose), and each symptom alone, so a
 * short operator sentence can meet the one symptom it paraphrases undiluted. A document's vector
 * score is that of its best row. Chosen on the dev half of the query set over one vector per
 * document and over title-alone rows (see bench/rag.bench.ts for both halves).
 */
export function vectorTexts(doc: RagDocument): string[] {
  return [documentText(doc), leadText(doc), ...doc.symptoms];
}

// Stored with the embedder id: bump when vectorTexts changes, so stored rows get rebuilt.
const ROW_LAYOUT = 'rows-v1';

/** Hybrid BM25 + vector retriever over a persistent store. */
export class HybridRetriever {
  readonly #lexical: Bm25Index<RagDocument>;
  /** Vector rows per document id. */
  readonly #rowCount = new Map<string, number>();
  /** Alert link key (see ./alert.ts) -> ids of the runbooks it leads to. */
  readonly #links = new Map<string, Set<string>>();
  readonly #weights: { lexical: number; vector: number };

  private constructor(
    readonly embedder: Embedder,
    readonly store: RagStore,
    readonly vectors: VectorIndex,
    weights: { lexical: number; vector: number },
    readonly fusionK: number,
    concepts: ConceptMap,
    fieldWeights: Readonly<Record<string, number>>,
    conceptWeight: number,
  ) {
    this.#weights = weights;
    this.#lexical = new Bm25Index({
      analyze: (text) => expandConcepts(tokenize(text), concepts),
      fieldWeights,
      termWeight: (term) => (term.startsWith('#') ? conceptWeight : 1),
    });
  }

  /**
   * Opens a retriever over `store`, rebuilding both indexes from it. Stored embeddings made by a
   * different embedder are recomputed and written back.
   */
  static async open(options: RetrieverOptions): Promise<HybridRetriever> {
    const { embedder, store } = options;
    if (!embedder || typeof embedder.embed !== 'function')
      throw new ArgumentError('options.embedder', 'expected an Embedder');
    if (!store || typeof store.listDocuments !== 'function')
      throw new ArgumentError('options.store', 'expected a RagStore');
    const weights = { ...DEFAULT_FUSION_WEIGHTS, ...options.weights };
    for (const [name, w] of Object.entries(weights)) {
      if (!(typeof w === 'number' && w >= 0 && Number.isFinite(w)))
        throw new ArgumentError(`options.weights.${name}`, `expected a finite number >= 0, got ${String(w)}`);
    }
    const fusionK = options.fusionK ?? RRF_K;
    if (!(typeof fusionK === 'number' && fusionK > 0 && Number.isFinite(fusionK))) {
      throw new ArgumentError('options.fusionK', `expected a finite number > 0, got ${String(fusionK)}`);
    }
    const thesaurus = options.thesaurus === undefined ? OPS_THESAURUS : options.thesaurus;
    const concepts = thesaurus === null ? new Map<string, string[]>() : buildConceptMap(thesaurus);
    const vectors = await VectorIndex.create({ dim: embedder.dim, precision: options.precision ?? 'f32' });
    const fieldWeights = { ...DEFAULT_FIELD_WEIGHTS, ...options.fieldWeights };
    const conceptWeight = options.conceptWeight ?? CONCEPT_WEIGHT;
    const retriever = new HybridRetriever(
      embedder,
      store,
      vectors,
      weights,
      fusionK,
      concepts,
      fieldWeights,
      conceptWeight,
    );
    const stored = await store.listDocuments();
    const fresh = (s: StoredDocument) =>
      s.embedderId === storedId(embedder) &&
      s.embedding.length === vectorTexts(s.document).length * embedder.dim;
    const stale = stored.filter((s) => !fresh(s));
    for (const s of stored) if (fresh(s)) retriever.#index(s.document, s.embedding);
    if (stale.length > 0) await retriever.upsert(stale.map((s) => s.document));
    return retriever;
  }

  /** Number of indexed documents. */
  get size(): number {
    return this.#lexical.size;
  }

  /** The indexed document with this id. */
  get(id: string): RagDocument | undefined {
    return this.#lexical.get(id);
  }

  /**
   * The runbook the first of `keys` that leads to exactly one runbook leads to (keys that lead
   * to several are passed over: a link must name one runbook), with how it was linked.
   */
  linked(
    keys: readonly { key: string; by: AlertLink }[],
  ): { document: RagDocument; by: AlertLink } | undefined {
    for (const { key, by } of keys) {
      const ids = this.#links.get(key);
      if (ids?.size === 1) return { document: this.get([...ids][0])!, by };
    }
    return undefined;
  }

  /** Adds documents, replacing those with the same ids; persists them with their embeddings. */
  async upsert(docs: readonly RagDocument[]): Promise<void> {
    if (!Array.isArray(docs)) throw new ArgumentError('docs', 'expected an array of documents');
    docs.forEach((d, i) => checkDocument(d, `docs[${i}]`));
    const texts = docs.map(vectorTexts);
    const matrix = await this.embedder.embed(texts.flat());
    const dim = this.embedder.dim;
    const batch: StoredDocument[] = [];
    let at = 0;
    for (const [i, document] of docs.entries()) {
      batch.push({
        document,
        embedding: matrix.slice(at * dim, (at + texts[i].length) * dim),
        embedderId: storedId(this.embedder),
      });
      at += texts[i].length;
    }
    await this.store.putDocuments(batch);
    for (const { document, embedding } of batch) this.#index(document, embedding);
  }

  /** Removes a document from the store and both indexes; returns whether it existed. */
  async delete(id: string): Promise<boolean> {
    if (typeof id !== 'string') throw new ArgumentError('id', 'expected a document id string');
    const existed = await this.store.deleteDocument(id);
    const old = this.#lexical.get(id);
    if (old) this.#unlink(old);
    const indexed = this.#lexical.delete(id);
    this.#dropRows(id, 0);
    return existed || indexed;
  }

  /** Ranks documents for `query` (see {@link SearchOptions}). */
  async search(query: string, options: SearchOptions = {}): Promise<RetrievalResult> {
    const t0 = performance.now();
    if (typeof query !== 'string') throw new ArgumentError('query', `expected a string, got ${typeof query}`);
    const k = options.k ?? 5;
    if (!Number.isInteger(k) || k < 1)
      throw new ArgumentError('options.k', `expected an integer >= 1, got ${String(k)}`);
    const threshold = options.threshold ?? 0;
    if (typeof threshold !== 'number' || !(threshold >= 0 && threshold <= 1)) {
      throw new ArgumentError('options.threshold', `expected a number in [0, 1], got ${String(threshold)}`);
    }
    const mode = options.mode ?? 'hybrid';
    if (mode !== 'hybrid' && mode !== 'lexical' && mode !== 'vector') {
      throw new ArgumentError(
        'options.mode',
        `expected 'hybrid', 'lexical' or 'vector', got ${String(mode)}`,
      );
    }
    const accept = compileFilter(options.filter, 'options.filter');
    const pool = Math.max(k * 4, MIN_POOL);

    const t1 = performance.now();
    const lexical = mode === 'vector' ? [] : this.#lexical.search(query, pool, accept);
    const t2 = performance.now();
    let vector: Hit[] = [];
    let embedMs = 0;
    if (mode !== 'lexical' && this.size > 0) {
      const q = await this.embedder.embed([query]);
      embedMs = performance.now() - t2;
      const docOf = (rowKey: string) => this.#lexical.get(rowKey.slice(0, rowKey.lastIndexOf(ROW)))!;
      // Rows per document vary; fetch enough rows for `pool` documents on average.
      const rows = Math.ceil((pool * this.vectors.size) / this.size);
      const best = new Map<string, number>();
      for (const h of this.vectors.search(q, rows, accept && ((key) => accept(docOf(key))))) {
        const id = docOf(h.id).id;
        if (!best.has(id)) best.set(id, h.score);
      }
      vector = [...best].map(([id, score]) => ({ id, score })).slice(0, pool);
    }
    const t3 = performance.now();

    const rankings = [];
    if (mode !== 'vector') rankings.push({ hits: lexical, weight: this.#weights.lexical });
    if (mode !== 'lexical') rankings.push({ hits: vector, weight: this.#weights.vector });
    const best = rankings.reduce((s, r) => s + r.weight, 0) / (this.fusionK + 1);
    const fused = reciprocalRankFusion(rankings, this.fusionK).map((h) => ({
      id: h.id,
      score: best > 0 ? h.score / best : 0,
    }));
    const passing = fused.filter((h) => h.score >= threshold);
    const lexicalRank = new Map(lexical.map((h, i) => [h.id, i + 1]));
    const vectorRank = new Map(vector.map((h, i) => [h.id, i + 1]));
    const similarity = new Map(vector.map((h) => [h.id, h.score]));
    const explainer = new MatchExplainer(query);
    const hits: RetrievalHit[] = passing.slice(0, k).map((h) => {
      const document = this.#lexical.get(h.id)!;
      return {
        document,
        score: h.score,
        lexicalRank: lexicalRank.get(h.id),
        vectorRank: vectorRank.get(h.id),
        similarity: similarity.get(h.id),
        matched: explainer.explain(documentText(document)),
      };
    });
    const t4 = performance.now();
    return new RetrievalResult(query, hits, passing.length, {
      embedMs,
      lexicalMs: t2 - t1,
      vectorMs: t3 - t2 - embedMs,
      fusionMs: t4 - t3,
      totalMs: t4 - t0,
    });
  }

  #index(document: RagDocument, embedding: Float32Array): void {
    const dim = this.embedder.dim;
    const count = embedding.length / dim;
    const old = this.#lexical.get(document.id);
    if (old) this.#unlink(old);
    this.#lexical.upsert(document, documentFields(document));
    for (const key of documentLinkKeys(document)) {
      let ids = this.#links.get(key);
      if (!ids) this.#links.set(key, (ids = new Set()));
      ids.add(document.id);
    }
    this.#dropRows(document.id, count);
    for (let j = 0; j < count; j++)
      this.vectors.upsert(`${document.id}${ROW}${j}`, embedding.subarray(j * dim, (j + 1) * dim));
    this.#rowCount.set(document.id, count);
  }

  #unlink(document: RagDocument): void {
    for (const key of documentLinkKeys(document)) {
      const ids = this.#links.get(key);
      ids?.delete(document.id);
      if (ids?.size === 0) this.#links.delete(key);
    }
  }

  // Deletes the vector rows of `id` from row `from` on.
  #dropRows(id: string, from: number): void {
    const count = this.#rowCount.get(id) ?? 0;
    for (let j = from; j < count; j++) this.vectors.delete(`${id}${ROW}${j}`);
    if (from === 0) this.#rowCount.delete(id);
  }
}

/** What the store records as the maker of a document's vectors: embedder and row layout. */
export function storedId(embedder: Embedder): string {
  return `${embedder.id}|${ROW_LAYOUT}`;
}

function checkDocument(doc: RagDocument, name: string): void {
  if (typeof doc !== 'object' || doc === null) throw new ArgumentError(name, 'expected a document object');
  if (typeof doc.id !== 'string' || doc.id === '')
    throw new ArgumentError(`${name}.id`, 'expected a non-empty string');
  if (typeof doc.title !== 'string') throw new ArgumentError(`${name}.title`, 'expected a string');
  if (typeof doc.body !== 'string') throw new ArgumentError(`${name}.body`, 'expected a string');
  for (const key of ['faults', 'symptoms', 'metrics', 'actions'] as const) {
    if (!Array.isArray(doc[key]) || !doc[key].every((v) => typeof v === 'string')) {
      throw new ArgumentError(`${name}.${key}`, 'expected an array of strings');
    }
  }
  if (doc.source !== 'runbook' && doc.source !== 'incident')
    throw new ArgumentError(`${name}.source`, "expected 'runbook' or 'incident'");
}
