/**
 * Drift measures between a reference and a current sample: fixed-bin histograms, the
 * Population Stability Index over two histograms, and the two-sample Kolmogorov-Smirnov
 * distance over two raw samples.
 */
import { ArgumentError, DimensionError } from '../../errors.ts';
import { checkArray, checkFinite, checkInt, checkLength } from '../../validate.ts';
import type { BackendOptions } from '../loader.ts';
import { allocFor, sharedInstance } from './wasm.ts';
import * as twin from './twin.ts';

/** Bins of a histogram: `bins` equal bins over [min, max). */
export interface BinSpec {
  /** How many bins, >= 1. */
  bins: number;
  /** Lower edge of the first bin; lower values count in the first bin. */
  min: number;
  /** Upper edge of the last bin; values at or above it count in the last bin. */
  max: number;
}

/** Options of `histogram`. */
export interface HistogramOptions extends BackendOptions {
  /** Counts to add to (length `bins`) instead of a fresh array, e.g. to accumulate a stream. */
  into?: Float64Array;
}

/** A histogram and how many NaN values were skipped building it. */
export interface Histogram {
  /** Values per bin. */
  counts: Float64Array;
  /** NaN values skipped. */
  rejected: number;
}

const MAX_BINS = 2 ** 20;
const CHUNK = 16384;

/**
 * Counts `values` into `spec.bins` equal bins over [min, max): bin floor((x - min) * bins /
 * (max - min)). Values below `min` (and -Infinity) count in the first bin, values at or above
 * `max` (and +Infinity) in the last, so drift towards the tails stays visible. NaN values are
 * skipped and counted in `rejected`. Counts are f64 so that callers can decay or merge them.
 */
export function histogram(values: Float64Array, spec: BinSpec, options: HistogramOptions = {}): Histogram {
  checkArray<Float64Array>('values', values, Float64Array);
  const bins = checkInt('bins', spec?.bins, 1, MAX_BINS);
  const min = checkFinite('min', spec.min);
  const max = checkFinite('max', spec.max);
  if (!(max > min)) throw new ArgumentError('max', `expected max > min, got [${min}, ${max})`);
  const scale = bins / (max - min);
  if (!Number.isFinite(scale) || scale === 0) {
    throw new ArgumentError('max', `range [${min}, ${max}) cannot be split into ${bins} bins in f64`);
  }
  const counts = options.into ?? new Float64Array(bins);
  if (options.into !== undefined) {
    checkArray<Float64Array>('into', counts, Float64Array);
    checkLength('into', counts, bins);
  }
  const instance = sharedInstance(options);
  if (!instance) return { counts, rejected: twin.histogramAdd(values, min, scale, counts) };

  const { exports, memory } = instance;
  try {
    const countsPtr = allocFor(memory, 'bins', bins * 8);
    const inPtr = allocFor(memory, 'values', Math.min(values.length, CHUNK) * 8);
    memory.f64(countsPtr, bins).set(counts);
    let rejected = 0;
    for (let at = 0; at < values.length; at += CHUNK) {
      const part = values.subarray(at, Math.min(at + CHUNK, values.length));
      memory.f64(inPtr, part.length).set(part);
      rejected += exports.histogramAdd(inPtr, part.length, min, scale, bins, countsPtr);
    }
    counts.set(memory.f64(countsPtr, bins));
    return { counts, rejected };
  } finally {
    memory.release(memory.base);
  }
}

/** Options of `psi`. */
export interface PsiOptions {
  /** Smallest proportion a bin counts with, in [0, 1). Default 1e-4. */
  floor?: number;
}

/**
 * Population Stability Index of `actual` against `expected`, two histograms over the same bins:
 * sum over bins of (a - e) ln(a / e), where a and e are the bins' proportions of their totals,
 * raised to `floor` (default 1e-4) so that an empty bin gives a large but finite term. Equal
 * proportions give exactly 0 whatever the totals. Common reading: < 0.1 stable, 0.1 to 0.25
 * moderate shift, > 0.25 major shift. With `floor: 0`, a bin empty on one side only gives
 * Infinity. Runs in plain TS on every backend: it is O(bins), so copying the counts into wasm
 * would cost more than the sum.
 */
export function psi(expected: Float64Array, actual: Float64Array, options: PsiOptions = {}): number {
  checkBins(expected, actual);
  const floor = checkFinite('floor', options.floor ?? 1e-4);
  if (floor < 0 || floor >= 1) throw new ArgumentError('floor', `expected a number in [0, 1), got ${floor}`);
  const te = total('expected', expected);
  const ta = total('actual', actual);
  let sum = 0;
  for (let i = 0; i < expected.length; i++) {
    const e = Math.max(expected[i] / te, floor);
    const a = Math.max(actual[i] / ta, floor);
    if (a !== e) sum += (a - e) * Math.log(a / e);
  }
  return sum;
}

/**
 * Kolmogorov-Smirnov distance between two histograms over the same bins: the largest gap between
 * their cumulative proportions at the bin edges, in [0, 1]. A lower bound of the exact
 * `ksDistance` of the samples behind them (equal to it when every value sits on its bin's
 * grid point), for drift monitors that keep only histograms. Plain TS on every backend (O(bins)).
 */
export function ksDistanceBinned(expected: Float64Array, actual: Float64Array): number {
  checkBins(expected, actual);
  const te = total('expected', expected);
  const ta = total('actual', actual);
  let ce = 0;
  let ca = 0;
  let d = 0;
  for (let i = 0; i < expected.length; i++) {
    ce += expected[i];
    ca += actual[i];
    d = Math.max(d, Math.abs(ce / te - ca / ta));
  }
  return d;
}

function checkBins(expected: Float64Array, actual: Float64Array): void {
  checkArray<Float64Array>('expected', expected, Float64Array);
  checkArray<Float64Array>('actual', actual, Float64Array);
  if (expected.length === 0) throw new ArgumentError('expected', 'expected at least one bin');
  if (actual.length !== expected.length) {
    throw new DimensionError(
      'actual',
      `expected ${expected.length} bins like 'expected', got ${actual.length}`,
    );
  }
}

function total(name: string, counts: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i];
    if (!(c >= 0) || c === Infinity)
      throw new ArgumentError(name, `bin ${i} holds ${c}, expected a finite count >= 0`);
    sum += c;
  }
  if (sum === 0) throw new ArgumentError(name, 'histogram is empty');
  return sum;
}

/** Options of `ksDistance`: the backend (default `auto`, wasm when SIMD is supported). */
export type KsOptions = BackendOptions;

/**
 * Two-sample Kolmogorov-Smirnov distance sup_x |Fa(x) - Fb(x)| between the empirical CDFs of
 * `a` and `b`, in [0, 1]. Exact: both samples are sorted (a radix sort in wasm) and merged.
 * Infinities are ordinary values at the ends; -0 equals +0. Samples must be non-empty and
 * NaN-free (ArgumentError otherwise): a NaN has no place in a CDF.
 */
export function ksDistance(a: Float64Array, b: Float64Array, options: KsOptions = {}): number {
  checkSample('a', a);
  checkSample('b', b);
  const instance = sharedInstance(options);
  if (!instance) return twin.ksDistance(a, b);

  const { exports, memory } = instance;
  try {
    const aPtr = allocFor(memory, 'a', a.length * 8);
    const bPtr = allocFor(memory, 'b', b.length * 8);
    const scratchPtr = allocFor(memory, 'a', Math.max(a.length, b.length) * 8);
    const countsPtr = allocFor(memory, 'a', 2048 * 4);
    memory.f64(aPtr, a.length).set(a);
    memory.f64(bPtr, b.length).set(b);
    exports.sortKeys(aPtr, a.length, scratchPtr, countsPtr);
    exports.sortKeys(bPtr, b.length, scratchPtr, countsPtr);
    return exports.ksSorted(aPtr, a.length, bPtr, b.length);
  } finally {
    memory.release(memory.base);
  }
}

function checkSample(name: string, sample: Float64Array): void {
  checkArray<Float64Array>(name, sample, Float64Array);
  if (sample.length === 0) throw new ArgumentError(name, 'sample is empty');
  for (let i = 0; i < sample.length; i++) {
    if (sample[i] !== sample[i]) throw new ArgumentError(name, `NaN at index ${i}`);
  }
}
