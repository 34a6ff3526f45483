/**
 * Streaming anomaly detectors (the Analyze stage's per-series scoring). Owns the detector API
 * (`SeriesDetector`, `DetectorBank`, saved state), the default detector's parameters and alarm
 * threshold, and the TS twin of the wasm kernel in assembly/detector.ts. NAB scoring of these
 * detectors lives next door in ../nab/.
 */
export { SeriesDetector, DetectorBank, STATE_VERSION } from './detector.ts';
export type { SeriesState, BankState, BankOptions, Backend } from './detector.ts';
export { DEFAULT_PARAMS, ALARM_THRESHOLD, checkParams } from './params.ts';
export type { DetectorParams } from './params.ts';
export { initDetectorKernel } from './kernel.ts';
