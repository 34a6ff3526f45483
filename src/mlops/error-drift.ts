/**
 * The Page-Hinkley test (Page, "Continuous inspection schemes", Biometrika 1954; Hinkley, 1971;
 * as surveyed in Gama et al., "A survey on concept drift adaptation", 2014) on a model's error
 * stream: it accumulates how far each error lies above the running mean, less a tolerance
 * `delta`, and signals when that sum has risen more than `threshold` above its minimum, i.e. the
 * errors' mean has gone up and stayed up. Only increases count: a model getting better is no
 * alarm. After a detection the test starts over on the errors that follow. Defaults are river's
 * (`river.drift.PageHinkley`): delta 0.005, threshold 50, 30 errors before any detection, and a
 * forgetting factor 0.9999 on the sum.
 */
import { ArgumentError } from '../errors.ts';

/** Options of {@link PageHinkley}. */
export interface PageHinkleyOptions {
  /** Tolerated rise of the mean (in the errors' unit). Default 0.005. */
  delta?: number;
  /** Rise of the cumulative sum over its minimum that signals a change. Default 50. */
  threshold?: number;
  /** Errors seen before a change can be signalled. Default 30. */
  minInstances?: number;
  /** Forgetting factor on the cumulative sum, in (0, 1]. Default 0.9999. */
  alpha?: number;
}

/** A Page-Hinkley detector of a rise in an error stream; see the module comment. */
export class PageHinkley {
  /** Tolerated rise of the mean (`PageHinkleyOptions.delta`). */
  readonly delta: number;
  /** Rise of the sum over its minimum that signals (`PageHinkleyOptions.threshold`). */
  readonly threshold: number;
  /** Errors seen before a change can be signalled. */
  readonly minInstances: number;
  /** Forgetting factor on the cumulative sum. */
  readonly alpha: number;
  /** Changes signalled so far. */
  detections = 0;
  /** Errors seen since the last start (or detection). */
  #n = 0;
  #mean = 0;
  #sum = 0;
  #min = 0;

  /** A test with no errors seen; throws an `ArgumentError` naming an option out of range. */
  constructor(options: PageHinkleyOptions = {}) {
    this.delta = positive('delta', options.delta ?? 0.005, true);
    this.threshold = positive('threshold', options.threshold ?? 50, false);
    const minInstances = options.minInstances ?? 30;
    if (!Number.isInteger(minInstances) || minInstances < 1)
      throw new ArgumentError('minInstances', `expected an integer >= 1, got ${minInstances}`);
    this.minInstances = minInstances;
    const alpha = options.alpha ?? 0.9999;
    if (!(alpha > 0 && alpha <= 1))
      throw new ArgumentError('alpha', `expected a number in (0, 1], got ${alpha}`);
    this.alpha = alpha;
  }

  /** The test statistic: the cumulative sum's rise over its minimum. */
  get statistic(): number {
    return this.#sum - this.#min;
  }

  /** Adds one error; true when it completes a detection (the test then starts over). */
  update(error: number): boolean {
    if (!Number.isFinite(error)) throw new ArgumentError('error', `expected a finite number, got ${error}`);
    this.#n++;
    this.#mean += (error - this.#mean) / this.#n;
    this.#sum = this.alpha * this.#sum + (error - this.#mean - this.delta);
    this.#min = Math.min(this.#min, this.#sum);
    if (this.#n < this.minInstances || this.statistic <= this.threshold) return false;
    this.detections++;
    this.#n = 0;
    this.#mean = 0;
    this.#sum = 0;
    this.#min = 0;
    return true;
  }
}

function positive(name: string, value: number, zeroAllowed: boolean): number {
  if (!Number.isFinite(value) || value < 0 || (!zeroAllowed && value === 0))
    throw new ArgumentError(name, `expected a finite number ${zeroAllowed ? '>= 0' : '> 0'}, got ${value}`);
  return value;
}
