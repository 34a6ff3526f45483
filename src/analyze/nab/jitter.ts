/**
 * Robustness of a detector design to its own parameters (issue 17): every parameter is jittered
 * at once by a seeded random factor and the jittered detector is cross-validated like the
 * default one. A design whose score holds across its neighbourhood is more likely to hold on
 * files nobody tuned it on than one whose defaults sit on a spike, so designs are compared on
 * the neighbourhood's average, not on their best point.
 */
import { ArgumentError } from '../../errors.ts';
import { checkParams, type DetectorParams } from '../../kernels/detector/params.ts';
import { Rng } from '../../random.ts';
import type { WindowMap } from './csv.ts';
import { crossValidateRepeats, ThresholdSweep, type PartitionSpec } from './cv.ts';
import { NAB_PROFILES } from './profiles.ts';
import { detectCorpus, type NabFile } from './runner.ts';
import { normalise, prepareFile } from './scorer.ts';

/** Parameters jittered through their complement: their effect is a memory of 1/(1 - x) points. */
const COMPLEMENT: ReadonlySet<keyof DetectorParams> = new Set(['forgetting']);
/** Parameters that are counts and are rounded after jittering (at least 1). */
const INTEGER: ReadonlySet<keyof DetectorParams> = new Set(['bucket', 'prototypes', 'refractory']);
/** Parameters that must stay below 1 (a fraction of the range, or of the alarm scale). */
const BELOW_ONE: ReadonlySet<keyof DetectorParams> = new Set(['vigilance', 'alarmLevel', 'learningRate']);

/**
 * `params` with every parameter multiplied by its own factor `exp(spread * N(0, 1))` (the
 * forgetting factor's complement instead, integers rounded, fractions kept below 1), drawn from
 * `rng`; always valid parameters.
 */
export function jitterParams(params: DetectorParams, rng: Rng, spread: number): DetectorParams {
  if (!(spread >= 0 && spread < 1))
    throw new ArgumentError('spread', `expected a number in [0, 1), got ${spread}`);
  const out: Record<string, number> = {};
  for (const name of Object.keys(params).sort() as (keyof DetectorParams)[]) {
    const factor = Math.exp(spread * rng.normal());
    const v = params[name];
    let x = COMPLEMENT.has(name) ? 1 - (1 - v) * factor : v * factor;
    if (INTEGER.has(name)) x = Math.max(1, Math.round(x));
    if (BELOW_ONE.has(name)) x = Math.min(x, 0.999);
    if (name === 'cusumSlack') x = Math.min(x, 3.9);
    out[name] = x;
  }
  return checkParams(out as unknown as DetectorParams);
}

/** Scores a corpus with one parameter set: one score array per file, one score per row. */
export type CorpusDetector = (files: readonly NabFile[], params: DetectorParams) => Promise<Float64Array[]>;

/** Options of {@link jitterCrossValidate}. */
export interface JitterOptions {
  /** The design's parameters, the centre of the neighbourhood. */
  readonly params: DetectorParams;
  /** Jittered draws (default 20). */
  readonly draws?: number;
  /** Standard deviation of each parameter's log factor (default 0.1: about +-10%). */
  readonly spread?: number;
  /** Seed of the first draw's generator; draw i uses seed + i, so designs share their draws. */
  readonly seed?: number;
  /** Partitions the threshold is cross-validated over (default `category` and `2x10`). */
  readonly partitions?: readonly PartitionSpec[];
  /** The detector design to run (default the shipped one, `detectCorpus`). */
  readonly detect?: CorpusDetector;
}

/** Mean, standard deviation and extremes of one figure over the draws. */
export interface Spread {
  /** Mean over the draws. */
  readonly mean: number;
  /** Sample standard deviation over the draws (0 for one draw). */
  readonly sd: number;
  /** Lowest draw. */
  readonly min: number;
  /** Highest draw. */
  readonly max: number;
}

/** One parameter set's standard-profile figures: on all the files, and per partition. */
export interface DesignFigures {
  /** Score on all the files at its best threshold (what tuning sees). */
  readonly tuned: number;
  /** Threshold-only cross-validated score per partition, in the order asked for. */
  readonly cv: readonly number[];
}

/** The result of {@link jitterCrossValidate} (standard profile). */
export interface JitterCrossValidation {
  /** The partitions, in the order of `DesignFigures.cv`. */
  readonly partitions: readonly PartitionSpec[];
  /** The centre's own figures. */
  readonly centre: DesignFigures;
  /** Each draw's parameters and figures. */
  readonly draws: readonly { readonly params: DetectorParams; readonly figures: DesignFigures }[];
  /** The draws' tuning-files score. */
  readonly tuned: Spread;
  /** The draws' cross-validated score, per partition. */
  readonly cv: readonly Spread[];
}

/**
 * Cross-validates (threshold chosen on the training folds, standard profile) the design at
 * `options.params` and at `options.draws` jittered copies of it; see the module comment.
 */
export async function jitterCrossValidate(
  files: readonly NabFile[],
  windows: WindowMap,
  options: JitterOptions,
): Promise<JitterCrossValidation> {
  const draws = options.draws ?? 20;
  if (!Number.isInteger(draws) || draws < 1)
    throw new ArgumentError('draws', `expected an integer >= 1, got ${draws}`);
  const spread = options.spread ?? 0.1;
  const seed = options.seed ?? 1;
  const partitions = options.partitions ?? ['category', '2x10'];
  const detect = options.detect ?? ((f, params) => detectCorpus(f, { params }));
  const prepared = files.map((file) => {
    const list = windows.get(file.key);
    if (!list) throw new ArgumentError('windows', `no entry for ${file.key}`);
    return prepareFile({ name: file.key, timestamps: file.table.time, windows: list });
  });
  const keys = files.map((f) => f.key);
  const profile = NAB_PROFILES.standard;
  const all = new Uint8Array(files.length).fill(1);
  const windowCount = prepared.reduce((n, f) => n + f.windowCount, 0);
  const figures = async (params: DetectorParams): Promise<DesignFigures> => {
    const candidates = [{ label: '', sweep: new ThresholdSweep(prepared, await detect(files, params)) }];
    return {
      tuned: normalise(candidates[0].sweep.best(all, profile).raw, windowCount, profile),
      cv: partitions.map((spec) => crossValidateRepeats(prepared, keys, candidates, spec, profile).mean),
    };
  };
  const centre = await figures(checkParams(options.params));
  const results: { params: DetectorParams; figures: DesignFigures }[] = [];
  for (let i = 0; i < draws; i++) {
    const params = jitterParams(options.params, new Rng(seed + i), spread);
    results.push({ params, figures: await figures(params) });
  }
  return {
    partitions,
    centre,
    draws: results,
    tuned: spreadOf(results.map((r) => r.figures.tuned)),
    cv: partitions.map((_, p) => spreadOf(results.map((r) => r.figures.cv[p]))),
  };
}

function spreadOf(values: readonly number[]): Spread {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const sd =
    values.length > 1 ? Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (values.length - 1)) : 0;
  return { mean, sd, min: Math.min(...values), max: Math.max(...values) };
}

/** Human-readable report of {@link jitterCrossValidate}. */
export function formatJitter(result: JitterCrossValidation, spread: number): string {
  const fmt = (s: Spread) =>
    `${s.mean.toFixed(2)} (sd ${s.sd.toFixed(2)}, ${s.min.toFixed(2)}-${s.max.toFixed(2)})`;
  const lines = [
    `standard profile, threshold chosen on the training folds; ${result.draws.length} draws, every parameter x exp(${spread} N(0,1))`,
    `${'at the parameters'.padEnd(24)} tuning files ${result.centre.tuned.toFixed(2)}`,
  ];
  result.partitions.forEach((spec, p) => {
    lines[1] += `, CV ${spec} ${result.centre.cv[p].toFixed(2)}`;
  });
  lines.push(`${'jittered'.padEnd(24)} tuning files ${fmt(result.tuned)}`);
  result.partitions.forEach((spec, p) => {
    lines.push(`${''.padEnd(24)} CV ${spec.padEnd(9)} ${fmt(result.cv[p])}`);
  });
  return lines.join('\n');
}
