/**
 * The wasm backend of the scorer: one kernel instance per scorer, so each owns its memory. The
 * parameters (base weights, the feature projection's and the action head's adapters, their merged
 * weights) live at fixed addresses; each batch is copied above them and the arena is reset
 * after the call, so memory grows only to the largest batch seen.
 */
import { ArgumentError } from '../../errors.ts';
import { Kernel, type InitOptions, type KernelExports } from '../loader.ts';
import { LinearMemory } from '../memory.ts';
import { wasmBase64 } from './embedded.ts';
import type { AdapterParameters, ScoreResult, ScorerShape, ScoringCore, TrainingStep } from './types.ts';

interface ScoringExports extends KernelExports {
  mergeAdapter(
    base: number,
    a: number,
    b: number,
    features: number,
    rank: number,
    columns: number,
    scale: number,
    merged: number,
  ): void;
  scoreRows(rows: number, count: number, features: number, weights: number, out: number): void;
  scoreRowsByColumn(
    rows: number,
    columns: number,
    count: number,
    features: number,
    merged: number,
    out: number,
  ): void;
  finish(
    scores: number,
    allowed: number,
    masked: number,
    count: number,
    temperature: number,
    probs: number,
  ): number;
  lastRejected(): number;
  trainStep(
    x: number,
    xd: number,
    features: number,
    rank: number,
    weights: number,
    scale: number,
    projection: number,
    ap: number,
    bp: number,
    head: number,
    ah: number,
    bh: number,
    loss: number,
    target: number,
    learningRate: number,
    apOut: number,
    bpOut: number,
    ahOut: number,
    bhOut: number,
  ): number;
  lastBad(): number;
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
  readonly #shape: ScorerShape;
  readonly #weights: number;
  /** The base weights with the feature projection's adapter folded in (f). */
  readonly #projected: number;
  /** One merged weight row per action (n x f), with an action head. */
  readonly #merged: number;
  // Two slots per A and B: a step writes the spare ones and swaps only if every value is finite.
  #a: number;
  #b: number;
  #spareA: number;
  #spareB: number;
  #headA: number;
  readonly #headB: number;
  #spareHeadA: number;
  /** The new row of the action head's B for the one action a step moves. */
  readonly #spareHeadRow: number;
  readonly #batch: number;

  constructor(shape: ScorerShape, module: WebAssembly.Module) {
    this.#shape = shape;
    const { features: f, rank: r, actions: n } = shape;
    const projected = shape.projection ? r : 0;
    const head = n ? r : 0;
    this.#kernel = scoringKernel.instantiate(module);
    const memory = (this.#memory = new LinearMemory(this.#kernel));
    this.#weights = memory.alloc(f * 4);
    this.#projected = memory.alloc(f * 4);
    this.#merged = memory.alloc(n * f * 4);
    this.#a = memory.alloc(f * projected * 4);
    this.#b = memory.alloc(projected * 4);
    this.#spareA = memory.alloc(f * projected * 4);
    this.#spareB = memory.alloc(projected * 4);
    this.#headA = memory.alloc(f * head * 4);
    this.#headB = memory.alloc(n * r * 4);
    this.#spareHeadA = memory.alloc(f * head * 4);
    this.#spareHeadRow = memory.alloc(head * 4);
    this.#batch = memory.alloc(0);
  }

  setParameters(parameters: AdapterParameters): void {
    const { features: f, rank: r, projection, actions: n } = this.#shape;
    const memory = this.#memory;
    memory.f32(this.#weights, f).set(parameters.weights);
    if (projection) {
      memory.f32(this.#a, f * r).set(parameters.a);
      memory.f32(this.#b, r).set(parameters.b);
    }
    if (n && parameters.headA && parameters.headB) {
      memory.f32(this.#headA, f * r).set(parameters.headA);
      memory.f32(this.#headB, n * r).set(parameters.headB);
    }
    this.#merge();
  }

  parameters(): AdapterParameters {
    const { features: f, rank: r, projection, actions: n } = this.#shape;
    const memory = this.#memory;
    const projected = projection ? r : 0;
    return {
      weights: memory.f32(this.#weights, f).slice(),
      a: memory.f32(this.#a, f * projected).slice(),
      b: memory.f32(this.#b, projected).slice(),
      ...(n
        ? { headA: memory.f32(this.#headA, f * r).slice(), headB: memory.f32(this.#headB, n * r).slice() }
        : {}),
    };
  }

  score(
    features: Float32Array,
    count: number,
    actions: Int32Array | undefined,
    allowed: Uint8Array | undefined,
    temperature: number,
  ): ScoreResult {
    const memory = this.#memory;
    const f = this.#shape.features;
    try {
      const rows = this.#alloc('candidates', features.length * 4);
      const scores = this.#alloc('candidates', count * 4);
      const probs = this.#alloc('candidates', count * 4);
      const mask = this.#alloc('candidates', allowed ? count : 0);
      const columns = this.#alloc('candidates', actions ? count * 4 : 0);
      memory.f32(rows, features.length).set(features);
      if (allowed) memory.u8(mask, count).set(allowed);
      const kernel = this.#kernel;
      if (actions) {
        memory.i32(columns, count).set(actions);
        kernel.scoreRowsByColumn(rows, columns, count, f, this.#merged, scores);
      } else {
        kernel.scoreRows(rows, count, f, this.#projected, scores);
      }
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

  train(step: TrainingStep): { score: number; taken: boolean } {
    const { features: f, rank: r, projection, actions: n, scale } = this.#shape;
    const memory = this.#memory;
    const headRow = this.#headB + step.action * r * 4;
    let score: number;
    try {
      const x = memory.alloc(f * 4);
      memory.f32(x, f).set(step.x);
      let dropped = x;
      if (step.dropped !== step.x) {
        dropped = memory.alloc(f * 4);
        memory.f32(dropped, f).set(step.dropped);
      }
      score = this.#kernel.trainStep(
        x,
        dropped,
        f,
        r,
        this.#weights,
        scale,
        projection ? 1 : 0,
        this.#a,
        this.#b,
        n ? 1 : 0,
        this.#headA,
        headRow,
        step.loss,
        step.target,
        step.learningRate,
        this.#spareA,
        this.#spareB,
        this.#spareHeadA,
        this.#spareHeadRow,
      );
      if (this.#kernel.lastBad() > 0) return { score, taken: false };
    } finally {
      memory.release(this.#batch);
    }
    if (projection) {
      [this.#a, this.#spareA] = [this.#spareA, this.#a];
      [this.#b, this.#spareB] = [this.#spareB, this.#b];
    }
    if (n) {
      [this.#headA, this.#spareHeadA] = [this.#spareHeadA, this.#headA];
      memory.f32(headRow, r).set(memory.f32(this.#spareHeadRow, r));
    }
    this.#merge();
    return { score, taken: true };
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
    const { features: f, rank: r, projection, actions: n, scale } = this.#shape;
    const kernel = this.#kernel;
    if (projection) kernel.mergeAdapter(this.#weights, this.#a, this.#b, f, r, 1, scale, this.#projected);
    else this.#memory.f32(this.#projected, f).set(this.#memory.f32(this.#weights, f));
    if (n) kernel.mergeAdapter(this.#projected, this.#headA, this.#headB, f, r, n, scale, this.#merged);
  }
}
