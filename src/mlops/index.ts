/**
 * MLOps: the model registry and model health. Versions of every learnt model with lineage, tags
 * and aliases (`champion`, `challenger`) in the knowledge store, promoted and rolled back with an
 * audit entry each (registry.ts); health from evidence (precision, false alarms, decision
 * success, latency, input drift by PSI/KS/Wasserstein, error drift by Page-Hinkley) judged by
 * documented rules (health.ts, drift.ts, error-drift.ts); a challenger decision model evaluated
 * in the champion's shadow, promoted by a sign test and rolled back on failing health (shadow.ts).
 */
export { ModelNotFoundError, ModelTransitionError } from './errors.ts';
export {
  artefactDigest,
  CHALLENGER,
  CHAMPION,
  isIntactVersion,
  MODEL_KINDS,
  ModelRegistry,
  parseModelRef,
  type ModelAuditLog,
  type ModelDiff,
  type ModelRegistryOptions,
  type ModelSummary,
  type RegisterModel,
} from './registry.ts';
export {
  DRIFT_THRESHOLDS,
  featureDrift,
  PSI_BINS,
  wasserstein1,
  type FeatureDrift,
  type FigureStatus,
} from './drift.ts';
export { PageHinkley, type PageHinkleyOptions } from './error-drift.ts';
export {
  HEALTH_THRESHOLDS,
  ModelHealthMonitor,
  type HealthFinding,
  type HealthReport,
  type HealthStatus,
  type HealthThresholds,
  type ModelHealthOptions,
} from './health.ts';
export {
  DiscountedSuccessRates,
  SHADOW_DEFAULTS,
  ShadowPlanner,
  signTestPValue,
  type DecisionPlanner,
  type DecisionRecipe,
  type ShadowEvidence,
  type ShadowOptions,
  type ShadowOutcome,
  type ShadowSummary,
  type ShadowTransition,
} from './shadow.ts';
