/** Types shared by the scoring facade and its two backends (wasm and the TypeScript twin). */

/**
 * A scorer's learnable parameters. With `features` = f, `rank` = r and `actions` = n:
 * - `weights`: f base weights, shared by every action;
 * - `a`, `b`: the feature projection's adapter, A (f x r, row-major, `a[j * r + k]`) and B
 *   (r values); both empty when the projection carries no adapter;
 * - `headA`, `headB`: the action head's adapter, A (f x r) and B (n x r, row-major: action i's
 *   values at `headB[i * r + k]`); present only when the scorer has an action head (n >= 1).
 * A candidate x of action i scores x . w + scale ((x . A) . B + (x . headA) . headB[i]).
 */
export interface AdapterParameters {
  /** f base weights. */
  weights: Float32Array;
  /** The feature projection's down-projection A, f x r, row-major (empty when not adapted). */
  a: Float32Array;
  /** The feature projection's up-projection B, r values (empty when not adapted). */
  b: Float32Array;
  /** The action head's down-projection A, f x r, row-major. */
  headA?: Float32Array;
  /** The action head's up-projection B, one row of r values per action. */
  headB?: Float32Array;
}

/** The sizes a backend is built for (validated by the facade). */
export interface ScorerShape {
  /** Features per candidate (f). */
  features: number;
  /** Adapter rank (r); 0 means no adapter at all. */
  rank: number;
  /** Whether the feature projection carries an adapter (A f x r, B r). */
  projection: boolean;
  /** Actions of the action head (n); 0 means no action head. */
  actions: number;
  /** The factor of every adapter's output (LoRA's alpha / r, or alpha / sqrt(r)). */
  scale: number;
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

/** One training step as a backend runs it: the candidate, its adapter input and its target. */
export interface TrainingStep {
  /** The candidate (length f). */
  x: Float32Array;
  /** The adapters' input: x after dropout (x itself without dropout). */
  dropped: Float32Array;
  /** The candidate's action (its row of the action head's B); 0 without an action head. */
  action: number;
  /** 0: squared loss on the score; 1: logistic loss on sigmoid(score). */
  loss: 0 | 1;
  /** The observed outcome. */
  target: number;
  /** Step size. */
  learningRate: number;
}

/** What a backend implements; the facade validates every argument before calling it. */
export interface ScoringCore {
  readonly backend: 'wasm' | 'ts';
  setParameters(parameters: AdapterParameters): void;
  parameters(): AdapterParameters;
  /** Scores `count` rows; `actions` (one per row) is given exactly when there is an action head. */
  score(
    features: Float32Array,
    count: number,
    actions: Int32Array | undefined,
    allowed: Uint8Array | undefined,
    temperature: number,
  ): ScoreResult;
  /**
   * One SGD step of the adapters; returns the training forward's score, and whether the step
   * was taken (false, and no change, when a new value would not be finite).
   */
  train(step: TrainingStep): { score: number; taken: boolean };
}
