/**
 * The main job: the MAPE-K loop healing a simulated mesh under a seeded fault schedule, scored
 * against the simulator's ground truth.
 */
import type { IdSource } from '../knowledge/ids.ts';
import type { KnowledgeStore } from '../knowledge/store.ts';
import type { AuditSink, Diagnoser } from '../loop/contracts.ts';
import type { MapeKLoop } from '../loop/loop.ts';
import type { ShadowPlanner } from '../mlops/shadow.ts';
import type { FaultRecord, Topology, TopologyKind } from '../sim/index.ts';
import { RUNBOOKS } from '../rag/runbooks.generated.ts';
import { maxFaultsPerKind } from '../sim/index.ts';
import { Evaluator, type HealingReport } from './evaluate.ts';
import type { LearntModels, RestoredLearning } from './learning.ts';
import { MeshLoop, type MeshLoopOptions } from './mesh-loop.ts';

/** Options of the main job's run. */
export interface HealingRunOptions {
  /** Mesh size (default 50). */
  nodes?: number;
  /** Simulated hours (default 24). */
  hours?: number;
  /** Faults of each kind (default 20, or as many as fit in `hours`). */
  faultsPerKind?: number;
  /** Seed of the mesh, the faults and the engine (default 1). */
  seed?: number;
  /** Seed of the fault schedule alone (default `seed`; see MeshLoopOptions). */
  faultSeed?: number;
  /** First tick (default 0; see MeshLoopOptions). */
  startTick?: number;
  /** How the mesh is generated (default 'geometric'). */
  topology?: TopologyKind;
  /** Builds the detector for `series` series, continuing `saved` when given (see MeshLoopOptions). */
  detector: NonNullable<MeshLoopOptions['detector']>;
  /** Detector score at or above which a series is anomalous. */
  threshold: number;
  /** Where knowledge is kept (default a fresh MemoryStore). */
  store?: KnowledgeStore;
  /** Diagnoses incidents (default none). */
  diagnoser?: Diagnoser;
  /** Records decisions and actions before they are carried out. */
  audit?: AuditSink;
  /** The run's incident and action ids, e.g. `new IdSource(runId)` (default: a fresh IdSource). */
  ids?: IdSource;
  /** Called every `progressEvery` ticks (default 600). */
  onProgress?: (tick: number, total: number, loop: MapeKLoop) => void;
  /** Ticks between `onProgress` calls. */
  progressEvery?: number;
  /** Stops the run early (e.g. on SIGINT); the report then covers the ticks run. */
  signal?: AbortSignal;
  /** Sees every frame and the routes in force before the loop ticks on it (see MeshLoopOptions). */
  onFrame?: MeshLoopOptions['onFrame'];
  /** What the engine learnt before, to start from (see MeshLoopOptions.learning). */
  learning?: RestoredLearning;
  /** Take what the engine learnt by the end (`learnt` in the result), e.g. for `saveLearning`. */
  keepLearning?: boolean;
  /** A messier world: overlapping faults, planned changes, imperfect telemetry (see MeshLoopOptions). */
  world?: MeshLoopOptions['world'];
  /** One action stops healing one fault kind and another starts to, midway (see MeshLoopOptions). */
  worldChange?: MeshLoopOptions['worldChange'];
  /** Options of the planner (see MeshLoopOptions). */
  planner?: MeshLoopOptions['planner'];
  /** A challenger decision model run in the shadow of the planner (see MeshLoopOptions). */
  shadow?: MeshLoopOptions['shadow'];
}

/** How long the run may hold the event loop before it lets timers and signal handlers run. */
const YIELD_EVERY_MS = 50;

/**
 * Runs the loop over the simulator and returns the scored report, the loop (for its stats), the
 * mesh it healed (to draw where the faults struck), the faults as the simulator recorded them
 * (the ground truth an export carries), with `keepLearning` what the engine learnt, and with
 * `shadow` the shadow evaluation (its figures and transitions).
 */
export async function runHealing(options: HealingRunOptions): Promise<{
  report: HealingReport;
  loop: MapeKLoop;
  topology: Topology;
  groundTruth: FaultRecord[];
  learnt?: LearntModels;
  shadow?: ShadowPlanner;
}> {
  const seed = options.seed ?? 1;
  const hours = options.hours ?? 24;
  const faultsPerKind = options.faultsPerKind ?? Math.min(20, maxFaultsPerKind(hours));
  const mesh = await MeshLoop.create({ ...options, seed, hours, faultsPerKind });
  // The evaluator listens from the first tick, so it sees every incident the loop opens.
  const runbookFaults = new Map(RUNBOOKS.map((r) => [r.id, r.faults]));
  const evaluator = new Evaluator(mesh.sim, mesh.loop.events, (id) => runbookFaults.get(id));
  const total = Math.floor(hours * 3600);
  const every = options.progressEvery ?? 600;
  let ran = 0;
  let yieldedAt = performance.now();
  for (; ran < total && !options.signal?.aborted; ran++) {
    await mesh.step();
    if (options.onProgress && (ran + 1) % every === 0) options.onProgress(ran + 1, total, mesh.loop);
    // A step's awaits settle as microtasks, which starve timers (the audit log's seal timer)
    // and signal handlers until the run ends: give the event loop a turn now and then.
    if (performance.now() - yieldedAt >= YIELD_EVERY_MS) {
      await new Promise((resolve) => setTimeout(resolve, 0));
      yieldedAt = performance.now();
    }
  }
  // Before the loop closes: closing stops the detector workers that hold their state.
  const learnt = options.keepLearning ? await mesh.learnt() : undefined;
  // The run owns its loop: waits for its writes and rollbacks, ends its events, frees its workers.
  await mesh.loop.close();
  const hoursRun = ran < total ? Math.max(ran, 1) / 3600 : hours;
  return {
    report: evaluator.report({ seed, hours: hoursRun }),
    loop: mesh.loop,
    topology: mesh.sim.topology,
    groundTruth: mesh.sim.groundTruth(),
    ...(learnt ? { learnt } : {}),
    ...(mesh.shadow ? { shadow: mesh.shadow } : {}),
  };
}
