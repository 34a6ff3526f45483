/**
 * A user's ONNX model scoring the planner's candidate actions. `OnnxScorer` takes the rows the
 * planner's scoring kernel takes (one feature vector per candidate, `FEATURES` order) and answers
 * the same `ScoreResult`: the model gives one raw score per row, and the masks, the softmax with
 * temperature, the argmax and the count of rejected (NaN) candidates are the scoring kernel's own
 * (its Scorer run as the identity over those scores), so the two agree on every edge case
 * documented in x0tta6bl4/kernels/scoring.
 *
 * `OnnxPlanner` puts it to work: the engine's UtilityPlanner builds the candidates (targets,
 * policies, exclusions, learnt success rates) and learns from outcomes; the model ranks them.
 * onnxruntime-web answers asynchronously, so `plan` returns a promise: the planner serves where
 * a plan may be awaited (a challenger evaluated beside the champion, an operator's tool), not as
 * the loop's synchronous `Planner`.
 */
import { ArgumentError, DimensionError } from '../errors.ts';
import { createScorer, type ScoreOptions, type Scorer } from '../kernels/scoring/scorer.ts';
import type { ScoreResult } from '../kernels/scoring/types.ts';
import {
  type Candidate,
  type Diagnosis,
  FEATURES,
  PLAN_TEMPERATURE,
  type Plan,
  UtilityPlanner,
} from '../plan/decision.ts';
import type { ActionSpec } from '../plan/actions.ts';
import type { SuccessRates } from '../plan/posteriors.ts';
import { loadRowModel, type OnnxModel } from './model.ts';
import type { OnnxRuntimeOptions } from './runtime-options.ts';

/** Options of {@link OnnxScorer.create}. */
export interface OnnxScorerOptions {
  /** The ONNX file: takes [candidates, features] float32, answers [candidates, 1] (or [candidates]) scores. */
  model: Uint8Array;
  /** Features per candidate (default the planner's, `FEATURES.length`). */
  features?: number;
  /** The model's input (default its only one). */
  input?: string;
  /** The model's output (default its only one). */
  output?: string;
  /** Where onnxruntime-web's files are, and its threads. */
  runtime?: OnnxRuntimeOptions;
}

/** Scores candidate rows with an ONNX model; see the module comment. */
export class OnnxScorer {
  private constructor(
    private readonly model: OnnxModel,
    private readonly choice: Scorer,
    /** Features per candidate. */
    readonly features: number,
  ) {}

  /** Loads the model and checks that it takes rows of `features` values. */
  static async create(options: OnnxScorerOptions): Promise<OnnxScorer> {
    if (typeof options !== 'object' || options === null)
      throw new ArgumentError('options', 'expected { model, features?, ... }');
    const features = options.features ?? FEATURES.length;
    if (!Number.isInteger(features) || features < 1)
      throw new ArgumentError('options.features', `expected an integer >= 1, got ${String(features)}`);
    // The kernel's softmax and argmax over the model's scores: one feature, weight 1.
    const choice = await createScorer({ features: 1, weights: new Float32Array([1]), backend: 'ts' });
    const model = await loadRowModel(options.model, options, features, 'options.features');
    return new OnnxScorer(model, choice, features);
  }

  /** The model's raw score of each row of `candidates` (count x features, row-major). */
  async rawScores(candidates: Float32Array): Promise<Float32Array> {
    if (!(candidates instanceof Float32Array))
      throw new ArgumentError('candidates', 'expected a Float32Array of count x features values');
    if (candidates.length % this.features !== 0)
      throw new DimensionError(
        'candidates',
        `length ${candidates.length} is not a multiple of features (${this.features})`,
      );
    const count = candidates.length / this.features;
    if (count === 0) return new Float32Array(0);
    return this.model.run(candidates, count, this.features, 1);
  }

  /**
   * Scores `candidates` as the scoring kernel's `Scorer.score` does (masks, temperature, argmax,
   * rejected NaN scores), with the model's scores in place of the kernel's weights.
   */
  async score(candidates: Float32Array, options: ScoreOptions = {}): Promise<ScoreResult> {
    return this.choice.score(await this.rawScores(candidates), options);
  }

  /** Releases the model's session. */
  close(): Promise<void> {
    return this.model.close();
  }
}

/** Options of {@link OnnxPlanner.create}. */
export interface OnnxPlannerOptions {
  /** The model that ranks the candidates. */
  scorer: OnnxScorer;
  /** Builds the candidates and keeps the success rates (default a fresh UtilityPlanner). */
  planner?: UtilityPlanner;
  /** Softmax temperature of the candidates' probabilities (default the planner's, `PLAN_TEMPERATURE`). */
  temperature?: number;
}

/** The UtilityPlanner's candidates ranked by an ONNX model; see the module comment. */
export class OnnxPlanner {
  private constructor(
    /** The planner that builds the candidates and learns the success rates. */
    readonly base: UtilityPlanner,
    private readonly scorer: OnnxScorer,
    private readonly temperature: number,
  ) {}

  /** A planner ranking with `options.scorer`, which must take the planner's `FEATURES`. */
  static async create(options: OnnxPlannerOptions): Promise<OnnxPlanner> {
    if (typeof options !== 'object' || options === null || !(options.scorer instanceof OnnxScorer))
      throw new ArgumentError('options.scorer', 'expected an OnnxScorer');
    if (options.scorer.features !== FEATURES.length)
      throw new DimensionError(
        'options.scorer',
        `scores ${options.scorer.features} features; the planner's candidates have ${FEATURES.length} (${FEATURES.join(', ')})`,
      );
    const temperature = options.temperature ?? PLAN_TEMPERATURE;
    if (!Number.isFinite(temperature) || temperature <= 0)
      throw new ArgumentError(
        'options.temperature',
        `expected a finite number > 0, got ${String(temperature)}`,
      );
    return new OnnxPlanner(options.planner ?? (await UtilityPlanner.create()), options.scorer, temperature);
  }

  /** The actions it plans with (the base planner's). */
  get actions(): readonly ActionSpec[] {
    return this.base.actions;
  }

  /** The learnt success rates (the base planner's). */
  get successRates(): SuccessRates {
    return this.base.successRates;
  }

  /**
   * The base planner's candidates for `diagnosis`, scored by the model, best first; excluded
   * candidates keep score -Infinity and their reason, and `chosen` is the model's best allowed one.
   */
  async plan(diagnosis: Diagnosis, tried: ReadonlySet<string> = new Set()): Promise<Plan> {
    const candidates = this.base.plan(diagnosis, tried).candidates;
    const x = new Float32Array(candidates.length * FEATURES.length);
    const allowed = new Uint8Array(candidates.length);
    candidates.forEach((c, i) => {
      FEATURES.forEach((name, j) => {
        x[i * FEATURES.length + j] = c.features[name];
      });
      allowed[i] = c.excluded ? 0 : 1;
    });
    const result = await this.scorer.score(x, { allowed, temperature: this.temperature });
    const scored = candidates.map(
      (c, i): Candidate => ({
        ...c,
        score: result.scores[i],
        probability: result.probabilities[i],
        explanation: `onnx model ${Number.isFinite(result.scores[i]) ? result.scores[i].toFixed(2) : String(result.scores[i])}`,
      }),
    );
    const chosen = result.best >= 0 ? scored[result.best] : undefined;
    // Best first; NaN (rejected) scores after every number, as -Infinity (excluded) ones are.
    const order = (s: number) => (Number.isNaN(s) ? Number.NEGATIVE_INFINITY : s);
    scored.sort((a, b) => order(b.score) - order(a.score) || (a === chosen ? -1 : b === chosen ? 1 : 0));
    return { incidentId: diagnosis.incidentId, candidates: scored, ...(chosen ? { chosen } : {}) };
  }

  /** Learns the outcome's success rate through the base planner (the model itself is fixed). */
  learn(diagnosis: Diagnosis, candidate: Candidate, healed: boolean): void {
    this.base.learn(diagnosis, candidate, healed);
  }
}
