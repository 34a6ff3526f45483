/**
 * Every core of one machine (issue 16, section 1): ticks per second of the MAPE-K loop at 1,000,
 * 10,000 and 50,000 nodes x 8 metrics with its detector bank on the main thread, against the
 * same loop with the bank sharded across worker threads (`DetectorPool`, one per core), in the
 * same run on the same telemetry. The ratio is workers over main thread; the issue asks >= 1.6x
 * at 10,000 nodes on a 2-core machine, and p99 tick latency at 50,000 nodes.
 *
 * The simulator stops at 10,000 nodes, so the mesh is tiles of one simulated 100-node mesh: each
 * tile a copy of its topology (tiles chained by one link) reporting that mesh's telemetry, which
 * the loop ingests as one columnar batch a tick; building it is not timed. No faults: the
 * figure is the steady tick every node pays. The machine's load average is reported beside it,
 * since on a shared machine the workers compete with everyone else for the cores.
 * Run alone with `npx tsx bench/workers.bench.ts`, or `npm run bench -- workers`.
 */
import { availableParallelism, loadavg } from 'node:os';
import { MeshGraph } from '../src/analyze/graph.ts';
import { PlanOnlyExecutor } from '../src/execute/plan-only.ts';
import type { BatchScorer } from '../src/loop/contracts.ts';
import { MapeKLoop } from '../src/loop/loop.ts';
import { DEFAULT_ACTIONS } from '../src/plan/actions.ts';
import { UtilityPlanner } from '../src/plan/decision.ts';
import { DetectorBank } from '../src/kernels/detector/detector.ts';
import { ALARM_THRESHOLD } from '../src/kernels/detector/params.ts';
import { DetectorPool } from '../src/kernels/detector/pool.ts';
import { LOCAL_METRICS, SIM_METRICS } from '../src/run/mesh-loop.ts';
import { METRIC_NAMES, MeshSimulator } from '../src/sim/index.ts';
import { runIfMain } from './report.ts';
import { percentile, ticksPerSecond } from './timing.ts';
import type { BenchResult } from './types.ts';

/** Measured ticks per size: a stable p99 without making 50,000 nodes take many minutes. */
const SIZES = [
  { nodes: 1000, ticks: 400 },
  { nodes: 10_000, ticks: 120 },
  { nodes: 50_000, ticks: 60 },
] as const;
/** Ticks before measuring: the detectors and normal ranges learn their baseline first. */
const WARMUP = 60;
/** Nodes of the simulated mesh that tiles the benchmark's. */
const TILE = 100;

/** The tiled mesh: its graph and a source of per-tick batches. */
function tiledMesh(nodes: number): { graph: MeshGraph; next(): { ts: number; batch: Batch } } {
  const sim = new MeshSimulator({ seed: 1, topology: { kind: 'geometric', nodes: TILE } });
  const t = sim.topology;
  const tiles = nodes / TILE;
  const ids: string[] = [];
  const links: Array<readonly [string, string]> = [];
  const gateways: string[] = [];
  for (let tile = 0; tile < tiles; tile++) {
    const id = (i: number) => `t${tile}-${t.nodeIds[i]}`;
    for (let i = 0; i < TILE; i++) {
      ids.push(id(i));
      if (t.isGateway[i]) gateways.push(id(i));
    }
    for (let l = 0; l < t.linkIds.length; l++) links.push([id(t.linkFrom[l]), id(t.linkTo[l])]);
    if (tile > 0) links.push([`t${tile - 1}-${t.nodeIds[0]}`, id(0)]);
  }
  const graph = new MeshGraph(ids, links, gateways);
  const columns = Object.fromEntries(METRIC_NAMES.map((m) => [m, new Float64Array(nodes)]));
  const batch = { ts: 0, columns, sources: Uint32Array.from({ length: nodes }, (_, i) => i) };
  return {
    graph,
    next() {
      const frame = sim.tick();
      for (const name of METRIC_NAMES) {
        const column = columns[name];
        const tile = frame.metrics[name];
        for (let i = 0; i < nodes; i++) column[i] = tile[i % TILE];
      }
      batch.ts = frame.tick;
      return { ts: frame.tick, batch };
    },
  };
}

type Batch = { ts: number; columns: Record<string, Float64Array>; sources: Uint32Array };

/** Tick latencies (ms) of the loop over `nodes` nodes with `detector` for its bank. */
async function measure(nodes: number, ticks: number, detector: BatchScorer): Promise<number[]> {
  const mesh = tiledMesh(nodes);
  const loop = new MapeKLoop({
    graph: mesh.graph,
    metrics: SIM_METRICS,
    localMetrics: LOCAL_METRICS,
    detector,
    threshold: ALARM_THRESHOLD,
    planner: await UtilityPlanner.create(),
    executor: new PlanOnlyExecutor(DEFAULT_ACTIONS),
  });
  const latencies: number[] = [];
  try {
    for (let i = 0; i < WARMUP + ticks; i++) {
      const { ts, batch } = mesh.next();
      const begin = performance.now();
      await loop.tick(ts, batch);
      if (i >= WARMUP) latencies.push(performance.now() - begin);
    }
  } finally {
    await loop.close();
  }
  return latencies;
}

/** Runs the workers benchmarks. */
export async function runWorkersBench(): Promise<BenchResult[]> {
  const cores = availableParallelism();
  const results: BenchResult[] = [
    { name: 'load average (1 min) at the start', value: loadavg()[0], unit: `runnable, ${cores} cores` },
  ];
  for (const { nodes, ticks } of SIZES) {
    const series = nodes * SIM_METRICS.length;
    const main = await measure(nodes, ticks, await DetectorBank.create(series));
    const pool = await DetectorPool.open(series, { shards: cores });
    const workers = await measure(nodes, ticks, pool);
    const rate = ticksPerSecond(workers);
    const at10k = nodes === 10_000;
    results.push(
      {
        name: `loop ticks/s, ${nodes} nodes x 8 metrics, main thread`,
        value: ticksPerSecond(main),
        unit: 'ticks/s',
      },
      {
        name: `loop ticks/s, ${nodes} nodes x 8 metrics, ${cores} workers`,
        value: rate,
        unit: 'ticks/s',
        baseline: 'main thread',
        ratio: rate / ticksPerSecond(main),
        ...(at10k ? { target: '>= 1.6x', met: rate / ticksPerSecond(main) >= 1.6 } : {}),
      },
      {
        name: `loop p99 tick latency, ${nodes} nodes, ${cores} workers`,
        value: percentile(workers, 0.99),
        unit: 'ms',
        baseline: 'main thread',
        ratio: percentile(workers, 0.99) / percentile(main, 0.99),
      },
    );
  }
  results.push({
    name: 'load average (1 min) at the end',
    value: loadavg()[0],
    unit: `runnable, ${cores} cores`,
  });
  return results;
}

await runIfMain(import.meta.url, runWorkersBench);
