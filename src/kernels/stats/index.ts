/**
 * Streaming statistics kernel (assembly/stats.ts) and its pure-TS twin: moments of many series
 * at once or of one long series (Welford, EWMA, z, min/max, CUSUM), sliding-window median and
 * MAD, and drift measures (histogram, PSI, KS distance on samples or histograms). The anomaly detectors and the drift
 * monitor build on these.
 *
 * Call `await initStats()` once before constructing a wasm-backed object (`backend: 'auto'` on a
 * runtime with SIMD, or `'wasm'`); `backend: 'ts'` needs no init. Each stateful object owns its
 * own wasm instance. NaN/Infinity behaviour is documented on each export.
 */
export { initStats } from './wasm.ts';
export type { MomentOptions } from './options.ts';
export {
  type BatchEngine,
  type MomentsBase,
  type MomentsEngine,
  type SeriesEngine,
  SeriesStats,
  SeriesStatsBatch,
  type SeriesStatsBatchOptions,
  type SeriesStatsOptions,
} from './moments.ts';
export {
  MAD_TO_SIGMA,
  RollingMedian,
  RollingMedianBatch,
  type RollingMedianBatchOptions,
  type RollingMedianOptions,
  type WindowBase,
} from './window.ts';
export {
  histogram,
  ksDistance,
  ksDistanceBinned,
  psi,
  type BinSpec,
  type Histogram,
  type HistogramOptions,
  type KsOptions,
  type PsiOptions,
} from './drift.ts';
