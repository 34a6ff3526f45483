/**
 * Streaming moments: Welford mean/variance, EWMA mean/variance, z-scores, min/max and two-sided
 * CUSUM, for many series at once (`SeriesStatsBatch`, one value per series per call, the hot
 * path of anomaly detection) or for one long series fed in chunks (`SeriesStats`).
 *
 * Definitions, identical in wasm and in the TS twin (bit for bit):
 * - `z` = (x - mean) sqrt((count - 1) / m2), against the Welford state *before* x, so a spike
 *   does not dilute its own score; `ewmaZ` = (x - ewmaMean) / sqrt(ewmaVar), also before x.
 *   Both are 0 while fewer than 2 values were seen and when x equals the reference mean; a
 *   deviation from a perfectly constant history gives +-Infinity.
 * - EWMA: first value sets ewmaMean = x, ewmaVar = 0; then d = x - ewmaMean,
 *   ewmaMean += alpha d, ewmaVar = (1 - alpha)(ewmaVar + alpha d^2).
 * - CUSUM on z with slack k: cusumPos = max(0, cusumPos + z - k), cusumNeg = max(0, cusumNeg - z - k).
 *   An infinite z drives a sum to Infinity; the caller resets it (`resetCusum`) after an alarm.
 * - NaN and +-Infinity values are rejected: the series' state is unchanged, its z and ewmaZ for
 *   that call are NaN, and the value is counted in `rejected`. Finite values of magnitude below
 *   ~1e154 keep every statistic finite; beyond that squared deviations overflow to Infinity.
 *
 * f64 throughout: Welford in f32 loses every significant digit on long series with a large
 * offset (counters, nanosecond latencies); the SIMD path runs f64x2.
 */
import { ArgumentError } from '../../errors.ts';
import { checkArray, checkInt, checkLength } from '../../validate.ts';
import type { BackendOptions } from '../loader.ts';
import { allocFor, instantiate, type StatsInstance } from './wasm.ts';
import {
  COUNT,
  CUSUM_NEG,
  CUSUM_POS,
  EWMA_MEAN,
  EWMA_VAR,
  EWMA_Z,
  FIELDS,
  M2,
  MAX,
  MEAN,
  MIN,
  resetFields,
  Z,
} from './layout.ts';
import { checkAlpha, checkSlack, type MomentOptions } from './options.ts';
import * as twin from './twin.ts';

/** Options of `SeriesStatsBatch`. */
export interface SeriesStatsBatchOptions extends MomentOptions, BackendOptions {
  /** Number of series, >= 1. */
  series: number;
}

/** Options of `SeriesStats`. */
export interface SeriesStatsOptions extends MomentOptions, BackendOptions {}

const SNAPSHOT_TAG = 0x5354_4d31; // "STM1"
const HEADER = 5; // tag, series, alpha, cusumSlack, rejected
const MAX_SERIES = 2 ** 22; // 11 f64 fields each: 370 MB of state at most
const CHUNK = 4096;

/** Where the state of `series` series lives: field f of series i at `f * stride + i`. */
export interface MomentsEngine {
  /** Whether the state lives in a wasm instance's memory or in plain TS arrays. */
  readonly backend: 'wasm' | 'ts';
  /** Every field of every series (a view into wasm memory on the wasm backend). */
  readonly state: Float64Array;
  /** Distance in `state` between consecutive fields of one series (at least `series`). */
  readonly stride: number;
}

/** Field views, reset, save and restore: what both trackers share. */
export abstract class MomentsBase<E extends MomentsEngine> {
  /** EWMA smoothing factor, passed to the engine on every update. */
  protected alpha: number;
  /** CUSUM slack k, passed to the engine on every update. */
  protected slack: number;
  #rejected = 0;

  /** Checks the options and starts from an empty state. */
  protected constructor(
    readonly series: number,
    protected readonly engine: E,
    options: MomentOptions,
  ) {
    this.alpha = checkAlpha(options.alpha);
    this.slack = checkSlack(options.cusumSlack);
    this.reset();
  }

  /** The implementation in use. */
  get backend(): 'wasm' | 'ts' {
    return this.engine.backend;
  }

  /** Values rejected (NaN or infinite) since construction, `reset` or `restore`. */
  get rejected(): number {
    return this.#rejected;
  }

  /** Adds `n` to `rejected` and returns it (an update's return value). */
  protected countRejected(n: number): number {
    this.#rejected += n;
    return n;
  }

  /** Field `f` (a layout.ts index) of every series, as a live view into the engine's state. */
  protected field(f: number): Float64Array {
    const { state, stride } = this.engine;
    return state.subarray(f * stride, f * stride + this.series);
  }

  /** Forgets everything seen (the options stay). */
  reset(): void {
    resetFields((f) => this.field(f));
    this.#rejected = 0;
  }

  /** Zeroes both CUSUM sums of one series, or of all when `series` is omitted. */
  resetCusum(series?: number): void {
    if (series === undefined) {
      this.field(CUSUM_POS).fill(0);
      this.field(CUSUM_NEG).fill(0);
      return;
    }
    const i = checkInt('series', series, 0, this.series - 1);
    this.field(CUSUM_POS)[i] = 0;
    this.field(CUSUM_NEG)[i] = 0;
  }

  /** A copy of the whole state and options; `restore` accepts it on either backend. */
  save(): Float64Array {
    const out = new Float64Array(HEADER + FIELDS * this.series);
    out.set([SNAPSHOT_TAG, this.series, this.alpha, this.slack, this.#rejected]);
    for (let f = 0; f < FIELDS; f++) out.set(this.field(f), HEADER + f * this.series);
    return out;
  }

  /** Replaces state and options with a snapshot from `save` of a tracker with as many series. */
  restore(snapshot: Float64Array): void {
    checkArray<Float64Array>('snapshot', snapshot, Float64Array);
    if (snapshot.length < HEADER || snapshot[0] !== SNAPSHOT_TAG) {
      throw new ArgumentError('snapshot', 'not a snapshot saved by SeriesStats or SeriesStatsBatch');
    }
    if (snapshot[1] !== this.series) {
      throw new ArgumentError('snapshot', `holds ${snapshot[1]} series, this tracker has ${this.series}`);
    }
    checkLength('snapshot', snapshot, HEADER + FIELDS * this.series);
    const alpha = checkAlpha(snapshot[2]);
    const slack = checkSlack(snapshot[3]);
    for (let f = 0; f < FIELDS; f++) {
      this.field(f).set(snapshot.subarray(HEADER + f * this.series, HEADER + (f + 1) * this.series));
    }
    this.alpha = alpha;
    this.slack = slack;
    this.#rejected = snapshot[4];
  }
}

/** The engine of `SeriesStatsBatch`: one value per series per update. */
export interface BatchEngine extends MomentsEngine {
  /** Adds values[i] to series i with the given EWMA alpha and CUSUM slack; returns the rejected count. */
  update(values: Float64Array, alpha: number, slack: number): number;
}

function batchEngine(instance: StatsInstance | null, n: number): BatchEngine {
  if (!instance) {
    const state = new Float64Array(FIELDS * n);
    return {
      backend: 'ts',
      state,
      stride: n,
      update: (values, alpha, slack) => twin.batchUpdate(state, n, n, values, alpha, slack),
    };
  }
  const { exports, memory } = instance;
  const stride = (n + 1) & ~1; // keeps every field 16-byte aligned for v128 loads
  const statePtr = allocFor(memory, 'series', FIELDS * stride * 8);
  const inputPtr = allocFor(memory, 'series', n * 8);
  // Views last: nothing grows this instance's memory after construction, so they stay attached.
  const state = memory.f64(statePtr, FIELDS * stride);
  const input = memory.f64(inputPtr, n);
  return {
    backend: 'wasm',
    state,
    stride,
    update(values, alpha, slack) {
      input.set(values);
      return exports.batchUpdate(statePtr, stride * 8, n, inputPtr, alpha, slack);
    },
  };
}

/**
 * Moments of many series at once, stored as struct of arrays: `update(values)` adds values[i] to
 * series i. The field getters return live views (length `series`) that change on every update;
 * treat them as read-only and copy what you keep. See the module comment for definitions and
 * the NaN/Infinity policy.
 */
export class SeriesStatsBatch extends MomentsBase<BatchEngine> {
  /** Call `init()` first unless `backend: 'ts'` or a `module` is given. */
  constructor(options: SeriesStatsBatchOptions) {
    const series = checkInt('series', options?.series, 1, MAX_SERIES);
    super(series, batchEngine(instantiate(options), series), options);
  }

  /** Adds values[i] (one per series) to series i; returns how many values were rejected. */
  update(values: Float64Array): number {
    checkArray<Float64Array>('values', values, Float64Array);
    checkLength('values', values, this.series);
    return this.countRejected(this.engine.update(values, this.alpha, this.slack));
  }

  /** Values accepted per series. */
  get count(): Float64Array {
    return this.field(COUNT);
  }
  /** Welford mean per series (0 before the first value). */
  get mean(): Float64Array {
    return this.field(MEAN);
  }
  /** EWMA mean per series. */
  get ewmaMean(): Float64Array {
    return this.field(EWMA_MEAN);
  }
  /** EWMA variance per series. */
  get ewmaVar(): Float64Array {
    return this.field(EWMA_VAR);
  }
  /** Smallest value per series (+Infinity before the first). */
  get min(): Float64Array {
    return this.field(MIN);
  }
  /** Largest value per series (-Infinity before the first). */
  get max(): Float64Array {
    return this.field(MAX);
  }
  /** Upper CUSUM sum per series. */
  get cusumPos(): Float64Array {
    return this.field(CUSUM_POS);
  }
  /** Lower CUSUM sum per series. */
  get cusumNeg(): Float64Array {
    return this.field(CUSUM_NEG);
  }
  /** z of the last update's value per series (NaN if it was rejected or before any update). */
  get z(): Float64Array {
    return this.field(Z);
  }
  /** EWMA z of the last update's value per series (NaN if rejected or before any update). */
  get ewmaZ(): Float64Array {
    return this.field(EWMA_Z);
  }

  /** Sample variance m2 / (count - 1) per series (NaN below 2 values), into `out` if given. */
  variance(out: Float64Array = new Float64Array(this.series)): Float64Array {
    checkArray<Float64Array>('out', out, Float64Array);
    checkLength('out', out, this.series);
    const count = this.field(COUNT);
    const m2 = this.field(M2);
    for (let i = 0; i < this.series; i++) out[i] = count[i] < 2 ? NaN : m2[i] / (count[i] - 1);
    return out;
  }
}

/** The engine of `SeriesStats`: one series fed in chunks. */
export interface SeriesEngine extends MomentsEngine {
  /** One chunk of at most CHUNK values; z and ewmaZ per value into the outputs. */
  push(
    values: Float64Array,
    zOut: Float64Array,
    ewmaZOut: Float64Array,
    alpha: number,
    slack: number,
  ): number;
}

function seriesEngine(instance: StatsInstance | null): SeriesEngine {
  if (!instance) {
    const state = new Float64Array(FIELDS);
    return {
      backend: 'ts',
      state,
      stride: 1,
      push: (values, zOut, ewmaZOut, alpha, slack) =>
        twin.seriesPush(state, values, zOut, ewmaZOut, alpha, slack),
    };
  }
  const { exports, memory } = instance;
  const statePtr = allocFor(memory, 'state', FIELDS * 8);
  const inPtr = allocFor(memory, 'values', CHUNK * 8);
  const zPtr = allocFor(memory, 'values', CHUNK * 8);
  const ezPtr = allocFor(memory, 'values', CHUNK * 8);
  const state = memory.f64(statePtr, FIELDS);
  const input = memory.f64(inPtr, CHUNK);
  const z = memory.f64(zPtr, CHUNK);
  const ez = memory.f64(ezPtr, CHUNK);
  return {
    backend: 'wasm',
    state,
    stride: 1,
    push(values, zOut, ewmaZOut, alpha, slack) {
      const n = values.length;
      input.set(values);
      const rejected = exports.seriesPush(statePtr, inPtr, n, zPtr, ezPtr, alpha, slack);
      zOut.set(z.subarray(0, n));
      ewmaZOut.set(ez.subarray(0, n));
      return rejected;
    },
  };
}

/**
 * Moments of one long series fed in order, in chunks of any length: the same definitions as
 * `SeriesStatsBatch` (see the module comment), with each value scored against the state
 * before it.
 */
export class SeriesStats extends MomentsBase<SeriesEngine> {
  #z = new Float64Array(CHUNK);
  #ewmaZ = new Float64Array(CHUNK);

  /** Call `init()` first unless `backend: 'ts'` or a `module` is given. */
  constructor(options: SeriesStatsOptions = {}) {
    super(1, seriesEngine(instantiate(options)), options);
  }

  /**
   * Adds `values` in order. If given, `zOut[t]` and `ewmaZOut[t]` receive the scores of
   * values[t] (same length as `values`). Returns how many values were rejected.
   */
  push(values: Float64Array, zOut?: Float64Array, ewmaZOut?: Float64Array): number {
    checkArray<Float64Array>('values', values, Float64Array);
    for (const [name, out] of [
      ['zOut', zOut],
      ['ewmaZOut', ewmaZOut],
    ] as const) {
      if (out === undefined) continue;
      checkArray<Float64Array>(name, out, Float64Array);
      checkLength(name, out, values.length);
    }
    let rejected = 0;
    for (let at = 0; at < values.length; at += CHUNK) {
      const end = Math.min(at + CHUNK, values.length);
      const n = end - at;
      const z = zOut?.subarray(at, end) ?? this.#z.subarray(0, n);
      const ez = ewmaZOut?.subarray(at, end) ?? this.#ewmaZ.subarray(0, n);
      rejected += this.engine.push(values.subarray(at, end), z, ez, this.alpha, this.slack);
    }
    return this.countRejected(rejected);
  }

  /** Values accepted. */
  get count(): number {
    return this.field(COUNT)[0];
  }
  /** Welford mean (0 before the first value). */
  get mean(): number {
    return this.field(MEAN)[0];
  }
  /** Sample variance m2 / (count - 1); NaN below 2 values. */
  get variance(): number {
    const n = this.field(COUNT)[0];
    return n < 2 ? NaN : this.field(M2)[0] / (n - 1);
  }
  /** EWMA mean. */
  get ewmaMean(): number {
    return this.field(EWMA_MEAN)[0];
  }
  /** EWMA variance. */
  get ewmaVar(): number {
    return this.field(EWMA_VAR)[0];
  }
  /** Smallest value (+Infinity before the first). */
  get min(): number {
    return this.field(MIN)[0];
  }
  /** Largest value (-Infinity before the first). */
  get max(): number {
    return this.field(MAX)[0];
  }
  /** Upper CUSUM sum. */
  get cusumPos(): number {
    return this.field(CUSUM_POS)[0];
  }
  /** Lower CUSUM sum. */
  get cusumNeg(): number {
    return this.field(CUSUM_NEG)[0];
  }
  /** z of the last value pushed (NaN if it was rejected or before any). */
  get z(): number {
    return this.field(Z)[0];
  }
  /** EWMA z of the last value pushed (NaN if it was rejected or before any). */
  get ewmaZ(): number {
    return this.field(EWMA_Z)[0];
  }
}
