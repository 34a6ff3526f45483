/**
 * `x0tta6bl4 nab`: runs the default detector over every `<category>/<name>.csv` of a NAB-layout
 * data folder and writes NAB-layout results (`<out>/<category>/x0tta6bl4_<name>.csv` with
 * `timestamp,value,anomaly_score`). With `--windows`, also scores them: the three profiles at the
 * shipped threshold and at NAB's optimal one, and a per-file breakdown.
 *
 *   nab --data <dir> --out <dir> [--windows <combined_windows.json>] [--params <json>]
 *       [--backend auto|wasm|ts] [--threshold <t>] [--strict]
 *
 * Values are read strictly: a cell that is not a number is read as missing (scored 0), and the
 * command reports per file how many there were and where, and rows whose timestamps go back or
 * repeat (NAB's own files do at daylight-saving changes); `--strict` makes an unreadable cell
 * an error instead. A header naming a column twice is an error.
 *
 * `--params` overrides detector parameters (JSON object, e.g. '{"refractory":150}'), for
 * evaluating a variant.
 *
 *   nab --cv <partitions> --data <dir> --windows <json> [--grid <json>] [--params <json>]
 *
 * cross-validates instead (no results are written): for each partition (comma-separated:
 * `category` leaves one category out, `file` one file, `KxR` is K folds stratified by category
 * repeated R times), the threshold is chosen on the training folds and the held-out files are
 * scored at it; `--grid` (JSON object of parameter -> values) tunes those parameters inside the
 * folds too. Exit codes: 0 done, 2 usage error or unreadable input.
 */
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
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
import {
  detectCorpus,
  evaluateCorpus,
  formatEvaluation,
  resultCsv,
  type NabFile,
} from '../analyze/nab/runner.ts';

/** Name of the detector in result file names, as NAB names its detectors. */
export const NAB_DETECTOR_NAME = 'x0tta6bl4';

/** Where the command writes; defaults to the process's stdout and stderr. */
export interface NabCommandIo {
  out(line: string): void;
  err(line: string): void;
}

const consoleIo: NabCommandIo = { out: (line) => console.log(line), err: (line) => console.error(line) };

/** Usage text. */
export const NAB_USAGE =
  'usage: x0tta6bl4 nab --data <dir> --out <dir> [--windows <json>] [--params <json>] ' +
  '[--backend auto|wasm|ts] [--threshold <t>] [--strict]\n' +
  '       x0tta6bl4 nab --cv <category,file,KxR> --data <dir> --windows <json> [--grid <json>] [--params <json>]';

class UsageError extends Error {}

const FLAGS = new Set([
  '--data',
  '--out',
  '--windows',
  '--params',
  '--backend',
  '--threshold',
  '--cv',
  '--grid',
]);
const SWITCHES = new Set(['--strict']);

function parse(argv: string[]): Map<string, string> {
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (SWITCHES.has(arg)) {
      flags.set(arg, '');
      continue;
    }
    if (!FLAGS.has(arg)) throw new UsageError(`unknown argument ${arg}`);
    if (i + 1 >= argv.length) throw new UsageError(`${arg} needs a value`);
    flags.set(arg, argv[++i]);
  }
  const required = flags.has('--cv') ? ['--data', '--windows'] : ['--data', '--out'];
  for (const flag of required) if (!flags.has(flag)) throw new UsageError(`${flag} is required`);
  if (flags.has('--grid') && !flags.has('--cv')) throw new UsageError('--grid needs --cv');
  return flags;
}

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
  if (files.length === 0) throw new UsageError(`no <category>/<name>.csv files under ${dir}`);
  return files.sort((a, b) => (a.key < b.key ? -1 : 1));
}

/**
 * Runs the `nab` command with the arguments after `nab`; resolves to the exit code.
 * Detection runs in the wasm kernel (or its TS twin), one fresh detector per file.
 */
export async function runNabCommand(argv: string[], io: NabCommandIo = consoleIo): Promise<number> {
  try {
    const flags = parse(argv);
    const params: DetectorParams = flags.has('--params')
      ? checkParams({ ...DEFAULT_PARAMS, ...JSON.parse(flags.get('--params')!) })
      : DEFAULT_PARAMS;
    const backend = (flags.get('--backend') ?? 'auto') as Backend;
    const threshold = flags.has('--threshold') ? Number(flags.get('--threshold')) : ALARM_THRESHOLD;
    if (!Number.isFinite(threshold))
      throw new UsageError(`--threshold: expected a number, got ${flags.get('--threshold')}`);
    const windows = flags.has('--windows')
      ? parseWindows(JSON.parse(await readFile(flags.get('--windows')!, 'utf8')))
      : undefined;

    const files = await readCorpus(flags.get('--data')!, flags.has('--strict'));
    for (const file of files) {
      const issues = describeIssues(file.table.issues);
      if (issues) io.out(`${file.key}: ${issues}`);
    }
    if (flags.has('--cv')) {
      const cv = await crossValidateDetector(files, windows!, {
        params,
        backend,
        partitions: flags.get('--cv')!.split(','),
        grid: flags.has('--grid') ? JSON.parse(flags.get('--grid')!) : undefined,
      });
      io.out(formatCrossValidation(cv));
      return 0;
    }
    const scores = await detectCorpus(files, { params, backend });
    const out = flags.get('--out')!;
    for (let k = 0; k < files.length; k++) {
      const [category, name] = files[k].key.split('/');
      await mkdir(join(out, category), { recursive: true });
      await writeFile(
        join(out, category, `${NAB_DETECTOR_NAME}_${name}`),
        resultCsv(files[k].table, scores[k]),
      );
    }
    io.out(
      `scored ${files.length} files, ${scores.reduce((n, s) => n + s.length, 0)} points; results in ${out}`,
    );
    if (windows) io.out(formatEvaluation(evaluateCorpus(files, scores, windows, threshold)));
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`${error.message}\n${NAB_USAGE}`);
      return 2;
    }
    if (error instanceof X0ttaError || error instanceof SyntaxError || isFsError(error)) {
      io.err(`nab: ${(error as Error).message}`);
      return 2;
    }
    throw error;
  }
}

function isFsError(error: unknown): boolean {
  return error instanceof Error && typeof (error as NodeJS.ErrnoException).code === 'string';
}
