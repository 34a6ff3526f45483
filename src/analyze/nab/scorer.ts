/**
 * The NAB scorer, written from the rules of NAB v1.1 (sweeper.py): probationary period,
 * scaled-sigmoid row weights, each window counted once, normalisation against the null and the
 * perfect detector, and the single corpus threshold that maximises the score.
 */
import { ArgumentError, DimensionError } from '../../errors.ts';
import type { CostProfile } from './profiles.ts';

/** One labelled series: row timestamps (any increasing number, e.g. epoch ms) and its windows. */
export interface LabelledFile {
  /** The file's name, carried into its scores. */
  readonly name: string;
  /** One increasing timestamp per row. */
  readonly timestamps: ArrayLike<number>;
  /** Inclusive [start, end] pairs on the same scale as `timestamps`, in time order. */
  readonly windows: readonly (readonly [number, number])[];
}

/** A file's per-row weights, independent of profile and detector (compute once, score often). */
export interface PreparedFile {
  /** The file's name. */
  readonly name: string;
  /** Rows in the file. */
  readonly rows: number;
  /** Rows before this index are probationary and never scored. */
  readonly probation: number;
  /** Per row: index of the window it lies in, or -1. */
  readonly windowOf: Int32Array;
  /**
   * Per row: in a window, S(x)/S(-1) (times tpWeight gives the true-positive value); outside,
   * S(x) in [-1, 0] (times fpWeight gives the false-positive value).
   */
  readonly unit: Float64Array;
  /** Windows with at least one scorable row: the ones that count as caught or missed. */
  readonly windowCount: number;
}

/** A file's score at one threshold. Counts are rows after the probationary period. */
export interface FileScore {
  /** The file's name. */
  readonly name: string;
  /** The file's raw NAB score (window credits minus penalties). */
  readonly score: number;
  /** Flagged rows inside a window. */
  readonly tp: number;
  /** Unflagged rows outside every window. */
  readonly tn: number;
  /** Flagged rows outside every window. */
  readonly fp: number;
  /** Unflagged rows inside a window. */
  readonly fn: number;
  /** Rows scored (tp + tn + fp + fn). */
  readonly total: number;
}

/** A corpus score at one threshold. */
export interface CorpusScore {
  /** Rows scoring at or above it are flagged. */
  readonly threshold: number;
  /** Sum of the files' raw scores. */
  readonly raw: number;
  /** 100 * (raw - null) / (perfect - null). */
  readonly normalised: number;
  /** Each file's score, in corpus order. */
  readonly files: readonly FileScore[];
}

/** NAB's scaled sigmoid: 1 far before, 0 at, -1 far after (x > 3). */
export function scaledSigmoid(x: number): number {
  return x > 3 ? -1 : 2 / (1 + Math.exp(5 * x)) - 1;
}

const S_MINUS_ONE = scaledSigmoid(-1);

/** NAB's probationary length: 15% of the rows, at most 750. */
export function probationLength(rows: number): number {
  return Math.min(Math.floor(0.15 * rows), 750);
}

/** Computes each row's window and weight (NAB's calcSweepScore, without the detector). */
export function prepareFile(file: LabelledFile): PreparedFile {
  const { timestamps, windows, name } = file;
  const rows = timestamps.length;
  const windowOf = new Int32Array(rows).fill(-1);
  const unit = new Float64Array(rows).fill(-1);
  const bounds: { left: number; right: number }[] = [];
  for (let w = 0; w < windows.length; w++) {
    const pair = windows[w];
    if (!Array.isArray(pair) || pair.length !== 2 || !(pair[0] <= pair[1])) {
      throw new ArgumentError(`windows[${w}]`, `expected [start, end] with start <= end`);
    }
    let left = -1;
    let right = -1;
    for (let i = 0; i < rows; i++) {
      const t = timestamps[i];
      if (t >= pair[0] && t <= pair[1]) {
        if (left < 0) left = i;
        right = i;
      }
    }
    if (left >= 0) bounds.push({ left, right });
  }
  bounds.sort((a, b) => a.left - b.left);
  for (let w = 0; w < bounds.length; w++) {
    const { left, right } = bounds[w];
    const width = right - left + 1;
    for (let i = left; i <= right; i++) {
      windowOf[i] = w;
      unit[i] = scaledSigmoid(-(right - i + 1) / width) / S_MINUS_ONE;
    }
    const end = w + 1 < bounds.length ? bounds[w + 1].left : rows;
    // width 1 gives x = Infinity, i.e. the full penalty, as NAB's division does.
    for (let i = right + 1; i < end; i++) unit[i] = scaledSigmoid((i - right) / (width - 1));
  }
  const probation = probationLength(rows);
  let windowCount = 0;
  for (const { right } of bounds) if (right >= probation) windowCount++;
  return { name, rows, probation, windowOf, unit, windowCount };
}

/** Scores one file's anomaly scores at `threshold` (a detection is score >= threshold). */
export function scoreFile(
  file: PreparedFile,
  scores: ArrayLike<number>,
  threshold: number,
  profile: CostProfile,
): FileScore {
  if (scores.length !== file.rows) {
    throw new DimensionError('scores', `expected ${file.rows} rows for ${file.name}, got ${scores.length}`);
  }
  const best = new Map<number, number>();
  let tp = 0,
    tn = 0,
    fp = 0,
    fn = 0,
    falsePositives = 0;
  for (let i = file.probation; i < file.rows; i++) {
    const w = file.windowOf[i];
    const detected = scores[i] >= threshold;
    if (w >= 0) {
      if (!best.has(w)) best.set(w, -profile.fnWeight);
      if (detected) {
        tp++;
        best.set(w, Math.max(best.get(w)!, file.unit[i] * profile.tpWeight));
      } else fn++;
    } else if (detected) {
      fp++;
      falsePositives += file.unit[i] * profile.fpWeight;
    } else tn++;
  }
  let score = falsePositives;
  for (const value of best.values()) score += value;
  return { name: file.name, score, tp, tn, fp, fn, total: tp + tn + fp + fn };
}

/** NAB's normalisation of a corpus raw score. */
export function normalise(raw: number, windows: number, profile: CostProfile): number {
  if (windows === 0) throw new ArgumentError('files', 'the corpus has no scorable window');
  const nullScore = -profile.fnWeight * windows;
  const perfect = profile.tpWeight * windows;
  return (100 * (raw - nullScore)) / (perfect - nullScore);
}

/** Scores a corpus at one threshold. */
export function scoreCorpus(
  files: readonly PreparedFile[],
  scores: readonly ArrayLike<number>[],
  threshold: number,
  profile: CostProfile,
): CorpusScore {
  if (scores.length !== files.length) {
    throw new DimensionError('scores', `expected ${files.length} score arrays, got ${scores.length}`);
  }
  const perFile = files.map((f, k) => scoreFile(f, scores[k], threshold, profile));
  const raw = perFile.reduce((sum, f) => sum + f.score, 0);
  const windows = files.reduce((sum, f) => sum + f.windowCount, 0);
  return { threshold, raw, normalised: normalise(raw, windows, profile), files: perFile };
}

/**
 * Finds the single corpus threshold that maximises the score (NAB's optimizeThreshold): every
 * distinct score value is tried, in one pass over the rows sorted by score. Ties go to the
 * highest threshold, as NAB's descending sweep does.
 */
export function optimiseThreshold(
  files: readonly PreparedFile[],
  scores: readonly ArrayLike<number>[],
  profile: CostProfile,
): CorpusScore {
  if (scores.length !== files.length) {
    throw new DimensionError('scores', `expected ${files.length} score arrays, got ${scores.length}`);
  }
  let n = 0;
  for (let k = 0; k < files.length; k++) {
    if (scores[k].length !== files[k].rows) {
      throw new DimensionError(`scores[${k}]`, `expected ${files[k].rows} rows, got ${scores[k].length}`);
    }
    n += files[k].rows - files[k].probation;
  }
  // Flatten scorable rows: score, global window id (or -1) and the row's value.
  const value = new Float64Array(n);
  const window = new Int32Array(n);
  const score = new Float64Array(n);
  let windows = 0;
  let r = 0;
  for (let k = 0; k < files.length; k++) {
    const f = files[k];
    const ids = new Map<number, number>();
    for (let i = f.probation; i < f.rows; i++, r++) {
      const w = f.windowOf[i];
      score[r] = scores[k][i];
      if (w >= 0) {
        if (!ids.has(w)) ids.set(w, windows++);
        window[r] = ids.get(w)!;
        value[r] = f.unit[i] * profile.tpWeight;
      } else {
        window[r] = -1;
        value[r] = f.unit[i] * profile.fpWeight;
      }
    }
  }
  const order = Array.from({ length: n }, (_, i) => i).filter((i) => !Number.isNaN(score[i]));
  order.sort((a, b) => score[b] - score[a]);
  const best = new Float64Array(windows).fill(-profile.fnWeight);
  let raw = -profile.fnWeight * windows;
  let bestRaw = raw;
  let bestThreshold = order.length > 0 ? nextUp(score[order[0]]) : 1;
  for (let j = 0; j < order.length; ) {
    const t = score[order[j]];
    for (; j < order.length && score[order[j]] === t; j++) {
      const i = order[j];
      const w = window[i];
      if (w < 0) raw += value[i];
      else if (value[i] > best[w]) {
        raw += value[i] - best[w];
        best[w] = value[i];
      }
    }
    if (raw > bestRaw) {
      bestRaw = raw;
      bestThreshold = t;
    }
  }
  return scoreCorpus(files, scores, bestThreshold, profile);
}

/** The smallest double above `x`: a threshold no row reaches. */
function nextUp(x: number): number {
  if (!Number.isFinite(x)) return x;
  const buffer = new Float64Array([x === 0 ? 0 : x]);
  const bits = new BigInt64Array(buffer.buffer);
  bits[0] += x >= 0 ? 1n : -1n;
  return buffer[0];
}
