/**
 * How benchmark results are shown: one table for `npm run bench` and for a bench file run alone
 * (`npx tsx bench/<area>.bench.ts`).
 */
import { pathToFileURL } from 'node:url';
import type { BenchResult } from './types.ts';

/** Prints one area's results: figure, ratio against its same-run baseline, target. */
export function printBenchTable(rows: readonly BenchResult[]): void {
  console.table(
    rows.map((r) => ({
      name: r.name,
      value: `${format(r.value)} ${r.unit}`,
      vs: r.baseline ? `${format(r.ratio ?? Number.NaN)}x ${r.baseline}` : '',
      target: r.target ? `${r.target} ${r.met === undefined ? '' : r.met ? 'met' : 'MISSED'}` : '',
    })),
  );
}

/** Runs `run` and prints its table when `moduleUrl` is the file the command line started. */
export async function runIfMain(moduleUrl: string, run: () => Promise<BenchResult[]>): Promise<void> {
  if (moduleUrl === pathToFileURL(process.argv[1] ?? '').href) printBenchTable(await run());
}

function format(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const abs = Math.abs(n);
  if (abs >= 1e9) return `${(n / 1e9).toFixed(2)}G`;
  if (abs >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (abs >= 1e4) return `${(n / 1e3).toFixed(1)}k`;
  return abs >= 100 ? n.toFixed(0) : n.toPrecision(3);
}
