/**
 * The line world of the loop tests: a plain z-score detector and a known cpu baseline, so a test's
 * anomaly is exactly the one it injects. Shared by the loop, loop-state and Alertmanager tests.
 */
import type { BatchScorer } from '../../../src/loop/contracts.ts';

/** Scores |z| against a running mean and variance; alarms (score 1) beyond 5 sigma; a missing value (NaN) scores 0 and teaches nothing. */
export function zScorer(series: number): BatchScorer {
  const mean = new Float64Array(series);
  const m2 = new Float64Array(series);
  const count = new Float64Array(series);
  return {
    size: series,
    update(_ts, values, scores) {
      for (let s = 0; s < series; s++) {
        const x = values[s];
        if (Number.isNaN(x)) {
          scores[s] = 0;
          continue;
        }
        const sd = count[s] > 10 ? Math.sqrt(m2[s] / count[s]) : Infinity;
        scores[s] = Math.abs(x - mean[s]) / (sd + 1e-9) > 5 ? 1 : 0;
        if (scores[s] === 0) {
          const d = x - mean[s];
          mean[s] += d / ++count[s];
          m2[s] += d * (x - mean[s]);
        }
      }
    },
  };
}

/** Baseline cpu of node i at tick t: a level per node plus small deterministic wobble. */
export const cpu = (i: number, t: number): number =>
  30 + i + 0.5 * Math.sin(t * 1.7 + i) + 0.3 * Math.cos(t * 0.37 * (i + 1));
