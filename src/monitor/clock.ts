/**
 * The time policy of telemetry: a timestamp must be finite, later than the last one accepted, and
 * no further ahead of it than a horizon. Any step up to the horizon is plausible, so data at
 * irregular intervals, 5-minute data and real outages of hours or days all pass; one corrupt or
 * mis-scaled timestamp (1e12, milliseconds among seconds) does not, and so cannot drag the time
 * forward and leave every later, honest timestamp refused as out of order. A jump beyond the
 * horizon that lasts (a clock that was set, an outage longer than the horizon) is taken as the new
 * time once `rebaseAfter` timestamps in a row agree with it, so nothing is refused for good.
 */
import { ArgumentError } from '../errors.ts';

/** Why a timestamp was refused: not finite, equal to the last one, before it, or too far after it. */
export type TimeRefusal = 'non-finite' | 'duplicate' | 'out-of-order' | 'too-far-ahead';

/**
 * What {@link Timelines.judge} concluded: a refusal, `next` (a plausible next time) or `rebase` (a
 * jump beyond the horizon confirmed by `rebaseAfter` timestamps in a row).
 */
export type TimeVerdict = TimeRefusal | 'next' | 'rebase';

/** Options of the time policy. */
export interface TimeOptions {
  /**
   * Largest step forward from the last accepted time, in the timestamps' own unit (default
   * {@link DEFAULT_HORIZON}: 30 days in seconds, the loop's unit; Infinity disables the check).
   */
  horizon?: number;
  /**
   * Timestamps in a row beyond the horizon, each after the one before and within the horizon of
   * it, of which the last is accepted as the new time (default {@link DEFAULT_REBASE_AFTER}). A
   * good timestamp in between starts the count again, so a lone bad one is never taken.
   */
  rebaseAfter?: number;
}

/** Default horizon: 30 days of seconds. */
export const DEFAULT_HORIZON = 30 * 86_400;
/** Default run of consistent timestamps beyond the horizon that makes a jump the new time. */
export const DEFAULT_REBASE_AFTER = 10;

/**
 * Independent timelines under the time policy, one per lane (the loop's ticks: one lane; the
 * Monitor's series: one each), in flat typed arrays. `judge` a timestamp, and `accept` it once
 * whatever else it must pass has passed too.
 */
export class Timelines {
  /** How far ahead of a lane's last time a timestamp may be (`TimeOptions.horizon`). */
  readonly horizon: number;
  /** Timestamps in a row beyond the horizon that make a jump the lane's new time. */
  readonly rebaseAfter: number;
  /** Last accepted time per lane; -Infinity before the first. */
  readonly #last: Float64Array;
  /** Per lane, the latest of the current run of timestamps beyond the horizon, and its length. */
  readonly #aheadAt: Float64Array;
  readonly #aheadRun: Uint32Array;

  /**
   * Timelines with nothing accepted yet; throws an `ArgumentError` for a bad horizon or rebase run.
   * @param lanes how many independent timelines
   * @param options the horizon and the rebase run
   */
  constructor(lanes: number, options: TimeOptions = {}) {
    const { horizon = DEFAULT_HORIZON, rebaseAfter = DEFAULT_REBASE_AFTER } = options;
    if (typeof horizon !== 'number' || !(horizon > 0))
      throw new ArgumentError('time.horizon', `expected a number > 0, got ${String(horizon)}`);
    if (!Number.isInteger(rebaseAfter) || rebaseAfter < 1)
      throw new ArgumentError('time.rebaseAfter', `expected an integer >= 1, got ${String(rebaseAfter)}`);
    this.horizon = horizon;
    this.rebaseAfter = rebaseAfter;
    this.#last = new Float64Array(lanes).fill(-Infinity);
    this.#aheadAt = new Float64Array(lanes).fill(-Infinity);
    this.#aheadRun = new Uint32Array(lanes);
  }

  /** Last accepted time of `lane`; -Infinity before the first. */
  last(lane: number): number {
    return this.#last[lane];
  }

  /**
   * Judges `ts` as the next time of `lane`. The horizon counts from the later of the lane's last
   * time and `clock`, the time of a clock that governs the lane (the loop's tick for a series);
   * under such a clock a lane never rebases on its own, it follows the clock. The first time of
   * a lane with no clock may be anything finite.
   */
  judge(lane: number, ts: number, clock = -Infinity): TimeVerdict {
    if (typeof ts !== 'number' || !Number.isFinite(ts)) return 'non-finite';
    const last = this.#last[lane];
    if (ts === last) return 'duplicate';
    if (ts < last) return 'out-of-order';
    const from = last > clock ? last : clock;
    if (from === -Infinity || ts - from <= this.horizon) return 'next';
    if (clock !== -Infinity) return 'too-far-ahead';
    const previous = this.#aheadAt[lane];
    const run = ts > previous && ts - previous <= this.horizon ? this.#aheadRun[lane] + 1 : 1;
    this.#aheadAt[lane] = ts;
    this.#aheadRun[lane] = run;
    return run >= this.rebaseAfter ? 'rebase' : 'too-far-ahead';
  }

  /** Makes `ts` the last time of `lane` (after a `next` or `rebase` verdict). */
  accept(lane: number, ts: number): void {
    this.#last[lane] = ts;
    this.#aheadAt[lane] = -Infinity;
    this.#aheadRun[lane] = 0;
  }
}
