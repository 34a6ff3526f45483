/**
 * Analyze: turns per-series anomaly scores into incidents grouped by time and topology, ranks
 * their root causes (live, or after the fact for one window of recorded telemetry: rca.ts), judges recovery against pre-incident baselines, describes symptoms in
 * operator words for the diagnosis, and lets the nodes that route changes and the engine's own
 * actions disturb settle. The streaming detectors are a kernel (src/kernels/detector); the NAB
 * scorer lives in ./nab (its own entry point).
 */
export {
  Analyzer,
  type AnalyzerOptions,
  type AnalyzerState,
  type IncidentSummary,
  type NormalRanges,
} from './analyzer.ts';
export type { DiagnosisContext } from './evidence.ts';
export { MeshGraph } from './graph.ts';
export {
  IncidentTracker,
  type IncidentOptions,
  type NodeAnomaly,
  type NodeEvidence,
  type SavedIncident,
  type TrackedIncident,
} from './incidents.ts';
export { rankRootCauses, type RootCauseOptions } from './root-cause.ts';
export {
  describeRankedCause,
  learnNormal,
  NORMAL_WIDTH,
  rankCauses,
  type NormalModel,
  type RankCausesOptions,
  type RankedCause,
  type RcaMetrics,
  type RcaResult,
  type SeriesEvidence,
} from './rca.ts';
export type { ActionEffects } from './settling.ts';
export { captureBand, recovered, type Band, type BandOptions } from './recovery.ts';
export { describeIncident, describeSeries, type Shape, type Symptom } from './symptoms.ts';
