/**
 * Monitor: the first stage of the MAPE-K loop. Owns telemetry validation (every refused sample
 * counted by reason), per-series windows, and the latest values that Analyze reads each tick.
 */
export * from './ingest.ts';
export { SeriesWindows } from './ring.ts';
