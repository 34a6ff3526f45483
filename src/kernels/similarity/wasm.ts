/**
 * The similarity kernel's wasm module and the wasm backend: one kernel instance per engine, so
 * each index owns its linear memory. Layout above heapBase(): ids (u32), scales (f32, int8
 * only), f32 rows (stride floats each), int8 rows (stride8 bytes each, int8 only), then per-call
 * scratch (queries, heaps). Growing the capacity moves the regions up, last first, so no region
 * overwrites one not yet moved.
 */
import { ArgumentError } from '../../errors.ts';
import { Kernel, type InitOptions, type KernelExports } from '../loader.ts';
import { LinearMemory } from '../memory.ts';
import { wasmBase64 } from './embedded.ts';
import { maxRows, metricCode, type EngineConfig, type SimilarityEngine, type SlotHits } from './engine.ts';

/** Exports of assembly/similarity.ts (pointers are byte addresses in the instance's memory). */
export interface SimilarityExports extends KernelExports {
  normalize(rows: number, n: number, stride: number): void;
  quantize(rows: number, rows8: number, scales: number, n: number, stride: number, stride8: number): void;
  quantizeQueries(queries: number, q16: number, nq: number, stride: number, stride8: number): void;
  searchF32(
    metric: number,
    rows: number,
    ids: number,
    n: number,
    stride: number,
    queries: number,
    nq: number,
    k: number,
    keys: number,
    slots: number,
  ): void;
  /** Bytes of scratch searchI8 needs (0 unless the batch takes the Strassen scan). */
  searchI8ScratchBytes(nq: number, stride8: number): number;
  searchI8(
    rows8: number,
    scales: number,
    ids: number,
    n: number,
    stride8: number,
    q16: number,
    nq: number,
    k: number,
    keys: number,
    slots: number,
    scratch: number,
  ): void;
  rescore(
    metric: number,
    rows: number,
    ids: number,
    stride: number,
    queries: number,
    nq: number,
    kc: number,
    candSlots: number,
    k: number,
    keys: number,
    slots: number,
  ): void;
}

/** The similarity kernel (compiled once, shared by every wasm index). */
export const similarityKernel = new Kernel<SimilarityExports>('similarity', () => wasmBase64);

/** Compiles the embedded wasm once (idempotent); `options.wasm` replaces it. */
export async function initSimilarity(options?: InitOptions): Promise<void> {
  await similarityKernel.init(options);
}

interface Layout {
  ids: number;
  scales: number;
  rows: number;
  rows8: number;
  end: number;
}

const align16 = (n: number): number => Math.ceil(n / 16) * 16;

/** Row storage and top-k search inside one wasm instance. */
export class WasmEngine implements SimilarityEngine {
  readonly #x: SimilarityExports;
  readonly #memory: LinearMemory;
  readonly #stride: number;
  readonly #stride8: number;
  readonly #int8: boolean;
  #capacity = 0;
  #at: Layout;

  constructor(
    instance: SimilarityExports,
    private readonly config: EngineConfig,
  ) {
    this.#x = instance;
    this.#memory = new LinearMemory(instance);
    this.#stride = Math.ceil(config.dim / 4) * 4;
    this.#stride8 = Math.ceil(config.dim / 16) * 16;
    this.#int8 = config.precision === 'int8';
    this.#at = this.#layout(0);
  }

  reserve(rows: number): void {
    if (rows <= this.#capacity) return;
    const capacity = Math.min(Math.max(rows, this.#capacity * 2, 16), maxRows(this.config));
    const next = this.#layout(capacity);
    this.#memory.ensure(next.end);
    const old = this.#at,
      oldCap = this.#capacity;
    const bytes = new Uint8Array(this.#x.memory.buffer);
    if (this.#int8) bytes.copyWithin(next.rows8, old.rows8, old.rows8 + oldCap * this.#stride8);
    bytes.copyWithin(next.rows, old.rows, old.rows + oldCap * this.#stride * 4);
    if (this.#int8) bytes.copyWithin(next.scales, old.scales, old.scales + oldCap * 4);
    this.#at = next;
    this.#capacity = capacity;
  }

  write(start: number, ids: ArrayLike<number>, vectors: Float32Array): void {
    const { dim, metric } = this.config;
    const n = ids.length,
      stride = this.#stride,
      at = this.#at;
    const rows = this.#memory.f32(at.rows + start * stride * 4, n * stride);
    for (let r = 0; r < n; r++) {
      rows.set(vectors.subarray(r * dim, (r + 1) * dim), r * stride);
      rows.fill(0, r * stride + dim, (r + 1) * stride);
    }
    this.#memory.u32(at.ids + start * 4, n).set(ids);
    const first = at.rows + start * stride * 4;
    if (metric === 'cosine') this.#x.normalize(first, n, stride);
    if (this.#int8) {
      this.#x.quantize(
        first,
        at.rows8 + start * this.#stride8,
        at.scales + start * 4,
        n,
        stride,
        this.#stride8,
      );
    }
  }

  move(from: number, to: number): void {
    const at = this.#at,
      stride = this.#stride,
      stride8 = this.#stride8;
    const bytes = new Uint8Array(this.#x.memory.buffer);
    bytes.copyWithin(
      at.rows + to * stride * 4,
      at.rows + from * stride * 4,
      at.rows + (from + 1) * stride * 4,
    );
    bytes.copyWithin(at.ids + to * 4, at.ids + from * 4, at.ids + from * 4 + 4);
    if (this.#int8) {
      bytes.copyWithin(at.rows8 + to * stride8, at.rows8 + from * stride8, at.rows8 + (from + 1) * stride8);
      bytes.copyWithin(at.scales + to * 4, at.scales + from * 4, at.scales + from * 4 + 4);
    }
  }

  read(slot: number): Float32Array {
    return this.#memory.f32(this.#at.rows + slot * this.#stride * 4, this.config.dim).slice();
  }

  search(queries: Float32Array, nq: number, k: number, size: number): SlotHits {
    const { dim, metric, rescore } = this.config;
    const stride = this.#stride,
      stride8 = this.#stride8,
      at = this.#at,
      x = this.#x;
    const kc = this.#int8 ? Math.min(size, k * rescore) : 0;
    // Scratch: padded queries, [int8: i16 queries, candidate keys and slots], result heaps,
    // [int8: the scan's own scratch].
    const q = at.end;
    const q16 = align16(q + nq * stride * 4);
    const candKeys = align16(q16 + (this.#int8 ? nq * stride8 * 2 : 0));
    const candSlots = candKeys + nq * kc * 4;
    const keys = align16(candSlots + nq * kc * 4);
    const slots = keys + nq * k * 4;
    const scan = align16(slots + nq * k * 4);
    const end = scan + (this.#int8 ? x.searchI8ScratchBytes(nq, stride8) : 0);
    if (end > 2 ** 32)
      throw new ArgumentError('queries', `batch of ${nq} queries with k=${k} exceeds wasm memory`);
    this.#memory.ensure(end);

    const padded = this.#memory.f32(q, nq * stride);
    padded.fill(0);
    for (let j = 0; j < nq; j++) padded.set(queries.subarray(j * dim, (j + 1) * dim), j * stride);
    if (metric === 'cosine') x.normalize(q, nq, stride);
    if (this.#int8) {
      x.quantizeQueries(q, q16, nq, stride, stride8);
      x.searchI8(at.rows8, at.scales, at.ids, size, stride8, q16, nq, kc, candKeys, candSlots, scan);
      x.rescore(metricCode(metric), at.rows, at.ids, stride, q, nq, kc, candSlots, k, keys, slots);
    } else {
      x.searchF32(metricCode(metric), at.rows, at.ids, size, stride, q, nq, k, keys, slots);
    }
    return { keys: this.#memory.f32(keys, nq * k).slice(), slots: this.#memory.u32(slots, nq * k).slice() };
  }

  #layout(capacity: number): Layout {
    const ids = align16(this.#memory.base);
    const scales = align16(ids + capacity * 4);
    const rows = align16(scales + (this.#int8 ? capacity * 4 : 0));
    const rows8 = rows + capacity * this.#stride * 4;
    const end = align16(rows8 + (this.#int8 ? capacity * this.#stride8 : 0));
    return { ids, scales, rows, rows8, end };
  }
}
