/**
 * The main job: the MAPE-K loop healing a simulated mesh under a seeded fault schedule, scored
 * against the simulator's ground truth.
 */
import { MeshGraph } from '../analyze/graph.ts';
import type { KnowledgeStore } from '../knowledge/store.ts';
import type { AuditSink, BatchScorer, Diagnoser } from '../loop/contracts.ts';
import { MapeKLoop } from '../loop/loop.ts';
import type { MetricSpec } from '../monitor/ingest.ts';
import { DecisionEngine } from '../plan/decision.ts';
import { MeshSimulator, METRIC_NAMES, scheduleFaults, type TickFrame, type TopologyKind } from '../sim/index.ts';
import { Evaluator, type HealingReport } from './evaluate.ts';
import { SimulatorExecutor, simulatorActions } from './sim-executor.ts';

/** The simulator's metrics with their physical ranges (values outside are rejected). */
export const SIM_METRICS: readonly MetricSpec[] = [
  { name: 'cpu', min: 0, max: 100 },
  { name: 'memory', min: 0, max: 100 },
  { name: 'packetLoss', min: 0, max: 1 },
  { name: 'latencyP95', min: 0 },
  { name: 'throughput', min: 0 },
  { name: 'errorRate', min: 0, max: 1 },
  { name: 'queueDepth', min: 0 },
  { name: 'linkQuality', min: 0, max: 1 },
];

/** Which way each metric goes when something is wrong (a drop in cpu or a traffic surge alone is no fault). */
export const HARMFUL_DIRECTIONS: Readonly<Record<string, 'up' | 'down'>> = {
  cpu: 'up',
  memory: 'up',
  packetLoss: 'up',
  latencyP95: 'up',
  throughput: 'down',
  errorRate: 'up',
  queueDepth: 'up',
  linkQuality: 'down',
};

/** Metrics that rise with demand: a busy node shows them without anything being wrong. */
export const LOAD_METRICS = ['cpu', 'queueDepth'] as const;

/** Metrics that describe a node itself; the others describe its network. */
export const LOCAL_METRICS = ['cpu', 'memory', 'errorRate', 'queueDepth'] as const;

export interface HealingRunOptions {
  nodes?: number;
  hours?: number;
  /** Faults of each kind (default 20). */
  faultsPerKind?: number;
  seed?: number;
  topology?: TopologyKind;
  /** Builds the detector for `series` series. */
  detector: (series: number) => BatchScorer | Promise<BatchScorer>;
  /** Detector score at or above which a series is anomalous. */
  threshold: number;
  store?: KnowledgeStore;
  diagnoser?: Diagnoser;
  audit?: AuditSink;
  /** Called every `progressEvery` ticks (default 600). */
  onProgress?: (tick: number, total: number, loop: MapeKLoop) => void;
  progressEvery?: number;
}

/** Runs the loop over the simulator and returns the scored report and the loop (for its stats). */
export async function runHealing(options: HealingRunOptions): Promise<{ report: HealingReport; loop: MapeKLoop }> {
  const seed = options.seed ?? 1;
  const hours = options.hours ?? 24;
  const sim = new MeshSimulator({ seed, topology: { kind: options.topology ?? 'geometric', nodes: options.nodes ?? 50 } });
  for (const spec of scheduleFaults({ seed, topology: sim.topology, hours, perKind: options.faultsPerKind ?? 20 })) sim.inject(spec);

  const topology = sim.topology;
  const graph = new MeshGraph(
    topology.nodeIds,
    topology.linkIds.map((_, l) => [topology.nodeIds[topology.linkFrom[l]], topology.nodeIds[topology.linkTo[l]]] as const),
  );
  const executor = new SimulatorExecutor(sim);
  const loop = new MapeKLoop({
    graph,
    metrics: SIM_METRICS,
    localMetrics: LOCAL_METRICS,
    harmful: HARMFUL_DIRECTIONS,
    loadMetrics: LOAD_METRICS,
    lossMetric: 'packetLoss',
    linkMetric: 'linkQuality',
    throughputMetric: 'throughput',
    detector: await options.detector(graph.size * SIM_METRICS.length),
    threshold: options.threshold,
    planner: await DecisionEngine.create({ actions: simulatorActions() }),
    executor,
    store: options.store,
    diagnoser: options.diagnoser,
    audit: options.audit,
  });
  const evaluator = new Evaluator(sim, loop.events);
  const batch = new FrameBatcher(topology.nodeIds.length);
  const total = Math.floor(hours * 3600);
  const every = options.progressEvery ?? 600;
  for (let t = 0; t < total; t++) {
    const frame = sim.tick();
    executor.settle();
    await loop.tick(frame.tick, batch.from(frame));
    if (options.onProgress && (t + 1) % every === 0) options.onProgress(t + 1, total, loop);
  }
  await loop.flush();
  return { report: evaluator.report({ seed, hours }), loop };
}

/** Turns a simulator frame into a columnar batch of the nodes that reported, without allocating. */
class FrameBatcher {
  readonly #sources: Uint32Array;
  readonly #columns: Record<string, Float64Array>;

  constructor(nodes: number) {
    this.#sources = new Uint32Array(nodes);
    this.#columns = Object.fromEntries(METRIC_NAMES.map((m) => [m, new Float64Array(nodes)]));
  }

  from(frame: TickFrame) {
    let n = 0;
    for (let i = 0; i < frame.reporting.length; i++) if (frame.reporting[i]) this.#sources[n++] = i;
    const columns: Record<string, Float64Array> = {};
    for (const m of METRIC_NAMES) {
      const out = this.#columns[m];
      const values = frame.metrics[m];
      for (let k = 0; k < n; k++) out[k] = values[this.#sources[k]];
      columns[m] = out.subarray(0, n);
    }
    return { ts: frame.tick, columns, sources: this.#sources.subarray(0, n) };
  }
}
