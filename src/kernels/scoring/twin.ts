/**
 * The pure-TypeScript twin of the scoring kernel: the fallback where wasm SIMD is missing and the
 * oracle of the property tests. Dot products and softmax run in f64; the merged weights are
 * rounded to f32 after every operation, exactly as the kernel computes them, so both backends see
 * the same effective weights and agree on which scores are NaN or infinite.
 */
import type { AdapterParameters, ScoreResult, ScoringCore } from './types.ts';

/** Scoring in plain TypeScript (see the facade in index.ts for the semantics). */
export class ScoringTwin implements ScoringCore {
  readonly backend = 'ts';
  #weights: Float32Array;
  #a: Float32Array;
  #b: Float32Array;
  #merged: Float32Array;

  constructor(
    readonly features: number,
    readonly rank: number,
  ) {
    this.#weights = new Float32Array(features);
    this.#a = new Float32Array(features * rank);
    this.#b = new Float32Array(rank);
    this.#merged = new Float32Array(features);
  }

  setParameters(parameters: AdapterParameters): void {
    this.#weights.set(parameters.weights);
    this.#a.set(parameters.a);
    this.#b.set(parameters.b);
    this.#merge();
  }

  parameters(): AdapterParameters {
    return { weights: this.#weights.slice(), a: this.#a.slice(), b: this.#b.slice() };
  }

  score(
    features: Float32Array,
    count: number,
    allowed: Uint8Array | undefined,
    temperature: number,
  ): ScoreResult {
    const raw = new Float64Array(count);
    for (let i = 0; i < count; i++) raw[i] = this.#dot(features, i * this.features);
    return softmaxArgmax(raw, allowed, temperature);
  }

  scoreOne(x: Float32Array): number {
    return Math.fround(this.#dot(x, 0));
  }

  step(x: Float32Array, step: number): boolean {
    const { features: f, rank: r } = this;
    const a = new Float32Array(this.#a.length);
    const b = new Float32Array(r);
    for (let k = 0; k < r; k++) {
      let h = 0;
      for (let j = 0; j < f; j++) h += x[j] * this.#a[j * r + k];
      b[k] = this.#b[k] - step * h;
    }
    for (let j = 0; j < f; j++) {
      for (let k = 0; k < r; k++) a[j * r + k] = this.#a[j * r + k] - step * x[j] * this.#b[k];
    }
    if (!a.every(Number.isFinite) || !b.every(Number.isFinite)) return false;
    this.#a = a;
    this.#b = b;
    this.#merge();
    return true;
  }

  #dot(x: Float32Array, offset: number): number {
    let sum = 0;
    for (let j = 0; j < this.features; j++) sum += x[offset + j] * this.#merged[j];
    return sum;
  }

  #merge(): void {
    const round = Math.fround;
    for (let j = 0; j < this.features; j++) {
      let sum = this.#weights[j];
      for (let k = 0; k < this.rank; k++) sum = round(sum + round(this.#a[j * this.rank + k] * this.#b[k]));
      this.#merged[j] = sum;
    }
  }
}

/** Masks, softmax with temperature and argmax over raw scores (semantics in index.ts). */
function softmaxArgmax(raw: Float64Array, allowed: Uint8Array | undefined, temperature: number): ScoreResult {
  const count = raw.length;
  const eligible = (i: number) => (allowed === undefined || allowed[i] !== 0) && !Number.isNaN(raw[i]);
  let best = -1;
  let rejected = 0;
  for (let i = 0; i < count; i++) {
    if (allowed !== undefined && allowed[i] === 0) raw[i] = -Infinity;
    else if (Number.isNaN(raw[i])) rejected++;
    else if (raw[i] > (best < 0 ? -Infinity : raw[best])) best = i;
  }
  const probabilities = new Float32Array(count);
  if (best >= 0) {
    const max = raw[best];
    const weights = raw.map((s, i) => {
      if (!eligible(i)) return 0;
      if (max === Infinity) return s === Infinity ? 1 : 0;
      return Math.exp((s - max) / temperature);
    });
    const sum = weights.reduce((total, w) => total + w, 0);
    for (let i = 0; i < count; i++) probabilities[i] = weights[i] / sum;
  }
  return { scores: Float32Array.from(raw), probabilities, best, rejected };
}
