/**
 * The detector kernel (assembly/detector.ts) behind a bank of series: one wasm instance per bank,
 * holding the params block, every series' state block and the input/output buffers.
 */
import { ArgumentError } from '../../errors.ts';
import { Kernel, type InitOptions, type KernelExports } from '../loader.ts';
import { LinearMemory } from '../memory.ts';
import { wasmBase64 } from './embedded.ts';
import { deriveConstants, type DetectorParams, type StateLayout } from './params.ts';

/** Exports of assembly/detector.ts (pointers are byte addresses in the instance's memory). */
export interface DetectorExports extends KernelExports {
  init(states: number, count: number, length: number): void;
  updateMany(
    params: number,
    states: number,
    count: number,
    timestamps: number,
    values: number,
    out: number,
  ): void;
  updateSeries(
    params: number,
    state: number,
    timestamps: number,
    values: number,
    length: number,
    out: number,
  ): void;
  updateBlock(
    params: number,
    states: number,
    count: number,
    ticks: number,
    timestamps: number,
    values: number,
    out: number,
  ): void;
}

const kernel = new Kernel<DetectorExports>('detector', () => wasmBase64);

/** Compiles the detector kernel once (idempotent); `options.wasm` substitutes another build. */
export function initDetector(options?: InitOptions): Promise<WebAssembly.Module> {
  return kernel.init(options);
}

/** f64 slots of the params block (its order is fixed by assembly/detector.ts). */
const PARAM_SLOTS = 26;

/** Points per call of `updateSeries`: bounds the buffers a bank keeps in its memory. */
export const SERIES_CHUNK = 4096;

/** Ticks per call of `updateBlock`: enough to keep a series' state in cache across its points. */
export const BLOCK_TICKS = 64;

/** A bank's wasm instance and where its parts live. */
export class DetectorInstance {
  readonly exports: DetectorExports;
  readonly memory: LinearMemory;
  readonly params: number;
  readonly states: number;
  /** Buffers of `max(size, SERIES_CHUNK) + 1` f64 each (`updateMany` writes one past the scores). */
  readonly timestamps: number;
  readonly values: number;
  readonly out: number;
  #block: { values: number; out: number } | undefined;

  constructor(
    module: WebAssembly.Module,
    params: DetectorParams,
    readonly layout: StateLayout,
    readonly size: number,
  ) {
    this.exports = kernel.instantiate(module);
    this.memory = new LinearMemory(this.exports);
    const io = (Math.max(size, SERIES_CHUNK) + 1) * 8;
    try {
      this.params = this.memory.alloc(PARAM_SLOTS * 8);
      // Blocks are whole cache lines (see stateLayout), so the first one starts on a line too.
      this.states = (this.memory.alloc(size * layout.length * 8 + 48) + 63) & ~63;
      this.timestamps = this.memory.alloc(io);
      this.values = this.memory.alloc(io);
      this.out = this.memory.alloc(io);
    } catch (cause) {
      if (cause instanceof RangeError) {
        throw new ArgumentError('size', `${size} series need more memory than wasm can grow to`);
      }
      throw cause;
    }
    const k = deriveConstants(params);
    this.memory
      .f64(this.params, PARAM_SLOTS)
      .set([
        params.bucket,
        params.prototypes,
        params.vigilance,
        params.learningRate,
        params.forgetting,
        params.zAlpha,
        params.zWeight,
        params.refractory,
        k.scale,
        k.patternAlarmP,
        k.zAlarmP,
        layout.window,
        layout.ring,
        layout.protos,
        layout.lastMatch,
        layout.patternBins,
        layout.zBins,
        layout.length,
        params.breakout,
        params.zClip,
        params.cusumSlack,
        params.cusumGate,
        layout.cusumBins,
        params.zFloor,
        params.rangeDecay,
        layout.rejected,
      ]);
    this.exports.init(this.states, size, layout.length);
  }

  /** Input and output buffers of `size * BLOCK_TICKS` f64 for `updateBlock`, made on first use. */
  blockBuffers(): { values: number; out: number } {
    if (!this.#block) {
      const bytes = this.size * BLOCK_TICKS * 8;
      try {
        this.#block = { values: this.memory.alloc(bytes), out: this.memory.alloc(bytes) };
      } catch (cause) {
        if (cause instanceof RangeError)
          throw new ArgumentError('size', `${this.size} series are too many for block updates`);
        throw cause;
      }
    }
    return this.#block;
  }

  /** Byte address of series `index`'s state block. */
  stateOf(index: number): number {
    return this.states + index * this.layout.length * 8;
  }

  /** A fresh view of every state block (views die when memory grows, so never keep one). */
  stateView(): Float64Array {
    return this.memory.f64(this.states, this.size * this.layout.length);
  }
}

/** The compiled module, compiling the embedded build on first use. */
export async function detectorModule(module?: WebAssembly.Module): Promise<WebAssembly.Module> {
  return module ?? (await kernel.init());
}
