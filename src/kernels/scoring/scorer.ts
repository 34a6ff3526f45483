/**
 * The scorer: argument checks, the choice of backend (wasm.ts or twin.ts), the softmax options,
 * the adapters' initialisation and their learning step with its dropout. See index.ts for the
 * model and its numbers.
 */
import { ArgumentError, DimensionError } from '../../errors.ts';
import { Rng } from '../../random.ts';
import { checkArray, checkFinite, checkInt, checkLength } from '../../validate.ts';
import { chooseBackend, type BackendOptions } from '../loader.ts';
import { ScoringTwin } from './twin.ts';
import type { AdapterParameters, ScoreResult, ScorerShape, ScoringCore } from './types.ts';
import { ScoringWasm, scoringKernel } from './wasm.ts';

/** The loss an `update` step descends: squared error on the score, or logistic on sigmoid(score). */
export type Loss = 'squared' | 'logistic';

/** How A is drawn when not given (B always starts at zero, so a fresh adapter changes nothing). */
export type AdapterInitialisation = 'kaiming-uniform' | 'gaussian';

/** How to build a scorer. */
export interface ScorerOptions extends BackendOptions {
  /** Features per candidate (f), >= 1. */
  features: number;
  /** Adapter rank (r), >= 0; 0 means no adapter. Default 0. */
  rank?: number;
  /** Factor of every adapter's output (LoRA's alpha / r), finite and > 0. Default 1. */
  scale?: number;
  /** Whether the feature projection (shared by every candidate) carries an adapter. Default true. */
  projection?: boolean;
  /**
   * Actions of the action head (n): each action has its own row of the head's B, so it learns
   * its own correction. Default 0 (no action head); needs rank >= 1.
   */
  actions?: number;
  /**
   * Probability of dropping each adapter input while training (inverted dropout: kept inputs
   * are scaled by 1 / (1 - p)), in [0, 1); the masks come from a PRNG seeded by `seed`, so a
   * run repeats exactly. Scoring never drops. Default 0.
   */
  dropout?: number;
  /** Initial base weights, f values. Default 0. */
  weights?: Float32Array;
  /** The feature projection's down-projection A, f x r, row-major. Default: drawn (`initialisation`). */
  a?: Float32Array;
  /** The feature projection's up-projection B, r values. Default 0. */
  b?: Float32Array;
  /** The action head's A, f x r, row-major. Default: drawn (`initialisation`). */
  headA?: Float32Array;
  /** The action head's B, n x r, row-major (action i's row at i * r). Default 0. */
  headB?: Float32Array;
  /**
   * How A is drawn when not given: 'kaiming-uniform' U(+-1/sqrt(f)) (PEFT's default, Kaiming
   * uniform with a = sqrt(5)) or 'gaussian' N(0, (1/r)^2) (PEFT's "gaussian"). Default
   * 'kaiming-uniform'.
   */
  initialisation?: AdapterInitialisation;
  /** Seed of the PRNG (src/random.ts) that draws A and the dropout masks. Default 1. */
  seed?: number;
}

/** Per-batch options of `score`. */
export interface ScoreOptions {
  /** One byte per candidate: 0 = forbidden by a constraint (score -Infinity), else allowed. */
  allowed?: Uint8Array;
  /** Softmax temperature, finite and > 0. Default 1; lower is greedier. */
  temperature?: number;
  /** Each candidate's action, in 0..n-1: required with an action head, refused without one. */
  actions?: Int32Array;
}

/** Options of one learning step. */
export interface UpdateOptions {
  /** Step size, finite and > 0. */
  learningRate: number;
  /** Default 'squared'. */
  loss?: Loss;
  /** The candidate's action, in 0..n-1: required with an action head, refused without one. */
  action?: number;
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
  const actions = checkInt('actions', options.actions ?? 0, 0, 1 << 16);
  if (actions > 0 && rank === 0) throw new ArgumentError('actions', 'an action head needs rank >= 1');
  const projection = options.projection ?? true;
  if (typeof projection !== 'boolean')
    throw new ArgumentError('projection', `expected a boolean, got ${String(projection)}`);
  const scale = checkFinite('scale', options.scale ?? 1);
  if (scale <= 0) throw new ArgumentError('scale', `expected > 0, got ${scale}`);
  const dropout = checkFinite('dropout', options.dropout ?? 0);
  if (!(dropout >= 0 && dropout < 1))
    throw new ArgumentError('dropout', `expected a value in [0, 1), got ${dropout}`);
  const initialisation = options.initialisation ?? 'kaiming-uniform';
  if (initialisation !== 'kaiming-uniform' && initialisation !== 'gaussian')
    throw new ArgumentError(
      'initialisation',
      `expected 'kaiming-uniform' or 'gaussian', got ${String(initialisation)}`,
    );
  const seed = checkInt('seed', options.seed ?? 1, 0, 0xffffffff);
  // Each A twice (a step writes a spare), the head's B and one merged weight row per action.
  if (features * rank * 4 + actions * (rank + features) > MAX_ADAPTER_FLOATS) {
    throw new DimensionError(
      'rank',
      `features x rank is at most ${MAX_ADAPTER_FLOATS / 4} (and actions x (rank + features) the rest of ${MAX_ADAPTER_FLOATS}), got ${features} x ${rank} with ${actions} actions`,
    );
  }
  const shape: ScorerShape = { features, rank, projection: projection && rank > 0, actions, scale };
  const core =
    chooseBackend(options) === 'wasm'
      ? new ScoringWasm(shape, options.module ?? (await scoringKernel.init()))
      : new ScoringTwin(shape);
  const draws = new Rng(seed);
  const projected = shape.projection ? rank : 0;
  // A is drawn for the projection first, then for the head, so a given seed draws the same
  // projection whether or not there is a head.
  const a = options.a ?? initialA(features, projected, initialisation, draws);
  if (!actions && (options.headA !== undefined || options.headB !== undefined))
    throw new ArgumentError(
      options.headA !== undefined ? 'headA' : 'headB',
      'this scorer has no action head',
    );
  const headA = actions ? (options.headA ?? initialA(features, rank, initialisation, draws)) : undefined;
  const scorer = new Scorer(core, shape, dropout, seed);
  scorer.setParameters({
    weights: options.weights ?? new Float32Array(features),
    a,
    b: options.b ?? new Float32Array(projected),
    ...(actions ? { headA, headB: options.headB ?? new Float32Array(actions * rank) } : {}),
  });
  return scorer;
}

/** Scores batches of candidates and learns its adapters; make one with `createScorer`. */
export class Scorer {
  readonly #core: ScoringCore;
  readonly #shape: ScorerShape;
  readonly #dropout: number;
  readonly #masks: Rng;

  /** Wraps a backend; use `createScorer`, which validates the options and sets the parameters. */
  constructor(core: ScoringCore, shape: ScorerShape, dropout: number, seed: number) {
    this.#core = core;
    this.#shape = shape;
    this.#dropout = dropout;
    // Its own stream, so the masks never shift A's initial draw from the same seed.
    this.#masks = new Rng(seed).fork();
  }

  /** Features per candidate (f). */
  get features(): number {
    return this.#shape.features;
  }

  /** Adapter rank (r). */
  get rank(): number {
    return this.#shape.rank;
  }

  /** Actions of the action head (0 without one). */
  get actions(): number {
    return this.#shape.actions;
  }

  /** Whether the feature projection carries an adapter. */
  get projection(): boolean {
    return this.#shape.projection;
  }

  /** The factor of every adapter's output. */
  get scale(): number {
    return this.#shape.scale;
  }

  /** 'wasm' or 'ts'. */
  get backend(): 'wasm' | 'ts' {
    return this.#core.backend;
  }

  /** Replaces every parameter (copied in); shapes as in `AdapterParameters`, values finite. */
  setParameters(parameters: AdapterParameters): void {
    if (typeof parameters !== 'object' || parameters === null) {
      throw new ArgumentError('parameters', 'expected { weights, a, b, headA?, headB? }');
    }
    const { features: f, rank: r, actions: n } = this.#shape;
    const projected = this.#shape.projection ? r : 0;
    const weights = checkFiniteArray('weights', parameters.weights, f);
    const a = checkFiniteArray('a', parameters.a, f * projected);
    const b = checkFiniteArray('b', parameters.b, projected);
    if (!n && (parameters.headA !== undefined || parameters.headB !== undefined))
      throw new ArgumentError('headA', 'this scorer has no action head');
    const head = n
      ? {
          headA: checkFiniteArray('headA', parameters.headA, f * r),
          headB: checkFiniteArray('headB', parameters.headB, n * r),
        }
      : {};
    this.#core.setParameters({ weights, a, b, ...head });
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
      throw new ArgumentError('options', 'expected { allowed?, temperature?, actions? }');
    }
    const f = this.#shape.features;
    const rows = checkArray<Float32Array>('candidates', candidates, Float32Array);
    if (rows.length % f !== 0) {
      throw new DimensionError('candidates', `length ${rows.length} is not a multiple of features (${f})`);
    }
    if (rows.length > MAX_BATCH_FLOATS) {
      throw new DimensionError(
        'candidates',
        `at most ${MAX_BATCH_FLOATS} floats per batch, got ${rows.length}`,
      );
    }
    const count = rows.length / f;
    let allowed: Uint8Array | undefined;
    if (options.allowed !== undefined) {
      allowed = checkArray<Uint8Array>('allowed', options.allowed, Uint8Array);
      checkLength('allowed', allowed, count);
    }
    const temperature = checkFinite('temperature', options.temperature ?? 1);
    if (temperature <= 0) throw new ArgumentError('temperature', `expected > 0, got ${temperature}`);
    return this.#core.score(rows, count, this.#checkActions(options.actions, count), allowed, temperature);
  }

  /**
   * One stochastic gradient step of the adapters (A and B of each; w stays fixed, as in LoRA)
   * for one observed candidate `x` (length f, finite) and its `outcome`: any finite number for
   * the squared loss 0.5 (score - outcome)^2, a value in [0, 1] for the logistic loss on
   * sigmoid(score). The forward, the gradient and the step run in the backend (the wasm
   * kernel's `trainStep`), on x after dropout when `dropout` > 0. Needs rank >= 1. A step that
   * would overflow f32 throws and leaves the parameters unchanged.
   */
  update(x: Float32Array, outcome: number, options: UpdateOptions): UpdateResult {
    const { features: f, rank: r, actions: n } = this.#shape;
    if (r === 0) throw new ArgumentError('rank', 'update needs an adapter (rank >= 1)');
    const row = checkFiniteArray('x', x, f);
    const y = checkFinite('outcome', outcome);
    if (typeof options !== 'object' || options === null) {
      throw new ArgumentError('options', 'expected { learningRate, loss?, action? }');
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
    let action = 0;
    if (n) action = checkInt('action', options.action, 0, n - 1);
    else if (options.action !== undefined)
      throw new ArgumentError('action', 'this scorer has no action head');
    const { score, taken } = this.#core.train({
      x: row,
      dropped: this.#dropout > 0 ? this.#drop(row) : row,
      action,
      loss: loss === 'squared' ? 0 : 1,
      target: y,
      learningRate,
    });
    if (!taken) {
      throw new ArgumentError(
        'learningRate',
        `step ${learningRate} overflows the adapter; parameters unchanged`,
      );
    }
    const result = loss === 'squared' ? squared(score, y) : logistic(score, y);
    return { score, prediction: result.prediction, loss: result.loss };
  }

  /** Inverted dropout: each input kept with probability 1 - p and then scaled by 1 / (1 - p). */
  #drop(x: Float32Array): Float32Array {
    const keep = 1 - this.#dropout;
    return x.map((v) => (this.#masks.next() < keep ? v / keep : 0));
  }

  #checkActions(actions: Int32Array | undefined, count: number): Int32Array | undefined {
    const n = this.#shape.actions;
    if (!n) {
      if (actions !== undefined) throw new ArgumentError('actions', 'this scorer has no action head');
      return undefined;
    }
    if (actions === undefined)
      throw new ArgumentError('actions', `this scorer has an action head: give each candidate's action`);
    const checked = checkArray<Int32Array>('actions', actions, Int32Array);
    checkLength('actions', checked, count);
    const bad = checked.findIndex((i) => i < 0 || i >= n);
    if (bad >= 0)
      throw new ArgumentError('actions', `element ${bad} is ${checked[bad]}; expected 0..${n - 1}`);
    return checked;
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

/**
 * LoRA's initialisation of A (f x r), drawn from `draws`: Kaiming-uniform U(+-1/sqrt(f)) or
 * Gaussian N(0, (1/r)^2), as in Hugging Face PEFT. B starts at zero, so B learns first.
 */
function initialA(
  features: number,
  rank: number,
  initialisation: AdapterInitialisation,
  draws: Rng,
): Float32Array {
  const a = new Float32Array(features * rank);
  const bound = 1 / Math.sqrt(features);
  for (let i = 0; i < a.length; i++)
    a[i] = initialisation === 'gaussian' ? draws.normal() / rank : (2 * draws.next() - 1) * bound;
  return a;
}
