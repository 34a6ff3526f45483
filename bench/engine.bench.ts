/**
 * The engine's own figures: how fast the MAPE-K loop keeps up with a mesh's telemetry, and how
 * well it heals on a short simulated run.
 *
 * Speed: ticks per second and p99 tick latency of `MapeKLoop.tick` (ingest, detector bank,
 * analysis, incidents, planning, actions) at 100, 1,000 and 10,000 nodes x 8 metrics, fed by
 * the simulator with faults running; the simulator's own time is not counted. The baseline,
 * measured in the same run on the same telemetry, is the detector bank alone: the ratio is the
 * share of the detector's rate the whole loop keeps (1 would mean the rest of the loop is free).
 * Healing: the figures of a 2-hour, 50-node run with 2 faults of every kind (seed 1).
 * Run alone with `npx tsx bench/engine.bench.ts`, or through `npm run bench`.
 */
import { MeshGraph } from '../src/analyze/graph.ts';
import { MapeKLoop } from '../src/loop/loop.ts';
import { UtilityPlanner } from '../src/plan/decision.ts';
import { createEngineParts } from '../src/run/defaults.ts';
import { runHealing } from '../src/run/healing-run.ts';
import { LOCAL_METRICS, SIM_METRICS } from '../src/run/mesh-loop.ts';
import { SimulatorExecutor } from '../src/run/sim-executor.ts';
import { MeshSimulator, METRIC_NAMES, scheduleFaults, type TickFrame } from '../src/sim/index.ts';
import { DetectorBank } from '../src/kernels/detector/detector.ts';
import { ALARM_THRESHOLD } from '../src/kernels/detector/params.ts';
import type { BenchResult } from './types.ts';
import { runIfMain } from './report.ts';
import { percentile, ticksPerSecond } from './timing.ts';

/** Ticks measured per size: enough for a stable p99 without making 10,000 nodes take minutes. */
const SIZES = [
  { nodes: 100, ticks: 1500 },
  { nodes: 1000, ticks: 600 },
  { nodes: 10000, ticks: 150 },
] as const;
/** Ticks before measuring: the detectors and normal ranges learn their baseline first. */
const WARMUP = 120;

/** Tick latencies (ms) of the loop and of the detector bank alone, over the same telemetry. */
async function measure(nodes: number, ticks: number): Promise<{ loop: number[]; detector: number[] }> {
  const sim = new MeshSimulator({ seed: 1, topology: { kind: 'geometric', nodes } });
  const hours = Math.max(1, (WARMUP + ticks) / 3600);
  // Faults from the first measured tick on, so incidents are opened, diagnosed and acted on.
  for (const spec of scheduleFaults({
    seed: 1,
    topology: sim.topology,
    hours,
    perKind: 1,
    warmup: WARMUP,
    minDuration: 20,
    maxDuration: 60,
  }))
    sim.inject(spec);
  const topology = sim.topology;
  const graph = new MeshGraph(
    topology.nodeIds,
    topology.linkIds.map(
      (_, l) => [topology.nodeIds[topology.linkFrom[l]], topology.nodeIds[topology.linkTo[l]]] as const,
    ),
  );
  const series = nodes * SIM_METRICS.length;
  const executor = new SimulatorExecutor(sim);
  const loop = new MapeKLoop({
    graph,
    metrics: SIM_METRICS,
    localMetrics: LOCAL_METRICS,
    detector: await DetectorBank.create(series),
    threshold: ALARM_THRESHOLD,
    planner: await UtilityPlanner.create(),
    executor,
  });
  const detector = await DetectorBank.create(series);
  const values = new Float64Array(series);
  const scores = new Float64Array(series);
  const loopMs: number[] = [];
  const detectorMs: number[] = [];
  for (let t = 0; t < WARMUP + ticks; t++) {
    const frame = sim.tick();
    executor.settle();
    const batch = toBatch(frame);
    const begin = performance.now();
    await loop.tick(frame.tick, batch);
    const mid = performance.now();
    rowMajor(frame, values);
    await detector.update(frame.tick, values, scores);
    const end = performance.now();
    if (t >= WARMUP) {
      loopMs.push(mid - begin);
      detectorMs.push(end - mid);
    }
  }
  return { loop: loopMs, detector: detectorMs };
}

/** The frame as the columnar batch the loop ingests (only nodes that reported). */
function toBatch(frame: TickFrame) {
  const sources: number[] = [];
  for (let i = 0; i < frame.reporting.length; i++) if (frame.reporting[i]) sources.push(i);
  const columns: Record<string, Float64Array> = {};
  for (const m of METRIC_NAMES) columns[m] = Float64Array.from(sources, (i) => frame.metrics[m][i]);
  return { ts: frame.tick, columns, sources: Uint32Array.from(sources) };
}

/** The frame in series order (node * metrics + metric), as the detector bank takes it. */
function rowMajor(frame: TickFrame, out: Float64Array): void {
  const m = METRIC_NAMES.length;
  METRIC_NAMES.forEach((name, j) => {
    const column = frame.metrics[name];
    for (let i = 0; i < column.length; i++) out[i * m + j] = frame.reporting[i] ? column[i] : NaN;
  });
}

/** Runs the engine benchmarks. */
export async function runEngineBench(): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  for (const { nodes, ticks } of SIZES) {
    const { loop, detector } = await measure(nodes, ticks);
    const rate = ticksPerSecond(loop);
    const p99 = percentile(loop, 0.99);
    const at1000 = nodes === 1000;
    results.push({
      name: `loop ticks/s, ${nodes} nodes x 8 metrics`,
      value: rate,
      unit: 'ticks/s',
      baseline: 'detector bank alone',
      ratio: rate / ticksPerSecond(detector),
      ...(at1000 ? { target: '>= 100', met: rate >= 100 } : {}),
    });
    results.push({
      name: `loop p99 tick latency, ${nodes} nodes`,
      value: p99,
      unit: 'ms',
      baseline: 'detector bank alone',
      ratio: p99 / percentile(detector, 0.99),
      ...(at1000 ? { target: '<= 10 ms', met: p99 <= 10 } : {}),
    });
  }

  const started = performance.now();
  const { report } = await runHealing({
    nodes: 50,
    hours: 2,
    faultsPerKind: 2,
    seed: 1,
    ...(await createEngineParts()),
  });
  const o = report.overall;
  const run = '2 h, 50 nodes, 2 faults per kind, seed 1';
  results.push(
    {
      name: `detected (${run})`,
      value: o.detectionRate,
      unit: 'share',
      target: '>= 0.95',
      met: o.detectionRate >= 0.95,
    },
    {
      name: `median time to detect (${run})`,
      value: o.mttdMedian ?? NaN,
      unit: 'ticks',
      target: '<= 3',
      met: o.mttdMedian !== null && o.mttdMedian <= 3,
    },
    {
      name: `root cause top-1 (${run})`,
      value: o.rootCauseTop1,
      unit: 'share',
      target: '>= 0.8',
      met: o.rootCauseTop1 >= 0.8,
    },
    {
      name: `diagnosis kind right (${run})`,
      value: o.diagnosisAccuracy,
      unit: 'share',
      target: '>= 0.9',
      met: o.diagnosisAccuracy >= 0.9,
    },
    {
      name: `healed (${run})`,
      value: o.healedRate,
      unit: 'share',
      target: '>= 0.9',
      met: o.healedRate >= 0.9,
    },
    {
      name: `median time to recover (${run})`,
      value: o.mttrMedian ?? NaN,
      unit: 'ticks',
      target: '<= 10',
      met: o.mttrMedian !== null && o.mttrMedian <= 10,
    },
    {
      name: `actions on healthy targets (${run})`,
      value: o.actionsOnHealthyShare,
      unit: 'share',
      target: '<= 0.02',
      met: o.actionsOnHealthyShare <= 0.02,
    },
    {
      name: `false alarms (${run})`,
      value: o.falseAlarmsPerHour,
      unit: 'per hour',
      target: '<= 1',
      met: o.falseAlarmsPerHour <= 1,
    },
    { name: `wall time (${run})`, value: (performance.now() - started) / 1000, unit: 's' },
  );
  return results;
}

await runIfMain(import.meta.url, runEngineBench);
