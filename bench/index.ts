/**
 * `npm run bench`: runs every bench/<area>.bench.ts (each exports one `run<Area>Bench()`),
 * prints one table and writes bench/results.json. `npm run bench -- stats similarity` runs some,
 * and keeps the other areas' last results in the file.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { printBenchTable } from './report.ts';
import type { BenchResult } from './types.ts';

const dir = new URL('./', import.meta.url);
const wanted = process.argv.slice(2);
const areas = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .map((f) => f.slice(0, -'.bench.ts'.length))
  .filter((area) => wanted.length === 0 || wanted.includes(area));

const file = new URL('results.json', dir);
const kept: Record<string, BenchResult[]> =
  wanted.length > 0 && existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')).results ?? {}) : {};
const results: Record<string, BenchResult[]> = {};
for (const area of areas) {
  const module = (await import(new URL(`${area}.bench.ts`, dir).href)) as Record<string, unknown>;
  const run = Object.entries(module).find(
    ([name, value]) => /^run\w*Bench$/.test(name) && typeof value === 'function',
  );
  if (!run) throw new Error(`bench/${area}.bench.ts exports no run<Area>Bench function`);
  console.log(`\n## ${area}`);
  results[area] = await (run[1] as () => Promise<BenchResult[]>)();
  printBenchTable(results[area]);
}

const output = {
  date: new Date().toISOString(),
  runtime: `node ${process.version}`,
  cpu: cpus()[0]?.model ?? 'unknown',
  cores: availableParallelism(),
  results: { ...kept, ...results },
};
writeFileSync(file, `${JSON.stringify(output, null, 2)}\n`);
console.log('\nwrote bench/results.json');
