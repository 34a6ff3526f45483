/**
 * Run: the main job. The loop over the simulated mesh (MeshLoop, one wiring shared by the CLI,
 * the load tester and the readiness checks), the embedded default parts, the simulator behind
 * the Executor interface, the evaluator that scores a run against the ground truth, and the
 * save and restore of what the engine learns (learning.ts), so learning survives a restart; and
 * a messier world to run in (world.ts: overlapping faults, planned changes, imperfect telemetry).
 */
export { runHealing, type HealingRunOptions } from './healing-run.ts';
export { MeshLoop, LOCAL_METRICS, SIM_METRICS, type MeshLoopOptions } from './mesh-loop.ts';
export {
  autoDetectorWorkers,
  createEngineParts,
  type EngineParts,
  type EnginePartsOptions,
  type SavableScorer,
  WORKER_MIN_SERIES,
} from './defaults.ts';
export { SimulatorExecutor } from './sim-executor.ts';
export {
  Evaluator,
  type FaultOutcome,
  type GroundTruthSource,
  type HealingReport,
  type KindReport,
} from './evaluate.ts';
export {
  csvField,
  RunExport,
  truthFile,
  type TelemetryFormat,
  type TopologyFile,
  type TruthFault,
  type TruthFile,
} from './export.ts';
export {
  describeCause,
  parseRouteChanges,
  ReplayRecorder,
  TelemetryReplay,
  type CauseEvidence,
  type ReplayCause,
  type ReplayIncident,
  type ReplayPlan,
  type RouteChange,
  type TelemetryReplayOptions,
} from './replay.ts';
export { RecordedTruth } from './truth-file.ts';
export { announceChanges, scheduleWorld, telemetryWithLoss, type WorldOptions } from './world.ts';
export {
  detectorArtefact,
  detectorState,
  LEARNT_MODELS,
  plannerOptions,
  restoreIncidents,
  restoreLearning,
  saveLearning,
  snapshotLearning,
  type DetectorArtefact,
  type LearningParts,
  type LearntModelKey,
  type LearntModels,
  type ModelNamePrefix,
  type RestoreLearningOptions,
  type RestoredLearning,
  type SaveLearningOptions,
} from './learning.ts';
