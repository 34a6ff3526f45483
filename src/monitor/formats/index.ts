/**
 * Telemetry wire formats: each parser turns one request body (or file) into samples named as the
 * operator's systems name things, plus a refusal per line, element or series it could not read,
 * and throws an UnreadableBodyError only for a body that is not its format at all. NDJSON/JSON
 * and long CSV (ndjson.ts, csv.ts), Prometheus remote write (remote-write.ts), OTLP/HTTP JSON
 * (otlp.ts) and the Prometheus text exposition format for scraping (exposition.ts).
 */
export { parseCsv } from './csv.ts';
export { parseExposition } from './exposition.ts';
export type { ExpositionOptions } from './exposition.ts';
export { parseIsoSeconds } from './fields.ts';
export { parseSamples } from './ndjson.ts';
export { DEFAULT_NODE_ATTRIBUTES, parseOtlpMetrics } from './otlp.ts';
export type { OtlpOptions } from './otlp.ts';
export { encodeRemoteWrite, parseRemoteWrite } from './remote-write.ts';
export type { RemoteWriteOptions, RemoteWriteSeries } from './remote-write.ts';
export { UnreadableBodyError } from './telemetry.ts';
export type { LineRefusal, ParsedTelemetry } from './telemetry.ts';
