/**
 * Field order of the moments state, shared with assembly/stats/moments.ts: field f of series
 * i lives at `f * stride + i` (struct of arrays). Change both files or neither.
 */
export const COUNT = 0;
export const MEAN = 1;
export const M2 = 2;
export const EWMA_MEAN = 3;
export const EWMA_VAR = 4;
export const MIN = 5;
export const MAX = 6;
export const CUSUM_POS = 7;
export const CUSUM_NEG = 8;
export const Z = 9;
export const EWMA_Z = 10;
/** Number of f64 fields per series. */
export const FIELDS = 11;

/** Fills a fresh state: every field 0 except min (+Infinity), max (-Infinity), z and ewmaZ (NaN). */
export function resetFields(field: (f: number) => Float64Array): void {
  for (let f = 0; f < FIELDS; f++) field(f).fill(0);
  field(MIN).fill(Infinity);
  field(MAX).fill(-Infinity);
  field(Z).fill(NaN);
  field(EWMA_Z).fill(NaN);
}
