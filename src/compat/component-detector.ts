/**
 * One component's baseline of normal behaviour and how surprising a metric vector is against it.
 *
 * The baseline is a Welford mean and variance per metric, kept by the stats kernel
 * (`SeriesStatsBatch`). A value x of metric i, measured against a baseline of n samples, gives
 * t = (x - mean) / (s sqrt(1 + 1/n)), which for normal data follows Student's t with n - 1 degrees
 * of freedom (a prediction interval: the spread is estimated, not known). Its two-sided tail p is
 * multiplied by the number of metrics judged (Bonferroni), so a vector of 32 metrics is not 32
 * times likelier to raise a false alarm than one of 1. The score is that probability as surprise
 * in decades, -log10(p) / 8, capped to [0, 1]: 0.5 is a 1-in-10,000 deviation, 1 is 1-in-10^8 or
 * rarer.
 *
 * A metric with zero variance in its baseline scores 1 on any change and 0 when equal.
 * NaN values are "no sample": they score 0 and leave the baseline alone.
 */
import { ArgumentError, DimensionError } from '../errors.ts';
import { initStats, SeriesStatsBatch } from '../kernels/stats/index.ts';
import { studentTwoSidedTail } from './student-t.ts';

/** Decades of improbability that score 1. */
const SCORE_DECADES = 8;

/** How surprising one vector is, and where. */
export interface VectorScore {
  /** The largest per-metric score, in [0, 1]; 0 while the component is not trained. */
  score: number;
  /** Family-wise tail probability of the most extreme metric (1 while not trained). */
  pValue: number;
  /** Index of the most extreme metric, or -1 when none was judged. */
  metric: number;
}

/** Score in [0, 1] of a family-wise tail probability. */
function surpriseScore(p: number): number {
  return Math.min(1, Math.max(0, -Math.log10(p) / SCORE_DECADES));
}

/** A component's baseline and scorer. Create through `AnomalyDetectionSystem.registerComponent`. */
export class ComponentDetector {
  /** Names of the metrics, in vector order. */
  readonly metricNames: readonly string[];
  #stats: SeriesStatsBatch | undefined;
  readonly #variance: Float64Array;
  readonly #perMetric: Float64Array;

  /**
   * A detector with an empty baseline.
   * @param name the component's name
   * @param inputDim metrics per vector
   * @param minSamples baseline samples needed before vectors are judged
   * @param metricNames names of the metrics, in vector order (default `dim_0`, `dim_1`, ...)
   */
  constructor(
    readonly name: string,
    readonly inputDim: number,
    readonly minSamples: number,
    metricNames?: readonly string[],
  ) {
    this.metricNames = metricNames
      ? [...metricNames]
      : Array.from({ length: inputDim }, (_, i) => `dim_${i}`);
    this.#variance = new Float64Array(inputDim);
    this.#perMetric = new Float64Array(inputDim);
  }

  /** Samples in the baseline (the fewest of any metric, since NaN values are skipped). */
  get samples(): number {
    const count = this.#stats?.count;
    if (!count) return 0;
    let fewest = Infinity;
    for (const n of count) fewest = Math.min(fewest, n);
    return fewest;
  }

  /** Whether the baseline holds at least `minSamples` samples, so vectors are judged. */
  get trained(): boolean {
    return this.samples >= this.minSamples;
  }

  /** Baseline mean of metric `i` (NaN before any sample). */
  baseline(i: number): number {
    return this.#stats && this.#stats.count[i] > 0 ? this.#stats.mean[i] : NaN;
  }

  /** Adds one vector (length `inputDim`; NaN entries are skipped) to the baseline. */
  async learn(values: Float64Array): Promise<void> {
    if (!this.#stats) {
      await initStats();
      this.#stats ??= new SeriesStatsBatch({ series: this.inputDim });
    }
    this.#stats.update(values);
  }

  /**
   * Scores `values` against the baseline without learning it. Per-metric scores go into
   * `perMetric` when given (same length as `values`).
   */
  score(values: Float64Array, perMetric: Float64Array = this.#perMetric): VectorScore {
    perMetric.fill(0);
    if (!this.#stats || !this.trained) return { score: 0, pValue: 1, metric: -1 };
    const stats = this.#stats;
    stats.variance(this.#variance);
    let judged = 0;
    for (const x of values) if (!Number.isNaN(x)) judged++;
    let best = -1;
    let bestP = 1;
    for (let i = 0; i < this.inputDim; i++) {
      const x = values[i];
      if (Number.isNaN(x)) continue;
      const n = stats.count[i];
      const deviation = x - stats.mean[i];
      // 0/0 (a constant metric at its constant value) is no deviation at all.
      const t = deviation === 0 ? 0 : deviation / Math.sqrt(this.#variance[i] * (1 + 1 / n));
      const p = Math.min(1, judged * studentTwoSidedTail(t, n - 1));
      perMetric[i] = surpriseScore(p);
      if (best < 0 || p < bestP) {
        best = i;
        bestP = p;
      }
    }
    return { score: best < 0 ? 0 : perMetric[best], pValue: bestP, metric: best };
  }
}

/** Converts one vector to a Float64Array, checking its length and that every value is finite. */
export function toVector(argument: string, values: ArrayLike<number>, dims: number): Float64Array {
  if (values === null || typeof values !== 'object' || typeof values.length !== 'number') {
    throw new ArgumentError(argument, 'expected an array of numbers');
  }
  if (values.length !== dims) {
    throw new DimensionError(argument, `expected ${dims} values, got ${values.length}`);
  }
  const vector = Float64Array.from(values);
  for (let i = 0; i < dims; i++) {
    if (typeof values[i] !== 'number' || !Number.isFinite(values[i])) {
      throw new ArgumentError(`${argument}[${i}]`, `expected a finite number, got ${String(values[i])}`);
    }
  }
  return vector;
}
