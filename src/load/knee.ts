/**
 * Reading a stepped load curve: the highest rate that held every threshold, the first that
 * broke one, and the knee of the latency curve (Kneedle: on the curve normalised to the unit
 * square, the point farthest below the chord from first to last point, i.e. where latency
 * stops being flat and starts climbing). Noise is not a knee: a candidate needs a later point
 * with at least KNEE_RISE times its latency.
 */

/** One step of a ramp: its target rate, corrected p99 (ms) and whether it held the thresholds. */
export interface StepPoint {
  /** The step's target arrival rate (calls/s). */
  rate: number;
  /** The step's coordinated-omission-corrected p99 latency (ms). */
  p99: number;
  /** Whether the step held every threshold. */
  passed: boolean;
}

/** What a stepped run says about the system's limit. */
export interface StressAnalysis {
  /** Target rate of the last step of the passing prefix; null if the first step broke. */
  highestStableRate: number | null;
  /** Target rate of the first step that broke a threshold; null if none broke. */
  breakingRate: number | null;
  /** The knee of the p99-versus-rate curve; null with fewer than 3 steps or no bend. */
  knee: { rate: number; p99: number } | null;
}

/** How much latency must climb after a point for it to count as the knee. */
export const KNEE_RISE = 2;

/** The Kneedle knee of an increasing, convex curve; null if the curve does not bend up. */
export function findKnee(points: readonly { x: number; y: number }[]): { x: number; y: number } | null {
  if (points.length < 3) return null;
  const xs = points.map((p) => p.x);
  const ys = points.map((p) => p.y);
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  const [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  if (x1 === x0 || y1 === y0) return null;
  let best: { x: number; y: number } | null = null;
  let bestGap = 1e-9;
  points.forEach((p, i) => {
    if (!points.slice(i + 1).some((later) => later.y >= KNEE_RISE * p.y)) return;
    const gap = (p.x - x0) / (x1 - x0) - (p.y - y0) / (y1 - y0);
    if (gap > bestGap) {
      bestGap = gap;
      best = p;
    }
  });
  return best;
}

/** Summarises the steps of a ramp, in the order they ran. */
export function analyzeSteps(steps: readonly StepPoint[]): StressAnalysis {
  const firstBroken = steps.findIndex((s) => !s.passed);
  const stable = firstBroken === -1 ? steps : steps.slice(0, firstBroken);
  const knee = findKnee(steps.map((s) => ({ x: s.rate, y: s.p99 })));
  return {
    highestStableRate: stable.length > 0 ? stable[stable.length - 1].rate : null,
    breakingRate: firstBroken === -1 ? null : steps[firstBroken].rate,
    knee: knee && { rate: knee.x, p99: knee.y },
  };
}
