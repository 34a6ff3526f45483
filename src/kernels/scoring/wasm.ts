/**
 * The wasm backend of the scorer: one kernel instance per scorer, so each owns its memory. The
 * parameters live at fixed addresses; each batch is copied above them and the arena is reset
 * after the call, so memory grows only to the largest batch seen.
 */
import { ArgumentError } from '../../errors.ts';
import { Kernel, type InitOptions, type KernelExports } from '../loader.ts';
import { LinearMemory } from '../memory.ts';
import { wasmBase64 } from './embedded.ts';
import type { AdapterParameters, ScoreResult, ScoringCore } from './types.ts';

interface ScoringExports extends KernelExports {
  mergeAdapter(weights: number, a: number, b: number, features: number, rank: number, merged: number): void;
  scoreRows(rows: number, count: number, features: number, weights: number, out: number): void;
  finish(
    scores: number,
    allowed: number,
    masked: number,
    count: number,
    temperature: number,
    probs: number,
  ): number;
  lastRejected(): number;
  adapterStep(
    x: number,
    features: number,
    rank: number,
    a: number,
    b: number,
    step: number,
    aOut: number,
    bOut: number,
  ): number;
}

/** The scoring kernel family (compiled once, shared by every wasm scorer). */
export const scoringKernel = new Kernel<ScoringExports>('scoring', () => wasmBase64);

/** Compiles the scoring kernel once (idempotent); `options.wasm` replaces the embedded build. */
export async function initScoring(options?: InitOptions): Promise<void> {
  await scoringKernel.init(options);
}

/** Scoring on a private instance of the scoring kernel. */
export class ScoringWasm implements ScoringCore {
  readonly backend = 'wasm';
  readonly #kernel: ScoringExports;
  readonly #memory: LinearMemory;
  readonly #weights: number;
  readonly #merged: number;
  // Two adapter slots: a step writes the spare one and swaps only if every value is finite.
  #a: number;
  #b: number;
  #spareA: number;
  #spareB: number;
  readonly #batch: number;

  constructor(
    readonly features: number,
    readonly rank: number,
    module: WebAssembly.Module,
  ) {
    this.#kernel = scoringKernel.instantiate(module);
    const memory = (this.#memory = new LinearMemory(this.#kernel));
    this.#weights = memory.alloc(features * 4);
    this.#merged = memory.alloc(features * 4);
    this.#a = memory.alloc(features * rank * 4);
    this.#b = memory.alloc(rank * 4);
    this.#spareA = memory.alloc(features * rank * 4);
    this.#spareB = memory.alloc(rank * 4);
    this.#batch = memory.alloc(0);
  }

  setParameters(parameters: AdapterParameters): void {
    this.#memory.f32(this.#weights, this.features).set(parameters.weights);
    this.#memory.f32(this.#a, this.features * this.rank).set(parameters.a);
    this.#memory.f32(this.#b, this.rank).set(parameters.b);
    this.#merge();
  }

  parameters(): AdapterParameters {
    const memory = this.#memory;
    return {
      weights: memory.f32(this.#weights, this.features).slice(),
      a: memory.f32(this.#a, this.features * this.rank).slice(),
      b: memory.f32(this.#b, this.rank).slice(),
    };
  }

  score(
    features: Float32Array,
    count: number,
    allowed: Uint8Array | undefined,
    temperature: number,
  ): ScoreResult {
    const memory = this.#memory;
    try {
      const rows = this.#alloc('candidates', features.length * 4);
      const scores = this.#alloc('candidates', count * 4);
      const probs = this.#alloc('candidates', count * 4);
      const mask = this.#alloc('candidates', allowed ? count : 0);
      memory.f32(rows, features.length).set(features);
      if (allowed) memory.u8(mask, count).set(allowed);
      const kernel = this.#kernel;
      kernel.scoreRows(rows, count, this.features, this.#merged, scores);
      const best = kernel.finish(scores, mask, allowed ? 1 : 0, count, temperature, probs);
      return {
        scores: memory.f32(scores, count).slice(),
        probabilities: memory.f32(probs, count).slice(),
        best,
        rejected: kernel.lastRejected(),
      };
    } finally {
      memory.release(this.#batch);
    }
  }

  scoreOne(x: Float32Array): number {
    const memory = this.#memory;
    try {
      const row = memory.alloc(this.features * 4);
      const out = memory.alloc(4);
      memory.f32(row, this.features).set(x);
      this.#kernel.scoreRows(row, 1, this.features, this.#merged, out);
      return memory.f32(out, 1)[0];
    } finally {
      memory.release(this.#batch);
    }
  }

  step(x: Float32Array, step: number): boolean {
    const memory = this.#memory;
    try {
      const row = memory.alloc(this.features * 4);
      memory.f32(row, this.features).set(x);
      const bad = this.#kernel.adapterStep(
        row,
        this.features,
        this.rank,
        this.#a,
        this.#b,
        step,
        this.#spareA,
        this.#spareB,
      );
      if (bad > 0) return false;
    } finally {
      memory.release(this.#batch);
    }
    [this.#a, this.#spareA] = [this.#spareA, this.#a];
    [this.#b, this.#spareB] = [this.#spareB, this.#b];
    this.#merge();
    return true;
  }

  /** Reserves batch memory; a batch the wasm memory cannot grow to is the caller's argument. */
  #alloc(argument: string, bytes: number): number {
    try {
      return this.#memory.alloc(bytes);
    } catch (cause) {
      if (cause instanceof RangeError) {
        throw new ArgumentError(argument, `needs ${bytes} bytes, more than wasm memory can grow to`);
      }
      throw cause;
    }
  }

  #merge(): void {
    this.#kernel.mergeAdapter(this.#weights, this.#a, this.#b, this.features, this.rank, this.#merged);
  }
}
