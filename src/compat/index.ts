/**
 * Compat: the Python system's ML API as thin adapters over the engine, so its users can port
 * their code name for name. `MLEnhancedMAPEK` runs the real MAPE-K loop for one component;
 * `AnomalyDetectionSystem` scores metric vectors against learned baselines with the stats
 * kernel; `DecisionEngine` ranks `Policy` objects with the engine's planner (src/plan's
 * `UtilityPlanner`) and learns from outcomes; `MLOpsManager` registers models and judges their
 * health over src/mlops; `LoRAConfig` configures the decision scorer's LoRA adapters (it lives in
 * src/plan and is re-exported here). The other names live only here, not in the root export.
 */
export {
  AnomalyDetectionSystem,
  type Anomaly,
  type AnomalyConfig,
  type AnomalyStats,
  type TrainingResult,
} from './anomaly.ts';
export { ComponentDetector, type VectorScore } from './component-detector.ts';
export {
  DecisionEngine,
  type Decision,
  type DecisionContext,
  type DecisionEngineOptions,
  type DecisionStats,
  type PolicyOutcomes,
  type RankedPolicy,
} from './decision.ts';
export { Policy, PolicyPriority, PolicyRanker, type PolicyOptions } from './policy.ts';
export type { LoopAction, LoopActionSpec } from './actions.ts';
export type { ActionHandler, ActionHandlers } from './handler-executor.ts';
export type { IterationResult, LearnedRate } from './iteration.ts';
export {
  LORA_TARGET_MODULES,
  LoRAConfig,
  type LoRAConfigOptions,
  type LoRAInitialisation,
  type LoRASettings,
  type LoRATargetModule,
} from '../plan/lora.ts';
export {
  MLOpsManager,
  type MLOpsManagerOptions,
  type ModelHealth,
  type RegisterTrainedModelOptions,
} from './mlops.ts';
export { MLEnhancedMAPEK, type MLEnhancedMAPEKOptions, type MLStatistics } from './mapek.ts';
