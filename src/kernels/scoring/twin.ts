/**
 * The pure-TypeScript twin of the scoring kernel: the fallback where wasm SIMD is missing and the
 * oracle of the property tests. Dot products, softmax and the training step run in f64; the
 * merged weights are rounded to f32 after every operation, exactly as the kernel computes them,
 * so both backends see the same effective weights and agree on which scores are NaN or infinite.
 */
import type { AdapterParameters, ScoreResult, ScorerShape, ScoringCore, TrainingStep } from './types.ts';

/** Scoring in plain TypeScript (see the facade in index.ts for the semantics). */
export class ScoringTwin implements ScoringCore {
  readonly backend = 'ts';
  readonly #shape: ScorerShape;
  #weights: Float32Array;
  #a: Float32Array;
  #b: Float32Array;
  #headA: Float32Array;
  #headB: Float32Array;
  /** One merged weight row per action (a single row without an action head). */
  #merged: Float32Array;

  constructor(shape: ScorerShape) {
    this.#shape = shape;
    const { features: f, rank: r, actions: n } = shape;
    const projected = shape.projection ? r : 0;
    this.#weights = new Float32Array(f);
    this.#a = new Float32Array(f * projected);
    this.#b = new Float32Array(projected);
    this.#headA = new Float32Array(n ? f * r : 0);
    this.#headB = new Float32Array(n * r);
    this.#merged = new Float32Array(Math.max(1, n) * f);
  }

  setParameters(parameters: AdapterParameters): void {
    this.#weights.set(parameters.weights);
    this.#a.set(parameters.a);
    this.#b.set(parameters.b);
    if (parameters.headA) this.#headA.set(parameters.headA);
    if (parameters.headB) this.#headB.set(parameters.headB);
    this.#merge();
  }

  parameters(): AdapterParameters {
    return {
      weights: this.#weights.slice(),
      a: this.#a.slice(),
      b: this.#b.slice(),
      ...(this.#shape.actions ? { headA: this.#headA.slice(), headB: this.#headB.slice() } : {}),
    };
  }

  score(
    features: Float32Array,
    count: number,
    actions: Int32Array | undefined,
    allowed: Uint8Array | undefined,
    temperature: number,
  ): ScoreResult {
    const f = this.#shape.features;
    const raw = new Float64Array(count);
    for (let i = 0; i < count; i++) {
      const w = actions ? actions[i] * f : 0;
      let sum = 0;
      for (let j = 0; j < f; j++) sum += features[i * f + j] * this.#merged[w + j];
      raw[i] = sum;
    }
    return softmaxArgmax(raw, allowed, temperature);
  }

  train(step: TrainingStep): { score: number; taken: boolean } {
    const { features: f, rank: r, projection, actions, scale } = this.#shape;
    const { x, dropped, action } = step;
    const headB = this.#headB.subarray(action * r, (action + 1) * r);
    let score = 0;
    for (let j = 0; j < f; j++) score += x[j] * this.#weights[j];
    if (projection) score += scale * lowRank(dropped, f, r, this.#a, this.#b);
    if (actions) score += scale * lowRank(dropped, f, r, this.#headA, headB);
    const gradient = step.loss === 0 ? score - step.target : 1 / (1 + Math.exp(-score)) - step.target;
    const size = Math.fround(step.learningRate * gradient * scale);
    const projected = projection ? sgd(dropped, f, r, this.#a, this.#b, size) : undefined;
    const headed = actions ? sgd(dropped, f, r, this.#headA, headB, size) : undefined;
    if (projected === null || headed === null) return { score, taken: false };
    if (projected) [this.#a, this.#b] = projected;
    if (headed) {
      this.#headA = headed[0];
      this.#headB.set(headed[1], action * r);
    }
    this.#merge();
    return { score, taken: true };
  }

  #merge(): void {
    const { features: f, rank: r, projection, actions } = this.#shape;
    const base = projection
      ? merge(this.#weights, this.#a, this.#b, f, r, 1, this.#shape.scale)
      : this.#weights;
    this.#merged = actions
      ? merge(base, this.#headA, this.#headB, f, r, actions, this.#shape.scale)
      : base.slice();
  }
}

/** The kernel's `mergeAdapter`, each f32 operation rounded as the kernel rounds it. */
function merge(
  base: Float32Array,
  a: Float32Array,
  b: Float32Array,
  f: number,
  r: number,
  columns: number,
  scale: number,
): Float32Array {
  const round = Math.fround;
  const s = round(scale);
  const merged = new Float32Array(columns * f);
  for (let c = 0; c < columns; c++)
    for (let j = 0; j < f; j++) {
      let delta = 0;
      for (let k = 0; k < r; k++) delta = round(delta + round(a[j * r + k] * b[c * r + k]));
      merged[c * f + j] = round(base[j] + round(s * delta));
    }
  return merged;
}

/** (x.A).b for A f x r (row-major) and b r values. */
function lowRank(x: Float32Array, f: number, r: number, a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let k = 0; k < r; k++) {
    let h = 0;
    for (let j = 0; j < f; j++) h += x[j] * a[j * r + k];
    sum += h * b[k];
  }
  return sum;
}

/** The new A and B of one SGD step (see the kernel's `trainStep`), or null when one is not finite. */
function sgd(
  x: Float32Array,
  f: number,
  r: number,
  a: Float32Array,
  b: Float32Array,
  step: number,
): [Float32Array, Float32Array] | null {
  const nextA = new Float32Array(a.length);
  const nextB = new Float32Array(r);
  for (let k = 0; k < r; k++) {
    let h = 0;
    for (let j = 0; j < f; j++) h += x[j] * a[j * r + k];
    nextB[k] = b[k] - step * h;
  }
  for (let j = 0; j < f; j++)
    for (let k = 0; k < r; k++) nextA[j * r + k] = a[j * r + k] - step * x[j] * b[k];
  return nextA.every(Number.isFinite) && nextB.every(Number.isFinite) ? [nextA, nextB] : null;
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
