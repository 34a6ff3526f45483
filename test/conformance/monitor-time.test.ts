/**
 * The time policy (issue 18, finding 5): bad tick and sample timestamps are refused and counted,
 * never passed on, and neither a lone absurd timestamp nor a real outage leaves the loop blind.
 */
import { describe, expect, it } from 'vitest';
import { ArgumentError } from '../../src/errors.ts';
import { MeshGraph } from '../../src/analyze/graph.ts';
import type { Executor, ExecutionResult } from '../../src/execute/executor.ts';
import type { BatchScorer } from '../../src/loop/contracts.ts';
import { MapeKLoop } from '../../src/loop/loop.ts';
import { DEFAULT_HORIZON, Monitor, Timelines, type Rejection } from '../../src/monitor/index.ts';
import { UtilityPlanner } from '../../src/plan/decision.ts';
import { ALARM_THRESHOLD } from '../../src/kernels/detector/params.ts';
import { DetectorBank } from '../../src/kernels/detector/detector.ts';
import { HARMFUL_DIRECTIONS, LOCAL_METRICS, SIM_METRICS } from '../../src/run/mesh-loop.ts';
import { SimulatorExecutor } from '../../src/run/sim-executor.ts';
import { MeshSimulator, METRIC_NAMES, type TickFrame } from '../../src/sim/index.ts';

const DAY = 86_400;

describe('time policy (Timelines)', () => {
  it('refuses non-finite, repeated, backward and implausibly far timestamps', () => {
    const t = new Timelines(1);
    expect(t.judge(0, NaN)).toBe('non-finite');
    expect(t.judge(0, Infinity)).toBe('non-finite');
    expect(t.judge(0, -Infinity)).toBe('non-finite');
    expect(t.judge(0, '5' as never)).toBe('non-finite');
    expect(t.judge(0, 1_700_000_000)).toBe('next'); // the first time may be anything finite
    t.accept(0, 1_700_000_000);
    expect(t.judge(0, 1_700_000_000)).toBe('duplicate');
    expect(t.judge(0, 1_699_999_999)).toBe('out-of-order');
    expect(t.judge(0, 1_700_000_000 + DEFAULT_HORIZON + 1)).toBe('too-far-ahead');
    expect(t.judge(0, 1e12)).toBe('too-far-ahead');
    expect(t.last(0)).toBe(1_700_000_000);
  });

  it('accepts irregular intervals, 5-minute data and outages of days', () => {
    const t = new Timelines(1);
    let ts = 0;
    for (const step of [1, 0.25, 17, 300, 300, 300, 7 * 3600, 2 * DAY, 29 * DAY, 0.001]) {
      ts += step;
      expect(t.judge(0, ts)).toBe('next');
      t.accept(0, ts);
    }
  });

  it('measures the horizon in the caller’s unit when told (milliseconds here)', () => {
    const t = new Timelines(1, { horizon: 30 * DAY * 1000 });
    t.accept(0, 1_700_000_000_000);
    expect(t.judge(0, 1_700_000_000_000 + 2 * DAY * 1000)).toBe('next');
    expect(t.judge(0, 1_700_000_000_000 * 1000)).toBe('too-far-ahead');
  });

  it('never takes a lone bad timestamp among good ones, however often it recurs', () => {
    const t = new Timelines(1, { rebaseAfter: 3 });
    t.accept(0, 0);
    for (let ts = 1; ts < 100; ts++) {
      expect(t.judge(0, 1e12 + ts)).toBe('too-far-ahead');
      expect(t.judge(0, ts)).toBe('next');
      t.accept(0, ts);
    }
  });

  it('takes a lasting jump beyond the horizon as the new time after `rebaseAfter` in a row', () => {
    const t = new Timelines(1, { horizon: 1000, rebaseAfter: 3 });
    t.accept(0, 10);
    expect(t.judge(0, 1e9)).toBe('too-far-ahead');
    expect(t.judge(0, 1e9 + 5)).toBe('too-far-ahead');
    // Not after the run's last time: the run starts again.
    expect(t.judge(0, 1e9 + 5)).toBe('too-far-ahead');
    expect(t.judge(0, 1e9 + 7)).toBe('too-far-ahead');
    expect(t.judge(0, 1e9 + 9)).toBe('rebase');
    t.accept(0, 1e9 + 9);
    expect(t.judge(0, 1e9 + 10)).toBe('next');
    expect(t.judge(0, 11)).toBe('out-of-order');
  });

  it('under a governing clock, measures from it and never rebases a lane on its own', () => {
    const t = new Timelines(2, { horizon: 100, rebaseAfter: 1 });
    t.accept(0, 5);
    expect(t.judge(0, 10_000, 9_950)).toBe('next'); // the clock moved on: the lane follows it
    expect(t.judge(1, 20_000, 9_950)).toBe('too-far-ahead');
    expect(t.judge(1, 20_001, 9_950)).toBe('too-far-ahead');
  });

  it('refuses a bad policy with a typed error', () => {
    expect(() => new Timelines(1, { horizon: 0 })).toThrow(ArgumentError);
    expect(() => new Timelines(1, { horizon: NaN })).toThrow(/time.horizon/);
    expect(() => new Timelines(1, { rebaseAfter: 0 })).toThrow(/time.rebaseAfter/);
    expect(() => new Timelines(1, { rebaseAfter: 1.5 })).toThrow(ArgumentError);
  });
});

describe('Monitor.admitTick', () => {
  const batch = (ts: number) => ({ ts, columns: { cpu: Float64Array.of(1, 2) } });

  it('counts every refused tick by reason, with its batch’s samples, and tells listeners', () => {
    const m = new Monitor({ sources: ['a', 'b'], metrics: [{ name: 'cpu' }] });
    const seen: Rejection[] = [];
    m.onReject((r) => seen.push(r));
    expect(m.admitTick(100, batch(100))).toBe(true);
    expect(m.ingestBatch(batch(100))).toBe(2);
    for (const ts of [NaN, Infinity, -Infinity, 100, 99, 100 + DEFAULT_HORIZON + 1, 1e12])
      expect(m.admitTick(ts, batch(ts))).toBe(false);
    expect(m.admitTick(101)).toBe(true);
    expect(m.now).toBe(101);
    expect(m.stats.ticksRefused).toBe(7);
    expect(m.stats.ticksRefusedBy).toEqual({
      'non-finite': 3,
      duplicate: 1,
      'out-of-order': 1,
      'too-far-ahead': 2,
    });
    expect(m.stats.rejectedBy['too-far-ahead']).toBe(4);
    expect(m.stats.rejected).toBe(14);
    expect(m.stats.accepted).toBe(2);
    expect(seen[0]).toEqual({ reason: 'non-finite', count: 2, ts: NaN, tick: true });
    expect(seen.map((r) => r.reason)).toEqual([
      'non-finite',
      'non-finite',
      'non-finite',
      'duplicate',
      'out-of-order',
      'too-far-ahead',
      'too-far-ahead',
    ]);
  });

  it('refuses samples beyond the horizon of the last tick, and follows the ticks after a rebase', () => {
    const m = new Monitor({
      sources: ['a'],
      metrics: [{ name: 'cpu' }],
      time: { horizon: 60, rebaseAfter: 2 },
    });
    expect(m.admitTick(0)).toBe(true);
    expect(m.ingest({ source: 'a', metric: 'cpu', ts: 0, value: 1 })).toBe(true);
    expect(m.admitTick(1)).toBe(true);
    for (let i = 0; i < 5; i++)
      expect(m.ingest({ source: 'a', metric: 'cpu', ts: 1e9 + i, value: 1 })).toBe(false);
    expect(m.stats.rejectedBy['too-far-ahead']).toBe(5);
    expect(m.ingest({ source: 'a', metric: 'cpu', ts: 1, value: 1 })).toBe(true);
    // The clock is set forward for good: the second tick in a row is taken, and samples follow it.
    expect(m.admitTick(5000)).toBe(false);
    expect(m.admitTick(5001)).toBe(true);
    expect(m.stats.rebased).toBe(1);
    expect(m.ingest({ source: 'a', metric: 'cpu', ts: 5001, value: 1 })).toBe(true);
  });

  it('without ticks, judges each series on its own and rebases it after a lasting jump', () => {
    const m = new Monitor({ sources: ['a', 'b'], metrics: [{ name: 'cpu' }], time: { rebaseAfter: 3 } });
    const ingest = (source: string, ts: number) => m.ingest({ source, metric: 'cpu', ts, value: 1 });
    expect(ingest('a', 1)).toBe(true);
    expect(ingest('b', 1)).toBe(true);
    expect(ingest('a', 1e12)).toBe(false);
    expect(ingest('a', 2)).toBe(true); // the absurd one did not drag the series' time forward
    expect([ingest('b', 1e12), ingest('b', 1e12 + 1), ingest('b', 1e12 + 2)]).toEqual([false, false, true]);
    expect(ingest('b', 3)).toBe(false);
    expect(m.stats.rebased).toBe(1);
  });
});

/** A line of nodes, one metric, a z-score detector that records every time it is given. */
const NODES = 4;
const quietCpu = (i: number, t: number) => 30 + i + 0.5 * Math.sin(t * 1.7 + i);

function recordingScorer(): BatchScorer & { times: number[] } {
  const mean = new Float64Array(NODES);
  const m2 = new Float64Array(NODES);
  const count = new Float64Array(NODES);
  const times: number[] = [];
  return {
    size: NODES,
    times,
    update(ts, values, scores) {
      times.push(ts);
      for (let s = 0; s < NODES; s++) {
        const x = values[s];
        scores[s] = 0;
        if (Number.isNaN(x)) continue;
        const sd = count[s] > 10 ? Math.sqrt(m2[s] / count[s]) : Infinity;
        if (Math.abs(x - mean[s]) / (sd + 1e-9) > 5) scores[s] = 1;
        else {
          const d = x - mean[s];
          mean[s] += d / ++count[s];
          m2[s] += d * (x - mean[s]);
        }
      }
    },
  };
}

const idleExecutor: Executor = {
  dryRun: async (): Promise<ExecutionResult> => ({ ok: true }),
  apply: async (): Promise<ExecutionResult> => ({ ok: false, reason: 'test: no actions' }),
  rollback: async (): Promise<ExecutionResult> => ({ ok: true }),
};

async function lineLoop(time?: { horizon?: number; rebaseAfter?: number }) {
  const ids = Array.from({ length: NODES }, (_, i) => `n${i}`);
  const detector = recordingScorer();
  const loop = new MapeKLoop({
    graph: new MeshGraph(
      ids,
      ids.slice(1).map((id, i) => [ids[i], id] as const),
    ),
    metrics: [{ name: 'cpu', min: 0, max: 100 }],
    localMetrics: ['cpu'],
    detector,
    threshold: 0.5,
    planner: await UtilityPlanner.create({ backend: 'ts' }),
    executor: idleExecutor,
    time,
  });
  const opened: number[] = [];
  loop.events.addEventListener('incident-opened', (e) =>
    opened.push((e as unknown as { detail: { ts: number } }).detail.ts),
  );
  const batch = (ts: number, t: number, hot = -1) => ({
    ts,
    columns: { cpu: Float64Array.from(ids, (_, i) => (i === hot ? 95 : quietCpu(i, t))) },
  });
  return { loop, detector, opened, batch };
}

describe('MapeKLoop.tick and bad time', () => {
  it('refuses and counts non-finite, backward, repeated and absurd ticks; none reaches the detector', async () => {
    const { loop, detector, batch } = await lineLoop();
    for (let t = 0; t < 20; t++) await loop.tick(t, batch(t, t));
    for (const ts of [NaN, Infinity, -Infinity, 5, 19, 1e12, 19 + DEFAULT_HORIZON + 1])
      await loop.tick(ts, batch(ts, 20));
    await loop.tick(20, batch(20, 20));
    expect(detector.times).toEqual(Array.from({ length: 21 }, (_, t) => t));
    expect(loop.stats().ticks).toBe(21);
    expect(loop.monitor.stats.ticksRefusedBy).toEqual({
      'non-finite': 3,
      duplicate: 1,
      'out-of-order': 1,
      'too-far-ahead': 2,
    });
    expect(loop.stats().samplesRejected).toBe(7 * NODES);
  });

  it('does not throw on malformed batches or source indices', async () => {
    const { loop } = await lineLoop();
    const one = (ts: number, source: number) => ({
      ts,
      columns: { cpu: Float64Array.of(50) },
      sources: [source],
    });
    await loop.tick(0, { ts: 0, columns: null as never });
    await loop.tick(1, one(1, -1) as never);
    await loop.tick(2, one(2, NaN) as never);
    await loop.tick(3, one(3, 1.5) as never);
    expect(loop.stats().ticks).toBe(4);
    expect(loop.monitor.stats.rejectedBy.malformed).toBe(1);
    expect(loop.monitor.stats.rejectedBy['unknown-series']).toBe(3);
    expect(loop.stats().samplesAccepted).toBe(0);
  });

  it('detects again after a clock set forward beyond the horizon for good', async () => {
    const { loop, detector, opened, batch } = await lineLoop({ horizon: 3600, rebaseAfter: 5 });
    for (let t = 0; t < 100; t++) await loop.tick(t, batch(t, t));
    const jump = 1e9;
    for (let t = 100; t < 160; t++) await loop.tick(jump + t, batch(jump + t, t, t >= 130 ? 2 : -1));
    expect(loop.monitor.stats.ticksRefusedBy['too-far-ahead']).toBe(4);
    expect(loop.monitor.stats.rebased).toBe(1);
    expect(detector.times.at(-1)).toBe(jump + 159);
    expect(opened.length).toBe(1);
    expect(opened[0] - (jump + 130)).toBeLessThanOrEqual(3);
  });
});

describe('the loop with the default detector after bad time and a long outage', () => {
  it('refuses a lone 1e12 tick among others, and detects faults again after a gap of 1e6 s', async () => {
    const sim = new MeshSimulator({ seed: 3, topology: { kind: 'geometric', nodes: 16 } });
    const t = sim.topology;
    const graph = new MeshGraph(
      t.nodeIds,
      t.linkIds.map((_, l) => [t.nodeIds[t.linkFrom[l]], t.nodeIds[t.linkTo[l]]] as const),
      t.nodeIds.filter((_, i) => t.isGateway[i]),
    );
    const bank = await DetectorBank.create(graph.size * SIM_METRICS.length);
    const times: number[] = [];
    const executor = new SimulatorExecutor(sim);
    const loop = new MapeKLoop({
      graph,
      metrics: SIM_METRICS,
      localMetrics: LOCAL_METRICS,
      harmful: HARMFUL_DIRECTIONS,
      detector: {
        size: bank.size,
        update: (ts, values, scores) => {
          times.push(ts);
          bank.update(ts, values, scores as Float64Array<ArrayBuffer>);
        },
      },
      threshold: ALARM_THRESHOLD,
      planner: await UtilityPlanner.create({ backend: 'ts' }),
      executor,
    });
    const opened: number[] = [];
    loop.events.addEventListener('incident-opened', (e) =>
      opened.push((e as unknown as { detail: { ts: number } }).detail.ts),
    );
    const GAP = 1e6;
    const crashes = [
      sim.inject({ kind: 'node-crash', target: { node: t.nodeIds[5] }, start: 700, duration: 100 }),
      sim.inject({ kind: 'node-crash', target: { node: t.nodeIds[9] }, start: 950, duration: 100 }),
    ];
    let last: TickFrame | undefined;
    for (let tick = 0; tick < 1050; tick++) {
      const frame = sim.tick();
      executor.settle();
      // Telemetry stops after tick 499 and returns 1e6 s later, as after a long outage.
      const ts = frame.tick < 500 ? frame.tick : frame.tick + GAP;
      if (frame.tick === 300) {
        // The probe's bad times, each with a batch: none may reach the Monitor or the detector.
        for (const bad of [NaN, Infinity, -Infinity, 1e12, 250, 299])
          await loop.tick(bad, batchOf(last!, bad));
      }
      await loop.tick(ts, batchOf(frame, ts));
      last = frame;
    }
    expect(loop.monitor.stats.ticksRefusedBy).toEqual({
      'non-finite': 3,
      duplicate: 1,
      'out-of-order': 1,
      'too-far-ahead': 1,
    });
    expect(times).toHaveLength(1050);
    expect(times.every((ts, i) => i === 0 || ts > times[i - 1])).toBe(true);
    expect(times).not.toContain(1e12);
    // Each crash opens an incident within 5 s of its start.
    const detected = crashes.map((crash) =>
      opened.some((ts) => ts - GAP - crash.start >= 0 && ts - GAP - crash.start <= 5),
    );
    expect(detected).toEqual([true, true]);
  });
});

/** A simulator frame as the columnar batch of the nodes that reported, stamped `ts`. */
function batchOf(frame: TickFrame, ts: number) {
  const sources: number[] = [];
  for (let i = 0; i < frame.reporting.length; i++) if (frame.reporting[i]) sources.push(i);
  const columns: Record<string, Float64Array> = {};
  for (const m of METRIC_NAMES) columns[m] = Float64Array.from(sources, (i) => frame.metrics[m][i]);
  return { ts, columns, sources: Uint32Array.from(sources) };
}
