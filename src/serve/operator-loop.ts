/**
 * The loop over an operator's own systems: the MeshGraph of their topology, the metrics and roles
 * of their config, the engine's default detector, threshold and RAG diagnoser (src/run/defaults.ts,
 * the operator's runbooks beside the shipped ones) and the utility planner, behind the executor
 * the caller built from the config. `serve`, `replay` and `rca` all run this one wiring; they feed
 * it with `loop.tick(ts, samples)`, each tick's samples as rows with their own times, in tick
 * time (seconds / `config.tickSeconds`, see TickClock in src/monitor/ticks.ts): the loop counts ticks.
 * Given what the engine learnt before (src/run/learning.ts), it starts from it, and `learnt()`
 * hands back what it knows now, for the caller to register in the model registry. With `shadow`,
 * the loop plans through a ShadowPlanner (src/mlops/shadow.ts): a challenger beside the planner,
 * never acted on, which the caller reviews between ticks (`shadow.review(tick)`).
 */
import type { MeshGraph } from '../analyze/graph.ts';
import type { Executor } from '../execute/executor.ts';
import type { IdSource } from '../knowledge/ids.ts';
import { MemoryStore } from '../knowledge/memory-store.ts';
import type { ModelStore } from '../knowledge/models.ts';
import type { KnowledgeStore } from '../knowledge/store.ts';
import type { AuditSink } from '../loop/contracts.ts';
import type { ShadowOptions, ShadowPlanner } from '../mlops/shadow.ts';
import { DEFAULT_HORIZON } from '../monitor/clock.ts';
import { MapeKLoop } from '../loop/loop.ts';
import { DEFAULT_ACTIONS } from '../plan/actions.ts';
import { UtilityPlanner } from '../plan/decision.ts';
import type { RagDocument } from '../rag/document.ts';
import { createEngineParts } from '../run/defaults.ts';
import {
  detectorState,
  type LearntModels,
  plannerFromLearning,
  type RestoredLearning,
  restoreIncidents,
  snapshotLearning,
} from '../run/learning.ts';
import { type EngineConfig, metricRoles } from './config.ts';
import { type Topology, topologyGraph } from './topology.ts';

/** Options of {@link createOperatorLoop}. */
export interface OperatorLoopOptions {
  /** The systems watched (from `parseTopology`). */
  topology: Topology;
  /** Metrics, roles, threshold, loop counts and rails (from `parseEngineConfig`). */
  config: EngineConfig;
  /** Carries actions out (built from `config.executor`). */
  executor: Executor;
  /** Where knowledge is kept (default a fresh MemoryStore). */
  store?: KnowledgeStore;
  /** Records decisions and actions before they are carried out. */
  audit?: AuditSink;
  /** The run's incident and action ids (default a fresh IdSource). */
  ids?: IdSource;
  /** Plan and record without acting (default `config.dryRun`). */
  dryRun?: boolean;
  /** The operator's runbooks, indexed beside the shipped ones for diagnoses. */
  runbooks?: readonly RagDocument[];
  /**
   * Worker threads scoring the detectors: 0 (default) on the calling thread, 'auto' by the series
   * and the cores (see `createEngineParts`).
   */
  detectorWorkers?: number | 'auto';
  /**
   * What the engine learnt before (`restoreLearning`, src/run/learning.ts): the planner starts
   * from its success rates and adapter, the detectors and Analyze's normal ranges continue where
   * they were, and past incidents are back in the RAG index.
   */
  learning?: RestoredLearning;
  /**
   * A challenger decision model in the shadow of the planner, registered in the model registry
   * of `store` (a knowledge store that keeps models; a fresh MemoryStore when none is given) under
   * `engine.success-rates`; the champion starts from `learning`'s posteriors.
   */
  shadow?: Omit<ShadowOptions, 'store' | 'planner' | 'champion'>;
}

/** A loop over the operator's systems, the graph it reasons on, and how to stop both. */
export interface OperatorLoop {
  /** The loop: feed it `tick(ts, samples)`. */
  loop: MapeKLoop;
  /** The topology's graph (nodes in the file's order). */
  graph: MeshGraph;
  /** The shadow evaluation the loop plans through, with `options.shadow`: review it between ticks. */
  shadow?: ShadowPlanner;
  /** What the engine has learnt so far, to register with `saveLearning`; take it before `close`. */
  learnt(): Promise<LearntModels>;
  /** Closes the loop (waiting for its tick, rollbacks and store writes) and the detector's workers. */
  close(): Promise<void>;
}

/**
 * Builds the loop for `options.topology` and `options.config`. With a command executor, the
 * planner chooses only among the actions the config gives a command for: any other would be
 * refused by the executor. Throws an ArgumentError for a topology or config the loop cannot take
 * (ones from `parseTopology` and `parseEngineConfig` it always takes).
 */
export async function createOperatorLoop(options: OperatorLoopOptions): Promise<OperatorLoop> {
  const { config } = options;
  const graph = topologyGraph(options.topology);
  const metrics = config.metrics.map(({ name, min, max }) => ({
    name,
    ...(min !== undefined ? { min } : {}),
    ...(max !== undefined ? { max } : {}),
  }));
  const executorConfig = config.executor;
  const actions =
    executorConfig.kind === 'command'
      ? DEFAULT_ACTIONS.filter((a) => Object.hasOwn(executorConfig.actions, a.name))
      : DEFAULT_ACTIONS;
  const parts = await createEngineParts({
    ...(options.runbooks ? { runbooks: options.runbooks } : {}),
    ...(options.detectorWorkers !== undefined ? { detectorWorkers: options.detectorWorkers } : {}),
  });
  try {
    const { learning } = options;
    const names = metrics.map((m) => m.name);
    const saved = learning?.detector ? detectorState(learning.detector, graph.nodeIds, names) : undefined;
    const detector = await parts.detector(graph.size * metrics.length, saved?.state);
    const store = options.store ?? (options.shadow ? new MemoryStore() : undefined);
    const { planner, shadow } = await plannerFromLearning(
      learning,
      { actions },
      // The registry refuses (ArgumentError) a knowledge store without model tables.
      options.shadow && { ...options.shadow, store: store as unknown as ModelStore },
    );
    await restoreIncidents(parts.diagnoser, learning?.incidents);
    const loop = new MapeKLoop({
      ...config.loop,
      graph,
      metrics,
      ...metricRoles(config),
      detector,
      threshold: config.threshold,
      planner: shadow ?? planner,
      executor: options.executor,
      store,
      diagnoser: parts.diagnoser,
      audit: options.audit,
      ids: options.ids,
      rails: config.rails,
      dryRun: options.dryRun ?? config.dryRun,
      // The loop is fed tick time (TickClock): its horizon is the default 30 days in ticks.
      time: { horizon: DEFAULT_HORIZON / config.tickSeconds },
    });
    if (saved?.normal) loop.restoreNormalRanges(saved.normal);
    if (shadow) {
      loop.on('escalation', (event) => shadow.incidentClosed(event.incident.id));
      loop.on('incident-resolved', (event) => shadow.incidentClosed(event.incident.id));
    }
    // With a shadow, what the engine learnt is its champion's (a promoted one's, after a promotion).
    const acting = (): UtilityPlanner => {
      const champion = shadow?.champion;
      if (champion instanceof UtilityPlanner) return champion;
      return champion?.base ?? planner;
    };
    return {
      loop,
      graph,
      ...(shadow ? { shadow } : {}),
      learnt: () =>
        snapshotLearning({
          planner: acting(),
          detector,
          sources: graph.nodeIds,
          metrics: names,
          diagnoser: parts.diagnoser,
          normalRanges: loop.normalRanges(),
        }),
      close: async () => {
        try {
          await loop.close();
        } finally {
          await parts.close();
        }
      },
    };
  } catch (error) {
    await parts.close();
    throw error;
  }
}
