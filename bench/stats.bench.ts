/**
 * Streaming statistics benchmark: the batched Welford+EWMA+z update (with min/max and CUSUM) of
 * 10,000 series, sliding-window median/MAD, one long series, histogram and KS distance, each by
 * the wasm SIMD build, the wasm scalar build (build/stats.scalar.wasm) and the TS twin on the same
 * inputs in the same run. Backends must agree bit for bit before anything is timed. Samples of the
 * variants are interleaved, so load from other processes hits all of them alike, and each figure
 * is the best of SAMPLES samples (the machine is shared and noisy; interference only ever slows a
 * sample down). Run: `npx tsx bench/stats.bench.ts`.
 */
import { readFileSync } from 'node:fs';
import {
  histogram,
  initStats,
  ksDistance,
  RollingMedian,
  RollingMedianBatch,
  SeriesStats,
  SeriesStatsBatch,
} from '../src/kernels/stats/index.ts';
import type { Backend } from '../src/kernels/loader.ts';
import type { BenchResult } from './types.ts';
import { runIfMain } from './report.ts';

const SERIES = 10_000;
const ROWS = 64; // distinct input rows, cycled, so the update is not fed the same value forever
const TARGET = 100e6;
const SAMPLES = 21;

interface Variant {
  name: string;
  backend: Backend;
  module?: WebAssembly.Module;
}

/** Runs the stats benchmark and returns its figures (items/s and ratios). */
export async function runStatsBench(): Promise<BenchResult[]> {
  await initStats();
  const scalar = new WebAssembly.Module(readFileSync(new URL('../build/stats.scalar.wasm', import.meta.url)));
  const variants: Variant[] = [
    { name: 'wasm SIMD', backend: 'wasm' },
    { name: 'wasm scalar', backend: 'wasm', module: scalar },
    { name: 'TS twin', backend: 'ts' },
  ];
  const random = seeded(7);
  const results: BenchResult[] = [];

  // 1. Batched moments: one value per series per call.
  const rows = Array.from({ length: ROWS }, () =>
    Float64Array.from({ length: SERIES }, () => gaussian(random) * 10 + 100),
  );
  results.push(
    ...compare(
      'Welford+EWMA+z+min/max+CUSUM update, 10k series',
      'series-updates/s',
      variants,
      (v) => {
        const s = new SeriesStatsBatch({ series: SERIES, alpha: 0.05, backend: v.backend, module: v.module });
        let t = 0;
        return { perCall: SERIES, calls: 200, run: () => s.update(rows[t++ % ROWS]), state: () => s.save() };
      },
      { target: TARGET, text: '>= 100M series-updates/s' },
    ),
  );

  // 2. Rolling median and MAD of 1,000 series, window 64, one value per series per call.
  const medianRows = rows.map((r) => r.subarray(0, 1000));
  results.push(
    ...compare('rolling median+MAD update, 1k series, window 64', 'series-updates/s', variants, (v) => {
      const m = new RollingMedianBatch({ series: 1000, window: 64, backend: v.backend, module: v.module });
      for (let t = 0; t < 64; t++) m.update(medianRows[t]); // full windows: every update evicts
      let t = 0;
      return { perCall: 1000, calls: 20, run: () => m.update(medianRows[t++ % ROWS]), state: () => m.save() };
    }),
  );

  // 3. One long series: moments and rolling median over 100,000 values per call.
  const long = Float64Array.from({ length: 100_000 }, () => gaussian(random) * 3 + 50);
  const z = new Float64Array(long.length);
  results.push(
    ...compare('one series, moments with per-value z, 100k values', 'values/s', variants, (v) => {
      const s = new SeriesStats({ backend: v.backend, module: v.module });
      return { perCall: long.length, calls: 2, run: () => s.push(long, z), state: () => s.save() };
    }),
  );
  results.push(
    ...compare('one series, rolling median+MAD, window 256, 100k values', 'values/s', variants, (v) => {
      const m = new RollingMedian({ window: 256, backend: v.backend, module: v.module });
      return { perCall: long.length, calls: 1, run: () => m.push(long), state: () => m.save() };
    }),
  );

  // 4. Drift: histogram of 1M values into 32 bins, KS distance of two 100k samples.
  const big = Float64Array.from({ length: 1_000_000 }, () => gaussian(random));
  const spec = { bins: 32, min: -4, max: 4 };
  results.push(
    ...compare('histogram, 1M values, 32 bins', 'values/s', variants, (v) => ({
      perCall: big.length,
      calls: 2,
      run: () => histogram(big, spec, v),
      state: () => histogram(big, spec, v).counts,
    })),
  );
  const other = long.map((x) => x + 0.1);
  results.push(
    ...compare('KS distance, 100k vs 100k samples', 'values/s', variants, (v) => ({
      perCall: 2 * long.length,
      calls: 2,
      run: () => ksDistance(long, other, v),
      state: () => Float64Array.of(ksDistance(long, other, v)),
    })),
  );
  return results;
}

interface Workload {
  perCall: number;
  calls: number;
  run: () => unknown;
  /** Everything the backend computed, compared bit for bit before timing. */
  state: () => Float64Array;
}

/** Times one workload on every variant; SIMD is reported against the TS twin and the scalar build. */
function compare(
  what: string,
  unit: string,
  variants: Variant[],
  make: (v: Variant) => Workload,
  target?: { target: number; text: string },
): BenchResult[] {
  const workloads = variants.map((v) => [v, make(v)] as const);
  for (const [, w] of workloads) w.run();
  const [reference, ...others] = workloads.map(([v, w]) => [v.name, w.state()] as const);
  for (const [name, state] of others) {
    if (!sameBits(state, reference[1])) throw new Error(`${what}: ${name} disagrees with ${reference[0]}`);
  }
  const best = workloads.map(() => Infinity);
  for (let sample = 0; sample <= SAMPLES; sample++) {
    workloads.forEach(([, w], i) => {
      const seconds = time(w.calls, w.run);
      if (sample > 0) best[i] = Math.min(best[i], seconds); // sample 0 warms up
    });
  }
  const rates = new Map(workloads.map(([v, w], i) => [v.name, w.perCall / best[i]]));
  const twin = rates.get('TS twin')!;
  return workloads.map(([v]) => {
    const value = rates.get(v.name)!;
    const result: BenchResult = { name: `${what}, ${v.name}`, value, unit };
    if (v.name !== 'TS twin') Object.assign(result, { baseline: 'TS twin', ratio: value / twin });
    if (v.name === 'wasm SIMD' && rates.has('wasm scalar')) {
      result.name += ` (${(value / rates.get('wasm scalar')!).toFixed(2)}x scalar)`;
    }
    if (v.name === 'wasm SIMD' && target)
      Object.assign(result, { target: target.text, met: value >= target.target });
    return result;
  });
}

function sameBits(a: Float64Array, b: Float64Array): boolean {
  return a.length === b.length && a.every((x, i) => Object.is(x, b[i]));
}

/** Seconds per call of `calls` back-to-back calls. */
function time(calls: number, fn: () => unknown): number {
  const start = performance.now();
  for (let i = 0; i < calls; i++) fn();
  return (performance.now() - start) / 1000 / calls;
}

function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return (state + 0.5) / 4294967296;
  };
}

function gaussian(random: () => number): number {
  return Math.sqrt(-2 * Math.log(random())) * Math.cos(2 * Math.PI * random());
}

await runIfMain(import.meta.url, runStatsBench);
