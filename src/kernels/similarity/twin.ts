/**
 * Pure-TypeScript twin of assembly/similarity.ts: the fallback where wasm SIMD is missing and
 * the oracle of the conformance tests. Scoring uses f32 arithmetic (Math.fround) like the
 * kernel; normalisation and quantisation follow the kernel's f64 steps exactly, so stored rows
 * and int8 candidate sets are bit-identical and only f32 summation order differs.
 */
import { EMPTY_SLOT, maxRows, type EngineConfig, type SimilarityEngine, type SlotHits } from './engine.ts';

const fround = Math.fround;

/** Row storage and exact top-k search in plain TypeScript. */
export class TwinEngine implements SimilarityEngine {
  #capacity = 0;
  #rows = new Float32Array(0);
  #ids = new Uint32Array(0);
  #rows8 = new Int8Array(0);
  #scales = new Float32Array(0);

  constructor(private readonly config: EngineConfig) {}

  reserve(rows: number): void {
    if (rows <= this.#capacity) return;
    const capacity = Math.min(Math.max(rows, this.#capacity * 2, 16), maxRows(this.config));
    const dim = this.config.dim;
    this.#rows = grow(this.#rows, new Float32Array(capacity * dim));
    this.#ids = grow(this.#ids, new Uint32Array(capacity));
    if (this.config.precision === 'int8') {
      this.#rows8 = grow(this.#rows8, new Int8Array(capacity * dim));
      this.#scales = grow(this.#scales, new Float32Array(capacity));
    }
    this.#capacity = capacity;
  }

  write(start: number, ids: ArrayLike<number>, vectors: Float32Array): void {
    const dim = this.config.dim;
    for (let r = 0; r < ids.length; r++) {
      const slot = start + r;
      const row = this.#rows.subarray(slot * dim, (slot + 1) * dim);
      row.set(vectors.subarray(r * dim, (r + 1) * dim));
      this.#ids[slot] = ids[r];
      if (this.config.metric === 'cosine') normalizeInPlace(row);
      if (this.config.precision === 'int8') {
        this.#scales[slot] = quantizeInto(row, this.#rows8.subarray(slot * dim, (slot + 1) * dim));
      }
    }
  }

  move(from: number, to: number): void {
    const dim = this.config.dim;
    this.#rows.copyWithin(to * dim, from * dim, (from + 1) * dim);
    this.#ids[to] = this.#ids[from];
    if (this.config.precision === 'int8') {
      this.#rows8.copyWithin(to * dim, from * dim, (from + 1) * dim);
      this.#scales[to] = this.#scales[from];
    }
  }

  read(slot: number): Float32Array {
    const dim = this.config.dim;
    return this.#rows.slice(slot * dim, (slot + 1) * dim);
  }

  search(queries: Float32Array, nq: number, k: number, size: number): SlotHits {
    const { dim, metric, precision, rescore } = this.config;
    const keys = new Float32Array(nq * k);
    const slots = new Uint32Array(nq * k);
    const score = metric === 'l2' ? negL2 : dot;
    const q8 = new Int8Array(dim);
    for (let q = 0; q < nq; q++) {
      const query = queries.slice(q * dim, (q + 1) * dim);
      if (metric === 'cosine') normalizeInPlace(query);
      const heap = new Heap(this.#ids, keys.subarray(q * k, (q + 1) * k), slots.subarray(q * k, (q + 1) * k));
      if (precision === 'f32') {
        for (let r = 0; r < size; r++) heap.offer(score(this.#rows, r * dim, query, dim), r);
      } else {
        // int8 scan for k * rescore candidates, then exact f32 scores for those alone. The
        // query's scale is common to all rows, so the ranking leaves it out.
        quantizeInto(query, q8);
        const kc = Math.min(size, k * rescore);
        const cand = new Heap(this.#ids, new Float32Array(kc), new Uint32Array(kc));
        for (let r = 0; r < size; r++) {
          const approx = fround(dotI8(this.#rows8, r * dim, q8) * this.#scales[r]);
          cand.offer(approx, r);
        }
        for (const r of cand.slots)
          if (r !== EMPTY_SLOT) heap.offer(score(this.#rows, r * dim, query, dim), r);
      }
      heap.sort();
    }
    return { keys, slots };
  }
}

function grow<T extends Float32Array | Uint32Array | Int8Array>(old: T, next: T): T {
  next.set(old as never);
  return next;
}

/**
 * Unit L2 norm in place (all-zero vectors stay zero), bit-identical to the kernel: squares
 * summed in f64 into four partial sums by index % 4, combined as (s0 + s1) + (s2 + s3).
 */
export function normalizeInPlace(v: Float32Array): void {
  const partial = [0, 0, 0, 0];
  for (let i = 0; i < v.length; i++) partial[i & 3] += v[i] * v[i];
  const sum = partial[0] + partial[1] + (partial[2] + partial[3]);
  if (sum === 0) return;
  const inv = 1 / Math.sqrt(sum);
  for (let i = 0; i < v.length; i++) v[i] = v[i] * inv;
}

/** Quantises `v` to int8 in `out` (round half to even, clamped to +-127); returns the scale. */
export function quantizeInto(v: Float32Array, out: Int8Array): number {
  let max = 0;
  for (let i = 0; i < v.length; i++) max = Math.max(max, Math.abs(v[i]));
  const inv = max === 0 ? 0 : 127 / max;
  for (let i = 0; i < v.length; i++) out[i] = Math.max(-127, Math.min(127, roundHalfEven(v[i] * inv)));
  return fround(max / 127);
}

function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

// f32 dot product with four partial sums (the kernel's scalar build does the same).
function dot(rows: Float32Array, at: number, q: Float32Array, dim: number): number {
  let s0 = 0,
    s1 = 0,
    s2 = 0,
    s3 = 0;
  let i = 0;
  for (; i + 4 <= dim; i += 4) {
    s0 = fround(s0 + fround(rows[at + i] * q[i]));
    s1 = fround(s1 + fround(rows[at + i + 1] * q[i + 1]));
    s2 = fround(s2 + fround(rows[at + i + 2] * q[i + 2]));
    s3 = fround(s3 + fround(rows[at + i + 3] * q[i + 3]));
  }
  for (; i < dim; i++) s0 = fround(s0 + fround(rows[at + i] * q[i]));
  return fround(fround(s0 + s1) + fround(s2 + s3));
}

function negL2(rows: Float32Array, at: number, q: Float32Array, dim: number): number {
  let s0 = 0,
    s1 = 0;
  let i = 0;
  for (; i + 2 <= dim; i += 2) {
    const d0 = fround(rows[at + i] - q[i]);
    const d1 = fround(rows[at + i + 1] - q[i + 1]);
    s0 = fround(s0 + fround(d0 * d0));
    s1 = fround(s1 + fround(d1 * d1));
  }
  if (i < dim) {
    const d = fround(rows[at + i] - q[i]);
    s0 = fround(s0 + fround(d * d));
  }
  return -fround(s0 + s1);
}

// Exact integer dot product (|sum| < 2^31 for dim <= 65536).
function dotI8(rows8: Int8Array, at: number, q8: Int8Array): number {
  let s = 0;
  for (let i = 0; i < q8.length; i++) s += rows8[at + i] * q8[i];
  return s;
}

/**
 * Bounded min-heap of (key, slot) whose root is the worst kept entry; ties rank the lower
 * external id first, empty entries last. Mirrors the kernel's heap.
 */
class Heap {
  constructor(
    private readonly ids: Uint32Array,
    readonly keys: Float32Array,
    readonly slots: Uint32Array,
  ) {
    keys.fill(-Infinity);
    slots.fill(EMPTY_SLOT);
  }

  offer(key: number, slot: number): void {
    if (Number.isNaN(key)) key = -Infinity;
    if (this.keys.length > 0 && this.#worse(this.keys[0], this.slots[0], key, slot)) {
      this.#siftDown(this.keys.length, key, slot);
    }
  }

  /** Heapsort: leaves the entries best-first. */
  sort(): void {
    for (let end = this.keys.length - 1; end > 0; end--) {
      const key = this.keys[end],
        slot = this.slots[end];
      this.keys[end] = this.keys[0];
      this.slots[end] = this.slots[0];
      this.#siftDown(end, key, slot);
    }
  }

  #worse(ka: number, sa: number, kb: number, sb: number): boolean {
    if (sa === EMPTY_SLOT) return sb !== EMPTY_SLOT;
    if (sb === EMPTY_SLOT) return false;
    if (ka !== kb) return ka < kb;
    return this.ids[sa] > this.ids[sb];
  }

  #siftDown(size: number, key: number, slot: number): void {
    const { keys, slots } = this;
    let i = 0;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= size) break;
      if (c + 1 < size && this.#worse(keys[c + 1], slots[c + 1], keys[c], slots[c])) c++;
      if (!this.#worse(keys[c], slots[c], key, slot)) break;
      keys[i] = keys[c];
      slots[i] = slots[c];
      i = c;
    }
    keys[i] = key;
    slots[i] = slot;
  }
}
