/**
 * Input drift of one feature between a reference sample (what the model learnt from) and the
 * current one, by three measures: PSI and the Kolmogorov-Smirnov distance from the stats kernel
 * (src/kernels/stats), and the Wasserstein-1 distance, computed here. Each measure has its own
 * conventional thresholds (see {@link DRIFT_THRESHOLDS}); the worst verdict is the feature's.
 */
import { ArgumentError } from '../errors.ts';
import { histogram, ksDistance, psi } from '../kernels/stats/drift.ts';
import type { BackendOptions } from '../kernels/loader.ts';
import { checkArray } from '../validate.ts';

/** A verdict on one figure. */
export type FigureStatus = 'healthy' | 'degraded' | 'failing';

/**
 * Drift thresholds and where they come from:
 * - PSI over 10 equal bins of the reference's range: < 0.1 stable, 0.1-0.25 moderate, >= 0.25
 *   major (the credit-scoring convention, Siddiqi, "Credit Risk Scorecards", 2006; Yurdakul,
 *   "Statistical properties of the population stability index", 2018).
 * - KS distance against the two-sample critical value c(a) sqrt((n + m) / (n m)) (Smirnov's
 *   asymptotic distribution), c = 1.628 at a = 0.01: beyond it the shift is real (degraded).
 *   KS alone never fails a feature: it measures significance, and with a few hundred values
 *   any real shift, however small, is significant; how large it is, PSI and Wasserstein say.
 * - Wasserstein-1 in units of the reference's standard deviation: a location shift of d
 *   standard deviations gives d, Cohen's effect size (Cohen, "Statistical Power Analysis",
 *   1988): >= 0.2 small (degraded), >= 0.5 medium (failing); for two equal-variance normals
 *   PSI is close to d^2, so 0.5 sits where PSI reads 0.25.
 */
export const DRIFT_THRESHOLDS = {
  psi: { degraded: 0.1, failing: 0.25 },
  ksCoefficient: { degraded: 1.628 },
  wasserstein: { degraded: 0.2, failing: 0.5 },
} as const;

/** Bins of the PSI histograms (deciles of the range, as the convention uses). */
export const PSI_BINS = 10;

/** One feature's drift. */
export interface FeatureDrift {
  /** Sample sizes: reference and current. */
  n: number;
  /** Size of the current sample. */
  m: number;
  /** Population stability index over `PSI_BINS` bins of the reference's range. */
  psi: number;
  /** Kolmogorov-Smirnov distance between the two samples. */
  ks: number;
  /** The KS critical value at this (n, m) past which the feature is degraded. */
  ksCritical: number;
  /** Wasserstein-1 divided by the reference's standard deviation (by 1 when that is 0). */
  wasserstein: number;
  /** The worst verdict of the three measures. */
  status: FigureStatus;
  /** The measures past a threshold, e.g. "psi 0.31 >= 0.25". */
  reasons: string[];
}

/**
 * Wasserstein-1 (earth mover's) distance between the empirical distributions of `a` and `b`:
 * the area between their CDFs, in the samples' unit. Exact, O((n + m) log(n + m)). Samples must
 * be non-empty and finite (ArgumentError naming the first bad value otherwise).
 */
export function wasserstein1(a: Float64Array, b: Float64Array): number {
  const sa = sortedFinite('a', a);
  const sb = sortedFinite('b', b);
  let i = 0;
  let j = 0;
  let area = 0;
  let x = Math.min(sa[0], sb[0]);
  // Walk the merged sorted values; between consecutive ones both CDFs are constant.
  while (i < sa.length || j < sb.length) {
    const next = j >= sb.length || (i < sa.length && sa[i] <= sb[j]) ? sa[i] : sb[j];
    area += Math.abs(i / sa.length - j / sb.length) * (next - x);
    x = next;
    while (i < sa.length && sa[i] === x) i++;
    while (j < sb.length && sb[j] === x) j++;
  }
  return area;
}

/**
 * Drift of `current` against `reference` by PSI, KS and Wasserstein-1, judged by
 * {@link DRIFT_THRESHOLDS}. With the wasm backend (`auto` where SIMD exists), the stats kernel's
 * `init()` must have resolved first; `backend: 'ts'` needs none.
 */
export function featureDrift(
  reference: Float64Array,
  current: Float64Array,
  options: BackendOptions = {},
): FeatureDrift {
  const ref = sortedFinite('reference', reference);
  sortedFinite('current', current);
  let lo = ref[0];
  let hi = ref[ref.length - 1];
  if (hi === lo) {
    lo -= 0.5;
    hi += 0.5;
  }
  const spec = { bins: PSI_BINS, min: lo, max: hi };
  const psiValue = psi(histogram(reference, spec, options).counts, histogram(current, spec, options).counts);
  const ks = ksDistance(reference, current, options);
  const [n, m] = [reference.length, current.length];
  const ksCritical = DRIFT_THRESHOLDS.ksCoefficient.degraded * Math.sqrt((n + m) / (n * m));
  const sd = standardDeviation(reference);
  const w = wasserstein1(reference, current) / (sd > 0 ? sd : 1);
  const verdicts: [string, number, { degraded: number; failing: number }][] = [
    ['psi', psiValue, DRIFT_THRESHOLDS.psi],
    ['ks', ks, { degraded: ksCritical, failing: Number.POSITIVE_INFINITY }],
    ['wasserstein', w, DRIFT_THRESHOLDS.wasserstein],
  ];
  let status: FigureStatus = 'healthy';
  const reasons: string[] = [];
  for (const [measure, value, limits] of verdicts) {
    const verdict = value >= limits.failing ? 'failing' : value >= limits.degraded ? 'degraded' : 'healthy';
    if (verdict === 'healthy') continue;
    reasons.push(`${measure} ${value.toPrecision(3)} >= ${limits[verdict].toPrecision(3)}`);
    status = worse(status, verdict);
  }
  return { n, m, psi: psiValue, ks, ksCritical, wasserstein: w, status, reasons };
}

/** The worse of two verdicts. */
export function worse<S extends FigureStatus>(a: S, b: S): S {
  const rank = { healthy: 0, degraded: 1, failing: 2 };
  return rank[b] > rank[a] ? b : a;
}

function sortedFinite(name: string, sample: Float64Array): Float64Array {
  checkArray<Float64Array>(name, sample, Float64Array);
  if (sample.length === 0) throw new ArgumentError(name, 'sample is empty');
  for (let i = 0; i < sample.length; i++)
    if (!Number.isFinite(sample[i]))
      throw new ArgumentError(name, `expected finite values, got ${sample[i]} at index ${i}`);
  return Float64Array.from(sample).sort();
}

function standardDeviation(values: Float64Array): number {
  let mean = 0;
  for (let i = 0; i < values.length; i++) mean += (values[i] - mean) / (i + 1);
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += (values[i] - mean) ** 2;
  return values.length > 1 ? Math.sqrt(sum / (values.length - 1)) : 0;
}
