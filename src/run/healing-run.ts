/**
 * The main job: the MAPE-K loop healing a simulated mesh under a seeded fault schedule, scored
 * against the simulator's ground truth.
 */
import type { KnowledgeStore } from '../knowledge/store.ts';
import type { AuditSink, BatchScorer, Diagnoser } from '../loop/contracts.ts';
import type { MapeKLoop } from '../loop/loop.ts';
import type { TopologyKind } from '../sim/index.ts';
import { RUNBOOKS } from '../rag/runbooks.generated.ts';
import { Evaluator, type HealingReport } from './evaluate.ts';
import { MeshLoop } from './mesh-loop.ts';

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
export async function runHealing(
  options: HealingRunOptions,
): Promise<{ report: HealingReport; loop: MapeKLoop }> {
  const seed = options.seed ?? 1;
  const hours = options.hours ?? 24;
  const mesh = await MeshLoop.create({ ...options, seed, hours, faultsPerKind: options.faultsPerKind ?? 20 });
  // The evaluator listens from the first tick, so it sees every incident the loop opens.
  const runbookFaults = new Map(RUNBOOKS.map((r) => [r.id, r.faults]));
  const evaluator = new Evaluator(mesh.sim, mesh.loop.events, (id) => runbookFaults.get(id));
  const total = Math.floor(hours * 3600);
  const every = options.progressEvery ?? 600;
  for (let t = 0; t < total; t++) {
    await mesh.step();
    if (options.onProgress && (t + 1) % every === 0) options.onProgress(t + 1, total, mesh.loop);
  }
  // The run owns its loop: waits for its writes and rollbacks, ends its events, frees its workers.
  await mesh.loop.close();
  return { report: evaluator.report({ seed, hours }), loop: mesh.loop };
}
