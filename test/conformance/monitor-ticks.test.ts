/**
 * Ticks out of an operator's telemetry (issue 12, section 1): samples at irregular intervals,
 * from many senders and a little out of order, become ticks by time; gaps make no ticks; a late
 * sample is passed on for the Monitor to judge, never dropped; and the loop ingests a tick's
 * samples as rows, each with its own time.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MeshGraph } from '../../src/analyze/graph.ts';
import { ArgumentError } from '../../src/errors.ts';
import { DetectorBank } from '../../src/kernels/detector/detector.ts';
import { ALARM_THRESHOLD } from '../../src/kernels/detector/params.ts';
import { MapeKLoop } from '../../src/loop/loop.ts';
import { type Sample, TickAssembler } from '../../src/monitor/index.ts';
import { UtilityPlanner } from '../../src/plan/decision.ts';

const refuse = async () => ({ ok: false, reason: 'not expected in this test' });

const at = (ts: number, source = 'a', metric = 'cpu', value = 1): Sample => ({ ts, source, metric, value });

describe('TickAssembler', () => {
  it('groups samples into buckets of the interval and closes a bucket once time is past it by the lateness', () => {
    const ticks = new TickAssembler({ interval: 15, lateness: 5 });
    expect(ticks.add([at(1005), at(1008, 'b'), at(1019.9, 'c')])).toEqual([]);
    expect(ticks.pending).toBe(3);
    // 1024 is only 4 s past the bucket's end (1020): it stays open for late samples.
    expect(ticks.add([at(1024, 'a')])).toEqual([]);
    const closed = ticks.add([at(1025.5, 'b')]);
    expect(closed).toHaveLength(1);
    expect(closed[0].ts).toBe(1005);
    expect(closed[0].samples.map((s) => s.source)).toEqual(['a', 'b', 'c']);
    expect(ticks.pending).toBe(2);
  });

  it('makes no tick for a gap: five-minute data with an hour missing gives one tick per sample time', () => {
    const ticks = new TickAssembler({ interval: 300 });
    const times = [0, 300, 600, 4200, 4500];
    const out = times.flatMap((t) => ticks.add([at(t), at(t + 2, 'b')]));
    out.push(...ticks.flush());
    expect(out.map((t) => t.ts)).toEqual(times);
    expect(out.every((t) => t.samples.length === 2)).toBe(true);
  });

  it('orders a bucket by time and passes a sample for a closed bucket on to the next tick', () => {
    const ticks = new TickAssembler({ interval: 10, lateness: 0 });
    ticks.add([at(5, 'a'), at(3, 'b')]);
    const [first] = ticks.add([at(10, 'a')]);
    expect(first.samples.map((s) => s.ts)).toEqual([3, 5]);
    // 7 belongs to the closed bucket [0, 10): it joins the next one with its own time.
    ticks.add([at(7, 'c')]);
    const [second] = ticks.flush();
    expect(second.ts).toBe(10);
    expect(second.samples.map((s) => [s.source, s.ts])).toEqual([
      ['c', 7],
      ['a', 10],
    ]);
  });

  it('closes by a wall clock too, so a live service ticks when senders go quiet', () => {
    const ticks = new TickAssembler({ interval: 1, lateness: 2 });
    ticks.add([at(100)]);
    expect(ticks.closeUntil(102.5)).toEqual([]);
    expect(ticks.closeUntil(103).map((t) => t.ts)).toEqual([100]);
    expect(ticks.closeUntil(500)).toEqual([]);
  });

  it('refuses bad options and samples without a finite time, naming them', () => {
    expect(() => new TickAssembler({ interval: 0 })).toThrow(ArgumentError);
    expect(() => new TickAssembler({ interval: 1, lateness: -1 })).toThrow(/lateness/);
    const ticks = new TickAssembler({ interval: 1 });
    expect(() => ticks.add([at(1), at(Number.NaN)])).toThrow(/samples\[1\]\.ts/);
    expect(ticks.pending).toBe(0);
  });

  it('loses no sample and emits strictly increasing ticks, whatever the arrival order', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.double({ min: 0, max: 1e4, noNaN: true }), { maxLength: 20 }), {
          maxLength: 20,
        }),
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 0, max: 60 }),
        (requests, interval, lateness) => {
          const ticks = new TickAssembler({ interval, lateness });
          const out = requests.flatMap((times) => ticks.add(times.map((t) => at(t))));
          out.push(...ticks.flush());
          expect(out.reduce((n, t) => n + t.samples.length, 0)).toBe(requests.flat().length);
          for (let i = 1; i < out.length; i++) expect(out[i].ts).toBeGreaterThan(out[i - 1].ts);
          for (const t of out)
            for (let i = 1; i < t.samples.length; i++)
              expect(t.samples[i].ts).toBeGreaterThanOrEqual(t.samples[i - 1].ts);
        },
      ),
    );
  });
});

describe('MapeKLoop.tick with rows', () => {
  it('ingests a tick given as samples, each with its own time, and counts the bad ones', async () => {
    const graph = new MeshGraph(['db:5432', 'api/v1'], [['db:5432', 'api/v1']]);
    const metrics = [{ name: 'cpu', min: 0, max: 100 }];
    const planner = await UtilityPlanner.create();
    const loop = new MapeKLoop({
      graph,
      metrics,
      localMetrics: ['cpu'],
      harmful: { cpu: 'up' },
      detector: await DetectorBank.create(graph.size * metrics.length),
      threshold: ALARM_THRESHOLD,
      planner,
      // Nothing here is anomalous enough to act on; an executor that refuses shows if it were called.
      executor: { dryRun: refuse, apply: refuse, rollback: refuse },
    });
    await loop.tick(1_700_000_000, [
      at(1_699_999_998, 'db:5432', 'cpu', 20),
      at(1_699_999_999, 'api/v1', 'cpu', 30),
      at(1_699_999_999, 'nobody', 'cpu', 1),
      at(1_700_000_000, 'api/v1', 'cpu', 500),
    ]);
    expect(loop.stats()).toMatchObject({ ticks: 1, samplesAccepted: 2, samplesRejected: 2 });
    expect(loop.monitor.stats.rejectedBy).toMatchObject({ 'unknown-series': 1, 'out-of-range': 1 });
    expect(loop.monitor.latest[loop.monitor.seriesIndex('db:5432', 'cpu')]).toBe(20);
    // A refused tick counts its rows too.
    await loop.tick(1_699_000_000, [at(1_699_000_000, 'db:5432', 'cpu', 1)]);
    expect(loop.monitor.stats.ticksRefusedBy['out-of-order']).toBe(1);
    expect(loop.stats().samplesRejected).toBe(3);
    await loop.close();
  });
});
