/**
 * Cross-validation of NAB scores: the corpus threshold, and optionally a detector variant, are
 * chosen on the training files only and the score is taken on the held-out ones. This estimates
 * what a detector scores on files nobody tuned it on (the score on the tuning files overstates
 * it). Every file is held out by exactly one fold of a partition; the held-out files' raw scores
 * are pooled and normalised as one corpus, as NAB would score them together.
 */
import { ArgumentError, DimensionError } from '../../errors.ts';
import { Rng } from '../../random.ts';
import type { CostProfile } from './profiles.ts';
import { normalise, type FileScore, type PreparedFile } from './scorer.ts';

/** One fold of a partition: the files (indices into the corpus) it holds out. */
export interface Fold {
  /** The fold's name, e.g. the category it holds out. */
  readonly name: string;
  /** Indices into the corpus of the files it holds out. */
  readonly heldOut: readonly number[];
}

/** Leave one category out: one fold per `<category>/` prefix of the file keys. */
export function categoryFolds(keys: readonly string[]): Fold[] {
  const byCategory = new Map<string, number[]>();
  keys.forEach((key, k) => {
    const slash = key.indexOf('/');
    if (slash <= 0) throw new ArgumentError(`keys[${k}]`, `expected <category>/<name>, got '${key}'`);
    const category = key.slice(0, slash);
    const list = byCategory.get(category) ?? [];
    list.push(k);
    byCategory.set(category, list);
  });
  return [...byCategory].sort(([a], [b]) => (a < b ? -1 : 1)).map(([name, heldOut]) => ({ name, heldOut }));
}

/** Leave one file out: one fold per file. */
export function fileFolds(keys: readonly string[]): Fold[] {
  return keys.map((name, k) => ({ name, heldOut: [k] }));
}

/**
 * `k` folds stratified by category: each category's files are shuffled (seeded) and dealt in
 * turn, continuing from where the previous category stopped, so every fold gets a share of every
 * category and the fold sizes differ by at most one.
 */
export function stratifiedFolds(keys: readonly string[], k: number, seed: number): Fold[] {
  if (!Number.isInteger(k) || k < 2 || k > keys.length) {
    throw new ArgumentError('k', `expected an integer in [2, ${keys.length}], got ${k}`);
  }
  const rng = new Rng(seed);
  const folds: number[][] = Array.from({ length: k }, () => []);
  let next = rng.int(k);
  for (const { heldOut } of categoryFolds(keys)) {
    for (const file of rng.shuffle([...heldOut])) {
      folds[next].push(file);
      next = (next + 1) % k;
    }
  }
  return folds.map((heldOut, f) => ({
    name: `fold ${f + 1}/${k} (seed ${seed})`,
    heldOut: heldOut.sort((a, b) => a - b),
  }));
}

/**
 * A candidate's scorable rows with a positive score, sorted by score once, so that the best
 * threshold of any subset of the files is one linear sweep (NAB's optimiser restricted to those
 * files) and a held-out file is scored without its full score array. Thresholds at or below 0
 * are not considered: scores are in [0, 1], and such a threshold flags every row.
 */
export class ThresholdSweep {
  readonly #names: readonly string[];
  /** Per file: scorable rows, and scorable rows inside windows. */
  readonly #rows: Int32Array;
  readonly #windowRows: Int32Array;
  /** Per sorted row: score, file, corpus-wide window id (or -1) and unit value. */
  readonly #score: Float64Array;
  readonly #file: Int32Array;
  readonly #window: Int32Array;
  readonly #unit: Float64Array;
  /** Per corpus-wide window id: its file. */
  readonly #windowFile: Int32Array;

  /**
   * Sorts one candidate's scores once; throws a `DimensionError` unless there is one score per row of each
   * file.
   * @param files the corpus, prepared
   * @param scores the candidate's score per row, one array per file
   */
  constructor(files: readonly PreparedFile[], scores: readonly ArrayLike<number>[]) {
    if (scores.length !== files.length) {
      throw new DimensionError('scores', `expected ${files.length} score arrays, got ${scores.length}`);
    }
    this.#names = files.map((f) => f.name);
    this.#rows = new Int32Array(files.length);
    this.#windowRows = new Int32Array(files.length);
    const score: number[] = [];
    const file: number[] = [];
    const window: number[] = [];
    const unit: number[] = [];
    const windowFile: number[] = [];
    for (let k = 0; k < files.length; k++) {
      const f = files[k];
      if (scores[k].length !== f.rows) {
        throw new DimensionError(`scores[${k}]`, `expected ${f.rows} rows, got ${scores[k].length}`);
      }
      const ids = new Map<number, number>();
      this.#rows[k] = f.rows - f.probation;
      for (let i = f.probation; i < f.rows; i++) {
        const w = f.windowOf[i];
        if (w >= 0) {
          this.#windowRows[k]++;
          if (!ids.has(w)) {
            ids.set(w, windowFile.length);
            windowFile.push(k);
          }
        }
        if (!(scores[k][i] > 0)) continue;
        score.push(scores[k][i]);
        file.push(k);
        window.push(w >= 0 ? ids.get(w)! : -1);
        unit.push(f.unit[i]);
      }
    }
    const order = Array.from(score.keys()).sort((a, b) => score[b] - score[a]);
    this.#score = Float64Array.from(order, (i) => score[i]);
    this.#file = Int32Array.from(order, (i) => file[i]);
    this.#window = Int32Array.from(order, (i) => window[i]);
    this.#unit = Float64Array.from(order, (i) => unit[i]);
    this.#windowFile = Int32Array.from(windowFile);
  }

  /**
   * The single threshold that maximises the raw score of the files where `train[k]` is 1, and
   * that score; ties go to the highest threshold, as NAB's descending sweep does. With no
   * detection worth its false positives, the threshold is just above every training score.
   */
  best(train: Uint8Array, profile: CostProfile): { threshold: number; raw: number; windows: number } {
    if (train.length !== this.#rows.length) {
      throw new DimensionError('train', `expected ${this.#rows.length} flags, got ${train.length}`);
    }
    const caught = new Float64Array(this.#windowFile.length).fill(-profile.fnWeight);
    let windows = 0;
    for (const k of this.#windowFile) if (train[k]) windows++;
    let raw = -profile.fnWeight * windows;
    let bestRaw = raw;
    let bestThreshold = Number.NaN;
    let highest = Number.NaN;
    const n = this.#score.length;
    for (let j = 0; j < n; ) {
      const t = this.#score[j];
      for (; j < n && this.#score[j] === t; j++) {
        if (!train[this.#file[j]]) continue;
        if (Number.isNaN(highest)) highest = t;
        const w = this.#window[j];
        if (w < 0) raw += this.#unit[j] * profile.fpWeight;
        else {
          const value = this.#unit[j] * profile.tpWeight;
          if (value > caught[w]) {
            raw += value - caught[w];
            caught[w] = value;
          }
        }
      }
      if (raw > bestRaw) {
        bestRaw = raw;
        bestThreshold = t;
      }
    }
    if (Number.isNaN(bestThreshold)) bestThreshold = Number.isNaN(highest) ? 1 : nextUp(highest);
    return { threshold: bestThreshold, raw: bestRaw, windows };
  }

  /** The scores of files `files` at `threshold` (> 0), as `scoreFile` gives them. */
  score(files: readonly number[], threshold: number, profile: CostProfile): FileScore[] {
    if (!(threshold > 0)) throw new ArgumentError('threshold', `expected a number > 0, got ${threshold}`);
    const at = new Map<number, { caught: Map<number, number>; fp: number; tp: number; fpCount: number }>();
    for (const k of files) at.set(k, { caught: new Map(), fp: 0, tp: 0, fpCount: 0 });
    for (let j = 0; j < this.#score.length && this.#score[j] >= threshold; j++) {
      const f = at.get(this.#file[j]);
      if (!f) continue;
      const w = this.#window[j];
      if (w < 0) {
        f.fpCount++;
        f.fp += this.#unit[j] * profile.fpWeight;
      } else {
        f.tp++;
        f.caught.set(w, Math.max(f.caught.get(w) ?? -Infinity, this.#unit[j] * profile.tpWeight));
      }
    }
    return files.map((k) => {
      const f = at.get(k)!;
      let score = f.fp;
      for (let w = 0; w < this.#windowFile.length; w++) {
        if (this.#windowFile[w] === k) score += f.caught.get(w) ?? -profile.fnWeight;
      }
      const fn = this.#windowRows[k] - f.tp;
      const tn = this.#rows[k] - this.#windowRows[k] - f.fpCount;
      return { name: this.#names[k], score, tp: f.tp, tn, fp: f.fpCount, fn, total: this.#rows[k] };
    });
  }
}

/** The smallest double above `x` (> 0): a threshold no row at `x` reaches. */
function nextUp(x: number): number {
  const buffer = new Float64Array([x]);
  new BigInt64Array(buffer.buffer)[0] += 1n;
  return buffer[0];
}

/** What one fold chose on its training files and what it scored on its held-out ones. */
export interface FoldResult {
  /** The fold's name. */
  readonly fold: string;
  /** Label of the candidate with the best training score (the first one on a tie). */
  readonly chosen: string;
  /** The threshold that candidate scored best at on the training files. */
  readonly threshold: number;
  /** Normalised score of the chosen candidate on the training files at that threshold. */
  readonly training: number;
  /** The held-out files' scores at that threshold. */
  readonly heldOut: readonly FileScore[];
}

/** A cross-validated score of one profile over one partition. */
export interface CrossValidation {
  /** Held-out raw scores of every file, pooled and normalised over the whole corpus's windows. */
  readonly normalised: number;
  /** The held-out files' raw scores, summed. */
  readonly raw: number;
  /** What each fold chose and scored. */
  readonly folds: readonly FoldResult[];
}

/**
 * Cross-validates over `folds` (a partition of the files: each held out exactly once): in each
 * fold, every candidate's best threshold on the training files is found, the candidate with the
 * best training score is kept (with one candidate, only the threshold is tuned), and its
 * held-out files are scored at that threshold. Pass the sweeps built once per candidate.
 */
export function crossValidate(
  files: readonly PreparedFile[],
  candidates: readonly { readonly label: string; readonly sweep: ThresholdSweep }[],
  folds: readonly Fold[],
  profile: CostProfile,
): CrossValidation {
  if (candidates.length === 0) throw new ArgumentError('candidates', 'expected at least one candidate');
  const seen = new Uint8Array(files.length);
  for (const fold of folds) {
    for (const k of fold.heldOut) {
      if (!Number.isInteger(k) || k < 0 || k >= files.length || seen[k]) {
        throw new ArgumentError('folds', `file ${k} is out of range or held out twice (${fold.name})`);
      }
      seen[k] = 1;
    }
  }
  if (seen.includes(0)) throw new ArgumentError('folds', 'every file must be held out by one fold');
  const results: FoldResult[] = [];
  let raw = 0;
  for (const fold of folds) {
    const train = new Uint8Array(files.length).fill(1);
    for (const k of fold.heldOut) train[k] = 0;
    let chosen = candidates[0];
    let best = chosen.sweep.best(train, profile);
    for (const candidate of candidates.slice(1)) {
      const fit = candidate.sweep.best(train, profile);
      if (fit.raw > best.raw) {
        chosen = candidate;
        best = fit;
      }
    }
    const heldOut = chosen.sweep.score(fold.heldOut, best.threshold, profile);
    for (const f of heldOut) raw += f.score;
    results.push({
      fold: fold.name,
      chosen: chosen.label,
      threshold: best.threshold,
      training: best.windows > 0 ? normalise(best.raw, best.windows, profile) : Number.NaN,
      heldOut,
    });
  }
  const windows = files.reduce((n, f) => n + f.windowCount, 0);
  return { normalised: normalise(raw, windows, profile), raw, folds: results };
}

/**
 * How to split the corpus: `category` (leave one category out), `file` (leave one file out), or
 * `KxR` (K folds stratified by category, repeated R times with seeds 1..R, e.g. `2x10`).
 */
export type PartitionSpec = string;

/** The partitions (each a list of folds) a spec stands for; see {@link PartitionSpec}. */
export function parsePartition(spec: PartitionSpec, keys: readonly string[]): Fold[][] {
  if (spec === 'category') return [categoryFolds(keys)];
  if (spec === 'file') return [fileFolds(keys)];
  const m = /^(\d+)x(\d+)$/.exec(spec);
  if (!m || +m[2] < 1) {
    throw new ArgumentError('partition', `expected category, file or KxR (e.g. 2x10), got '${spec}'`);
  }
  return Array.from({ length: +m[2] }, (_, r) => stratifiedFolds(keys, +m[1], r + 1));
}

/** A profile's cross-validated score over the repeats of a partition. */
export interface CvSummary {
  /** The partition, e.g. `category`, `file` or `2x10`. */
  readonly partition: PartitionSpec;
  /** Mean over the repeats of the pooled held-out score. */
  readonly mean: number;
  /** Lowest pooled held-out score of a repeat. */
  readonly min: number;
  /** Highest pooled held-out score of a repeat. */
  readonly max: number;
  /** Every repeat's result, in seed order. */
  readonly repeats: readonly CrossValidation[];
}

/** Cross-validates `candidates` over every repeat of `spec` for one profile. */
export function crossValidateRepeats(
  files: readonly PreparedFile[],
  keys: readonly string[],
  candidates: readonly { readonly label: string; readonly sweep: ThresholdSweep }[],
  spec: PartitionSpec,
  profile: CostProfile,
): CvSummary {
  const repeats = parsePartition(spec, keys).map((folds) => crossValidate(files, candidates, folds, profile));
  const scores = repeats.map((r) => r.normalised);
  return {
    partition: spec,
    mean: scores.reduce((a, b) => a + b, 0) / scores.length,
    min: Math.min(...scores),
    max: Math.max(...scores),
    repeats,
  };
}
