/**
 * The plain-data figures of a load run (what JSON reports, thresholds and renderers read),
 * computed from recorder tallies. Latencies are in milliseconds.
 */
import type { Histogram } from 'hdr-histogram-js';
import type { SecondTally, Tally } from './recorder.ts';

/** Latency distribution in ms. All zero when nothing completed (count 0). */
export interface LatencyStats {
  /** Calls measured. */
  count: number;
  /** Fastest call. */
  min: number;
  /** Mean latency. */
  mean: number;
  /** Median. */
  p50: number;
  /** 90th percentile. */
  p90: number;
  /** 95th percentile. */
  p95: number;
  /** 99th percentile. */
  p99: number;
  /** 99.9th percentile. */
  p999: number;
  /** Slowest call. */
  max: number;
}

/** Counts, rates and latency of a run or of one of its stages. */
export interface LoadSummary {
  /** Iterations due by the plan (open model) or begun by the loops (closed model). */
  scheduled: number;
  /** Calls started. */
  started: number;
  /** Due iterations dropped at the in-flight cap. */
  dropped: number;
  /** Calls that succeeded. */
  ok: number;
  /** Calls that threw or rejected (timeouts not included). */
  failed: number;
  /** Calls abandoned at the timeout. */
  timeouts: number;
  /** Failed and timed-out calls by error kind (`timeout`, `http_503`, an error's name...). */
  errorsByKind: Record<string, number>;
  /** (failed + timeouts) / finished calls; 0 when none finished. */
  errorRate: number;
  /** dropped / scheduled; 0 when none scheduled. */
  droppedRate: number;
  /** Planned start rate in ops/s (open model); null for the closed model. */
  targetRate: number | null;
  /**
   * Measured start rate in ops/s: (started - 1) intervals over the longer of the actual and the
   * planned start spans, so both a lagging scheduler and dropped iterations lower it.
   */
  achievedRate: number;
  /** Latency from the intended start time (coordinated-omission corrected). */
  latency: LatencyStats;
  /** Latency from the actual start time (what a tester without the correction reports). */
  uncorrectedLatency: LatencyStats;
}

/** One second of a run (by wall time since the start). */
export interface SecondPoint {
  /** Seconds since the start, from 0. */
  second: number;
  /** Iterations due in this second. */
  scheduled: number;
  /** Calls started in this second. */
  started: number;
  /** Iterations dropped in this second. */
  dropped: number;
  /** Calls finished in this second. */
  completed: number;
  /** Calls failed or timed out in this second. */
  errors: number;
  /** Corrected latency percentiles of calls that completed in this second (ms); 0 if none. */
  p50: number;
  /** 90th percentile, as `p50`. */
  p90: number;
  /** 99th percentile, as `p50`. */
  p99: number;
  /** Slowest, as `p50`. */
  max: number;
}

/** A point of the percentile distribution curve (for charts). */
export interface PercentilePoint {
  /** The percentile, 0..100. */
  percentile: number;
  /** Corrected latency at it, ms. */
  corrected: number;
  /** Uncorrected latency at it, ms. */
  uncorrected: number;
}

const ms = (micros: number): number => micros / 1000;

/** Latency stats of an HDR histogram recorded in microseconds. */
export function latencyStats(histogram: Histogram): LatencyStats {
  const count = histogram.totalCount;
  if (count === 0) return { count, min: 0, mean: 0, p50: 0, p90: 0, p95: 0, p99: 0, p999: 0, max: 0 };
  const max = histogram.maxValue;
  // HDR reports a bucket's upper edge; never let a percentile exceed the recorded maximum.
  const at = (p: number): number => ms(Math.min(histogram.getValueAtPercentile(p), max));
  return {
    count,
    min: ms(histogram.minNonZeroValue),
    mean: ms(histogram.mean),
    p50: at(50),
    p90: at(90),
    p95: at(95),
    p99: at(99),
    p999: at(99.9),
    max: ms(max),
  };
}

/** Rate of evenly spaced events: (n - 1) intervals over the span; 0 when undefined. */
function spanRate(count: number, spanMs: number): number {
  return count >= 2 && spanMs > 0 ? ((count - 1) * 1000) / spanMs : 0;
}

/**
 * Summary of a tally. `openModel` decides whether a target rate exists; `nominalRate` overrides
 * the measured plan rate (used for single-arrival stages where the span is undefined).
 */
export function summarize(tally: Tally, openModel: boolean, nominalRate?: number): LoadSummary {
  const finished = tally.ok + tally.failed + tally.timeouts;
  const plannedSpan = tally.lastIntendedMs - tally.firstIntendedMs;
  const startSpan = tally.lastStartMs - tally.firstStartMs;
  return {
    scheduled: tally.scheduled,
    started: tally.started,
    dropped: tally.dropped,
    ok: tally.ok,
    failed: tally.failed,
    timeouts: tally.timeouts,
    errorsByKind: Object.fromEntries([...tally.errorsByKind].sort((a, b) => b[1] - a[1])),
    errorRate: finished === 0 ? 0 : (tally.failed + tally.timeouts) / finished,
    droppedRate: tally.scheduled === 0 ? 0 : tally.dropped / tally.scheduled,
    targetRate: openModel ? (nominalRate ?? spanRate(tally.scheduled, plannedSpan)) : null,
    achievedRate: spanRate(tally.started, Math.max(startSpan, plannedSpan)),
    latency: latencyStats(tally.corrected),
    uncorrectedLatency: latencyStats(tally.uncorrected),
  };
}

/** Per-second series in plain data. */
export function secondSeries(seconds: readonly SecondTally[]): SecondPoint[] {
  return seconds.map((s, second) => {
    const empty = s.latency.totalCount === 0;
    const at = (p: number): number =>
      empty ? 0 : ms(Math.min(s.latency.getValueAtPercentile(p), s.latency.maxValue));
    return {
      second,
      scheduled: s.scheduled,
      started: s.started,
      dropped: s.dropped,
      completed: s.completed,
      errors: s.errors,
      p50: at(50),
      p90: at(90),
      p99: at(99),
      max: empty ? 0 : ms(s.latency.maxValue),
    };
  });
}

/** Percentiles spaced evenly on the "number of nines" axis, as HDR percentile plots are. */
export const DISTRIBUTION_PERCENTILES: readonly number[] = [
  0, 10, 20, 30, 40, 50, 60, 70, 75, 80, 85, 90, 92.5, 95, 96, 97, 98, 99, 99.5, 99.7, 99.8, 99.9, 99.95,
  99.97, 99.99, 99.995, 99.999, 100,
];

/** The corrected and uncorrected percentile curves of a tally. */
export function percentileCurve(tally: Tally): PercentilePoint[] {
  if (tally.corrected.totalCount === 0) return [];
  return DISTRIBUTION_PERCENTILES.map((percentile) => ({
    percentile,
    corrected: ms(Math.min(tally.corrected.getValueAtPercentile(percentile), tally.corrected.maxValue)),
    uncorrected: ms(Math.min(tally.uncorrected.getValueAtPercentile(percentile), tally.uncorrected.maxValue)),
  }));
}
