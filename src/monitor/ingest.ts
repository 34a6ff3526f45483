/**
 * Validated telemetry ingest. Every sample is checked against the schema (known source and
 * metric, finite value inside the metric's range) and the time policy (clock.ts: its timestamp
 * after the series' last one, and not implausibly far ahead); every tick's time is checked by the
 * same policy before its batch is looked at. What fails is counted by reason and reported to the
 * caller, never thrown and never silently dropped. Accepted values land in per-series windows and
 * in `latest`, which Analyze reads each tick.
 *
 * Samples come as objects (`ingest`), columnar batches (`ingestBatch`) or IndexedRows
 * (`ingestRows`): parallel typed arrays whose series a caller already resolved (the service's
 * admission looks every sample's node and metric up anyway), so a tick of a million samples is
 * not looked up a second time, and a tick's rows can be ingested in slices (TickFeed).
 */
import { ArgumentError } from '../errors.ts';
import { Timelines, type TimeOptions, type TimeRefusal, type TimeVerdict } from './clock.ts';
import { SeriesWindows } from './ring.ts';

/** One metric of the schema; values outside [min, max] are rejected as out-of-range. */
export interface MetricSpec {
  /** The metric's name, as samples and batch columns spell it. */
  name: string;
  /** Smallest accepted value (default: no lower bound). */
  min?: number;
  /** Largest accepted value (default: no upper bound). */
  max?: number;
}

/** Why a sample was refused. */
export type RejectReason =
  | 'unknown-series'
  | 'non-finite'
  | 'out-of-range'
  | 'out-of-order'
  | 'duplicate'
  /** A timestamp beyond the time policy's horizon (see clock.ts). */
  | 'too-far-ahead'
  | 'oversized'
  | 'malformed'
  /** A sealed envelope that failed to open (see sealed.ts); `error` names the error class. */
  | 'sealed-rejected';

/** A refused sample or batch, as reported to listeners. */
export interface Rejection {
  /** Why the samples were refused. */
  reason: RejectReason;
  /** How many samples this rejection covers (a whole oversized batch counts all of them). */
  count: number;
  /** The sample's source, when one sample is refused. */
  source?: string;
  /** The sample's metric, when one sample is refused. */
  metric?: string;
  /** The refused sample's (or tick's) timestamp. */
  ts?: number;
  /** The error class behind a rejection made in front of the Monitor (sealed.ts), e.g. 'ReplayError'. */
  error?: string;
  /**
   * Set when a whole tick was refused for its time (`admitTick`): `reason` says why, `ts` is the
   * refused time and `count` its batch's samples (0 without a batch).
   */
  tick?: true;
}

/** A single sample in row form. */
export interface Sample {
  /** A source the monitor knows. */
  source: string;
  /** A metric of the schema. */
  metric: string;
  /** Its timestamp, in the ticks' unit. */
  ts: number;
  /** The measured value. */
  value: number;
}

/**
 * Columnar batch: one timestamp (in the ticks' unit), one Float64Array per metric, one value per
 * source. `sources` (indices into the monitor's sources) selects a subset; without it, column i is
 * source i. An entry of `sources` that is not such an index refuses its samples ('unknown-series').
 */
export interface ColumnarBatch {
  /** The batch's one timestamp, in the ticks' unit. */
  ts: number;
  /** One array per metric name, one value per source (or per entry of `sources`). */
  columns: Record<string, Float64Array>;
  /** Indices into the monitor's sources that the columns' entries belong to. */
  sources?: Uint32Array;
}

/**
 * Samples as parallel arrays, each resolved to its series index (`Monitor.seriesIndex`: source
 * index x metrics + metric index); entry i is (`series[i]`, `ts[i]`, `values[i]`) for i below
 * `length` (the arrays may be longer). A series of -1 stands for a sample the schema has no
 * series for, kept as sent in `samples[i]` and ingested as `Monitor.ingest` would.
 */
export interface IndexedRows {
  /** Entries held. */
  length: number;
  /** Series index per entry; -1 where `samples` holds the sample as sent. */
  series: Int32Array;
  /** Timestamp per entry, in the ticks' unit. */
  ts: Float64Array;
  /** Value per entry. */
  values: Float64Array;
  /** Where `series` is -1, the sample as sent; absent when no entry is -1. */
  samples?: ReadonlyArray<Sample | undefined>;
}

/**
 * A tick's samples handed to the loop as a function that ingests them once the tick is admitted
 * and begun, possibly over several turns of the event loop (a service answers requests between
 * slices of a large tick). `samples` is what a refused tick counts.
 */
export interface TickFeed {
  /** Samples the feed ingests. */
  samples: number;
  /** Ingests the tick's samples into `monitor`. */
  feed(monitor: Monitor): Promise<void> | void;
}

/** Options of a `Monitor`: its schema, window size, batch limit and time policy. */
export interface MonitorOptions {
  /** Telemetry sources (nodes, services), in a fixed order. */
  sources: readonly string[];
  /** The metrics every source reports, with their accepted ranges. */
  metrics: readonly MetricSpec[];
  /** Samples kept per series (default 256). */
  window?: number;
  /** Largest batch accepted, in samples (default 1,000,000). */
  maxBatchSamples?: number;
  /** The time policy of ticks and samples (horizon, rebase; see clock.ts). */
  time?: TimeOptions;
}

/** Counts of accepted and rejected samples. */
export interface MonitorStats {
  /** Samples accepted. */
  accepted: number;
  /** Samples refused, all reasons together. */
  rejected: number;
  /** Samples refused, by reason. */
  rejectedBy: Record<RejectReason, number>;
  /** Ticks refused for their time by `admitTick`; their batches' samples count in `rejectedBy` under the same reason. */
  ticksRefused: number;
  /** Ticks refused for their time, by reason. */
  ticksRefusedBy: Record<TimeRefusal, number>;
  /**
   * Jumps beyond the horizon taken as the new time after `rebaseAfter` in a row (of ticks, or of
   * a series' samples while no tick has been admitted).
   */
  rebased: number;
}

/** Validated ingest and per-series windows. Series index = sourceIndex * metrics + metricIndex. */
export class Monitor {
  /** The sources, in the order given. */
  readonly sources: readonly string[];
  /** The schema's metrics, in the order given. */
  readonly metrics: readonly MetricSpec[];
  /** The recent accepted values of every series. */
  readonly windows: SeriesWindows;
  /** Latest accepted value per series for the current tick; NaN where none arrived. */
  readonly latest: Float64Array;
  /** Running counts of accepted and refused samples and ticks. */
  readonly stats: MonitorStats = {
    accepted: 0,
    rejected: 0,
    rejectedBy: {
      'unknown-series': 0,
      'non-finite': 0,
      'out-of-range': 0,
      'out-of-order': 0,
      duplicate: 0,
      'too-far-ahead': 0,
      oversized: 0,
      malformed: 0,
      'sealed-rejected': 0,
    },
    ticksRefused: 0,
    ticksRefusedBy: { 'non-finite': 0, duplicate: 0, 'out-of-order': 0, 'too-far-ahead': 0 },
    rebased: 0,
  };
  readonly #sourceIndex = new Map<string, number>();
  readonly #metricIndex = new Map<string, number>();
  /** The time of each series, and of the ticks (one lane). */
  readonly #seriesTime: Timelines;
  readonly #tickTime: Timelines;
  readonly #maxBatch: number;
  readonly #listeners = new Set<(r: Rejection) => void>();

  /** Throws an `ArgumentError` for no sources or metrics, a duplicate name, or a bad time policy. */
  constructor(options: MonitorOptions) {
    if (!options.sources?.length) throw new ArgumentError('sources', 'at least one source is required');
    if (!options.metrics?.length) throw new ArgumentError('metrics', 'at least one metric is required');
    this.sources = [...options.sources];
    this.metrics = options.metrics.map((m) => ({ ...m }));
    this.sources.forEach((s, i) => {
      if (this.#sourceIndex.has(s)) throw new ArgumentError('sources', `duplicate source "${s}"`);
      this.#sourceIndex.set(s, i);
    });
    this.metrics.forEach((m, i) => {
      if (this.#metricIndex.has(m.name)) throw new ArgumentError('metrics', `duplicate metric "${m.name}"`);
      this.#metricIndex.set(m.name, i);
    });
    const series = this.sources.length * this.metrics.length;
    this.windows = new SeriesWindows(series, options.window ?? 256);
    this.latest = new Float64Array(series).fill(NaN);
    this.#seriesTime = new Timelines(series, options.time);
    this.#tickTime = new Timelines(1, options.time);
    this.#maxBatch = options.maxBatchSamples ?? 1_000_000;
  }

  /** Number of series (sources x metrics). */
  get seriesCount(): number {
    return this.latest.length;
  }

  /** Series index of (source, metric), or -1 when either is unknown. */
  seriesIndex(source: string, metric: string): number {
    const s = this.#sourceIndex.get(source);
    const m = this.#metricIndex.get(metric);
    return s === undefined || m === undefined ? -1 : s * this.metrics.length + m;
  }

  /** Calls `listener` for every rejection; returns a function that unsubscribes. */
  onReject(listener: (r: Rejection) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Time of the last tick admitted by `admitTick`; -Infinity before the first. */
  get now(): number {
    return this.#tickTime.last(0);
  }

  /**
   * Judges the time of the tick at `ts` (see clock.ts): returns true when the tick may run. A
   * refused tick (non-finite, not after the last one, or beyond the horizon) is counted in
   * `stats.ticksRefusedBy`, and `batch`, which must not be ingested, in `rejectedBy` under the
   * same reason; listeners get one rejection with `tick: true`. Once ticks run, a sample's
   * horizon counts from the last tick's time too.
   */
  admitTick(ts: number, batch?: ColumnarBatch | readonly Sample[] | TickFeed): boolean {
    const verdict = this.#tickTime.judge(0, ts);
    if (verdict === 'next' || verdict === 'rebase') {
      if (verdict === 'rebase') this.stats.rebased++;
      this.#tickTime.accept(0, ts);
      return true;
    }
    this.stats.ticksRefused++;
    this.stats.ticksRefusedBy[verdict]++;
    this.#reject({ reason: verdict, count: samplesIn(batch), ts, tick: true });
    return false;
  }

  /** Starts a new tick: `latest` is cleared to NaN. */
  beginTick(): void {
    this.latest.fill(NaN);
  }

  /** Ingests one sample; returns whether it was accepted. */
  ingest(sample: Sample): boolean {
    if (typeof sample !== 'object' || sample === null || typeof sample.ts !== 'number') {
      this.#reject({ reason: 'malformed', count: 1 });
      return false;
    }
    const series = this.seriesIndex(sample.source, sample.metric);
    if (series < 0) {
      this.#reject({
        reason: 'unknown-series',
        count: 1,
        source: sample.source,
        metric: sample.metric,
        ts: sample.ts,
      });
      return false;
    }
    return this.#accept(series, sample.ts, sample.value);
  }

  /** Ingests a columnar batch; returns how many samples were accepted. */
  ingestBatch(batch: ColumnarBatch): number {
    if (!isObject(batch) || !isObject(batch.columns) || !isIndexList(batch.sources)) {
      this.#reject({ reason: 'malformed', count: 1 });
      return 0;
    }
    const width = batch.sources?.length ?? this.sources.length;
    const names = Object.keys(batch.columns);
    const total = width * names.length;
    if (total > this.#maxBatch) {
      this.#reject({ reason: 'oversized', count: total, ts: batch.ts });
      return 0;
    }
    let accepted = 0;
    for (const name of names) {
      const column = batch.columns[name];
      const m = this.#metricIndex.get(name);
      if (m === undefined) {
        this.#reject({ reason: 'unknown-series', count: column?.length ?? 0, metric: name, ts: batch.ts });
        continue;
      }
      if (!(column instanceof Float64Array) || column.length !== width) {
        this.#reject({ reason: 'malformed', count: width, metric: name, ts: batch.ts });
        continue;
      }
      for (let i = 0; i < width; i++) {
        const s = batch.sources ? batch.sources[i] : i;
        // Anything but an index of a source (-1, NaN, 1.5...) would land in another series.
        if (!Number.isInteger(s) || s < 0 || s >= this.sources.length) {
          this.#reject({ reason: 'unknown-series', count: 1, metric: name, ts: batch.ts });
          continue;
        }
        if (this.#accept(s * this.metrics.length + m, batch.ts, column[i])) accepted++;
      }
    }
    return accepted;
  }

  /**
   * Ingests entries `from` (default 0) to `to` (default `rows.length`) of `rows` in order, each as
   * `ingest` would its sample; returns how many were accepted. Rows that are not IndexedRows are
   * refused as one 'malformed' sample, an entry whose series is not one of this Monitor's (and
   * has no sample in `rows.samples`) as 'unknown-series'.
   */
  ingestRows(rows: IndexedRows, from: number = 0, to: number = rows?.length): number {
    if (!isIndexedRows(rows) || !Number.isSafeInteger(from) || !Number.isSafeInteger(to)) {
      this.#reject({ reason: 'malformed', count: 1 });
      return 0;
    }
    const { series, ts, values, samples } = rows;
    const count = this.latest.length;
    const end = Math.min(to, rows.length);
    let accepted = 0;
    for (let i = Math.max(0, from); i < end; i++) {
      const s = series[i];
      if (s >= 0 && s < count) {
        if (this.#accept(s, ts[i], values[i])) accepted++;
      } else if (s === -1 && samples?.[i] !== undefined) {
        if (this.ingest(samples[i] as Sample)) accepted++;
      } else this.#reject({ reason: 'unknown-series', count: 1, ts: ts[i] });
    }
    return accepted;
  }

  /**
   * Counts a refusal made in front of the Monitor (a sealed envelope that did not open), so it
   * shows in `stats` and reaches listeners like the Monitor's own rejections.
   */
  countRejection(rejection: Rejection): void {
    if (!rejection || !Object.hasOwn(this.stats.rejectedBy, rejection.reason)) {
      throw new ArgumentError(
        'rejection.reason',
        `expected one of ${Object.keys(this.stats.rejectedBy).join(', ')}`,
      );
    }
    if (!Number.isSafeInteger(rejection.count) || rejection.count < 1)
      throw new ArgumentError('rejection.count', 'expected an integer >= 1');
    this.#reject(rejection);
  }

  #accept(series: number, ts: number, value: number): boolean {
    const metric = this.metrics[series % this.metrics.length];
    let reason: RejectReason | undefined;
    let time: TimeVerdict | undefined;
    if (typeof value !== 'number' || !Number.isFinite(value)) reason = 'non-finite';
    else {
      time = this.#seriesTime.judge(series, ts, this.#tickTime.last(0));
      if (time !== 'next' && time !== 'rebase') reason = time;
      else if (
        (metric.min !== undefined && value < metric.min) ||
        (metric.max !== undefined && value > metric.max)
      ) {
        reason = 'out-of-range';
      }
    }
    if (reason) {
      const source = this.sources[Math.floor(series / this.metrics.length)];
      this.#reject({ reason, count: 1, source, metric: metric.name, ts });
      return false;
    }
    if (time === 'rebase') this.stats.rebased++;
    this.#seriesTime.accept(series, ts);
    this.windows.push(series, ts, value);
    this.latest[series] = value;
    this.stats.accepted++;
    return true;
  }

  #reject(rejection: Rejection): void {
    this.stats.rejected += rejection.count;
    this.stats.rejectedBy[rejection.reason] += rejection.count;
    for (const listener of this.#listeners) listener(rejection);
  }
}

function isObject(x: unknown): x is object {
  return typeof x === 'object' && x !== null;
}

/** Whether `x` may be a batch's `sources`: absent, or an array or typed array (its entries are checked one by one). */
function isIndexList(x: unknown): boolean {
  return x === undefined || Array.isArray(x) || (ArrayBuffer.isView(x) && !(x instanceof DataView));
}

/** Whether `x` has IndexedRows' shape: a length within typed arrays of series, times and values. */
function isIndexedRows(x: unknown): x is IndexedRows {
  if (!isObject(x)) return false;
  const { length, series, ts, values } = x as IndexedRows;
  return (
    Number.isSafeInteger(length) &&
    length >= 0 &&
    series instanceof Int32Array &&
    ts instanceof Float64Array &&
    values instanceof Float64Array &&
    Math.min(series.length, ts.length, values.length) >= length
  );
}

/** Samples a batch (a list of samples, or a feed) carries, as far as it can be read (for counting a refused one). */
function samplesIn(batch: ColumnarBatch | readonly Sample[] | TickFeed | undefined): number {
  if (Array.isArray(batch)) return batch.length;
  if (isObject(batch) && typeof (batch as TickFeed).feed === 'function') {
    const samples = (batch as TickFeed).samples;
    return Number.isSafeInteger(samples) && samples > 0 ? samples : 0;
  }
  if (!isObject(batch) || !isObject((batch as ColumnarBatch).columns)) return 0;
  let count = 0;
  for (const column of Object.values((batch as ColumnarBatch).columns)) {
    const length = (column as { length?: unknown } | null)?.length;
    if (typeof length === 'number' && Number.isSafeInteger(length) && length > 0) count += length;
  }
  return count;
}
