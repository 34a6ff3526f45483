/**
 * Cross-validates the default detector on a NAB corpus held in memory (the `nab --cv` command
 * and the NAB bench): runs each candidate parameter set once over every file, then, per profile
 * and partition, chooses the threshold and the candidate on the training folds and scores the
 * held-out ones (cv.ts). The score on the tuning files is reported beside it for comparison.
 */
import { ArgumentError } from '../../errors.ts';
import { checkParams, type DetectorParams } from '../../kernels/detector/params.ts';
import type { Backend } from '../../kernels/loader.ts';
import type { WindowMap } from './csv.ts';
import { crossValidateRepeats, ThresholdSweep, type CvSummary, type PartitionSpec } from './cv.ts';
import { NAB_PROFILES, PROFILE_NAMES, type ProfileName } from './profiles.ts';
import { detectCorpus, type NabFile } from './runner.ts';
import { normalise, prepareFile } from './scorer.ts';

/** Values to try per parameter: every combination is a candidate (the grid's Cartesian product). */
export type ParamGrid = Partial<Record<keyof DetectorParams, readonly number[]>>;

/** At most this many candidates: each one runs the detector over the whole corpus. */
export const MAX_CANDIDATES = 4096;

/** Options of {@link crossValidateDetector}. */
export interface CrossValidateOptions {
  /** Parameters of every candidate outside the grid (default the detector's defaults). */
  readonly params: DetectorParams;
  /** Parameters tuned inside the folds (default none: only the threshold is tuned). */
  readonly grid?: ParamGrid;
  /** Partitions to report (default `category`, `file` and `2x10`). */
  readonly partitions?: readonly PartitionSpec[];
  /** Where the detector runs (default 'auto'). */
  readonly backend?: Backend;
}

/** One profile's figures: on the tuning files, and cross-validated per partition. */
export interface ProfileCv {
  /** The best candidate's score on all the files, at its best threshold (what tuning sees). */
  readonly tuned: number;
  /** The threshold that best score was reached at. */
  readonly tunedThreshold: number;
  /** The label of that candidate (`''` without a grid). */
  readonly tunedLabel: string;
  /** The cross-validated score per partition asked for. */
  readonly partitions: readonly CvSummary[];
}

/** The result of {@link crossValidateDetector}. */
export interface DetectorCrossValidation {
  /** Data files scored. */
  readonly files: number;
  /** Labelled anomaly windows that count (those with a scorable row). */
  readonly windows: number;
  /** Candidates the grid stands for (1 without a grid). */
  readonly candidates: number;
  /** The figures of each NAB cost profile. */
  readonly profiles: Readonly<Record<ProfileName, ProfileCv>>;
}

/** The candidates a grid stands for, with labels naming the tuned values (`''` for no grid). */
export function gridCandidates(
  params: DetectorParams,
  grid: ParamGrid = {},
): { label: string; params: DetectorParams }[] {
  let out = [{ label: '', params }];
  for (const [name, values] of Object.entries(grid)) {
    if (!(name in params)) throw new ArgumentError('grid', `unknown detector parameter '${name}'`);
    if (!Array.isArray(values) || values.length === 0) {
      throw new ArgumentError(`grid.${name}`, 'expected a non-empty array of values');
    }
    out = out.flatMap((c) =>
      values.map((v) => ({
        label: `${c.label}${c.label ? ' ' : ''}${name}=${v}`,
        params: checkParams({ ...c.params, [name]: v }),
      })),
    );
    if (out.length > MAX_CANDIDATES) {
      throw new ArgumentError('grid', `more than ${MAX_CANDIDATES} combinations`);
    }
  }
  return out;
}

/**
 * Runs every candidate of `options.grid` over `files` and cross-validates them (see the module
 * comment). Every file needs an entry in `windows`.
 */
export async function crossValidateDetector(
  files: readonly NabFile[],
  windows: WindowMap,
  options: CrossValidateOptions,
): Promise<DetectorCrossValidation> {
  const prepared = files.map((file) => {
    const list = windows.get(file.key);
    if (!list) throw new ArgumentError('windows', `no entry for ${file.key}`);
    return prepareFile({ name: file.key, timestamps: file.table.time, windows: list });
  });
  const keys = files.map((f) => f.key);
  const candidates: { label: string; sweep: ThresholdSweep }[] = [];
  for (const { label, params } of gridCandidates(options.params, options.grid)) {
    const scores = await detectCorpus(files, { params, backend: options.backend });
    candidates.push({ label, sweep: new ThresholdSweep(prepared, scores) });
  }
  const all = new Uint8Array(files.length).fill(1);
  const windowCount = prepared.reduce((n, f) => n + f.windowCount, 0);
  const profiles = {} as Record<ProfileName, ProfileCv>;
  for (const name of PROFILE_NAMES) {
    const profile = NAB_PROFILES[name];
    let best = { label: candidates[0].label, ...candidates[0].sweep.best(all, profile) };
    for (const c of candidates.slice(1)) {
      const fit = c.sweep.best(all, profile);
      if (fit.raw > best.raw) best = { label: c.label, ...fit };
    }
    profiles[name] = {
      tuned: normalise(best.raw, windowCount, profile),
      tunedThreshold: best.threshold,
      tunedLabel: best.label,
      partitions: (options.partitions ?? ['category', 'file', '2x10']).map((spec) =>
        crossValidateRepeats(prepared, keys, candidates, spec, profile),
      ),
    };
  }
  return { files: files.length, windows: windowCount, candidates: candidates.length, profiles };
}

/** Human-readable report of {@link crossValidateDetector}: one line per profile and partition. */
export function formatCrossValidation(cv: DetectorCrossValidation): string {
  const lines = [
    `cross-validation over ${cv.files} files (${cv.windows} windows), ${cv.candidates} candidate${cv.candidates === 1 ? '' : 's'}: ` +
      'threshold' +
      (cv.candidates > 1 ? ' and parameters' : '') +
      ' chosen on the training folds, scored on the held-out files',
  ];
  for (const name of PROFILE_NAMES) {
    const p = cv.profiles[name];
    const chosen = p.tunedLabel ? `, ${p.tunedLabel}` : '';
    lines.push(
      `${name.padEnd(20)} on the tuning files ${p.tuned.toFixed(2)} (threshold ${p.tunedThreshold}${chosen})`,
    );
    for (const s of p.partitions) {
      const spread =
        s.repeats.length > 1
          ? ` (${s.min.toFixed(2)}-${s.max.toFixed(2)} over ${s.repeats.length} repeats)`
          : '';
      lines.push(
        `${''.padEnd(20)} cross-validated, ${describe(s.partition).padEnd(28)} ${s.mean.toFixed(2)}${spread}`,
      );
    }
  }
  const folds = cv.profiles.standard.partitions.find((s) => s.partition === 'category');
  if (folds) {
    lines.push('', 'leave one category out, standard profile: per held-out category');
    for (const f of folds.repeats[0].folds) {
      const raw = f.heldOut.reduce((n, s) => n + s.score, 0);
      const chosen = f.chosen ? `  ${f.chosen}` : '';
      lines.push(
        `${f.fold.padEnd(24)} threshold ${f.threshold.toFixed(4)}  held-out raw ${raw.toFixed(2).padStart(6)}  training ${f.training.toFixed(2)}${chosen}`,
      );
    }
  }
  return lines.join('\n');
}

function describe(spec: PartitionSpec): string {
  if (spec === 'category') return 'leave one category out';
  if (spec === 'file') return 'leave one file out';
  const [k, r] = spec.split('x');
  return `${k}-fold by file, ${r} repeat${r === '1' ? '' : 's'}`;
}
