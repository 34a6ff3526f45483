/**
 * The `--workers auto|N` option `run` and `serve` share: how many worker threads score the
 * detector bank. `auto` (the default) picks the count from the series and the cores
 * (`autoDetectorWorkers`, src/run/defaults.ts); N asks for that many, capped at the cores since
 * scoring is CPU-bound (more workers only cost memory: some 7 MB each, and 500 took 3.6 GB).
 */
import { coreCount } from '../runtime/detect.ts';
import { autoDetectorWorkers } from '../run/defaults.ts';
import { UsageError } from './args.ts';

/** The most worker threads `--workers` takes before capping it at the cores. */
const MAX_WORKERS = 1024;

/** The option's declaration, for a command's `options`. */
export const WORKERS_OPTION = {
  type: 'string',
  value: 'auto|N',
  default: 'auto',
  help: 'worker threads scoring the series (auto: by their number and the cores; 0: none)',
} as const;

/**
 * The worker count `--workers text` asks for: 'auto' or an integer, at most the cores (`say`
 * is told when it caps). A UsageError names anything else.
 */
export function parseWorkers(text: string, say: (line: string) => void): number | 'auto' {
  if (text === 'auto') return 'auto';
  if (!/^\d+$/.test(text) || Number(text) > MAX_WORKERS)
    throw new UsageError('--workers', `expected auto or an integer from 0 to ${MAX_WORKERS}, got "${text}"`);
  const asked = Number(text);
  const cores = coreCount();
  if (asked <= cores) return asked;
  say(`--workers ${asked}: using ${cores}, the number of cores available`);
  return cores;
}

/** The worker threads `workers` ('auto' or a count) means for `series` series. */
export function resolveWorkers(workers: number | 'auto', series: number): number {
  return workers === 'auto' ? autoDetectorWorkers(series) : workers;
}
