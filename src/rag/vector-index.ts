/**
 * Exact vector search over documents keyed by string ids, on the similarity kernel facade
 * (src/kernels/similarity): cosine top-k in wasm, f32 or int8 with exact f32 rescoring.
 * Filtering happens after the kernel's top-k, widening to the whole index when too few
 * candidates pass, so filtered results stay exact.
 */
import { ArgumentError } from '../errors.ts';
import { createSimilarityIndex, type SimilarityIndex, type TopK } from '../kernels/similarity/index.ts';
import { byScore, type Hit } from './ranking.ts';

/** Row storage precision. */
export type VectorPrecision = 'f32' | 'int8';

/** Options of {@link VectorIndex.create}. */
export interface VectorIndexOptions {
  dim: number;
  /** Default 'f32'. */
  precision?: VectorPrecision;
  /** Kernel backend (default 'auto': wasm when SIMD is available). */
  backend?: 'auto' | 'wasm' | 'ts';
}

// First filtered pass fetches this many times k (at least FILTER_MIN) before widening.
const FILTER_OVERFETCH = 4;
const FILTER_MIN = 64;

/** Cosine top-k over string-keyed vectors with add, update and delete. */
export class VectorIndex {
  readonly #index: SimilarityIndex;
  readonly #numeric = new Map<string, number>();
  readonly #names = new Map<number, string>();
  #nextId = 0;

  private constructor(index: SimilarityIndex) {
    this.#index = index;
  }

  /** Creates an empty index. */
  static async create(options: VectorIndexOptions): Promise<VectorIndex> {
    const precision = options.precision ?? 'f32';
    if (precision !== 'f32' && precision !== 'int8') {
      throw new ArgumentError('options.precision', `expected 'f32' or 'int8', got ${String(precision)}`);
    }
    const index = await createSimilarityIndex({
      dim: options.dim,
      metric: 'cosine',
      precision,
      backend: options.backend,
    });
    return new VectorIndex(index);
  }

  /** Vector dimension. */
  get dim(): number {
    return this.#index.dim;
  }

  /** Number of vectors. */
  get size(): number {
    return this.#index.size;
  }

  /** 'f32' or 'int8'. */
  get precision(): VectorPrecision {
    return this.#index.precision;
  }

  /** Kernel backend in use. */
  get backend(): 'wasm' | 'ts' {
    return this.#index.backend;
  }

  /** Adds or replaces the vector stored under `id`. */
  upsert(id: string, vector: Float32Array): void {
    const numeric = this.#numeric.get(id);
    if (numeric !== undefined) return this.#index.update(numeric, vector);
    const next = this.#nextId;
    this.#index.add(next, vector);
    this.#nextId++;
    this.#numeric.set(id, next);
    this.#names.set(next, id);
  }

  /** Adds or replaces many vectors (row-major `ids.length x dim`). */
  upsertMany(ids: readonly string[], vectors: Float32Array): void {
    if (vectors.length !== ids.length * this.dim) {
      throw new ArgumentError(
        'vectors',
        `expected ${ids.length} x ${this.dim} floats, got ${vectors.length}`,
      );
    }
    const fresh: number[] = [];
    const freshRows: number[] = [];
    ids.forEach((id, i) => {
      const numeric = this.#numeric.get(id);
      if (numeric !== undefined)
        this.#index.update(numeric, vectors.subarray(i * this.dim, (i + 1) * this.dim));
      else {
        fresh.push(this.#nextId + fresh.length);
        freshRows.push(i);
      }
    });
    if (fresh.length === 0) return;
    const block = new Float32Array(fresh.length * this.dim);
    freshRows.forEach((r, j) => block.set(vectors.subarray(r * this.dim, (r + 1) * this.dim), j * this.dim));
    this.#index.addMany(fresh, block);
    fresh.forEach((n, j) => {
      this.#numeric.set(ids[freshRows[j]], n);
      this.#names.set(n, ids[freshRows[j]]);
    });
    this.#nextId += fresh.length;
  }

  /** Removes the vector of `id`; returns whether it existed. */
  delete(id: string): boolean {
    const numeric = this.#numeric.get(id);
    if (numeric === undefined) return false;
    this.#index.delete(numeric);
    this.#numeric.delete(id);
    this.#names.delete(numeric);
    return true;
  }

  /** The `k` most similar vectors (cosine) whose ids pass `accept`, best first. */
  search(query: Float32Array, k: number, accept?: (id: string) => boolean): Hit[] {
    if (this.size === 0) return [];
    if (!accept) return this.#hits(this.#index.search(query, k));
    const first = Math.min(this.size, Math.max(k * FILTER_OVERFETCH, FILTER_MIN));
    let hits = this.#hits(this.#index.search(query, first)).filter((h) => accept(h.id));
    if (hits.length < k && first < this.size) {
      hits = this.#hits(this.#index.search(query, this.size)).filter((h) => accept(h.id));
    }
    return hits.slice(0, k);
  }

  /** Top-k of many queries (row-major `nq x dim`) in one kernel call; no filter. */
  searchBatch(queries: Float32Array, k: number): Hit[][] {
    if (this.size === 0) return Array.from({ length: queries.length / this.dim }, () => []);
    return this.#index.searchBatch(queries, k).map((top) => this.#hits(top));
  }

  #hits(top: TopK): Hit[] {
    const hits: Hit[] = [];
    for (let i = 0; i < top.ids.length; i++)
      hits.push({ id: this.#names.get(top.ids[i])!, score: top.scores[i] });
    // The kernel breaks ties by numeric id (insertion order); re-sort so ties go by string id.
    return hits.sort(byScore);
  }
}
