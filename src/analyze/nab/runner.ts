/**
 * Runs a detector over a NAB corpus held in memory and scores it: the runtime-neutral half of
 * the `nab` command (reading and writing folders is in src/cli/nab.ts).
 */
import { ArgumentError } from '../../errors.ts';
import { DetectorBank } from '../../kernels/detector/detector.ts';
import type { Backend } from '../../kernels/loader.ts';
import type { DetectorParams } from '../../kernels/detector/params.ts';
import type { NabTable, WindowMap } from './csv.ts';
import { NAB_PROFILES, PROFILE_NAMES, type ProfileName } from './profiles.ts';
import { optimiseThreshold, prepareFile, scoreCorpus, type CorpusScore } from './scorer.ts';

/** One NAB data file: its key (`<category>/<name>.csv`) and parsed table. */
export interface NabFile {
  /** `<category>/<name>.csv`, as in NAB's windows file. */
  readonly key: string;
  /** The parsed file. */
  readonly table: NabTable;
}

/** Options of `detectCorpus`. */
export interface DetectOptions {
  /** Detector parameters (default `DEFAULT_PARAMS`). */
  params?: DetectorParams;
  /** Where the detector runs (default 'auto'). */
  backend?: Backend;
}

/**
 * Scores every file with a fresh detector per file (all in one bank), in file order. The rows
 * are in time order even where a file's clock goes back (NAB's files at daylight-saving
 * changes), so the detector is given the latest stamp so far as the time of each row: it would
 * refuse a row stamped earlier than the one before. Rows with an unreadable value or timestamp
 * (NaN) score 0.
 */
export async function detectCorpus(
  files: readonly NabFile[],
  options: DetectOptions = {},
): Promise<Float64Array[]> {
  if (files.length === 0) return [];
  const bank = await DetectorBank.create(files.length, options);
  return files.map((file, k) => {
    const values = file.table.columns.value;
    if (!values) throw new ArgumentError(file.key, "no 'value' column");
    return bank.updateSeries(k, rowClock(file.table.time), values);
  });
}

/** The running maximum of `time` (NaN stays NaN): a clock that never goes back. */
function rowClock(time: Float64Array): Float64Array {
  const clock = new Float64Array(time.length);
  let latest = -Infinity;
  for (let i = 0; i < time.length; i++) {
    if (time[i] > latest) latest = time[i];
    clock[i] = Number.isNaN(time[i]) ? Number.NaN : latest;
  }
  return clock;
}

/** A corpus scored with all three profiles, at a given threshold and at each profile's best one. */
export interface NabEvaluation {
  /** The threshold `atThreshold` was scored at. */
  readonly threshold: number;
  /** Each profile's score at that threshold. */
  readonly atThreshold: Readonly<Record<ProfileName, CorpusScore>>;
  /** Each profile's score at its own best threshold. */
  readonly optimised: Readonly<Record<ProfileName, CorpusScore>>;
}

/** Scores detector output against NAB windows. Every file needs an entry in `windows`. */
export function evaluateCorpus(
  files: readonly NabFile[],
  scores: readonly Float64Array[],
  windows: WindowMap,
  threshold: number,
): NabEvaluation {
  const prepared = files.map((file) => {
    const list = windows.get(file.key);
    if (!list) throw new ArgumentError('windows', `no entry for ${file.key}`);
    return prepareFile({ name: file.key, timestamps: file.table.time, windows: list });
  });
  const atThreshold = {} as Record<ProfileName, CorpusScore>;
  const optimised = {} as Record<ProfileName, CorpusScore>;
  for (const name of PROFILE_NAMES) {
    atThreshold[name] = scoreCorpus(prepared, scores, threshold, NAB_PROFILES[name]);
    optimised[name] = optimiseThreshold(prepared, scores, NAB_PROFILES[name]);
  }
  return { threshold, atThreshold, optimised };
}

/** Human-readable report: the three profiles, thresholds and a per-file breakdown. */
export function formatEvaluation(evaluation: NabEvaluation): string {
  const lines: string[] = [];
  const fmt = (x: number) => x.toFixed(2).padStart(7);
  lines.push(
    `profile              shipped threshold ${evaluation.threshold}   best threshold (NAB's optimiser)`,
  );
  for (const name of PROFILE_NAMES) {
    const at = evaluation.atThreshold[name];
    const best = evaluation.optimised[name];
    lines.push(
      `${name.padEnd(20)} ${fmt(at.normalised)}                      ${fmt(best.normalised)} at ${best.threshold}`,
    );
  }
  lines.push('', `per file, standard profile at ${evaluation.threshold}:`);
  lines.push(`${'file'.padEnd(60)} ${'score'.padStart(7)}    TP    FP     TN    FN`);
  for (const f of evaluation.atThreshold.standard.files) {
    lines.push(
      `${f.name.padEnd(60)} ${fmt(f.score)} ${String(f.tp).padStart(5)} ${String(f.fp).padStart(5)} ` +
        `${String(f.tn).padStart(6)} ${String(f.fn).padStart(5)}`,
    );
  }
  return lines.join('\n');
}

/** NAB-layout result CSV text: `timestamp,value,anomaly_score`. */
export function resultCsv(table: NabTable, scores: Float64Array): string {
  const values = table.columns.value;
  const rows = ['timestamp,value,anomaly_score'];
  for (let i = 0; i < scores.length; i++) rows.push(`${table.stamps[i]},${values[i]},${scores[i]}`);
  return `${rows.join('\n')}\n`;
}
