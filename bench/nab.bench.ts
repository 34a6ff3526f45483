/**
 * NAB quality of the default detector, cross-validated: the corpus threshold is chosen on the
 * training folds and the held-out files are scored at it (leave one category out, leave one file
 * out, and 2-fold by file stratified by category, 10 seeded repeats), for the three profiles,
 * beside the score on the files the parameters were tuned on; then with the two most sensitive
 * parameters tuned inside the folds too (nested), which the parameters' own overfitting shows in;
 * and the jittered neighbourhood of the defaults (every parameter by a factor exp(0.1 N(0,1)),
 * 20 seeded draws, threshold cross-validated), the robustness figure designs are compared on; and
 * the same files at half their sampling rate (rows averaged in pairs), scored at their own best
 * threshold and at the full-rate one: how much the design depends on the row count of its time
 * constants.
 * Reads the NAB corpus from
 * `NAB_DIR` (default `../shared/nab` beside the repository: `data/` and `combined_windows.json`);
 * without it, reports nothing. Run: `npx tsx bench/nab.bench.ts`.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { crossValidateDetector } from '../src/analyze/nab/cross-validate.ts';
import { parseNabCsv, parseWindows } from '../src/analyze/nab/csv.ts';
import { coarsenCorpus } from '../src/analyze/nab/coarsen.ts';
import { jitterCrossValidate } from '../src/analyze/nab/jitter.ts';
import { PROFILE_NAMES } from '../src/analyze/nab/profiles.ts';
import { detectCorpus, evaluateCorpus, type NabFile } from '../src/analyze/nab/runner.ts';
import { DEFAULT_PARAMS } from '../src/kernels/detector/params.ts';
import type { BenchResult } from './types.ts';
import { runIfMain } from './report.ts';

const PARTITIONS = ['category', 'file', '2x10'];
const JITTER_DRAWS = 20;
const NESTED_GRID = { vigilance: [0.1, 0.11, 0.12], refractory: [90, 120, 150] };
const LABELS: Record<string, string> = {
  category: 'cross-validated, leave one category out',
  file: 'cross-validated, leave one file out',
  '2x10': 'cross-validated, 2-fold by file x 10',
};

/** Cross-validated NAB scores of the default detector (none when the corpus is not there). */
export async function runNabBench(): Promise<BenchResult[]> {
  const root = process.env.NAB_DIR ?? fileURLToPath(new URL('../../shared/nab/', import.meta.url));
  const dataDir = join(root, 'data');
  if (!existsSync(dataDir)) {
    console.log(`NAB corpus not found at ${root} (set NAB_DIR): no NAB figures`);
    return [];
  }
  const files: NabFile[] = readdirSync(dataDir, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .flatMap((c) => readdirSync(join(dataDir, c.name)).map((f) => `${c.name}/${f}`))
    .filter((key) => key.endsWith('.csv'))
    .sort()
    .map((key) => ({ key, table: parseNabCsv(readFileSync(join(dataDir, key), 'utf8'), key) }));
  const windows = parseWindows(JSON.parse(readFileSync(join(root, 'combined_windows.json'), 'utf8')));
  const cv = await crossValidateDetector(files, windows, { params: DEFAULT_PARAMS, partitions: PARTITIONS });
  // The two parameters the score is most sensitive to, tuned inside the folds as well: what tuning
  // them on some files is worth on others (the defaults were tuned on all of them).
  const nested = await crossValidateDetector(files, windows, {
    params: DEFAULT_PARAMS,
    partitions: ['category', '2x10'],
    grid: NESTED_GRID,
  });
  // The neighbourhood of the defaults: a design whose score is luck of its exact values loses here.
  const jitter = await jitterCrossValidate(files, windows, {
    params: DEFAULT_PARAMS,
    draws: JITTER_DRAWS,
    partitions: ['category', '2x10'],
  });
  const halfRate = coarsenCorpus(files, 2);
  const fullRateThreshold = cv.profiles.standard.tunedThreshold;
  const coarse = evaluateCorpus(halfRate, await detectCorpus(halfRate), windows, fullRateThreshold);
  const results: BenchResult[] = [];
  for (const profile of PROFILE_NAMES) {
    const p = cv.profiles[profile];
    results.push({
      name: `NAB ${profile}, on the ${cv.files} tuning files (threshold ${p.tunedThreshold.toFixed(4)})`,
      value: p.tuned,
      unit: 'score',
    });
    for (const s of p.partitions) {
      results.push({
        name: `NAB ${profile}, ${LABELS[s.partition]} (${cv.files} files)`,
        value: s.mean,
        unit: 'score',
      });
    }
    for (const s of nested.profiles[profile].partitions) {
      results.push({
        name: `NAB ${profile}, ${LABELS[s.partition]}, vigilance and refractory tuned in the folds too`,
        value: s.mean,
        unit: 'score',
      });
    }
  }
  const around = `every parameter jittered ~10%, mean of ${JITTER_DRAWS} draws`;
  results.push({
    name: `NAB standard, on the tuning files, ${around}`,
    value: jitter.tuned.mean,
    unit: 'score',
  });
  jitter.partitions.forEach((spec, p) => {
    const s = jitter.cv[p];
    results.push({
      name: `NAB standard, ${LABELS[spec]}, ${around} (sd ${s.sd.toFixed(2)}, ${s.min.toFixed(2)}-${s.max.toFixed(2)})`,
      value: s.mean,
      unit: 'score',
    });
  });
  results.push(
    {
      name: 'NAB standard, the tuning files at half their sampling rate (rows averaged in pairs), own best threshold',
      value: coarse.optimised.standard.normalised,
      unit: 'score',
    },
    {
      name: `NAB standard, the tuning files at half their sampling rate, at the full-rate threshold ${fullRateThreshold.toFixed(4)}`,
      value: coarse.atThreshold.standard.normalised,
      unit: 'score',
    },
  );
  return results;
}

await runIfMain(import.meta.url, runNabBench);
