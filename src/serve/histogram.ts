/**
 * The service's distributions (tick latency, time to detect, time to recover), kept twice over:
 * an HDR histogram for exact-enough percentiles in the engine's stats, and fixed cumulative
 * buckets for the Prometheus exposition, whose histograms need the same bounds on every scrape.
 */
import { build, type Histogram } from 'hdr-histogram-js';
import { ArgumentError } from '../errors.ts';

/** Percentiles and counts of a {@link ServeHistogram}, in its unit. */
export interface HistogramSummary {
  /** Values recorded. */
  count: number;
  /** Their sum. */
  sum: number;
  /** Median, 0 when empty. */
  p50: number;
  /** 95th percentile, 0 when empty. */
  p95: number;
  /** 99th percentile, 0 when empty. */
  p99: number;
  /** Largest value, 0 when empty. */
  max: number;
}

/** One distribution: HDR percentiles plus Prometheus buckets (upper bounds, ascending, in the value's unit). */
export class ServeHistogram {
  /** The buckets' upper bounds, ascending; `+Inf` is implied. */
  readonly bounds: readonly number[];
  /** Values at or below each bound (cumulative, as Prometheus counts them). */
  readonly cumulative: Float64Array;
  /** Values recorded. */
  count = 0;
  /** Their sum. */
  sum = 0;
  readonly #hdr: Histogram;
  /** HDR histograms count integers: values are recorded in units of `1 / resolution`. */
  readonly #resolution: number;

  /**
   * An empty distribution; throws an ArgumentError for bounds out of order or a bad resolution.
   * @param bounds the Prometheus buckets' upper bounds, ascending
   * @param resolution how many HDR steps one unit holds (1000 records seconds to the millisecond)
   */
  constructor(bounds: readonly number[], resolution: number) {
    if (!bounds.length || bounds.some((b, i) => !Number.isFinite(b) || (i > 0 && b <= bounds[i - 1])))
      throw new ArgumentError('bounds', 'expected finite bounds in ascending order');
    if (!Number.isFinite(resolution) || resolution <= 0)
      throw new ArgumentError('resolution', 'expected a positive number');
    this.bounds = [...bounds];
    this.cumulative = new Float64Array(bounds.length);
    this.#resolution = resolution;
    this.#hdr = build({
      bitBucketSize: 32,
      lowestDiscernibleValue: 1,
      highestTrackableValue: 2 ** 40,
      numberOfSignificantValueDigits: 3,
      autoResize: true,
      useWebAssembly: false,
    });
  }

  /** Records one value; a negative or non-finite one (a clock that stepped back) counts as 0. */
  record(value: number): void {
    const v = Number.isFinite(value) && value > 0 ? value : 0;
    this.count++;
    this.sum += v;
    for (let i = this.bounds.length - 1; i >= 0 && v <= this.bounds[i]; i--) this.cumulative[i]++;
    this.#hdr.recordValue(Math.max(1, Math.round(v * this.#resolution)));
  }

  /** Counts and percentiles so far. */
  summary(): HistogramSummary {
    if (this.count === 0) return { count: 0, sum: 0, p50: 0, p95: 0, p99: 0, max: 0 };
    const at = (p: number) => this.#hdr.getValueAtPercentile(p) / this.#resolution;
    return {
      count: this.count,
      sum: this.sum,
      p50: at(50),
      p95: at(95),
      p99: at(99),
      max: this.#hdr.maxValue / this.#resolution,
    };
  }
}
