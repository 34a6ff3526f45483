/**
 * The engine as the performance checks drive it: a MapeKLoop over a seeded MeshSimulator with
 * faults injected, wired as src/run/healing-run.ts wires it, but advanced one `step()` at a
 * time so a load runner can pace it. Its parts are the engine's defaults (src/run/defaults.ts):
 * the wasm detector bank at its shipped alarm threshold and the RAG diagnoser.
 */
import { MeshGraph } from '../analyze/graph.ts';
import type { KnowledgeStore } from '../knowledge/store.ts';
import { MapeKLoop } from '../loop/loop.ts';
import { DecisionEngine } from '../plan/decision.ts';
import { createEngineParts } from '../run/defaults.ts';
import { LOCAL_METRICS, SIM_METRICS } from '../run/healing-run.ts';
import { SimulatorExecutor, simulatorActions } from '../run/sim-executor.ts';
import { MeshSimulator, METRIC_NAMES, scheduleFaults, type TickFrame } from '../sim/index.ts';

/** Options of {@link MeshLoop.create}. */
export interface MeshLoopOptions {
  /** Mesh size (default 50). */
  nodes?: number;
  seed?: number;
  /** Length of the fault schedule in simulated hours (default 1). */
  hours?: number;
  /** Faults of each kind in that schedule (default 2). */
  faultsPerKind?: number;
  store?: KnowledgeStore;
}

/** A loop over a simulated mesh, advanced tick by tick. */
export class MeshLoop {
  #batch: FrameBatch;

  private constructor(
    readonly loop: MapeKLoop,
    readonly sim: MeshSimulator,
    private readonly executor: SimulatorExecutor,
  ) {
    this.#batch = new FrameBatch(sim.topology.nodeIds.length);
  }

  /** Builds the simulator, its fault schedule, the default engine parts and the loop. */
  static async create(options: MeshLoopOptions = {}): Promise<MeshLoop> {
    const seed = options.seed ?? 1;
    const sim = new MeshSimulator({ seed, topology: { kind: 'geometric', nodes: options.nodes ?? 50 } });
    for (const spec of scheduleFaults({ seed, topology: sim.topology, hours: options.hours ?? 1, perKind: options.faultsPerKind ?? 2 })) {
      sim.inject(spec);
    }
    const t = sim.topology;
    const graph = new MeshGraph(t.nodeIds, t.linkIds.map((_, l) => [t.nodeIds[t.linkFrom[l]], t.nodeIds[t.linkTo[l]]] as const));
    const executor = new SimulatorExecutor(sim);
    const parts = await createEngineParts();
    const loop = new MapeKLoop({
      graph,
      metrics: SIM_METRICS,
      localMetrics: LOCAL_METRICS,
      detector: await parts.detector(graph.size * SIM_METRICS.length),
      threshold: parts.threshold,
      diagnoser: parts.diagnoser,
      planner: await DecisionEngine.create({ actions: simulatorActions() }),
      executor,
      store: options.store,
    });
    return new MeshLoop(loop, sim, executor);
  }

  /** One simulated second: the mesh ticks, finished actions land, the loop runs one tick. */
  async step(): Promise<void> {
    const frame = this.sim.tick();
    this.executor.settle();
    await this.loop.tick(frame.tick, this.#batch.from(frame));
  }
}

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
