/** Types shared by the scoring facade and its two backends (wasm and the TypeScript twin). */

/**
 * A scorer's learnable parameters. With `features` = f and `rank` = r:
 * - `weights`: f base weights;
 * - `a`: the adapter's down-projection A, f x r, row-major (`a[j * r + k]`);
 * - `b`: the adapter's up-projection B, r x 1.
 * A candidate x scores x . weights + (x . A) . B.
 */
export interface AdapterParameters {
  /** f base weights. */
  weights: Float32Array;
  /** The adapter's down-projection A, f x r, row-major. */
  a: Float32Array;
  /** The adapter's up-projection B, r values. */
  b: Float32Array;
}

/** The outcome of scoring one batch of candidates. */
export interface ScoreResult {
  /** One score per candidate; masked candidates are -Infinity, NaN marks a rejected candidate. */
  scores: Float32Array;
  /** Softmax of the scores at the given temperature; masked and rejected candidates get 0. */
  probabilities: Float32Array;
  /** Index of the highest score (lowest index on ties), or -1 when nothing can be chosen. */
  best: number;
  /** Allowed candidates whose score was NaN (a NaN feature, or Infinity times zero). */
  rejected: number;
}

/** What a backend implements; the facade validates every argument before calling it. */
export interface ScoringCore {
  readonly backend: 'wasm' | 'ts';
  setParameters(parameters: AdapterParameters): void;
  parameters(): AdapterParameters;
  score(
    features: Float32Array,
    count: number,
    allowed: Uint8Array | undefined,
    temperature: number,
  ): ScoreResult;
  /** The score of one candidate row (length f). */
  scoreOne(x: Float32Array): number;
  /** Moves the adapter by `step` times the score's gradient; false (and no change) on overflow. */
  step(x: Float32Array, step: number): boolean;
}
