/**
 * An autoencoder as the loop's detector: a user's ONNX model that reconstructs each node's metric
 * vector, whose reconstruction error is the anomaly score. It fits the loop's `BatchScorer`, so
 * it goes where the built-in DetectorBank goes (`MapeKLoop`'s `detector`, MeshLoop's and
 * runHealing's detector factory), with the threshold that suits it.
 *
 * Series are laid out as the loop lays them out (series = row * features + feature: one row per
 * node, one feature per metric). Each tick every row is normalised, x = (value - center) / scale,
 * fed to the model as one [rows, features] batch, and compared with its reconstruction y:
 * e = (y - x)^2 per feature. The score is 1 - exp(-e / errorScale), in [0, 1) and rising with the
 * error; with `attribution: 'row'` every series of a row shares the score of the row's mean error
 * (the classic autoencoder score), with 'feature' (the default) each series has its own.
 *
 * Values: NaN is "no sample": the model sees the feature's center there and the series scores 0
 * (in 'row' mode the row's error leaves it out). +-Infinity is a sample beyond any normal: the
 * model sees the center, and the series scores 1 (in 'row' mode the whole row does). A
 * reconstruction that is not finite is counted in `nonFiniteOutputs` and left out: its series
 * scores 0 ('feature') or the row's mean error over the rest ('row'), so a broken model shows in
 * that count, not as alarms everywhere.
 */
import { ArgumentError, DimensionError } from '../errors.ts';
import type { BatchScorer } from '../loop/contracts.ts';
import { loadRowModel, type OnnxModel } from './model.ts';
import type { OnnxRuntimeOptions } from './runtime-options.ts';

/** How reconstruction errors become series scores. */
export type ErrorAttribution = 'feature' | 'row';

/** Options of {@link OnnxDetector.create}. */
export interface OnnxDetectorOptions {
  /** The ONNX file: takes [rows, features] float32, answers a reconstruction of the same shape. */
  model: Uint8Array;
  /** Series scored each tick (the loop's nodes x metrics). */
  series: number;
  /** Values per row (the loop's metrics per node); `series` must be a multiple of it. */
  features: number;
  /** Per-feature value subtracted before the model (default 0). */
  center?: ArrayLike<number>;
  /** Per-feature divisor after centring, finite and > 0 (default 1). */
  scale?: ArrayLike<number>;
  /** The squared normalised error that scores 1 - 1/e (about 0.63), finite and > 0 (default 1). */
  errorScale?: number;
  /** Per-series ('feature', default) or per-row ('row') scores. */
  attribution?: ErrorAttribution;
  /** The model's input (default its only one). */
  input?: string;
  /** The model's output (default its only one). */
  output?: string;
  /** Where onnxruntime-web's files are, and its threads. */
  runtime?: OnnxRuntimeOptions;
}

function perFeature(
  values: ArrayLike<number> | undefined,
  features: number,
  fallback: number,
  argument: string,
  positive: boolean,
): Float64Array {
  if (values === undefined) return new Float64Array(features).fill(fallback);
  if (typeof values !== 'object' || values === null || values.length !== features)
    throw new DimensionError(argument, `expected ${features} numbers, one per feature`);
  const out = Float64Array.from(values);
  out.forEach((v, i) => {
    if (!Number.isFinite(v) || (positive && v <= 0))
      throw new ArgumentError(
        `${argument}[${i}]`,
        `expected a finite number${positive ? ' > 0' : ''}, got ${v}`,
      );
  });
  return out;
}

/** An ONNX autoencoder scoring the loop's series; see the module comment for the scores. */
export class OnnxDetector implements BatchScorer {
  #nonFinite = 0;

  private constructor(
    private readonly model: OnnxModel,
    /** Series scored per tick. */
    readonly size: number,
    /** Values per row. */
    readonly features: number,
    private readonly center: Float64Array,
    private readonly scale: Float64Array,
    private readonly errorScale: number,
    /** How errors become scores. */
    readonly attribution: ErrorAttribution,
  ) {}

  /** Loads the model and checks it takes and gives rows of `features` values. */
  static async create(options: OnnxDetectorOptions): Promise<OnnxDetector> {
    if (typeof options !== 'object' || options === null)
      throw new ArgumentError('options', 'expected { model, series, features, ... }');
    const { series, features } = options;
    if (!Number.isInteger(features) || features < 1)
      throw new ArgumentError('options.features', `expected an integer >= 1, got ${String(features)}`);
    if (!Number.isInteger(series) || series < 1 || series % features !== 0)
      throw new ArgumentError(
        'options.series',
        `expected a positive multiple of features (${features}), got ${String(series)}`,
      );
    const center = perFeature(options.center, features, 0, 'options.center', false);
    const scale = perFeature(options.scale, features, 1, 'options.scale', true);
    const errorScale = options.errorScale ?? 1;
    if (!Number.isFinite(errorScale) || errorScale <= 0)
      throw new ArgumentError(
        'options.errorScale',
        `expected a finite number > 0, got ${String(errorScale)}`,
      );
    const attribution = options.attribution ?? 'feature';
    if (attribution !== 'feature' && attribution !== 'row')
      throw new ArgumentError(
        'options.attribution',
        `expected 'feature' or 'row', got ${String(attribution)}`,
      );
    const model = await loadRowModel(options.model, options, features, 'options.features');
    return new OnnxDetector(model, series, features, center, scale, errorScale, attribution);
  }

  /** Reconstructions that were not finite, since the detector was created (each scored 0). */
  get nonFiniteOutputs(): number {
    return this.#nonFinite;
  }

  /**
   * Scores one tick: `values` holds one value per series (NaN: no sample); the scores are written
   * into `scores`, which the promise also resolves to.
   */
  async update(_ts: number, values: Float64Array, scores: Float64Array<ArrayBuffer>): Promise<Float64Array> {
    if (!(values instanceof Float64Array) || values.length !== this.size)
      throw new DimensionError('values', `expected a Float64Array of ${this.size} values`);
    if (!(scores instanceof Float64Array) || scores.length !== this.size)
      throw new DimensionError('scores', `expected a Float64Array of ${this.size} scores`);
    const f = this.features;
    const rows = this.size / f;
    const x = new Float32Array(this.size);
    for (let i = 0; i < this.size; i++) {
      const j = i % f;
      const v = values[i];
      x[i] = Number.isFinite(v) ? (v - this.center[j]) / this.scale[j] : 0;
    }
    const y = await this.model.run(x, rows, f, f);
    const error = new Float64Array(this.size);
    for (let i = 0; i < this.size; i++) {
      const v = values[i];
      if (Number.isNaN(v)) error[i] = Number.NaN;
      else if (!Number.isFinite(v)) error[i] = Number.POSITIVE_INFINITY;
      else if (!Number.isFinite(y[i])) {
        this.#nonFinite++;
        error[i] = Number.NaN;
      } else error[i] = (y[i] - x[i]) ** 2;
    }
    const toScore = (e: number) => 1 - Math.exp(-e / this.errorScale);
    if (this.attribution === 'feature') {
      for (let i = 0; i < this.size; i++) scores[i] = Number.isNaN(error[i]) ? 0 : toScore(error[i]);
      return scores;
    }
    for (let r = 0; r < rows; r++) {
      let sum = 0;
      let counted = 0;
      for (let i = r * f; i < (r + 1) * f; i++)
        if (!Number.isNaN(error[i])) {
          sum += error[i];
          counted++;
        }
      const rowScore = counted === 0 ? 0 : toScore(sum / counted);
      for (let i = r * f; i < (r + 1) * f; i++) scores[i] = Number.isNaN(values[i]) ? 0 : rowScore;
    }
    return scores;
  }

  /** Releases the model's session (`MapeKLoop.close` calls it). */
  close(): Promise<void> {
    return this.model.close();
  }
}
