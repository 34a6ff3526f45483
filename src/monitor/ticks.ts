/**
 * Ticks out of telemetry that keeps its own time. Operators' samples come at irregular
 * intervals, from many senders, a little out of order; the loop runs on ticks. A TickAssembler
 * puts each sample in the bucket of `interval` seconds its timestamp falls in, and closes a bucket
 * once the newest time seen (or the wall clock, for a live service) is `lateness` past its end.
 * A bucket no sample fell in makes no tick: a gap in the data is a gap, not a silent mesh. A
 * sample for a bucket already closed joins the next open one with its own timestamp, so the Monitor
 * judges it by its series' time instead of the assembler dropping it.
 *
 * An IndexedTickAssembler does the same for IndexedRows (parallel typed arrays, each sample's
 * series already resolved): a service's ticks of a million samples are then typed arrays, neither
 * objects kept alive for a tick's length nor sorted one comparison call at a time.
 */
import { ArgumentError } from '../errors.ts';
import type { IndexedRows, Sample } from './ingest.ts';

/** Options of a TickAssembler. */
export interface TickAssemblerOptions {
  /** Seconds per tick: the data's reporting interval (a Prometheus scrape interval, 300 for 5-minute data). */
  interval: number;
  /** Seconds a bucket stays open after its end for late samples (default one interval). */
  lateness?: number;
}

/** One tick's worth of samples, in time order. */
export interface AssembledTick {
  /** The tick's time: the start of its bucket. */
  ts: number;
  /** Its samples, each with its own timestamp. */
  samples: Sample[];
}

/** One tick's worth of IndexedRows, in time order. */
export interface AssembledRows {
  /** The tick's time: the start of its bucket. */
  ts: number;
  /** Its samples, each with its own timestamp. */
  rows: IndexedRows;
}

/**
 * The buckets both assemblers keep: which bucket a time lands in, which are open, which are due.
 * Bucket index = floor(ts / interval); a time in a closed bucket lands in the first open one.
 */
class Buckets<B extends { length: number }> {
  readonly interval: number;
  readonly lateness: number;
  readonly #open = new Map<number, B>();
  /** Index of the newest bucket closed; a sample for it or an older one joins the bucket after it. */
  #closedThrough = -Infinity;
  /** Newest time added (or skipped through). */
  newest = -Infinity;
  /** Samples held in open buckets. */
  held = 0;

  constructor(
    options: TickAssemblerOptions,
    readonly make: () => B,
  ) {
    const { interval, lateness = interval } = options ?? {};
    if (typeof interval !== 'number' || !Number.isFinite(interval) || interval <= 0)
      throw new ArgumentError('interval', `expected seconds > 0, got ${String(interval)}`);
    if (typeof lateness !== 'number' || !Number.isFinite(lateness) || lateness < 0)
      throw new ArgumentError('lateness', `expected seconds >= 0, got ${String(lateness)}`);
    this.interval = interval;
    this.lateness = lateness;
  }

  /** The bucket a sample at `ts` joins. */
  landing(ts: number): number {
    const bucket = Math.floor(ts / this.interval);
    return bucket <= this.#closedThrough ? this.#closedThrough + 1 : bucket;
  }

  /** Open bucket `bucket`, opened if it was not. */
  open(bucket: number): B {
    let open = this.#open.get(bucket);
    if (!open) this.#open.set(bucket, (open = this.make()));
    return open;
  }

  /** The buckets that ended `lateness` or more before `now`, oldest first. */
  dueAt(now: number): number[] {
    const last = Math.floor((now - this.lateness) / this.interval) - 1;
    return this.#keys().filter((bucket) => bucket <= last);
  }

  /** Every open bucket, oldest first. */
  all(): number[] {
    return this.#keys();
  }

  /** Closes `bucket` (an open one) and returns what it held. */
  take(bucket: number): B {
    const held = this.#open.get(bucket) as B;
    this.#open.delete(bucket);
    this.held -= held.length;
    this.#closedThrough = bucket;
    return held;
  }

  /** See TickAssembler.skipThrough. */
  skipThrough(ts: number): void {
    if (typeof ts !== 'number' || !Number.isFinite(ts))
      throw new ArgumentError('ts', 'expected a finite number of seconds');
    const bucket = Math.floor(ts / this.interval);
    for (const open of this.#open.keys())
      if (open <= bucket)
        throw new ArgumentError('ts', `bucket at ${open * this.interval} s still holds samples`);
    if (bucket > this.#closedThrough) this.#closedThrough = bucket;
    if (ts > this.newest) this.newest = ts;
  }

  #keys(): number[] {
    return [...this.#open.keys()].sort((a, b) => a - b);
  }
}

/** Groups timestamped samples into ticks. */
export class TickAssembler {
  readonly #buckets: Buckets<Sample[]>;

  /** Throws an ArgumentError for an interval or lateness that is not a positive (or zero) finite number. */
  constructor(options: TickAssemblerOptions) {
    this.#buckets = new Buckets<Sample[]>(options, () => []);
  }

  /** Seconds per tick. */
  get interval(): number {
    return this.#buckets.interval;
  }

  /** Seconds a bucket waits for late samples after its end. */
  get lateness(): number {
    return this.#buckets.lateness;
  }

  /** Samples held in open buckets. */
  get pending(): number {
    return this.#buckets.held;
  }

  /**
   * Adds samples and returns the ticks their times closed, oldest first. Throws an ArgumentError,
   * before adding any, for a sample whose time is not a finite number (the format parsers refuse
   * those line by line).
   */
  add(samples: readonly Sample[]): AssembledTick[] {
    const bad = samples.findIndex((s) => typeof s?.ts !== 'number' || !Number.isFinite(s.ts));
    if (bad >= 0) throw new ArgumentError(`samples[${bad}].ts`, 'expected a finite number of seconds');
    const buckets = this.#buckets;
    // A batch's samples mostly share a bucket: look its list up once per run of them.
    let previous = Number.NaN;
    let list: Sample[] = [];
    let newest = buckets.newest;
    for (const sample of samples) {
      const ts = sample.ts;
      const bucket = buckets.landing(ts);
      if (bucket !== previous) {
        previous = bucket;
        list = buckets.open(bucket);
      }
      list.push(sample);
      if (ts > newest) newest = ts;
    }
    buckets.held += samples.length;
    buckets.newest = newest;
    return this.closeUntil(newest);
  }

  /** Closes the buckets that ended `lateness` or more before `now` (the newest sample's time, or a wall clock), oldest first. */
  closeUntil(now: number): AssembledTick[] {
    return this.#close(this.#buckets.dueAt(now));
  }

  /**
   * Marks the bucket `ts` falls in, and every earlier one, closed without making a tick: the
   * caller ticked that time itself (a columnar batch that is a whole tick). Later samples for those
   * buckets join the next open one, as late samples do. Throws an ArgumentError for a time that is
   * not finite, or while a bucket at or before it holds samples (close those first).
   */
  skipThrough(ts: number): void {
    this.#buckets.skipThrough(ts);
  }

  /** Closes every open bucket (at the end of a recording, or on shutdown), oldest first. */
  flush(): AssembledTick[] {
    return this.#close(this.#buckets.all());
  }

  #close(due: number[]): AssembledTick[] {
    return due.map((bucket) => {
      const samples = this.#buckets.take(bucket);
      // Stable: samples of one series at the same time keep their arrival order.
      samples.sort(byTime);
      return { ts: bucket * this.interval, samples };
    });
  }
}

function byTime(a: Sample, b: Sample): number {
  return a.ts - b.ts;
}

/** An open bucket's IndexedRows, in arrival order, in arrays that grow as rows arrive. */
class RowBuffer implements IndexedRows {
  length = 0;
  series: Int32Array;
  ts: Float64Array;
  values: Float64Array;
  samples: Array<Sample | undefined> | undefined;

  constructor(capacity: number) {
    this.series = new Int32Array(capacity);
    this.ts = new Float64Array(capacity);
    this.values = new Float64Array(capacity);
  }

  /** Empties it for reuse, keeping its arrays. */
  clear(): this {
    this.length = 0;
    this.samples = undefined;
    return this;
  }

  /** Appends entries `from` to `to` of `rows`. */
  append(rows: IndexedRows, from: number, to: number): void {
    const at = this.length;
    const end = at + to - from;
    if (end > this.series.length) this.#grow(Math.max(end, 2 * this.series.length));
    this.series.set(rows.series.subarray(from, to), at);
    this.ts.set(rows.ts.subarray(from, to), at);
    this.values.set(rows.values.subarray(from, to), at);
    const samples = rows.samples;
    if (samples)
      for (let i = from; i < to; i++) {
        const sample = samples[i];
        if (sample !== undefined) (this.samples ??= [])[at + i - from] = sample;
      }
    this.length = end;
  }

  #grow(capacity: number): void {
    const series = new Int32Array(capacity);
    const ts = new Float64Array(capacity);
    const values = new Float64Array(capacity);
    series.set(this.series.subarray(0, this.length));
    ts.set(this.ts.subarray(0, this.length));
    values.set(this.values.subarray(0, this.length));
    this.series = series;
    this.ts = ts;
    this.values = values;
  }
}

/** Rows a bucket starts with room for before it grows (it then sizes to the largest bucket so far). */
const FIRST_BUCKET_ROWS = 4096;

/** Groups IndexedRows into ticks, as a TickAssembler groups samples. */
export class IndexedTickAssembler {
  readonly #buckets: Buckets<RowBuffer>;
  /** The largest bucket closed so far: new buckets start with room for as many rows. */
  #largest = FIRST_BUCKET_ROWS;
  /**
   * A buffer no tick holds (a closed bucket's, once sorted into another), for the next bucket or
   * sort: a service ticking every second would otherwise allocate tens of megabytes a second.
   */
  #spare: RowBuffer | undefined;

  /** Throws an ArgumentError for an interval or lateness that is not a positive (or zero) finite number. */
  constructor(options: TickAssemblerOptions) {
    this.#buckets = new Buckets<RowBuffer>(options, () => this.#buffer(0));
  }

  /** The spare buffer if it holds `rows` rows, else a new one (with room for the largest bucket so far). */
  #buffer(rows: number): RowBuffer {
    const spare = this.#spare;
    if (spare && spare.series.length >= rows) {
      this.#spare = undefined;
      return spare.clear();
    }
    return new RowBuffer(Math.max(rows, this.#largest));
  }

  /** Seconds per tick. */
  get interval(): number {
    return this.#buckets.interval;
  }

  /** Seconds a bucket waits for late samples after its end. */
  get lateness(): number {
    return this.#buckets.lateness;
  }

  /** Rows held in open buckets. */
  get pending(): number {
    return this.#buckets.held;
  }

  /**
   * Adds the rows and returns the ticks their times closed, oldest first (see TickAssembler.add).
   * Throws an ArgumentError, before adding any, for a time that is not a finite number.
   */
  add(rows: IndexedRows): AssembledRows[] {
    const { length, ts } = rows;
    for (let i = 0; i < length; i++)
      if (!Number.isFinite(ts[i]))
        throw new ArgumentError(`rows.ts[${i}]`, 'expected a finite number of seconds');
    const buckets = this.#buckets;
    let newest = buckets.newest;
    // Rows mostly come in runs of one time, and runs mostly share a bucket: a bucket is looked up
    // once per run of rows landing in it, and the run copied at once.
    let start = 0;
    let bucket = Number.NaN;
    for (let i = 0; i < length; i++) {
      const t = ts[i];
      if (i > 0 && t === ts[i - 1]) continue;
      if (t > newest) newest = t;
      const landing = buckets.landing(t);
      if (landing === bucket) continue;
      if (i > start) buckets.open(bucket).append(rows, start, i);
      start = i;
      bucket = landing;
    }
    if (length > start) buckets.open(bucket).append(rows, start, length);
    buckets.held += length;
    buckets.newest = newest;
    return this.closeUntil(newest);
  }

  /** Closes the buckets that ended `lateness` or more before `now`, oldest first. */
  closeUntil(now: number): AssembledRows[] {
    return this.#close(this.#buckets.dueAt(now));
  }

  /** See TickAssembler.skipThrough. */
  skipThrough(ts: number): void {
    this.#buckets.skipThrough(ts);
  }

  /** Closes every open bucket, oldest first. */
  flush(): AssembledRows[] {
    return this.#close(this.#buckets.all());
  }

  #close(due: number[]): AssembledRows[] {
    return due.map((bucket) => {
      const held = this.#buckets.take(bucket);
      if (held.length > this.#largest) this.#largest = held.length;
      if (inTimeOrder(held)) return { ts: bucket * this.interval, rows: held };
      const sorted = byTimeStable(held, this.#buffer(held.length));
      this.#spare = held;
      return { ts: bucket * this.interval, rows: sorted };
    });
  }
}

/** Whether `rows` are in time order. */
function inTimeOrder(rows: IndexedRows): boolean {
  const { length, ts } = rows;
  for (let i = 1; i < length; i++) if (ts[i] < ts[i - 1]) return false;
  return true;
}

/**
 * `rows` written to `sorted` in time order, entries at the same time in arrival order (what a
 * stable sort by time gives), by a counting sort over runs of equal times: a time per run looked
 * up, not a comparison per pair of entries.
 */
function byTimeStable(rows: RowBuffer, sorted: RowBuffer): RowBuffer {
  const { length, ts } = rows;
  const counts = new Map<number, number>();
  forEachRun(ts, length, (t, from, to) => counts.set(t, (counts.get(t) ?? 0) + to - from));
  const offsets = new Map<number, number>();
  let offset = 0;
  for (const t of Float64Array.from(counts.keys()).sort()) {
    offsets.set(t, offset);
    offset += counts.get(t) as number;
  }
  forEachRun(ts, length, (t, from, to) => {
    const at = offsets.get(t) as number;
    offsets.set(t, at + to - from);
    sorted.series.set(rows.series.subarray(from, to), at);
    sorted.ts.set(rows.ts.subarray(from, to), at);
    sorted.values.set(rows.values.subarray(from, to), at);
    const samples = rows.samples;
    if (samples)
      for (let i = from; i < to; i++) {
        const sample = samples[i];
        if (sample !== undefined) (sorted.samples ??= [])[at + i - from] = sample;
      }
  });
  sorted.length = length;
  return sorted;
}

/** Calls `run` for each run of equal times in `ts[0..length)`, in order. */
function forEachRun(
  ts: Float64Array,
  length: number,
  run: (t: number, from: number, to: number) => void,
): void {
  let from = 0;
  while (from < length) {
    const t = ts[from];
    let to = from + 1;
    while (to < length && ts[to] === t) to++;
    run(t, from, to);
    from = to;
  }
}

/**
 * Times for the loop, which counts in ticks: its confirmation, patience, quiet and gap counts
 * compare differences of tick times, so telemetry reported every `interval` seconds reaches it in
 * tick time (seconds / interval), and what the loop records comes back to seconds through
 * {@link TickClock.seconds}. With an interval of 1 the two are the same.
 */
export class TickClock {
  /** Seconds per tick. */
  readonly interval: number;

  /** Throws an ArgumentError for an interval that is not a positive finite number. */
  constructor(interval: number) {
    if (typeof interval !== 'number' || !Number.isFinite(interval) || interval <= 0)
      throw new ArgumentError('interval', `expected seconds > 0, got ${String(interval)}`);
    this.interval = interval;
  }

  /** Seconds as tick time. */
  ticks(seconds: number): number {
    return seconds / this.interval;
  }

  /** Tick time as seconds. */
  seconds(ticks: number): number {
    return ticks * this.interval;
  }

  /** Rows with their times in tick time (a copy of the times; the rows are left as they are). */
  rows(rows: IndexedRows): IndexedRows {
    if (this.interval === 1) return rows;
    const ts = new Float64Array(rows.length);
    for (let i = 0; i < rows.length; i++) ts[i] = rows.ts[i] / this.interval;
    return { ...rows, ts };
  }

  /** Samples with their times in tick time (copies; the originals are left as they are). */
  samples(samples: readonly Sample[]): readonly Sample[] {
    if (this.interval === 1) return samples;
    return samples.map((s) => ({
      source: s.source,
      metric: s.metric,
      ts: s.ts / this.interval,
      value: s.value,
    }));
  }
}
