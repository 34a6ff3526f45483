/**
 * Analyze: turns per-series anomaly scores into incidents grouped by time and topology, ranks
 * their root causes, judges recovery against pre-incident baselines, and describes symptoms in
 * operator words for the diagnosis. The streaming detectors live in ./detectors, the NAB scorer
 * in ./nab (both have their own entry points).
 */
export { Analyzer, type AnalyzerOptions, type IncidentSummary } from './analyzer.ts';
export { MeshGraph } from './graph.ts';
export {
  IncidentTracker,
  type IncidentOptions,
  type NodeAnomaly,
  type NodeEvidence,
  type TrackedIncident,
} from './incidents.ts';
export { rankRootCauses, type RootCauseOptions } from './root-cause.ts';
export { captureBand, recovered, type Band, type BandOptions } from './recovery.ts';
export { describeIncident, describeSeries, type Shape, type Symptom } from './symptoms.ts';
