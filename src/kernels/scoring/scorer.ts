/**
 * The scorer: argument checks, the choice of backend (wasm.ts or twin.ts), the softmax options
 * and the adapter's learning step. See index.ts for the model and its numbers.
 */
import { ArgumentError, DimensionError } from '../../errors.ts';
import { checkArray, checkFinite, checkInt, checkLength } from '../../validate.ts';
import { chooseBackend, type BackendOptions } from '../loader.ts';
import { ScoringTwin } from './twin.ts';
import type { AdapterParameters, ScoreResult, ScoringCore } from './types.ts';
import { ScoringWasm, scoringKernel } from './wasm.ts';

/** The loss an `update` step descends: squared error on the score, or logistic on sigmoid(score). */
export type Loss = 'squared' | 'logistic';

/** How to build a scorer. */
export interface ScorerOptions extends BackendOptions {
  /** Features per candidate (f), >= 1. */
  features: number;
  /** Adapter rank (r), >= 0; 0 means no adapter. Default 0. */
  rank?: number;
  /** Initial parameters; missing ones default to w = 0, B = 0 and A uniform in +-1/sqrt(f). */
  weights?: Float32Array;
  /** The adapter's down-projection A, f x r, row-major. */
  a?: Float32Array;
  /** The adapter's up-projection B, r values. */
  b?: Float32Array;
  /** Seed of the deterministic PRNG that initialises A when `a` is not given. Default 1. */
  seed?: number;
}

/** Per-batch options of `score`. */
export interface ScoreOptions {
  /** One byte per candidate: 0 = forbidden by a constraint (score -Infinity), else allowed. */
  allowed?: Uint8Array;
  /** Softmax temperature, finite and > 0. Default 1; lower is greedier. */
  temperature?: number;
}

/** Options of one learning step. */
export interface UpdateOptions {
  /** Step size, finite and > 0. */
  learningRate: number;
  /** Default 'squared'. */
  loss?: Loss;
}

/** What the scorer predicted for the observed candidate before the step, and its loss. */
export interface UpdateResult {
  /** The observed candidate's score before the step. */
  score: number;
  /** The score (squared loss) or sigmoid(score) (logistic loss). */
  prediction: number;
  /** The loss of that prediction against the observed outcome. */
  loss: number;
}

// Keep one batch, and the adapter (held twice for safe updates), well inside 4 GiB of wasm memory.
const MAX_BATCH_FLOATS = 1 << 28;
const MAX_ADAPTER_FLOATS = 1 << 24;

/** Creates a scorer on the requested backend, compiling the kernel first if needed. */
export async function createScorer(options: ScorerOptions): Promise<Scorer> {
  if (typeof options !== 'object' || options === null) {
    throw new ArgumentError('options', 'expected an object with at least `features`');
  }
  const features = checkInt('features', options.features, 1, 1 << 20);
  const rank = checkInt('rank', options.rank ?? 0, 0, 4096);
  if (features * rank > MAX_ADAPTER_FLOATS) {
    throw new DimensionError(
      'rank',
      `features x rank is at most ${MAX_ADAPTER_FLOATS}, got ${features} x ${rank}`,
    );
  }
  const core =
    chooseBackend(options) === 'wasm'
      ? new ScoringWasm(features, rank, options.module ?? (await scoringKernel.init()))
      : new ScoringTwin(features, rank);
  const scorer = new Scorer(core, features, rank);
  scorer.setParameters({
    weights: options.weights ?? new Float32Array(features),
    a: options.a ?? initialA(features, rank, options.seed ?? 1),
    b: options.b ?? new Float32Array(rank),
  });
  return scorer;
}

/** Scores batches of candidates and learns its adapter; make one with `createScorer`. */
export class Scorer {
  readonly #core: ScoringCore;

  /** Wraps a backend; use `createScorer`, which also validates the shapes and sets parameters. */
  constructor(
    core: ScoringCore,
    /** Features per candidate (f). */
    readonly features: number,
    /** Adapter rank (r). */
    readonly rank: number,
  ) {
    this.#core = core;
  }

  /** 'wasm' or 'ts'. */
  get backend(): 'wasm' | 'ts' {
    return this.#core.backend;
  }

  /** Replaces every parameter (copied in); shapes as in `AdapterParameters`, values finite. */
  setParameters(parameters: AdapterParameters): void {
    if (typeof parameters !== 'object' || parameters === null) {
      throw new ArgumentError('parameters', 'expected { weights, a, b }');
    }
    const { features: f, rank: r } = this;
    const weights = checkFiniteArray('weights', parameters.weights, f);
    const a = checkFiniteArray('a', parameters.a, f * r);
    const b = checkFiniteArray('b', parameters.b, r);
    this.#core.setParameters({ weights, a, b });
  }

  /** A copy of the current parameters (save them; restore with `setParameters`). */
  parameters(): AdapterParameters {
    return this.#core.parameters();
  }

  /**
   * Scores `candidates` (count x f, row-major) and returns scores, probabilities, the argmax and
   * the number of rejected (NaN) candidates. An empty batch gives empty arrays and best -1.
   */
  score(candidates: Float32Array, options: ScoreOptions = {}): ScoreResult {
    if (typeof options !== 'object' || options === null) {
      throw new ArgumentError('options', 'expected { allowed?, temperature? }');
    }
    const rows = checkArray<Float32Array>('candidates', candidates, Float32Array);
    if (rows.length % this.features !== 0) {
      throw new DimensionError(
        'candidates',
        `length ${rows.length} is not a multiple of features (${this.features})`,
      );
    }
    if (rows.length > MAX_BATCH_FLOATS) {
      throw new DimensionError(
        'candidates',
        `at most ${MAX_BATCH_FLOATS} floats per batch, got ${rows.length}`,
      );
    }
    const count = rows.length / this.features;
    let allowed: Uint8Array | undefined;
    if (options.allowed !== undefined) {
      allowed = checkArray<Uint8Array>('allowed', options.allowed, Uint8Array);
      checkLength('allowed', allowed, count);
    }
    const temperature = checkFinite('temperature', options.temperature ?? 1);
    if (temperature <= 0) throw new ArgumentError('temperature', `expected > 0, got ${temperature}`);
    return this.#core.score(rows, count, allowed, temperature);
  }

  /**
   * One stochastic gradient step of the adapter (A and B; w stays fixed, as in LoRA) for one
   * observed candidate `x` (length f, finite) and its `outcome`: any finite number for the squared
   * loss 0.5 (score - outcome)^2, a value in [0, 1] for the logistic loss on sigmoid(score).
   * Needs rank >= 1. A step that would overflow f32 throws and leaves the parameters unchanged.
   */
  update(x: Float32Array, outcome: number, options: UpdateOptions): UpdateResult {
    if (this.rank === 0) throw new ArgumentError('rank', 'update needs an adapter (rank >= 1)');
    const row = checkFiniteArray('x', x, this.features);
    const y = checkFinite('outcome', outcome);
    if (typeof options !== 'object' || options === null) {
      throw new ArgumentError('options', 'expected { learningRate, loss? }');
    }
    const learningRate = checkFinite('learningRate', options.learningRate);
    if (learningRate <= 0) throw new ArgumentError('learningRate', `expected > 0, got ${learningRate}`);
    const loss = options.loss ?? 'squared';
    if (loss !== 'squared' && loss !== 'logistic') {
      throw new ArgumentError('loss', `expected 'squared' or 'logistic', got ${String(loss)}`);
    }
    if (loss === 'logistic' && (y < 0 || y > 1)) {
      throw new ArgumentError('outcome', `the logistic loss needs an outcome in [0, 1], got ${y}`);
    }
    const score = this.#core.scoreOne(row);
    const result = loss === 'squared' ? squared(score, y) : logistic(score, y);
    if (!this.#core.step(row, learningRate * result.gradient)) {
      throw new ArgumentError(
        'learningRate',
        `step ${learningRate} overflows the adapter; parameters unchanged`,
      );
    }
    return { score, prediction: result.prediction, loss: result.loss };
  }
}

function squared(score: number, y: number) {
  return { prediction: score, loss: 0.5 * (score - y) ** 2, gradient: score - y };
}

function logistic(score: number, y: number) {
  const p = 1 / (1 + Math.exp(-score));
  // softplus(s) - y s, written so that large |s| neither overflows nor loses the loss.
  const loss = Math.max(score, 0) + Math.log1p(Math.exp(-Math.abs(score))) - y * score;
  return { prediction: p, loss, gradient: p - y };
}

function checkFiniteArray(name: string, value: unknown, length: number): Float32Array {
  const array = checkArray<Float32Array>(name, value, Float32Array);
  checkLength(name, array, length);
  const bad = array.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) throw new ArgumentError(name, `element ${bad} is ${array[bad]}; expected finite values`);
  return array;
}

/** LoRA's initialisation: A small and random (seeded, reproducible), so B learns first. */
function initialA(features: number, rank: number, seed: number): Float32Array {
  checkInt('seed', seed, 0, 0xffffffff);
  const a = new Float32Array(features * rank);
  const bound = 1 / Math.sqrt(features);
  let state = seed >>> 0;
  for (let i = 0; i < a.length; i++) {
    // mulberry32
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), state | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const unit = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    a[i] = (2 * unit - 1) * bound;
  }
  return a;
}
