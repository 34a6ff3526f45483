/**
 * Has an incident's telemetry returned to normal? Detector scores cannot say: the return to a
 * baseline is itself a change and scores high. So recovery compares raw values with a band
 * taken from before the incident: band = median +- max(k * MAD, floor * |median|). Bands are
 * captured when a series joins an incident, while its pre-incident samples are still in the
 * window.
 */
import type { SeriesWindows } from '../monitor/ring.ts';

/** The normal range of one series. */
export interface Band {
  /** The median of the baseline samples. */
  center: number;
  /** Half the band's width: max(k * MAD, floor * |median|). */
  halfWidth: number;
}

/** How wide a normal range is (see the module's comment). */
export interface BandOptions {
  /** Half-width in robust standard deviations (1.4826 MAD; default 4). */
  k?: number;
  /** Floor of the half-width as a share of the level, for flat series (default 0.1). */
  floor?: number;
  /** Fewest baseline samples needed (default 8). */
  minSamples?: number;
}

/** The band of series `s` from its samples before `before`, or undefined with too few of them. */
export function captureBand(
  windows: SeriesWindows,
  s: number,
  before: number,
  options: BandOptions = {},
): Band | undefined {
  const { ts, values } = windows.last(s);
  const baseline: number[] = [];
  for (let i = 0; i < ts.length; i++) if (ts[i] < before) baseline.push(values[i]);
  if (baseline.length < (options.minSamples ?? 8)) return undefined;
  const center = median(baseline);
  const mad = median(baseline.map((v) => Math.abs(v - center)));
  const halfWidth = Math.max(
    (options.k ?? 4) * 1.4826 * mad,
    (options.floor ?? 0.1) * Math.abs(center),
    1e-9,
  );
  return { center, halfWidth };
}

/**
 * Whether series `s` has recovered: the median of its last `recent` samples, all taken after
 * `since`, is within the band, or has come back at least `share` of the way from the largest
 * deviation seen since `onset` (remedies such as a reroute leave a new normal, not the old one).
 * False when fewer than `recent` samples arrived since `since` (a silent node).
 *
 * `harm` is the metric's harmful direction (+1 up, -1 down, 0 either): a value past the band on
 * the harmless side counts as recovered, since a fix often overshoots there (clearing a cache
 * leaves memory below its usual level, a reroute can leave a node less loss than before).
 */
export function recovered(
  windows: SeriesWindows,
  s: number,
  band: Band,
  onset: number,
  since: number,
  harm = 0,
  recent = 3,
  share = 0.7,
): boolean {
  const { ts, values } = windows.last(s);
  if (ts.length < recent || ts[ts.length - recent] <= since) return false;
  const excess = (v: number) =>
    harm === 0 ? Math.abs(v - band.center) : Math.max(0, harm * (v - band.center));
  const now = excess(median(values.slice(-recent)));
  if (now <= band.halfWidth) return true;
  let worst = 0;
  for (let i = 0; i < ts.length; i++) if (ts[i] >= onset) worst = Math.max(worst, excess(values[i]));
  return now <= (1 - share) * worst;
}

function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
