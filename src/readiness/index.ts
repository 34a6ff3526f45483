/**
 * Readiness (`x0tta6bl4 readiness`): the production-readiness validator of a deployment. Owns
 * the check model (check.ts), the runner that refuses evidence-free passes (runner.ts), the run
 * context (context.ts), the checks in five categories (checks/, listed in catalog.ts), the
 * terminal, JSON and HTML reports, the loop's health and readiness probes and their HTTP
 * endpoint, and the versioned configuration records a rollback needs (models: src/mlops).
 */
export {
  CATEGORIES,
  notApplicable,
  verdict,
  type Category,
  type Check,
  type CheckContext,
  type CheckStatus,
  type Evidence,
  type Observation,
} from './check.ts';
export {
  describeError,
  exitCode,
  runChecks,
  summarize,
  type CheckResult,
  type ReadinessReport,
  type ReadinessSummary,
  type RunOptions,
} from './runner.ts';
export { createContext, type ContextOptions, type RunContext } from './context.ts';
export { READINESS_CHECKS } from './catalog.ts';
export { formatCheckLine, formatReport } from './report-text.ts';
export { renderReadinessReportHtml } from './report-html.ts';
export {
  LoopProbes,
  type ProbeCondition,
  type ProbeOptions,
  type ProbeResult,
  type ProbedLoop,
} from './probes.ts';
export { serveProbes, type ProbeServer } from './probe-server.ts';
export {
  digestOf,
  isIntact,
  recordVersion,
  rollbackTarget,
  versionHistory,
  type VersionKind,
  type VersionRecord,
} from './versions.ts';
export { configProblems, type EngineConfig, LOOP_FIELDS, RAIL_FIELDS } from './engine-config.ts';
