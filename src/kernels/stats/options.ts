/** Validation of the options shared by the stats facades. */
import { ArgumentError } from '../../errors.ts';
import { checkFinite } from '../../validate.ts';

/** Options of the moment trackers (SeriesStats, SeriesStatsBatch). */
export interface MomentOptions {
  /** EWMA weight of the newest value, in (0, 1]. Default 0.1 (a memory of about 20 values). */
  alpha?: number;
  /** CUSUM slack k, in standard deviations, >= 0. Default 0.5 (detects ~1 sigma shifts). */
  cusumSlack?: number;
}

/** The validated `alpha` (0 < alpha <= 1). */
export function checkAlpha(alpha: unknown = 0.1): number {
  const a = checkFinite('alpha', alpha);
  if (a <= 0 || a > 1) throw new ArgumentError('alpha', `expected a number in (0, 1], got ${a}`);
  return a;
}

/** The validated `cusumSlack` (finite, >= 0). */
export function checkSlack(slack: unknown = 0.5): number {
  const k = checkFinite('cusumSlack', slack);
  if (k < 0) throw new ArgumentError('cusumSlack', `expected a number >= 0, got ${k}`);
  return k;
}
