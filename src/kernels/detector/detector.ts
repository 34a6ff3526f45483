/**
 * The detector API the engine and users share: a `SeriesDetector` per series (`update(ts, value)
 * -> score`), a `DetectorBank` that updates many series at once in the wasm kernel, and state
 * that saves to a plain JSON-serialisable object and restores into either of them.
 */
import { ArgumentError, DimensionError } from '../../errors.ts';
import { checkArray } from '../../validate.ts';
import { chooseBackend, type BackendOptions } from '../loader.ts';
import { BLOCK_TICKS, DetectorInstance, SERIES_CHUNK, detectorModule } from './wasm.ts';
import {
  DEFAULT_PARAMS,
  S,
  checkParams,
  deriveConstants,
  stateLayout,
  type DerivedConstants,
  type DetectorParams,
  type StateLayout,
} from './params.ts';
import { initState, updateState } from './twin.ts';

/**
 * Version of the saved-state format (2: f32 prototypes, features relative to the first value;
 * 3: prototypes as sorted four-f32 entries; 4: the rate-of-change view's mean square and
 * calibrator, interleaved with the z-score's, and the rejection count at the block's end).
 */
export const STATE_VERSION = 4;

/** Saved state of one series: plain data, safe to JSON.stringify and store. */
export interface SeriesState {
  /** `STATE_VERSION` of the code that saved it; `restore` refuses another. */
  readonly version: number;
  /** The parameters the series ran with. */
  readonly params: DetectorParams;
  /**
   * The series' state block as f64 numbers (see params.ts for its layout; the slots holding the
   * f32 prototypes carry two of them each, bit for bit, and are always finite).
   */
  readonly state: number[];
}

/** Saved state of a bank: one block per series, in series order. */
export interface BankState {
  /** `STATE_VERSION` of the code that saved it; `restore` refuses another. */
  readonly version: number;
  /** The parameters every series of the bank ran with. */
  readonly params: DetectorParams;
  /** Each series' state block as f64 numbers, as in `SeriesState.state`. */
  readonly series: number[][];
}

/** Options of `DetectorBank.create` and `DetectorBank.restore`. */
export interface BankOptions extends BackendOptions {
  /** Detector parameters; default `DEFAULT_PARAMS`. Ignored by `restore` (the state carries them). */
  params?: DetectorParams;
}

/**
 * Anomaly detector for one series, on the TypeScript twin of the kernel (a JIT runs it fast for a
 * single series; banks use the kernel). Scores are in [0, 1]; see twin.ts for what they mean.
 * Non-finite values or timestamps and timestamps earlier than the previous one score 0 and are
 * counted in `rejected`.
 */
export class SeriesDetector {
  /** The checked parameters, frozen. */
  readonly params: DetectorParams;
  readonly #layout: StateLayout;
  readonly #constants: DerivedConstants;
  readonly #state: Float64Array;
  readonly #state32: Float32Array;
  readonly #stateU32: Uint32Array;

  /** A fresh series; throws an `ArgumentError` naming the first parameter out of range. */
  constructor(params: DetectorParams = DEFAULT_PARAMS) {
    this.params = Object.freeze({ ...checkParams(params) });
    this.#layout = stateLayout(this.params);
    this.#constants = deriveConstants(this.params);
    this.#state = new Float64Array(this.#layout.length);
    this.#state32 = new Float32Array(this.#state.buffer);
    this.#stateU32 = new Uint32Array(this.#state.buffer);
    initState(this.#state, 0, this.#layout);
  }

  /** Feeds one point (`ts` in any increasing unit, e.g. epoch ms); returns its anomaly score. */
  update(ts: number, value: number): number {
    return updateState(
      this.#state,
      this.#state32,
      this.#stateU32,
      0,
      this.params,
      this.#layout,
      this.#constants,
      ts,
      value,
    );
  }

  /** Points accepted so far. */
  get count(): number {
    return this.#state[S.count];
  }

  /** Points rejected so far (non-finite, or out of time order). */
  get rejected(): number {
    return this.#state[this.#layout.rejected];
  }

  /** Plain-object copy of the state. */
  save(): SeriesState {
    return { version: STATE_VERSION, params: { ...this.params }, state: Array.from(this.#state) };
  }

  /** A detector continuing exactly where the saved one stopped. */
  static restore(saved: SeriesState): SeriesDetector {
    const params = checkSaved(saved, 'saved');
    const detector = new SeriesDetector(params);
    detector.#state.set(checkBlock(saved.state, detector.#layout, 'saved.state'));
    return detector;
  }
}

/**
 * Detectors for `size` series updated together: one call feeds one point to every series (the
 * engine's per-tick path), or many points to one series. Runs in its own wasm instance of the
 * detector kernel, or on the TS twin when SIMD is missing or `backend: 'ts'` is asked for; both
 * give the same scores (within 1e-12: only `log` may differ in the last bit). As for
 * `SeriesDetector`, non-finite points and timestamps going back in time score 0 and are counted
 * per series in `rejected(index)`.
 */
export class DetectorBank {
  /** The checked parameters every series runs with, frozen. */
  readonly params: DetectorParams;
  /** How many series the bank holds. */
  readonly size: number;
  /** 'ts';|Which implementation scores: the wasm kernel or the TypeScript twin. */
  readonly backend: 'wasm' | 'ts';
  readonly #layout: StateLayout;
  readonly #constants: DerivedConstants;
  readonly #wasm: DetectorInstance | null;
  readonly #twin: Float64Array | null;
  readonly #twin32: Float32Array | null;
  readonly #twinU32: Uint32Array | null;

  private constructor(size: number, params: DetectorParams, instance: DetectorInstance | null) {
    this.params = Object.freeze({ ...params });
    this.size = size;
    this.#layout = stateLayout(params);
    this.#constants = deriveConstants(params);
    this.#wasm = instance;
    this.backend = instance ? 'wasm' : 'ts';
    if (instance) this.#twin = this.#twin32 = this.#twinU32 = null;
    else {
      this.#twin = new Float64Array(size * this.#layout.length);
      this.#twin32 = new Float32Array(this.#twin.buffer);
      this.#twinU32 = new Uint32Array(this.#twin.buffer);
      for (let k = 0; k < size; k++) initState(this.#twin, k * this.#layout.length, this.#layout);
    }
  }

  /** A bank of `size` fresh series. */
  static async create(size: number, options: BankOptions = {}): Promise<DetectorBank> {
    if (!Number.isInteger(size) || size < 1) {
      throw new ArgumentError('size', `expected an integer >= 1, got ${String(size)}`);
    }
    const params = checkParams(options.params ?? DEFAULT_PARAMS);
    const instance =
      chooseBackend(options) === 'wasm'
        ? new DetectorInstance(await detectorModule(options.module), params, stateLayout(params), size)
        : null;
    return new DetectorBank(size, params, instance);
  }

  /** A bank continuing exactly where the saved one stopped (on any backend). */
  static async restore(saved: BankState, options: Omit<BankOptions, 'params'> = {}): Promise<DetectorBank> {
    const params = checkSaved(saved, 'saved');
    if (!Array.isArray(saved.series) || saved.series.length < 1) {
      throw new ArgumentError('saved.series', 'expected a non-empty array of state blocks');
    }
    const bank = await DetectorBank.create(saved.series.length, { ...options, params });
    const L = bank.#layout.length;
    const target = bank.#wasm ? bank.#wasm.stateView() : bank.#twin!;
    saved.series.forEach((block, k) =>
      target.set(checkBlock(block, bank.#layout, `saved.series[${k}]`), k * L),
    );
    return bank;
  }

  /**
   * One point for every series: `values[k]` (and `timestamps[k]`, or one shared timestamp) goes to
   * series k; returns the scores (in `out` if given).
   */
  update(
    timestamps: Float64Array | number,
    values: Float64Array,
    out: Float64Array = new Float64Array(this.size),
  ): Float64Array {
    checkArray<Float64Array>('values', values, Float64Array);
    if (values.length !== this.size) {
      throw new DimensionError(
        'values',
        `expected ${this.size} values (one per series), got ${values.length}`,
      );
    }
    checkArray<Float64Array>('out', out, Float64Array);
    if (out.length !== this.size)
      throw new DimensionError('out', `expected length ${this.size}, got ${out.length}`);
    if (typeof timestamps !== 'number') {
      checkArray<Float64Array>('timestamps', timestamps, Float64Array);
      if (timestamps.length !== this.size) {
        throw new DimensionError('timestamps', `expected ${this.size} timestamps, got ${timestamps.length}`);
      }
    }
    const wasm = this.#wasm;
    if (!wasm) {
      const L = this.#layout.length;
      for (let k = 0; k < this.size; k++) {
        const ts = typeof timestamps === 'number' ? timestamps : timestamps[k];
        out[k] = updateState(
          this.#twin!,
          this.#twin32!,
          this.#twinU32!,
          k * L,
          this.params,
          this.#layout,
          this.#constants,
          ts,
          values[k],
        );
      }
      return out;
    }
    const { memory, exports } = wasm;
    const stamps = memory.f64(wasm.timestamps, this.size);
    if (typeof timestamps === 'number') stamps.fill(timestamps);
    else stamps.set(timestamps);
    memory.f64(wasm.values, this.size).set(values);
    exports.updateMany(wasm.params, wasm.states, this.size, wasm.timestamps, wasm.values, wasm.out);
    out.set(memory.f64(wasm.out, this.size));
    return out;
  }

  /**
   * Many ticks for every series at once: `timestamps[t]` is tick t's time, `values` holds
   * `size * ticks` values series-major (series k's points at k * ticks ... (k + 1) * ticks - 1),
   * and the scores come back in the same layout. Equal to calling `update` tick by tick, but the
   * kernel walks series by series so each state stays in cache: the fast path for backfills and
   * for engines that buffer a few ticks.
   */
  updateBlock(
    timestamps: Float64Array,
    values: Float64Array,
    out: Float64Array = new Float64Array(values.length),
  ): Float64Array {
    checkArray<Float64Array>('timestamps', timestamps, Float64Array);
    checkArray<Float64Array>('values', values, Float64Array);
    checkArray<Float64Array>('out', out, Float64Array);
    const ticks = timestamps.length;
    if (values.length !== this.size * ticks) {
      throw new DimensionError(
        'values',
        `expected ${this.size} series x ${ticks} ticks = ${this.size * ticks}, got ${values.length}`,
      );
    }
    if (out.length !== values.length)
      throw new DimensionError('out', `expected length ${values.length}, got ${out.length}`);
    const wasm = this.#wasm;
    if (!wasm) {
      const L = this.#layout.length;
      for (let k = 0; k < this.size; k++) {
        for (let t = 0; t < ticks; t++) {
          const at = k * ticks + t;
          out[at] = updateState(
            this.#twin!,
            this.#twin32!,
            this.#twinU32!,
            k * L,
            this.params,
            this.#layout,
            this.#constants,
            timestamps[t],
            values[at],
          );
        }
      }
      return out;
    }
    const { memory, exports } = wasm;
    const buffers = wasm.blockBuffers();
    for (let first = 0; first < ticks; first += BLOCK_TICKS) {
      const n = Math.min(BLOCK_TICKS, ticks - first);
      memory.f64(wasm.timestamps, n).set(timestamps.subarray(first, first + n));
      const input = memory.f64(buffers.values, this.size * n);
      for (let k = 0; k < this.size; k++)
        input.set(values.subarray(k * ticks + first, k * ticks + first + n), k * n);
      exports.updateBlock(
        wasm.params,
        wasm.states,
        this.size,
        n,
        wasm.timestamps,
        buffers.values,
        buffers.out,
      );
      const output = memory.f64(buffers.out, this.size * n);
      for (let k = 0; k < this.size; k++) out.set(output.subarray(k * n, k * n + n), k * ticks + first);
    }
    return out;
  }

  /** Many consecutive points of series `index`; returns their scores (in `out` if given). */
  updateSeries(
    index: number,
    timestamps: Float64Array,
    values: Float64Array,
    out: Float64Array = new Float64Array(values.length),
  ): Float64Array {
    this.#checkIndex(index);
    checkArray<Float64Array>('timestamps', timestamps, Float64Array);
    checkArray<Float64Array>('values', values, Float64Array);
    checkArray<Float64Array>('out', out, Float64Array);
    if (timestamps.length !== values.length) {
      throw new DimensionError(
        'timestamps',
        `expected ${values.length} timestamps, got ${timestamps.length}`,
      );
    }
    if (out.length !== values.length)
      throw new DimensionError('out', `expected length ${values.length}, got ${out.length}`);
    const wasm = this.#wasm;
    if (!wasm) {
      const base = index * this.#layout.length;
      for (let i = 0; i < values.length; i++) {
        out[i] = updateState(
          this.#twin!,
          this.#twin32!,
          this.#twinU32!,
          base,
          this.params,
          this.#layout,
          this.#constants,
          timestamps[i],
          values[i],
        );
      }
      return out;
    }
    const { memory, exports } = wasm;
    for (let at = 0; at < values.length; at += SERIES_CHUNK) {
      const n = Math.min(SERIES_CHUNK, values.length - at);
      memory.f64(wasm.timestamps, n).set(timestamps.subarray(at, at + n));
      memory.f64(wasm.values, n).set(values.subarray(at, at + n));
      exports.updateSeries(wasm.params, wasm.stateOf(index), wasm.timestamps, wasm.values, n, wasm.out);
      out.set(memory.f64(wasm.out, n), at);
    }
    return out;
  }

  /** Points rejected so far by series `index`. */
  rejected(index: number): number {
    return this.#block(index)[this.#layout.rejected];
  }

  /** Points accepted so far by series `index`. */
  count(index: number): number {
    return this.#block(index)[S.count];
  }

  /** Plain-object copy of every series' state. */
  save(): BankState {
    const series: number[][] = [];
    for (let k = 0; k < this.size; k++) series.push(Array.from(this.#block(k)));
    return { version: STATE_VERSION, params: { ...this.params }, series };
  }

  /** f64 slots of one series' raw state block (see `readState`). */
  get stateLength(): number {
    return this.#layout.length;
  }

  /**
   * Copies the raw state blocks of series `first` .. `first + count - 1`, in series order, into
   * `out` (at least `count * stateLength` f64): a snapshot without the plain-object copy of
   * `save()`, for `DetectorPool`'s checkpoints. `writeState` puts it back.
   */
  readState(first: number, count: number, out: Float64Array): void {
    const L = this.#layout.length;
    this.#checkRange(first, count);
    checkArray<Float64Array>('out', out, Float64Array);
    if (out.length < count * L) throw new DimensionError('out', `expected at least ${count * L} f64`);
    out.set(this.#states().subarray(first * L, (first + count) * L));
  }

  /**
   * Overwrites the state blocks from series `first` on with `state` (whole blocks, as
   * `readState` copied them from a bank of the same parameters).
   */
  writeState(first: number, state: Float64Array): void {
    const L = this.#layout.length;
    checkArray<Float64Array>('state', state, Float64Array);
    if (state.length % L !== 0) throw new DimensionError('state', `expected whole blocks of ${L} f64`);
    this.#checkRange(first, state.length / L);
    this.#states().set(state, first * L);
  }

  /** Saved state of one series, restorable as a `SeriesDetector`. */
  saveSeries(index: number): SeriesState {
    this.#checkIndex(index);
    return { version: STATE_VERSION, params: { ...this.params }, state: Array.from(this.#block(index)) };
  }

  #block(index: number): Float64Array {
    this.#checkIndex(index);
    const L = this.#layout.length;
    return this.#states().subarray(index * L, index * L + L);
  }

  #states(): Float64Array {
    return this.#wasm ? this.#wasm.stateView() : this.#twin!;
  }

  #checkRange(first: number, count: number): void {
    if (!Number.isInteger(first) || !Number.isInteger(count) || first < 0 || count < 0)
      throw new ArgumentError('first', `expected integers >= 0, got ${first} and ${count}`);
    if (first + count > this.size)
      throw new ArgumentError(
        'first',
        `series ${first} .. ${first + count - 1} exceed the bank's ${this.size}`,
      );
  }

  #checkIndex(index: number): void {
    if (!Number.isInteger(index) || index < 0 || index >= this.size) {
      throw new ArgumentError('index', `expected an integer in [0, ${this.size - 1}], got ${String(index)}`);
    }
  }
}

function checkSaved(saved: SeriesState | BankState, name: string): DetectorParams {
  if (saved === null || typeof saved !== 'object')
    throw new ArgumentError(name, 'expected a saved detector state');
  if (saved.version !== STATE_VERSION) {
    throw new ArgumentError(`${name}.version`, `expected ${STATE_VERSION}, got ${String(saved.version)}`);
  }
  return checkParams(saved.params);
}

function checkBlock(block: unknown, layout: StateLayout, name: string): number[] {
  if (!Array.isArray(block) || block.length !== layout.length) {
    throw new DimensionError(name, `expected an array of ${layout.length} numbers`);
  }
  if (!block.every((v) => typeof v === 'number' && Number.isFinite(v))) {
    throw new ArgumentError(name, 'expected finite numbers only');
  }
  return block;
}
