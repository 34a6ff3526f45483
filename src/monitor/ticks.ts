/**
 * Ticks out of telemetry that keeps its own time. Operators' samples come at irregular
 * intervals, from many senders, a little out of order; the loop runs on ticks. A TickAssembler
 * puts each sample in the bucket of `interval` seconds its timestamp falls in, and closes a bucket
 * once the newest time seen (or the wall clock, for a live service) is `lateness` past its end.
 * A bucket no sample fell in makes no tick: a gap in the data is a gap, not a silent mesh. A
 * sample for a bucket already closed joins the next open one with its own timestamp, so the Monitor
 * judges it by its series' time instead of the assembler dropping it.
 */
import { ArgumentError } from '../errors.ts';
import type { Sample } from './ingest.ts';

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

/** Groups timestamped samples into ticks. */
export class TickAssembler {
  /** Seconds per tick. */
  readonly interval: number;
  /** Seconds a bucket waits for late samples after its end. */
  readonly lateness: number;
  /** Open buckets by index (floor(ts / interval)). */
  readonly #open = new Map<number, Sample[]>();
  /** Index of the newest bucket closed; a sample for it or an older one joins the bucket after it. */
  #closedThrough = -Infinity;
  #newest = -Infinity;
  #held = 0;

  /** Throws an ArgumentError for an interval or lateness that is not a positive (or zero) finite number. */
  constructor(options: TickAssemblerOptions) {
    const { interval, lateness = interval } = options ?? {};
    if (typeof interval !== 'number' || !Number.isFinite(interval) || interval <= 0)
      throw new ArgumentError('interval', `expected seconds > 0, got ${String(interval)}`);
    if (typeof lateness !== 'number' || !Number.isFinite(lateness) || lateness < 0)
      throw new ArgumentError('lateness', `expected seconds >= 0, got ${String(lateness)}`);
    this.interval = interval;
    this.lateness = lateness;
  }

  /** Samples held in open buckets. */
  get pending(): number {
    return this.#held;
  }

  /**
   * Adds samples and returns the ticks their times closed, oldest first. Throws an ArgumentError,
   * before adding any, for a sample whose time is not a finite number (the format parsers refuse
   * those line by line).
   */
  add(samples: readonly Sample[]): AssembledTick[] {
    const bad = samples.findIndex((s) => typeof s?.ts !== 'number' || !Number.isFinite(s.ts));
    if (bad >= 0) throw new ArgumentError(`samples[${bad}].ts`, 'expected a finite number of seconds');
    // A batch's samples mostly share a bucket: look its list up once per run of them.
    let previous = Number.NaN;
    let list: Sample[] = [];
    let newest = this.#newest;
    for (const sample of samples) {
      const ts = sample.ts;
      let bucket = Math.floor(ts / this.interval);
      if (bucket <= this.#closedThrough) bucket = this.#closedThrough + 1;
      if (bucket !== previous) {
        previous = bucket;
        const open = this.#open.get(bucket);
        if (open) list = open;
        else this.#open.set(bucket, (list = []));
      }
      list.push(sample);
      if (ts > newest) newest = ts;
    }
    this.#held += samples.length;
    this.#newest = newest;
    return this.closeUntil(this.#newest);
  }

  /** Closes the buckets that ended `lateness` or more before `now` (the newest sample's time, or a wall clock), oldest first. */
  closeUntil(now: number): AssembledTick[] {
    const last = Math.floor((now - this.lateness) / this.interval) - 1;
    return this.#close((bucket) => bucket <= last);
  }

  /**
   * Marks the bucket `ts` falls in, and every earlier one, closed without making a tick: the
   * caller ticked that time itself (a columnar batch that is a whole tick). Later samples for those
   * buckets join the next open one, as late samples do. Throws an ArgumentError for a time that is
   * not finite, or while a bucket at or before it holds samples (close those first).
   */
  skipThrough(ts: number): void {
    if (typeof ts !== 'number' || !Number.isFinite(ts))
      throw new ArgumentError('ts', 'expected a finite number of seconds');
    const bucket = Math.floor(ts / this.interval);
    for (const open of this.#open.keys())
      if (open <= bucket)
        throw new ArgumentError('ts', `bucket at ${open * this.interval} s still holds samples`);
    if (bucket > this.#closedThrough) this.#closedThrough = bucket;
    if (ts > this.#newest) this.#newest = ts;
  }

  /** Closes every open bucket (at the end of a recording, or on shutdown), oldest first. */
  flush(): AssembledTick[] {
    return this.#close(() => true);
  }

  #close(due: (bucket: number) => boolean): AssembledTick[] {
    const ready = [...this.#open.keys()].filter(due).sort((a, b) => a - b);
    const ticks: AssembledTick[] = [];
    for (const bucket of ready) {
      const samples = this.#open.get(bucket) as Sample[];
      this.#open.delete(bucket);
      this.#held -= samples.length;
      // Stable: samples of one series at the same time keep their arrival order.
      samples.sort(byTime);
      ticks.push({ ts: bucket * this.interval, samples });
      this.#closedThrough = bucket;
    }
    return ticks;
  }
}

function byTime(a: Sample, b: Sample): number {
  return a.ts - b.ts;
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
