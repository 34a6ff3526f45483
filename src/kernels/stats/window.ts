/**
 * Sliding-window median and MAD (median absolute deviation, unscaled: multiply by `MAD_TO_SIGMA`
 * for a normal-consistent sigma) over the last `window` accepted values: for many series at
 * once (`RollingMedianBatch`, one value per series per call) or one long series fed in chunks
 * (`RollingMedian`). Each window is a ring buffer plus a sorted copy updated by binary search
 * and one block move (O(log w) compares plus an O(w) memmove), and the MAD is a rank selection
 * over the two sorted runs of deviations below and above the median, O(log w).
 *
 * Median of an even count is the midpoint of the two middle values. An empty window has median
 * and MAD NaN. NaN and +-Infinity values are rejected: the window is unchanged, the reported
 * median and MAD are those of the unchanged window, and the value is counted in `rejected`.
 * Results are identical bit for bit in wasm and in the TS twin.
 */
import { ArgumentError } from '../../errors.ts';
import { checkArray, checkInt, checkLength } from '../../validate.ts';
import type { BackendOptions } from '../loader.ts';
import { allocFor, instantiate, type StatsInstance } from './wasm.ts';
import * as twin from './twin.ts';

/** Multiply a MAD by this to estimate the standard deviation of normally distributed data. */
export const MAD_TO_SIGMA = 1.482602218505602;

/** Options of `RollingMedian`. */
export interface RollingMedianOptions extends BackendOptions {
  /** Values held per window, in [1, 2^20]. */
  window: number;
}

/** Options of `RollingMedianBatch`. */
export interface RollingMedianBatchOptions extends RollingMedianOptions {
  /** Number of series, >= 1. */
  series: number;
}

const SNAPSHOT_TAG = 0x5354_5731; // "STW1"
const HEADER = 4; // tag, series, window, rejected
const MAX_WINDOW = 2 ** 20;
const MAX_CELLS = 2 ** 26; // series x window: two f64 copies of 512 MiB each at most
const CHUNK = 4096;

/** The windows of `series` series and the kernel calls over them. */
interface WindowEngine {
  readonly backend: 'wasm' | 'ts';
  readonly ring: Float64Array;
  readonly sorted: Float64Array;
  readonly fill: Int32Array;
  readonly head: Int32Array;
  /** Median and MAD per series after the last update. */
  readonly median: Float64Array;
  readonly mad: Float64Array;
  /** One value per series. */
  update(values: Float64Array): number;
  /** Series 0 only: up to CHUNK values in order, median and MAD after each into the outputs. */
  push(values: Float64Array, medOut: Float64Array, madOut: Float64Array): number;
}

function windowEngine(
  instance: StatsInstance | null,
  series: number,
  window: number,
  chunk: number,
): WindowEngine {
  const cells = series * window;
  if (!instance) {
    const w = {
      ring: new Float64Array(cells),
      sorted: new Float64Array(cells),
      fill: new Int32Array(series),
      head: new Int32Array(series),
    };
    const median = new Float64Array(series).fill(NaN);
    const mad = new Float64Array(series).fill(NaN);
    return {
      backend: 'ts',
      ...w,
      median,
      mad,
      update: (values) => twin.windowUpdate(w, window, series, values, median, mad),
      push(values, medOut, madOut) {
        const rejected = twin.windowSeries(w, window, values, medOut, madOut);
        saveLast(medOut, madOut, values.length, median, mad);
        return rejected;
      },
    };
  }
  const { exports, memory } = instance;
  const ringPtr = allocFor(memory, 'window', cells * 8);
  const sortedPtr = allocFor(memory, 'window', cells * 8);
  const fillPtr = allocFor(memory, 'series', series * 4);
  const headPtr = allocFor(memory, 'series', series * 4);
  const inPtr = allocFor(memory, 'series', chunk * 8);
  const medPtr = allocFor(memory, 'series', chunk * 8);
  const madPtr = allocFor(memory, 'series', chunk * 8);
  // Views last: nothing grows this instance's memory after construction, so they stay attached.
  const input = memory.f64(inPtr, chunk);
  const medBuf = memory.f64(medPtr, chunk);
  const madBuf = memory.f64(madPtr, chunk);
  const median = series === 1 ? new Float64Array(1).fill(NaN) : medBuf.subarray(0, series).fill(NaN);
  const mad = series === 1 ? new Float64Array(1).fill(NaN) : madBuf.subarray(0, series).fill(NaN);
  return {
    backend: 'wasm',
    ring: memory.f64(ringPtr, cells),
    sorted: memory.f64(sortedPtr, cells),
    fill: memory.i32(fillPtr, series),
    head: memory.i32(headPtr, series),
    median,
    mad,
    update(values) {
      input.set(values);
      const rejected = exports.windowUpdate(
        ringPtr,
        sortedPtr,
        fillPtr,
        headPtr,
        window,
        series,
        inPtr,
        medPtr,
        madPtr,
      );
      if (series === 1) saveLast(medBuf, madBuf, 1, median, mad);
      return rejected;
    },
    push(values, medOut, madOut) {
      const n = values.length;
      input.set(values);
      const rejected = exports.windowSeries(
        ringPtr,
        sortedPtr,
        fillPtr,
        headPtr,
        window,
        inPtr,
        n,
        medPtr,
        madPtr,
      );
      medOut.set(medBuf.subarray(0, n));
      madOut.set(madBuf.subarray(0, n));
      saveLast(medBuf, madBuf, n, median, mad);
      return rejected;
    },
  };
}

function saveLast(
  med: Float64Array,
  mad: Float64Array,
  n: number,
  median: Float64Array,
  lastMad: Float64Array,
): void {
  if (n === 0) return;
  median[0] = med[n - 1];
  lastMad[0] = mad[n - 1];
}

/** Window size, counters, save and restore: what both window trackers share. */
export abstract class WindowBase {
  #rejected = 0;

  /** Takes the engine built for `series` windows of `window` values. */
  protected constructor(
    readonly series: number,
    readonly window: number,
    /** @internal */
    protected readonly engine: WindowEngine,
  ) {}

  /** The implementation in use. */
  get backend(): 'wasm' | 'ts' {
    return this.engine.backend;
  }

  /** Values rejected (NaN or infinite) since construction or `restore`. */
  get rejected(): number {
    return this.#rejected;
  }

  /** Adds `n` to `rejected` and returns it (an update's return value). */
  protected countRejected(n: number): number {
    this.#rejected += n;
    return n;
  }

  /** A copy of every window (in arrival order) and the last medians and MADs. */
  save(): Float64Array {
    const { series, window } = this;
    const e = this.engine;
    const out = new Float64Array(HEADER + 4 * series + series * window);
    out.set([SNAPSHOT_TAG, series, window, this.#rejected]);
    out.set(e.fill, HEADER);
    out.set(e.head, HEADER + series);
    out.set(e.median, HEADER + 2 * series);
    out.set(e.mad, HEADER + 3 * series);
    out.set(e.ring, HEADER + 4 * series);
    return out;
  }

  /**
   * Replaces the windows with a snapshot from `save` of a tracker of the same series and window
   * (on either backend). The sorted copies are rebuilt from the ring, never trusted.
   */
  restore(snapshot: Float64Array): void {
    checkArray<Float64Array>('snapshot', snapshot, Float64Array);
    const { series, window } = this;
    if (snapshot.length < HEADER || snapshot[0] !== SNAPSHOT_TAG) {
      throw new ArgumentError('snapshot', 'not a snapshot saved by RollingMedian or RollingMedianBatch');
    }
    if (snapshot[1] !== series || snapshot[2] !== window) {
      throw new ArgumentError(
        'snapshot',
        `holds ${snapshot[1]} series x window ${snapshot[2]}, expected ${series} x ${window}`,
      );
    }
    checkLength('snapshot', snapshot, HEADER + 4 * series + series * window);
    const fill = snapshot.subarray(HEADER, HEADER + series);
    const head = snapshot.subarray(HEADER + series, HEADER + 2 * series);
    const ring = snapshot.subarray(HEADER + 4 * series);
    const sorted = new Float64Array(series * window);
    // Out-of-range fill or head would make the kernel move memory outside the window.
    for (let s = 0; s < series; s++) {
      checkInt('snapshot fill', fill[s], 0, window);
      checkInt('snapshot head', head[s], 0, window - 1);
      const live = sorted.subarray(s * window, s * window + fill[s]);
      for (let t = 0; t < fill[s]; t++) {
        const x = ring[s * window + ((head[s] + t) % window)];
        if (!Number.isFinite(x)) throw new ArgumentError('snapshot', `window ${s} holds a non-finite value`);
        live[t] = x;
      }
      live.sort();
    }
    const e = this.engine;
    e.fill.set(fill);
    e.head.set(head);
    e.median.set(snapshot.subarray(HEADER + 2 * series, HEADER + 3 * series));
    e.mad.set(snapshot.subarray(HEADER + 3 * series, HEADER + 4 * series));
    e.ring.set(ring);
    e.sorted.set(sorted);
    this.#rejected = snapshot[3];
  }
}

/**
 * Median and MAD over the last `window` values of many series at once: `update(values)` adds
 * values[i] to series i; `median` and `mad` are live views (length `series`) that change on
 * every update. See the module comment for definitions and the NaN/Infinity policy.
 */
export class RollingMedianBatch extends WindowBase {
  /** Call `init()` first unless `backend: 'ts'` or a `module` is given. */
  constructor(options: RollingMedianBatchOptions) {
    const series = checkInt('series', options?.series, 1, MAX_CELLS);
    const window = checkInt('window', options.window, 1, MAX_WINDOW);
    if (series * window > MAX_CELLS) {
      throw new ArgumentError('window', `series x window must be <= 2^26, got ${series} x ${window}`);
    }
    super(series, window, windowEngine(instantiate(options), series, window, series));
  }

  /** Adds values[i] (one per series) to window i; returns how many values were rejected. */
  update(values: Float64Array): number {
    checkArray<Float64Array>('values', values, Float64Array);
    checkLength('values', values, this.series);
    return this.countRejected(this.engine.update(values));
  }

  /** Window median per series (NaN while a window is empty). */
  get median(): Float64Array {
    return this.engine.median;
  }

  /** Window MAD per series (NaN while a window is empty). */
  get mad(): Float64Array {
    return this.engine.mad;
  }
}

/**
 * Median and MAD over the last `window` values of one long series fed in order, in chunks of
 * any length. See the module comment for definitions and the NaN/Infinity policy.
 */
export class RollingMedian extends WindowBase {
  #med = new Float64Array(CHUNK);
  #mad = new Float64Array(CHUNK);

  /** Call `init()` first unless `backend: 'ts'` or a `module` is given. */
  constructor(options: RollingMedianOptions) {
    const window = checkInt('window', options?.window, 1, MAX_WINDOW);
    super(1, window, windowEngine(instantiate(options), 1, window, CHUNK));
  }

  /**
   * Adds `values` in order. If given, `medianOut[t]` and `madOut[t]` receive the window's median
   * and MAD right after values[t] (same length as `values`). Returns how many were rejected.
   */
  push(values: Float64Array, medianOut?: Float64Array, madOut?: Float64Array): number {
    checkArray<Float64Array>('values', values, Float64Array);
    for (const [name, out] of [
      ['medianOut', medianOut],
      ['madOut', madOut],
    ] as const) {
      if (out === undefined) continue;
      checkArray<Float64Array>(name, out, Float64Array);
      checkLength(name, out, values.length);
    }
    let rejected = 0;
    for (let at = 0; at < values.length; at += CHUNK) {
      const end = Math.min(at + CHUNK, values.length);
      const med = medianOut?.subarray(at, end) ?? this.#med.subarray(0, end - at);
      const mad = madOut?.subarray(at, end) ?? this.#mad.subarray(0, end - at);
      rejected += this.engine.push(values.subarray(at, end), med, mad);
    }
    return this.countRejected(rejected);
  }

  /** Values in the window now. */
  get count(): number {
    return this.engine.fill[0];
  }

  /** Median of the window now (NaN while empty). */
  get median(): number {
    return this.engine.median[0];
  }

  /** MAD of the window now (NaN while empty). */
  get mad(): number {
    return this.engine.mad[0];
  }
}
