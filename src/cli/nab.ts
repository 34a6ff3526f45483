/**
 * `x0tta6bl4 nab`: runs the default detector over every `<category>/<name>.csv` of a NAB-layout
 * data folder and writes NAB-layout results (`<out>/<category>/x0tta6bl4_<name>.csv` with
 * `timestamp,value,anomaly_score`). With `--windows`, also scores them: the three profiles at the
 * shipped threshold and at NAB's optimal one, and a per-file breakdown.
 *
 *   nab --data <dir> --out <dir> [--windows <combined_windows.json>] [--params <json>]
 *       [--backend auto|wasm|ts] [--threshold <t>] [--strict] [--json]
 *
 * Values are read strictly: a cell that is not a number is read as missing (scored 0), and the
 * command reports per file how many there were and where, and rows whose timestamps go back or
 * repeat (NAB's own files do at daylight-saving changes); `--strict` makes an unreadable cell
 * an error instead. A header naming a column twice is an error.
 *
 * `--params` overrides detector parameters (JSON object, e.g. '{"refractory":150}'), for
 * evaluating a variant.
 *
 *   nab --cv <partitions> --data <dir> --windows <json> [--grid <json> | --jitter <n>] [--params <json>]
 *
 * cross-validates instead (no results are written): for each partition (comma-separated:
 * `category` leaves one category out, `file` one file, `KxR` is K folds stratified by category
 * repeated R times), the threshold is chosen on the training folds and the held-out files are
 * scored at it; `--grid` (JSON object of parameter -> values) tunes those parameters inside the
 * folds too. `--jitter <n>` cross-validates (standard profile) the parameters and n seeded draws
 * around them, every parameter jittered by a factor exp(0.1 N(0,1)), and reports the draws' mean,
 * spread and extremes: how much of a score is the parameters' luck. `--windows -` reads the windows from standard input; `--json` prints the results
 * (and the per-file reading issues) as one JSON object on stdout. Exit codes: 0 done, 2 usage
 * error or unreadable input.
 */
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { X0ttaError } from '../errors.ts';
import type { Backend } from '../kernels/loader.ts';
import {
  ALARM_THRESHOLD,
  DEFAULT_PARAMS,
  checkParams,
  type DetectorParams,
} from '../kernels/detector/params.ts';
import { crossValidateDetector, formatCrossValidation } from '../analyze/nab/cross-validate.ts';
import { describeIssues, parseNabCsv, parseWindows } from '../analyze/nab/csv.ts';
import { formatJitter, jitterCrossValidate } from '../analyze/nab/jitter.ts';
import {
  detectCorpus,
  evaluateCorpus,
  formatEvaluation,
  resultCsv,
  type NabFile,
} from '../analyze/nab/runner.ts';
import { type CommandIo, UsageError, consoleIo, defineCommand, runCommandSpec } from './args.ts';
import { readJsonInput } from './input.ts';

/** Name of the detector in result file names, as NAB names its detectors. */
export const NAB_DETECTOR_NAME = 'x0tta6bl4';

/** `--jitter`'s spread: each parameter's log factor has this standard deviation (about +-10%). */
const JITTER_SPREAD = 0.1;

/** The command's declaration: usage, options and exit codes. */
export const NAB_COMMAND = defineCommand({
  name: 'nab',
  summary: 'run the default detector over a NAB-layout data folder; with --windows, score it',
  usage: [
    '--data <dir> --out <dir> [--windows <json>] [--params <json>] [--backend auto|wasm|ts]',
    '    [--threshold <t>] [--strict] [--json]',
    '--cv <category,file,KxR> --data <dir> --windows <json> [--grid <json> | --jitter <n>] [--params <json>]',
    '    [--json]',
  ],
  details:
    'Writes <out>/<category>/x0tta6bl4_<name>.csv (timestamp,value,anomaly_score) for every\n' +
    '<category>/<name>.csv under --data, and with --windows scores them with the three NAB profiles.\n' +
    'With --cv it cross-validates instead and writes nothing.',
  options: {
    data: { type: 'string', value: 'DIR', help: 'NAB data folder: <category>/<name>.csv files' },
    out: { type: 'string', value: 'DIR', help: 'folder for the result CSVs (created)' },
    windows: { type: 'input', value: 'JSON', help: "NAB's combined_windows.json, to score the results" },
    params: {
      type: 'string',
      value: 'JSON',
      help: 'detector parameter overrides, e.g. \'{"refractory":150}\'',
    },
    backend: { type: 'string', choices: ['auto', 'wasm', 'ts'], default: 'auto', help: 'detector kernel' },
    threshold: {
      type: 'number',
      value: 'T',
      min: 0,
      max: 1,
      default: ALARM_THRESHOLD,
      help: 'alarm threshold on the score',
    },
    strict: { type: 'boolean', help: 'an unreadable cell is an error, not a missing value' },
    cv: {
      type: 'string',
      value: 'LIST',
      help: 'cross-validate: comma-separated partitions (category, file, KxR stratified k-fold)',
    },
    grid: { type: 'string', value: 'JSON', help: 'with --cv: parameter -> values to tune inside the folds' },
    jitter: {
      type: 'integer',
      value: 'N',
      min: 1,
      max: 1000,
      help: 'with --cv: also cross-validate N draws with every parameter jittered by about 10%',
    },
    json: { type: 'boolean', help: 'print the results as JSON on stdout' },
  },
  exitCodes: '0 done, 2 usage error or unreadable input',
});

/** Reads every `<category>/<name>.csv` under `dir`, sorted by key. */
async function readCorpus(dir: string, strict: boolean): Promise<NabFile[]> {
  const files: NabFile[] = [];
  const categories = (await readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory());
  for (const category of categories) {
    const entries = await readdir(join(dir, category.name), { withFileTypes: true });
    for (const entry of entries) {
      if (!entry.isFile() || !entry.name.endsWith('.csv')) continue;
      const key = `${category.name}/${entry.name}`;
      files.push({ key, table: parseNabCsv(await readFile(join(dir, key), 'utf8'), key, { strict }) });
    }
  }
  if (files.length === 0) throw new UsageError('--data', `no <category>/<name>.csv files under ${dir}`);
  return files.sort((a, b) => (a.key < b.key ? -1 : 1));
}

/** `text` parsed as JSON, or a UsageError naming `option`. */
function jsonOption(option: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError(option, `expected JSON: ${(error as Error).message}`);
  }
}

/**
 * Runs the `nab` command with the arguments after `nab`; resolves to the exit code.
 * Detection runs in the wasm kernel (or its TS twin), one fresh detector per file.
 */
export function runNabCommand(argv: string[], io: CommandIo = consoleIo): Promise<number> {
  return runCommandSpec(NAB_COMMAND, argv, io, async ({ values }) => {
    const cv = values.cv;
    if (values.data === undefined) throw new UsageError('--data', 'is required');
    if (cv === undefined && values.out === undefined) throw new UsageError('--out', 'is required');
    if (cv !== undefined && values.windows === undefined)
      throw new UsageError('--windows', 'is required with --cv');
    if (values.grid !== undefined && cv === undefined) throw new UsageError('--grid', 'needs --cv');
    if (values.jitter !== undefined && (cv === undefined || values.grid !== undefined))
      throw new UsageError('--jitter', 'needs --cv and no --grid');
    try {
      const params: DetectorParams =
        values.params === undefined
          ? DEFAULT_PARAMS
          : checkParams({ ...DEFAULT_PARAMS, ...(jsonOption('--params', values.params) as object) });
      const backend = values.backend as Backend;
      const windows =
        values.windows === undefined
          ? undefined
          : parseWindows(await readJsonInput('--windows', values.windows, 'windows file'));
      const files = await readCorpus(values.data, values.strict);
      const issues = Object.fromEntries(
        files.filter((f) => describeIssues(f.table.issues)).map((f) => [f.key, f.table.issues]),
      );
      if (!values.json)
        for (const key of Object.keys(issues)) io.out(`${key}: ${describeIssues(issues[key])}`);
      if (cv !== undefined && values.jitter !== undefined) {
        const result = await jitterCrossValidate(files, windows!, {
          params,
          draws: values.jitter,
          spread: JITTER_SPREAD,
          partitions: cv.split(','),
          detect: (corpus, p) => detectCorpus(corpus, { params: p, backend }),
        });
        io.out(
          values.json
            ? JSON.stringify({ issues, jitter: result }, null, 2)
            : formatJitter(result, JITTER_SPREAD),
        );
        return 0;
      }
      if (cv !== undefined) {
        const result = await crossValidateDetector(files, windows!, {
          params,
          backend,
          partitions: cv.split(','),
          grid: values.grid === undefined ? undefined : (jsonOption('--grid', values.grid) as object),
        });
        io.out(
          values.json
            ? JSON.stringify({ issues, crossValidation: result }, null, 2)
            : formatCrossValidation(result),
        );
        return 0;
      }
      const scores = await detectCorpus(files, { params, backend });
      const out = values.out!;
      for (let k = 0; k < files.length; k++) {
        const [category, name] = files[k].key.split('/');
        await mkdir(join(out, category), { recursive: true });
        await writeFile(
          join(out, category, `${NAB_DETECTOR_NAME}_${name}`),
          resultCsv(files[k].table, scores[k]),
        );
      }
      const points = scores.reduce((n, s) => n + s.length, 0);
      const evaluation = windows && evaluateCorpus(files, scores, windows, values.threshold);
      if (values.json)
        io.out(JSON.stringify({ files: files.length, points, out, issues, evaluation }, null, 2));
      else {
        io.out(`scored ${files.length} files, ${points} points; results in ${out}`);
        if (evaluation) io.out(formatEvaluation(evaluation));
      }
      return 0;
    } catch (error) {
      if (error instanceof UsageError) throw error;
      if (error instanceof X0ttaError || isFsError(error)) {
        io.err(`nab: ${(error as Error).message}`);
        return 2;
      }
      throw error;
    }
  });
}

function isFsError(error: unknown): boolean {
  return error instanceof Error && typeof (error as NodeJS.ErrnoException).code === 'string';
}
