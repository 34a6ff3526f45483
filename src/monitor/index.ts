/**
 * Monitor: the first stage of the MAPE-K loop. Owns telemetry validation (every refused sample
 * counted by reason), the time policy of ticks and samples, per-series windows, and the latest
 * values that Analyze reads each tick.
 */
export * from './ingest.ts';
export { DEFAULT_HORIZON, DEFAULT_REBASE_AFTER, Timelines } from './clock.ts';
export type { TimeOptions, TimeRefusal, TimeVerdict } from './clock.ts';
export { SeriesWindows } from './ring.ts';
export { TickAssembler } from './ticks.ts';
export type { AssembledTick, TickAssemblerOptions } from './ticks.ts';
export {
  DEFAULT_NODE_ATTRIBUTES,
  encodeRemoteWrite,
  parseCsv,
  parseExposition,
  parseIsoSeconds,
  parseOtlpMetrics,
  parseRemoteWrite,
  parseSamples,
  UnreadableBodyError,
} from './formats/index.ts';
export type {
  ExpositionOptions,
  LineRefusal,
  OtlpOptions,
  ParsedTelemetry,
  RemoteWriteOptions,
  RemoteWriteSeries,
} from './formats/index.ts';
