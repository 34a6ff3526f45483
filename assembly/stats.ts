// Streaming statistics kernel: moments of many series at once (Welford, EWMA, z, min/max,
// CUSUM), sliding-window median and MAD, histograms and the KS distance for drift.
// Facade: src/kernels/stats/. The host owns memory above heapBase().
import { alignedHeapBase } from './lib/heap';

export { batchUpdate, seriesPush } from './stats/moments';
export { windowUpdate, windowSeries } from './stats/window';
export { histogramAdd, sortKeys, ksSorted } from './stats/drift';

/** First 16-byte aligned address the host may use. */
export function heapBase(): usize {
  return alignedHeapBase();
}
