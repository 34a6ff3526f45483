/**
 * Imperfect telemetry between the simulated mesh and the engine, as a real collector delivers it:
 * samples dropped, late (delivered some ticks after their own, stamped with their own time),
 * duplicated, stamped by node clocks that disagree, and nodes whose agent stops reporting for a
 * while although the node itself works on. Seeded: the same seed and frames give the same
 * deliveries. The frames themselves stay exact; only what reaches the engine is degraded.
 */
import { ArgumentError } from '../errors.ts';
import type { Sample } from '../monitor/ingest.ts';
import { Rng } from '../random.ts';
import { METRIC_NAMES, type TickFrame } from './frame.ts';

/** How imperfect the telemetry is; every part defaults to none. */
export interface TelemetryOptions {
  /** Share of samples lost on the way, 0..1. */
  readonly loss?: number;
  /** Share of samples delivered 1..`maxDelay` ticks late, 0..1 (with `loss`, at most 1). */
  readonly late?: number;
  /** Longest delay of a late sample, ticks; default 5. */
  readonly maxDelay?: number;
  /** Share of delivered samples delivered twice, 0..1. */
  readonly duplicate?: number;
  /** Largest offset of a node's clock, seconds: each node's stays at a value drawn in [-skew, skew]. */
  readonly skew?: number;
  /** Reporting outages (the agent stops, the node works on) per node per hour. */
  readonly silenceRate?: number;
  /** Shortest and longest reporting outage, ticks; default 300 and 1800. */
  readonly silenceTicks?: readonly [number, number];
}

/** A node's agent that stopped reporting while the node worked on. */
export interface Silence {
  /** The node. */
  readonly node: string;
  /** First tick without its reports. */
  readonly start: number;
  /** First tick it reports again. */
  readonly end: number;
}

/** What the channel did to the samples so far. */
export interface TelemetryStats {
  /** Samples the reporting nodes produced. */
  produced: number;
  /** Lost on the way. */
  dropped: number;
  /** Delivered late. */
  late: number;
  /** Delivered twice. */
  duplicated: number;
  /** Not produced because the node's agent was silent (not counted in `produced`). */
  silenced: number;
}

/** Delivers frames as samples, degraded per `TelemetryOptions`. */
export class TelemetryChannel {
  /** Running counts (see TelemetryStats). */
  readonly stats: TelemetryStats = { produced: 0, dropped: 0, late: 0, duplicated: 0, silenced: 0 };
  readonly #rng: Rng;
  readonly #loss: number;
  readonly #late: number;
  readonly #maxDelay: number;
  readonly #duplicate: number;
  readonly #silenceGap: number;
  readonly #silenceTicks: readonly [number, number];
  readonly #skew: Float64Array;
  readonly #silentUntil: Float64Array;
  readonly #nextSilenceAt: Float64Array;
  readonly #silences: Silence[] = [];
  /** Late samples by the tick they arrive at. */
  readonly #pending = new Map<number, Sample[]>();

  /**
   * A channel for a mesh of `nodeIds`, from the first frame it delivers on; throws an
   * ArgumentError naming a bad option.
   */
  constructor(
    seed: number,
    private readonly nodeIds: readonly string[],
    options: TelemetryOptions = {},
  ) {
    const share = (name: keyof TelemetryOptions, value: unknown): number => {
      if (value === undefined) return 0;
      if (typeof value !== 'number' || !(value >= 0 && value <= 1))
        throw new ArgumentError(`telemetry.${name}`, `must be a number in [0, 1], got ${String(value)}`);
      return value;
    };
    this.#loss = share('loss', options.loss);
    this.#late = share('late', options.late);
    this.#duplicate = share('duplicate', options.duplicate);
    if (this.#loss + this.#late > 1)
      throw new ArgumentError('telemetry.late', 'loss and late together must not exceed 1');
    this.#maxDelay = options.maxDelay ?? 5;
    if (!Number.isInteger(this.#maxDelay) || this.#maxDelay < 1)
      throw new ArgumentError(
        'telemetry.maxDelay',
        `must be a positive integer, got ${String(options.maxDelay)}`,
      );
    const skew = options.skew ?? 0;
    if (typeof skew !== 'number' || !Number.isFinite(skew) || skew < 0)
      throw new ArgumentError('telemetry.skew', `must be a finite number >= 0, got ${String(skew)}`);
    const silenceRate = options.silenceRate ?? 0;
    if (typeof silenceRate !== 'number' || !Number.isFinite(silenceRate) || silenceRate < 0)
      throw new ArgumentError(
        'telemetry.silenceRate',
        `must be a finite number >= 0, got ${String(silenceRate)}`,
      );
    this.#silenceTicks = options.silenceTicks ?? [300, 1800];
    const [shortest, longest] = this.#silenceTicks;
    if (!Number.isInteger(shortest) || shortest < 1 || !Number.isInteger(longest) || longest < shortest)
      throw new ArgumentError('telemetry.silenceTicks', 'must be two integers 1 <= shortest <= longest');
    this.#rng = new Rng(seed);
    const n = nodeIds.length;
    this.#skew = Float64Array.from({ length: n }, () => (skew > 0 ? this.#rng.range(-skew, skew) : 0));
    this.#silenceGap = silenceRate > 0 ? 3600 / silenceRate : Infinity;
    this.#silentUntil = new Float64Array(n);
    this.#nextSilenceAt = Float64Array.from({ length: n }, () => this.#rng.exponential(this.#silenceGap));
  }

  /** Reporting outages so far. */
  silences(): readonly Silence[] {
    return this.#silences;
  }

  /** Whether node `i`'s agent is silent at `tick`. */
  isSilent(i: number, tick: number): boolean {
    return this.#silentUntil[i] > tick;
  }

  /**
   * The samples that reach the engine at the frame's tick: the frame's own that are neither lost
   * nor late, the late ones due now, and duplicates. Frames must come in tick order.
   */
  deliver(frame: TickFrame): Sample[] {
    const t = frame.tick;
    const rng = this.#rng;
    const out = this.#pending.get(t) ?? [];
    this.#pending.delete(t);
    const n = this.nodeIds.length;
    for (let i = 0; i < n; i++) {
      if (t >= this.#nextSilenceAt[i]) {
        const [shortest, longest] = this.#silenceTicks;
        const end = t + shortest + rng.int(longest - shortest + 1);
        this.#silentUntil[i] = end;
        this.#silences.push({ node: this.nodeIds[i], start: t, end });
        this.#nextSilenceAt[i] = end + rng.exponential(this.#silenceGap);
      }
      if (!frame.reporting[i]) continue;
      if (this.#silentUntil[i] > t) {
        this.stats.silenced += METRIC_NAMES.length;
        continue;
      }
      const ts = t + this.#skew[i];
      for (const metric of METRIC_NAMES) {
        this.stats.produced++;
        const sample: Sample = { source: this.nodeIds[i], metric, ts, value: frame.metrics[metric][i] };
        const r = rng.next();
        if (r < this.#loss) {
          this.stats.dropped++;
          continue;
        }
        if (r < this.#loss + this.#late) {
          this.stats.late++;
          const at = t + 1 + rng.int(this.#maxDelay);
          const queue = this.#pending.get(at);
          if (queue) queue.push(sample);
          else this.#pending.set(at, [sample]);
          continue;
        }
        out.push(sample);
        if (this.#duplicate > 0 && rng.chance(this.#duplicate)) {
          this.stats.duplicated++;
          out.push({ ...sample });
        }
      }
    }
    return out;
  }
}
