/** One measured figure. Ratios compare against a baseline measured in the same run. */
export interface BenchResult {
  /** What was measured, e.g. "cosine top-10, 100k x 384, wasm SIMD". */
  name: string;
  /** The figure. */
  value: number;
  /** Its unit, e.g. "queries/s", "GB/s", "ms". */
  unit: string;
  /** What `ratio` compares against, e.g. "TS twin". */
  baseline?: string;
  /** value relative to the baseline (higher is better unless the unit is a time). */
  ratio?: number;
  /** The figure the issue asks for, e.g. ">= 6x". */
  target?: string;
  /** Whether the target was met, when there is one. */
  met?: boolean;
}
