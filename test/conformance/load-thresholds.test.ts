import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ArgumentError } from '../../src/errors.ts';
import { analyzeSteps, findKnee } from '../../src/load/knee.ts';
import type { LoadSummary } from '../../src/load/summary.ts';
import { evaluateThreshold, parseThreshold, parseThresholds } from '../../src/load/thresholds.ts';

function summary(overrides: Partial<LoadSummary> = {}): LoadSummary {
  const latency = { count: 100, min: 1, mean: 5, p50: 4, p90: 8, p95: 9, p99: 20, p999: 40, max: 50 };
  return {
    scheduled: 100,
    started: 100,
    dropped: 0,
    ok: 98,
    failed: 1,
    timeouts: 1,
    errorsByKind: { timeout: 1, error: 1 },
    errorRate: 0.02,
    droppedRate: 0,
    targetRate: 100,
    achievedRate: 99.5,
    latency,
    uncorrectedLatency: { ...latency, p99: 2 },
    ...overrides,
  };
}

describe('thresholds', () => {
  it('reads k6-style expressions', () => {
    const s = summary();
    const check = (e: string) => evaluateThreshold(parseThreshold(e), s);
    expect(check('p(95)<100')).toMatchObject({ passed: true, actual: 9, limit: 100 });
    expect(check('p(99) < 20')).toMatchObject({ passed: false, actual: 20 });
    expect(check('p(99)<=20').passed).toBe(true);
    expect(check('p(99.9)<41').passed).toBe(true);
    expect(check('avg<5').passed).toBe(false);
    expect(check('med==4').passed).toBe(true);
    expect(check('max<=50').passed).toBe(true);
    expect(check('error_rate<0.01')).toMatchObject({ passed: false, actual: 0.02 });
    expect(check('errors<3').passed).toBe(true);
    expect(check('timeouts==0').passed).toBe(false);
    expect(check('dropped_rate==0').passed).toBe(true);
    expect(check('rate>=0.99*target')).toMatchObject({ passed: true, limit: 99 });
    expect(check('rate>=target').passed).toBe(false);
    expect(check('rate>=target*0.995').passed).toBe(true);
    expect(check('rate>1e2').passed).toBe(false);
  });

  it('fails a relative limit when there is no target rate', () => {
    expect(evaluateThreshold(parseThreshold('rate>=0.5*target'), summary({ targetRate: null })).passed).toBe(
      false,
    );
  });

  it('rejects malformed thresholds with an ArgumentError naming the index', () => {
    for (const bad of [
      'p95<100',
      'constructor<1',
      'p(97)<1',
      'latency<3',
      'p(99)<',
      'p(99)<abc',
      'rate>=target*target',
      'p(99)=<3',
      '',
    ]) {
      expect(() => parseThreshold(bad)).toThrow(ArgumentError);
    }
    expect(() => parseThresholds(['p(95)<1', 'nope<1'])).toThrow(/thresholds\[1\]/);
  });

  it('property: comparison semantics hold for any actual and limit', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 1e6, noNaN: true }),
        fc.integer({ min: 0, max: 1_000_000 }),
        (p95, limit) => {
          const s = summary({ latency: { ...summary().latency, p95 } });
          expect(evaluateThreshold(parseThreshold(`p(95)<${limit}`), s).passed).toBe(p95 < limit);
          expect(evaluateThreshold(parseThreshold(`p(95)>=${limit}`), s).passed).toBe(p95 >= limit);
        },
      ),
    );
  });
});

describe('knee and stable rate', () => {
  it('finds the bend of a hockey-stick latency curve', () => {
    const points = [100, 200, 300, 400, 500, 600].map((x, i) => ({ x, y: [2, 2.1, 2.2, 2.6, 9, 60][i] }));
    expect(findKnee(points)).toEqual({ x: 500, y: 9 });
  });

  it('reports no knee for flat or noisy curves, or too few points', () => {
    expect(
      findKnee([
        { x: 1, y: 5 },
        { x: 2, y: 5 },
        { x: 3, y: 5 },
      ]),
    ).toBeNull();
    expect(
      findKnee([
        { x: 1, y: 26 },
        { x: 2, y: 33 },
        { x: 3, y: 10 },
        { x: 4, y: 6 },
      ]),
    ).toBeNull();
    expect(
      findKnee([
        { x: 1, y: 1 },
        { x: 2, y: 50 },
      ]),
    ).toBeNull();
  });

  it('takes the last step of the passing prefix as the highest stable rate', () => {
    const steps = [
      { rate: 50, p99: 3, passed: true },
      { rate: 100, p99: 4, passed: true },
      { rate: 150, p99: 400, passed: false },
    ];
    expect(analyzeSteps(steps)).toMatchObject({ highestStableRate: 100, breakingRate: 150 });
    expect(analyzeSteps([{ rate: 50, p99: 900, passed: false }])).toMatchObject({
      highestStableRate: null,
      breakingRate: 50,
    });
    expect(analyzeSteps(steps.slice(0, 2))).toMatchObject({
      highestStableRate: 100,
      breakingRate: null,
      knee: null,
    });
  });
});
