// Coordinated-omission correction, checked exactly: the open-model scheduler is driven by a
// virtual clock and a synchronous target that "takes" its service time by advancing that clock,
// i.e. a single-threaded server that also blocks the load generator. Every response time is then
// known from the Lindley recursion over the intended arrivals, and the corrected histogram must
// reproduce it to HDR precision, while the uncorrected one sees only the service times.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Clock } from '../../src/load/clock.ts';
import { runScenario } from '../../src/load/run.ts';
import type { LatencyStats } from '../../src/load/summary.ts';

/** Starts at 0 so that run-relative times (now - origin) are exact, as the scheduler expects. */
class VirtualClock implements Clock {
  t = 0;
  now = (): number => this.t;
  waitUntil = async (deadline: number): Promise<void> => {
    if (deadline > this.t) this.t = deadline;
  };
  waitFor = async (_: Promise<void>, ms: number): Promise<void> => {
    this.t += Math.max(0, ms);
  };
}

/** Response times of a FIFO server with deterministic arrivals every 1000/rate ms. */
function lindley(service: readonly number[], rate: number): Float64Array {
  const out = new Float64Array(service.length);
  let free = 0;
  service.forEach((s, i) => {
    const arrival = (i * 1000) / rate;
    free = Math.max(arrival, free) + s;
    out[i] = free - arrival;
  });
  return out.sort();
}

/** HDR's percentile rank: ceil(p% of n), ignoring a floating-point hair above an integer. */
const at = (sorted: Float64Array, p: number): number =>
  sorted[Math.max(1, Math.ceil((p / 100) * sorted.length - 1e-9)) - 1];
/** HDR with 3 significant digits (and whole microseconds) resolves values to about 0.1 %. */
const close = (actual: number, expected: number): boolean =>
  Math.abs(actual - expected) <= Math.max(0.002 * expected, 0.002);

function expectMatches(stats: LatencyStats, truth: Float64Array): void {
  for (const [p, key] of [
    [50, 'p50'],
    [90, 'p90'],
    [99, 'p99'],
    [99.9, 'p999'],
  ] as const) {
    const expected = at(truth, p);
    if (!close(stats[key], expected)) throw new Error(`${key}: measured ${stats[key]}, truth ${expected}`);
  }
  expect(close(stats.max, truth[truth.length - 1])).toBe(true);
}

describe('coordinated-omission correction', () => {
  it('1 ms service with a 100 ms stall every 1,000 calls, at 500 ops/s: corrected = truth', async () => {
    const clock = new VirtualClock();
    const serviceMs = (i: number): number => (i % 1000 === 500 ? 100 : 1);
    const result = await runScenario(
      (ctx) => void (clock.t += serviceMs(ctx.iteration)),
      { name: 'stalls', model: 'open', stages: [{ rate: 500, durationMs: 10_000 }] },
      { clock },
    );
    const s = result.summary;
    expect(s).toMatchObject({ scheduled: 5000, started: 5000, ok: 5000, dropped: 0 });
    const truth = lindley(
      Array.from({ length: 5000 }, (_, i) => serviceMs(i)),
      500,
    );
    expectMatches(s.latency, truth);
    expect(at(truth, 99)).toBeCloseTo(90, 6);
    // What a tester without the correction reports: the stalls vanish below p99.9.
    expect(s.uncorrectedLatency).toMatchObject({ p50: 1, p99: 1, p999: 1, max: 100 });
  });

  it('property: for any service times and rate, the corrected percentiles are the true response times', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 20, max: 2000 }),
        fc.array(
          fc.oneof(
            fc.double({ min: 0.01, max: 3, noNaN: true }),
            fc.double({ min: 20, max: 200, noNaN: true }),
          ),
          { minLength: 20, maxLength: 200 },
        ),
        async (rate, service) => {
          const clock = new VirtualClock();
          // Half an interval short of n intervals: exactly n arrivals, whatever the rounding.
          const durationMs = ((service.length - 0.5) * 1000) / rate;
          const result = await runScenario(
            (ctx) => void (clock.t += service[ctx.iteration] ?? 0),
            { name: 'property', model: 'open', stages: [{ rate, durationMs }], timeoutMs: 1e9 },
            { clock },
          );
          expect(result.summary.started).toBe(service.length);
          expectMatches(result.summary.latency, lindley(service, rate));
        },
      ),
      { numRuns: 40 },
    );
  });
});
