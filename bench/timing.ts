/** Timing helpers shared by the benchmarks. */

/** Median wall time of `samples` runs of `fn` in ms, after one warm-up run. */
export function timeMedian(fn: () => unknown, samples: number): number {
  fn();
  const times: number[] = [];
  for (let i = 0; i < samples; i++) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  return median(times);
}

/** The median of `xs` (the mean of the two middle values for an even count). */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** The value at rank floor(p * n) of `values` sorted (p in [0, 1]; the largest for p near 1). */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

/** Ticks per second of wall time, from each tick's time in ms. */
export function ticksPerSecond(ms: number[]): number {
  return (ms.length * 1000) / ms.reduce((a, b) => a + b, 0);
}
