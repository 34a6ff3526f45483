/**
 * Serve: the engine run next to an operator's own systems. It owns the operator's files (the
 * topology and the engine config, each with a published JSON Schema under schema/), the loop
 * wired from them (shared by `serve`, `replay` and `rca`), and the long-running service around
 * it: the ways telemetry comes in, the identity of who sends it, and the ways out.
 */
export {
  DEFAULT_ENGINE_CONFIG,
  parseEngineConfig,
  splitSeriesArgument,
  type AlertsConfig,
  type EngineConfig,
  type ExecutorConfig,
  type LimitsConfig,
  type MetricConfig,
  type MetricRole,
  type ScrapeConfig,
  type ScrapeTarget,
  type WebhookTarget,
} from './config.ts';
export type { LoopCounts } from '../loop/options.ts';
export { createOperatorLoop, type OperatorLoop, type OperatorLoopOptions } from './operator-loop.ts';
export type { FetchHandler, Peer, PeerIdentity } from './peer.ts';
export { parseTopology, topologyGraph, type Topology, type TopologyNode } from './topology.ts';
export {
  ServeEngine,
  TICK_LATENCY_BOUNDS_MS,
  type EngineHealth,
  type EngineStats,
  type ServeEngineOptions,
  type SubmitResult,
} from './engine.ts';
export { INCIDENT_TIME_BOUNDS_SECONDS } from './incident-watch.ts';
export type { SeriesRefusal } from './admission.ts';
export { createHandler, SESSION_HEADER, type HandlerOptions, type TelemetryIntake } from './handler.ts';
export { ServeHistogram, type HistogramSummary } from './histogram.ts';
export { escapeLabel, METRICS_CONTENT_TYPE, renderMetrics } from './metrics.ts';
export { SealedIntake, type SealedBatch, type SealedIntakeOptions } from './sealed-intake.ts';
export {
  commonNameOf,
  identityOfCertificate,
  identityOfSpiffeId,
  parseSubjectAltNames,
  type AltName,
  type CertificateNames,
} from './identity.ts';
export {
  listen,
  ListenError,
  MutualTlsUnsupportedError,
  mutualTlsSupported,
  type Listener,
  type ListenOptions,
  type TlsOptions,
} from './listen.ts';
