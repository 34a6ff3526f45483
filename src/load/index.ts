/**
 * Load testing (`x0tta6bl4 load`). Owns: targets (any sync/async function, HTTP via fetch,
 * built-in real-work targets), the open-model scheduler (constant or ramping arrival rate,
 * coordinated-omission-corrected HDR latency, drops and per-call timeouts) and the closed model
 * (N loops), StressTester (ramp until a threshold breaks; stable rate and knee), k6-style
 * thresholds, presets of the validation plan, and terminal, JSON and HTML reports.
 */
export { type CallContext, type LoadTarget, LoadCallError } from './target.ts';
export { httpTarget, type HttpTargetOptions } from './http-target.ts';
export {
  builtinTargets,
  monitorIngestTarget,
  type MonitorIngestOptions,
  sha256Target,
} from './builtin-targets.ts';
export type { ConcurrencyStage, RateStage } from './schedule.ts';
export type { ClosedScenario, OpenScenario, Scenario, ScenarioBase } from './scenario.ts';
export type { LoadProgress, RunHooks } from './progress.ts';
export { type Clock, systemClock } from './clock.ts';
export { type LoadResult, runScenario, type StageResult } from './run.ts';
export type { LatencyStats, LoadSummary, PercentilePoint, SecondPoint } from './summary.ts';
export {
  evaluateThreshold,
  type Operator,
  parseThreshold,
  parseThresholds,
  type Threshold,
  type ThresholdResult,
} from './thresholds.ts';
export { rampScenario, type StressOptions, StressTester } from './stress.ts';
export { analyzeSteps, findKnee, type StepPoint, type StressAnalysis } from './knee.ts';
export { PLAN_PRESETS, PRESETS, type Preset, presetScenario } from './presets.ts';
export { formatProgress, formatSummary } from './report-text.ts';
export { renderLoadReportHtml } from './report-html.ts';
