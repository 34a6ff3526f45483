/**
 * The engine wired to a simulated mesh: a MapeKLoop over a seeded MeshSimulator with a fault
 * schedule injected, advanced one `step()` (one simulated second) at a time. The main job
 * (src/run/healing-run.ts) drives it to the end of the schedule; the readiness checks and the
 * load tester's engine target pace it themselves.
 */
import { MeshGraph } from '../analyze/graph.ts';
import { ArgumentError } from '../errors.ts';
import type { IdSource } from '../knowledge/ids.ts';
import type { ModelStore } from '../knowledge/models.ts';
import type { KnowledgeStore } from '../knowledge/store.ts';
import type { AuditSink, BatchScorer, Diagnoser } from '../loop/contracts.ts';
import { MemoryStore } from '../knowledge/memory-store.ts';
import { MapeKLoop } from '../loop/loop.ts';
import type { ShadowOptions, ShadowPlanner } from '../mlops/shadow.ts';
import type { MetricSpec } from '../monitor/ingest.ts';
import { UtilityPlanner, type UtilityPlannerOptions } from '../plan/decision.ts';
import type { BankState } from '../kernels/detector/detector.ts';
import {
  MeshSimulator,
  METRIC_NAMES,
  type RouteTable,
  scheduleFaults,
  TelemetryChannel,
  type TickFrame,
  type TopologyKind,
  type WorldChange,
} from '../sim/index.ts';
import { createEngineParts } from './defaults.ts';
import {
  detectorState,
  type LearntModels,
  plannerFromLearning,
  restoreIncidents,
  type RestoredLearning,
  snapshotLearning,
} from './learning.ts';
import { SimulatorExecutor } from './sim-executor.ts';
import { announceChanges, scheduleWorld, type WorldOptions } from './world.ts';

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

/** Metrics that follow demand either way: a node whose traffic merely falls is quieter, not broken. */
export const DEMAND_METRICS = ['throughput'] as const;

/** Metrics that describe a node itself; the others describe its network. */
export const LOCAL_METRICS = ['cpu', 'memory', 'errorRate', 'queueDepth'] as const;

/** Options of {@link MeshLoop.create}. */
export interface MeshLoopOptions {
  /** Mesh size (default 50). */
  nodes?: number;
  /** Seed of the mesh, the faults and the engine (default 1). */
  seed?: number;
  /** Seed of the fault schedule alone (default `seed`): another day of faults on the same mesh. */
  faultSeed?: number;
  /**
   * First tick the loop sees (default 0, midnight); the fault schedule starts there. The mesh
   * runs from midnight up to it first, without faults and unobserved, so its state (load, queues,
   * caches) is that of a mesh that has been running, not a freshly started one: a second day on
   * the same mesh starts where the first ended.
   */
  startTick?: number;
  /** How the mesh is generated (default 'geometric'). */
  topology?: TopologyKind;
  /** Length of the fault schedule in simulated hours (default 1). */
  hours?: number;
  /** Faults of each kind in that schedule (default 2); 0 schedules none (faults are then injected by hand, as in the playground). */
  faultsPerKind?: number;
  /**
   * Builds the detector for `series` series, continuing `saved` when given (with `learning`);
   * with `threshold`, the score at or above which a series is anomalous. Default: the engine's
   * defaults (src/run/defaults.ts), whose RAG diagnoser then also becomes the default `diagnoser`.
   */
  detector?: (series: number, saved?: BankState) => BatchScorer | Promise<BatchScorer>;
  /** Detector score at or above which a series is anomalous. */
  threshold?: number;
  /** Diagnoses incidents. */
  diagnoser?: Diagnoser;
  /** Where knowledge is kept (default a fresh MemoryStore). */
  store?: KnowledgeStore;
  /** Records decisions and actions before they are carried out. */
  audit?: AuditSink;
  /** The run's incident and action ids (default: a fresh IdSource; see LoopOptions.ids). */
  ids?: IdSource;
  /**
   * Sees every frame, with the routes in force, before the loop ticks on it (`run --export`
   * writes the run's telemetry from here). The frame is reused: copy what is kept.
   */
  onFrame?: (frame: TickFrame, routes: RouteTable) => void;
  /**
   * What the engine learnt before (`restoreLearning`, src/run/learning.ts): the planner starts
   * from its posteriors and adapter, the detector from its state (through `detector`'s `saved`),
   * the diagnoser's index from its incidents.
   */
  learning?: RestoredLearning;
  /**
   * A messier world (src/run/world.ts): overlapping random faults with cascades and announced
   * planned changes (`overlap`, in place of `faultsPerKind`), imperfect telemetry.
   */
  world?: WorldOptions;
  /**
   * From a given tick on, one action stops healing one fault kind and another starts to
   * (src/sim/world-change.ts); the engine is not told.
   */
  worldChange?: WorldChange;
  /** Options of the planner (`UtilityPlanner.create`; the restored adapter, if any, is added to them). */
  planner?: UtilityPlannerOptions;
  /**
   * A challenger decision model run in the shadow of the planner (src/mlops/shadow.ts): the loop
   * plans with a ShadowPlanner, which promotes the challenger or rolls the champion back between
   * ticks, each change registered in the model registry of `store` (of the knowledge store when
   * not given) under `engine.success-rates`. The champion starts from `learning`'s posteriors.
   */
  shadow?: Omit<ShadowOptions, 'store' | 'planner' | 'champion'> & { store?: ShadowOptions['store'] };
}

/** A loop over a simulated mesh, advanced tick by tick. */
export class MeshLoop {
  readonly #batch: FrameBatch;
  /** Degrades the telemetry on its way to the loop, when the world's is imperfect. */
  #channel?: TelemetryChannel;
  #routesVersion = -1;

  private constructor(
    readonly loop: MapeKLoop,
    readonly sim: MeshSimulator,
    private readonly executor: SimulatorExecutor,
    private readonly startPlanner: UtilityPlanner,
    /** The loop's detector (a DetectorBank or DetectorPool by default; its state is what it learns). */
    readonly detector: BatchScorer,
    private readonly diagnoser: Diagnoser | undefined,
    private readonly onFrame?: (frame: TickFrame, routes: RouteTable) => void,
    /** The shadow evaluation the loop plans through, when one is configured. */
    readonly shadow?: ShadowPlanner,
  ) {
    this.#batch = new FrameBatch(sim.topology.nodeIds.length);
  }

  /** The planner the loop decides with (its posteriors and adapter are what it learns); with a shadow, its champion. */
  get planner(): UtilityPlanner {
    const champion = this.shadow?.champion;
    if (champion instanceof UtilityPlanner) return champion;
    return champion?.base ?? this.startPlanner;
  }

  /** The channel that degrades the telemetry on its way to the loop (its stats, silences), if any. */
  get telemetry(): TelemetryChannel | undefined {
    return this.#channel;
  }

  /** Builds the simulator, its fault schedule, the engine's parts and the loop. */
  static async create(options: MeshLoopOptions = {}): Promise<MeshLoop> {
    const seed = options.seed ?? 1;
    const startTick = options.startTick ?? 0;
    if (!Number.isInteger(startTick) || startTick < 0)
      throw new ArgumentError('options.startTick', `expected an integer >= 0, got ${String(startTick)}`);
    const world = options.world ?? {};
    const sim = new MeshSimulator({
      seed,
      topology: { kind: options.topology ?? 'geometric', nodes: options.nodes ?? 50 },
      ...(world.overlap ? { cascades: true } : {}),
      ...(options.worldChange ? { worldChange: options.worldChange } : {}),
    });
    while (sim.now < startTick) sim.tick();
    const perKind = options.faultsPerKind ?? 2;
    const hours = options.hours ?? 1;
    const faultSeed = options.faultSeed ?? seed;
    const changes = world.overlap ? scheduleWorld(sim, world, { seed: faultSeed, hours, startTick }) : [];
    if (perKind !== 0 && !world.overlap) {
      for (const spec of scheduleFaults({ seed: faultSeed, topology: sim.topology, hours, perKind }))
        sim.inject({ ...spec, start: (spec.start ?? 0) + startTick });
    }
    const t = sim.topology;
    const graph = new MeshGraph(
      t.nodeIds,
      t.linkIds.map((_, l) => [t.nodeIds[t.linkFrom[l]], t.nodeIds[t.linkTo[l]]] as const),
      t.nodeIds.filter((_, i) => t.isGateway[i]),
    );
    const parts =
      options.detector && options.threshold !== undefined
        ? { detector: options.detector, threshold: options.threshold, diagnoser: options.diagnoser }
        : { ...(await createEngineParts()), ...(options.diagnoser ? { diagnoser: options.diagnoser } : {}) };
    const executor = new SimulatorExecutor(sim);
    const learning = options.learning;
    const saved = learning?.detector
      ? detectorState(learning.detector, graph.nodeIds, metricNames)
      : undefined;
    const detector = await parts.detector(graph.size * SIM_METRICS.length, saved?.state);
    // One store for the loop's knowledge and the shadow's registry, when neither is given.
    const store = options.store ?? (options.shadow ? new MemoryStore() : undefined);
    const { planner, shadow } = await plannerFromLearning(
      learning,
      options.planner ?? {},
      options.shadow && {
        ...options.shadow,
        // The registry refuses (ArgumentError) a knowledge store without model tables.
        store: options.shadow.store ?? (store as unknown as ModelStore),
      },
    );
    await restoreIncidents(parts.diagnoser, learning?.incidents);
    const loop = new MapeKLoop({
      graph,
      metrics: SIM_METRICS,
      localMetrics: LOCAL_METRICS,
      harmful: HARMFUL_DIRECTIONS,
      loadMetrics: LOAD_METRICS,
      demandMetrics: DEMAND_METRICS,
      lossMetric: 'packetLoss',
      linkMetric: 'linkQuality',
      throughputMetric: 'throughput',
      detector,
      threshold: parts.threshold,
      planner: shadow ?? planner,
      executor,
      store,
      diagnoser: parts.diagnoser,
      audit: options.audit,
      ids: options.ids,
    });
    if (saved?.normal) loop.restoreNormalRanges(saved.normal);
    announceChanges(loop, changes);
    if (shadow) {
      loop.on('escalation', (event) => shadow.incidentClosed(event.incident.id));
      loop.on('incident-resolved', (event) => shadow.incidentClosed(event.incident.id));
    }
    const mesh = new MeshLoop(
      loop,
      sim,
      executor,
      planner,
      detector,
      parts.diagnoser,
      options.onFrame,
      shadow,
    );
    if (world.telemetry)
      mesh.#channel = new TelemetryChannel((seed ^ 0x5eed7e1e) >>> 0, t.nodeIds, world.telemetry);
    return mesh;
  }

  /**
   * What the engine has learnt so far (see `snapshotLearning`), to register with `saveLearning`.
   * Take it before the loop is closed.
   */
  learnt(): Promise<LearntModels> {
    return snapshotLearning({
      planner: this.planner,
      detector: this.detector,
      sources: this.sim.topology.nodeIds,
      metrics: metricNames,
      ...(this.diagnoser ? { diagnoser: this.diagnoser } : {}),
      normalRanges: this.loop.normalRanges(),
    });
  }

  /** One simulated second: the mesh ticks, finished actions land, the loop runs one tick. */
  async step(): Promise<void> {
    const frame = this.sim.tick();
    this.executor.settle();
    // Every node knows its next hop: the engine reads the routing table as a node agent would.
    const routes = this.sim.routes;
    if (routes.version !== this.#routesVersion) {
      this.loop.updateRoutes(routes.nextHop);
      this.#routesVersion = routes.version;
    }
    this.onFrame?.(frame, routes);
    await this.loop.tick(frame.tick, this.#channel ? this.#channel.deliver(frame) : this.#batch.from(frame));
    // Promotions and rollbacks happen between ticks, once the registry has recorded them.
    await this.shadow?.review(frame.tick);
  }
}

/** The loop's metric names, in series order. */
const metricNames = SIM_METRICS.map((m) => m.name);

/** A simulator frame as the columnar batch of the nodes that reported, reusing its buffers. */
class FrameBatch {
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
