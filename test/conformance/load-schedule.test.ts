import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ArgumentError } from '../../src/errors.ts';
import { ArrivalPlan, stageArrivals, validateRateStages } from '../../src/load/schedule.ts';

function drain(plan: ArrivalPlan): Array<{ stage: number; intendedMs: number; iteration: number }> {
  const out = [];
  for (let a = plan.next(); a; a = plan.next()) out.push({ ...a });
  return out;
}

describe('ArrivalPlan', () => {
  it('spaces a constant rate exactly, with no drift', () => {
    const arrivals = drain(new ArrivalPlan([{ rate: 50, durationMs: 1000 }]));
    expect(arrivals).toHaveLength(50);
    arrivals.forEach((a, i) => {
      expect(a.iteration).toBe(i);
      expect(a.intendedMs).toBeCloseTo(i * 20, 9);
    });
  });

  it('restarts each stage at its boundary and numbers iterations globally', () => {
    const arrivals = drain(
      new ArrivalPlan([
        { rate: 10, durationMs: 1000 },
        { rate: 0, durationMs: 500 },
        { rate: 4, durationMs: 1000 },
      ]),
    );
    expect(arrivals.map((a) => a.stage)).toEqual([...Array(10).fill(0), ...Array(4).fill(2)]);
    expect(arrivals.slice(10).map((a) => a.intendedMs)).toEqual([1500, 1750, 2000, 2250]);
    expect(arrivals.at(-1)!.iteration).toBe(13);
  });

  it('ramps linearly: arrivals equal the area under the rate and their gaps shrink', () => {
    const stage = { fromRate: 100, rate: 300, durationMs: 2000 };
    const arrivals = drain(new ArrivalPlan([stage]));
    expect(arrivals).toHaveLength(400);
    const gaps = arrivals.slice(1).map((a, i) => a.intendedMs - arrivals[i].intendedMs);
    expect(gaps[0]).toBeCloseTo(10, 1);
    expect(gaps.at(-1)!).toBeCloseTo(1000 / 300, 1);
    gaps.slice(1).forEach((g, i) => expect(g).toBeLessThan(gaps[i] + 1e-9));
  });

  it('property: times are increasing, inside their stage, and as many as the rate integral says', () => {
    const stageArb = fc.record({
      durationMs: fc.integer({ min: 1, max: 5000 }),
      rate: fc.double({ min: 0, max: 400, noNaN: true }),
      fromRate: fc.option(fc.double({ min: 0, max: 400, noNaN: true }), { nil: undefined }),
    });
    fc.assert(
      fc.property(fc.array(stageArb, { minLength: 1, maxLength: 4 }), (stages) => {
        const arrivals = drain(new ArrivalPlan(stages));
        expect(arrivals.length).toBe(ArrivalPlan.countArrivals(stages));
        let start = 0;
        stages.forEach((stage, i) => {
          const mine = arrivals.filter((a) => a.stage === i);
          const area = (((stage.fromRate ?? stage.rate) + stage.rate) / 2) * (stage.durationMs / 1000);
          expect(Math.abs(mine.length - area)).toBeLessThanOrEqual(1);
          expect(mine.length).toBe(stageArrivals(stage));
          for (const a of mine) {
            expect(a.intendedMs).toBeGreaterThanOrEqual(start);
            expect(a.intendedMs).toBeLessThan(start + stage.durationMs);
          }
          start += stage.durationMs;
        });
        arrivals
          .slice(1)
          .forEach((a, i) => expect(a.intendedMs).toBeGreaterThanOrEqual(arrivals[i].intendedMs));
      }),
      { numRuns: 40 },
    );
  });

  it('stops early on request', () => {
    const plan = new ArrivalPlan([{ rate: 100, durationMs: 1000 }]);
    plan.next();
    plan.stop();
    expect(plan.next()).toBeUndefined();
  });

  it('rejects bad stages naming the field', () => {
    expect(() => validateRateStages([])).toThrow(ArgumentError);
    expect(() => validateRateStages([{ rate: -1, durationMs: 10 }])).toThrow(/stages\[0\]\.rate/);
    expect(() =>
      validateRateStages([
        { rate: 1, durationMs: 10 },
        { rate: 1, durationMs: NaN },
      ]),
    ).toThrow(/stages\[1\]\.durationMs/);
    expect(() => validateRateStages([{ rate: 1, durationMs: 10, fromRate: Infinity }])).toThrow(/fromRate/);
  });
});
