/**
 * The similarity index: stable u32 ids over dense rows, argument checks, swap-with-last deletes
 * and the choice of engine (wasm.ts or twin.ts). See index.ts for the numbers it guarantees.
 */
import { ArgumentError, KernelLoadError } from '../../errors.ts';
import { checkArray, checkInt, checkLength } from '../../validate.ts';
import { chooseBackend, simdSupported, type BackendOptions } from '../loader.ts';
import { maxRows, type EngineConfig, type Metric, type Precision, type SimilarityEngine } from './engine.ts';
import { TwinEngine } from './twin.ts';
import { similarityKernel, WasmEngine } from './wasm.ts';

/** Largest dimension: keeps int8 sums within i32 and rows within reach of the heaps. */
export const MAX_DIM = 65536;
/** Largest k per query. */
export const MAX_K = 1 << 20;
/** Largest external id (ids are u32). */
export const MAX_ID = 0xffffffff;

/** Options of {@link createSimilarityIndex}. */
export interface SimilarityIndexOptions extends BackendOptions {
  /** Vector dimension d, 1..65536. */
  dim: number;
  /** `dot` (higher is better), `cosine` (higher is better, in [-1, 1]) or `l2` (squared
   * Euclidean distance, lower is better). */
  metric: Metric;
  /**
   * `f32` (default): exact scan. `int8` (dot and cosine only): rows are also stored as int8
   * with one scale per row (max|x|/127); a query is quantised the same way, the int8 scan keeps
   * `k * rescore` candidates and those are rescored exactly in f32, so returned scores are
   * exact and only the candidate set is approximate. Keeps the f32 rows too (5 bytes/value).
   * Rows whose largest |component| is below ~1e-43 quantise to zero (their candidacy is then
   * decided by id among equal approximations).
   */
  precision?: Precision;
  /** int8 only: candidates per result rescored in f32 (1..64, default 4). */
  rescore?: number;
  /** Rows to reserve up front, at most the index's maxRows (memory grows anyway, doubling). */
  capacity?: number;
}

/** Top-k of one query, best first: `ids[i]` scored `scores[i]`. */
export interface TopK {
  /** The ids of the best rows, best first. */
  readonly ids: Uint32Array;
  /** Their scores under the index's metric. */
  readonly scores: Float32Array;
}

/**
 * Creates an empty index. With the wasm backend it compiles the module on first use (or uses
 * `options.module`) and gives the index its own instance and memory.
 */
export async function createSimilarityIndex(options: SimilarityIndexOptions): Promise<SimilarityIndex> {
  const config = checkOptions(options);
  const useWasm = chooseBackend(options) === 'wasm';
  let engine: SimilarityEngine;
  if (useWasm) {
    if (options.module === undefined && !simdSupported()) {
      throw new KernelLoadError('similarity: wasm SIMD is not supported here; pass a module or backend "ts"');
    }
    const module = options.module ?? (await similarityKernel.init());
    engine = new WasmEngine(similarityKernel.instantiate(module), config);
  } else {
    engine = new TwinEngine(config);
  }
  const index = new SimilarityIndex(config, useWasm ? 'wasm' : 'ts', engine);
  if (options.capacity !== undefined)
    engine.reserve(checkInt('capacity', options.capacity, 0, maxRows(config)));
  return index;
}

/**
 * A matrix of vectors with stable external ids (u32) and exact top-k search. Deletes swap the
 * last row into the freed slot, so the matrix stays dense and search cost follows the live
 * size; results never depend on slot order (ties rank the lower id first).
 */
export class SimilarityIndex {
  readonly #engine: SimilarityEngine;
  readonly #slotOf = new Map<number, number>();
  readonly #idAt: number[] = [];

  /** Use {@link createSimilarityIndex}. */
  constructor(
    private readonly config: EngineConfig,
    /** The backend actually running. */
    readonly backend: 'wasm' | 'ts',
    engine: SimilarityEngine,
  ) {
    this.#engine = engine;
  }

  /** Vector dimension. */
  get dim(): number {
    return this.config.dim;
  }

  /** Similarity measure, fixed at creation. */
  get metric(): Metric {
    return this.config.metric;
  }

  /** Row storage, fixed at creation. */
  get precision(): Precision {
    return this.config.precision;
  }

  /** Most rows this index can hold (its rows must fit in 4 GiB of wasm32 memory). */
  get maxRows(): number {
    return maxRows(this.config);
  }

  /** Number of live rows. */
  get size(): number {
    return this.#idAt.length;
  }

  /** True when a row has this id. */
  has(id: number): boolean {
    return this.#slotOf.has(id);
  }

  /** The live ids, in storage order. */
  ids(): Uint32Array {
    return Uint32Array.from(this.#idAt);
  }

  /** A copy of the stored vector (unit-normalised for cosine), or undefined. */
  get(id: number): Float32Array | undefined {
    const slot = this.#slotOf.get(id);
    return slot === undefined ? undefined : this.#engine.read(slot);
  }

  /** Adds one row; throws ArgumentError if the id exists. */
  add(id: number, vector: Float32Array): void {
    this.#insert([id], vector, 'id', 'vector');
  }

  /** Adds `ids.length` rows from `vectors` (row-major, ids.length x dim); all or nothing. */
  addMany(ids: ArrayLike<number>, vectors: Float32Array): void {
    this.#insert(ids, vectors, 'ids', 'vectors');
  }

  #insert(ids: ArrayLike<number>, vectors: Float32Array, idsName: string, vectorsName: string): void {
    checkIds(idsName, ids);
    const seen = new Set<number>();
    for (let i = 0; i < ids.length; i++) {
      if (this.#slotOf.has(ids[i]) || seen.has(ids[i]))
        throw new ArgumentError(idsName, `id ${ids[i]} already present`);
      seen.add(ids[i]);
    }
    this.#checkVectors(vectorsName, vectors, ids.length);
    const start = this.size;
    if (start + ids.length > this.maxRows) {
      throw new ArgumentError(
        idsName,
        `${start + ids.length} rows exceed the ${this.maxRows} that fit in 4 GiB of wasm memory`,
      );
    }
    this.#engine.reserve(start + ids.length);
    this.#engine.write(start, ids, vectors);
    for (let i = 0; i < ids.length; i++) {
      this.#slotOf.set(ids[i], start + i);
      this.#idAt.push(ids[i]);
    }
  }

  /** Replaces the vector of an existing id; throws ArgumentError if it is absent. */
  update(id: number, vector: Float32Array): void {
    checkIds('id', [id]);
    const slot = this.#slotOf.get(id);
    if (slot === undefined) throw new ArgumentError('id', `id ${id} not present`);
    this.#checkVectors('vector', vector, 1);
    this.#engine.write(slot, [id], vector);
  }

  /** Removes a row (the last row moves into its slot); returns false if the id was absent. */
  delete(id: number): boolean {
    const slot = this.#slotOf.get(id);
    if (slot === undefined) return false;
    const last = this.#idAt.length - 1;
    if (slot !== last) {
      this.#engine.move(last, slot);
      this.#idAt[slot] = this.#idAt[last];
      this.#slotOf.set(this.#idAt[slot], slot);
    }
    this.#idAt.pop();
    this.#slotOf.delete(id);
    return true;
  }

  /** The `min(k, size)` best rows for one query (dim floats), best first. */
  search(query: Float32Array, k: number): TopK {
    this.#checkVectors('query', query, 1);
    return this.#run(query, 1, k)[0];
  }

  /**
   * Top-k of many queries (row-major, nq x dim) in one call. The kernel scores each block of
   * rows against four queries at a time, so a row comes from memory once per block of queries
   * instead of once per query. int8 batches of 32 or more queries (wasm) go further: each block
   * against the whole batch is one integer matrix product, done with one level of Strassen's
   * algorithm (7/8 of the multiply-adds, exact), so results match single queries exactly.
   */
  searchBatch(queries: Float32Array, k: number): TopK[] {
    checkArray('queries', queries, Float32Array);
    if (queries.length % this.dim !== 0) {
      throw new ArgumentError('queries', `length ${queries.length} is not a multiple of dim ${this.dim}`);
    }
    const nq = queries.length / this.dim;
    this.#checkVectors('queries', queries, nq);
    return this.#run(queries, nq, k);
  }

  #run(queries: Float32Array, nq: number, k: number): TopK[] {
    checkInt('k', k, 1, MAX_K);
    const kk = Math.min(k, this.size);
    if (kk === 0 || nq === 0)
      return Array.from({ length: nq }, () => ({ ids: new Uint32Array(0), scores: new Float32Array(0) }));
    const { keys, slots } = this.#engine.search(queries, nq, kk, this.size);
    const ids = new Uint32Array(nq * kk);
    const scores = new Float32Array(nq * kk);
    const l2 = this.metric === 'l2';
    for (let i = 0; i < ids.length; i++) {
      ids[i] = this.#idAt[slots[i]];
      scores[i] = l2 ? -keys[i] : keys[i];
    }
    return Array.from({ length: nq }, (_, q) => ({
      ids: ids.subarray(q * kk, (q + 1) * kk),
      scores: scores.subarray(q * kk, (q + 1) * kk),
    }));
  }

  #checkVectors(name: string, vectors: Float32Array, count: number): void {
    checkArray(name, vectors, Float32Array);
    checkLength(name, vectors, count * this.dim);
    // x * 0 is NaN exactly for NaN and +-Infinity, so one pass of sums finds any of them.
    let a = 0,
      b = 0;
    const even = vectors.length & ~1;
    for (let i = 0; i < even; i += 2) {
      a += vectors[i] * 0;
      b += vectors[i + 1] * 0;
    }
    if (a === 0 && b === 0 && (even === vectors.length || Number.isFinite(vectors[even]))) return;
    const i = vectors.findIndex((x) => !Number.isFinite(x));
    throw new ArgumentError(name, `component ${i} is ${vectors[i]}; vectors must be finite`);
  }
}

function checkOptions(options: SimilarityIndexOptions): EngineConfig {
  if (typeof options !== 'object' || options === null)
    throw new ArgumentError('options', 'expected an object');
  const dim = checkInt('dim', options.dim, 1, MAX_DIM);
  const metric = options.metric;
  if (metric !== 'dot' && metric !== 'cosine' && metric !== 'l2') {
    throw new ArgumentError('metric', `expected 'dot', 'cosine' or 'l2', got ${String(metric)}`);
  }
  const precision = options.precision ?? 'f32';
  if (precision !== 'f32' && precision !== 'int8') {
    throw new ArgumentError('precision', `expected 'f32' or 'int8', got ${String(precision)}`);
  }
  if (precision === 'int8' && metric === 'l2')
    throw new ArgumentError('precision', "int8 supports 'dot' and 'cosine' only");
  const rescore = checkInt('rescore', options.rescore ?? 4, 1, 64);
  return { dim, metric, precision, rescore };
}

function checkIds(name: string, ids: ArrayLike<number>): void {
  if (ids === null || typeof ids !== 'object' || typeof ids.length !== 'number') {
    throw new ArgumentError(name, 'expected an array of integers');
  }
  for (let i = 0; i < ids.length; i++) checkInt(name === 'id' ? name : `${name}[${i}]`, ids[i], 0, MAX_ID);
}
