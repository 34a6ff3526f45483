/**
 * Decision scoring: 1,000 candidates x 32 features with a rank-8 adapter and a constraint mask,
 * scored end to end (copy in, scores, mask, softmax, argmax, copy out) by the wasm SIMD build, the
 * wasm scalar build and the TS twin on the same inputs in the same run; plus one adapter update.
 * Times are the median of several samples of many calls (the machine is shared and noisy).
 * Last, the same batch through a one-worker kernel pool, round trip included, against the direct
 * wasm SIMD call: the price of moving the work off the main thread.
 */
import { readFileSync } from 'node:fs';
import { createScorer, type Scorer } from '../src/kernels/scoring/index.ts';
import { createKernelPool, type ScoreRequest } from '../src/kernels/index.ts';
import type { BenchResult } from './types.ts';
import { runIfMain } from './report.ts';

const CANDIDATES = 1000;
const FEATURES = 32;
const RANK = 8;
const SAMPLES = 15;
const TARGET = 1e6;

/** Runs the scoring benchmark and returns its figures (candidates/s and ratios). */
export async function runScoringBench(): Promise<BenchResult[]> {
  const random = seeded(42);
  const weights = Float32Array.from({ length: FEATURES }, () => random() - 0.5);
  const a = Float32Array.from({ length: FEATURES * RANK }, () => (random() - 0.5) / 4);
  const b = Float32Array.from({ length: RANK }, () => random() - 0.5);
  const rows = Float32Array.from({ length: CANDIDATES * FEATURES }, () => random() * 2 - 1);
  const allowed = Uint8Array.from({ length: CANDIDATES }, () => (random() < 0.9 ? 1 : 0));
  const scalar = new WebAssembly.Module(
    readFileSync(new URL('../build/scoring.scalar.wasm', import.meta.url)),
  );
  const options = { features: FEATURES, rank: RANK, weights, a, b };
  const scorers: [string, Scorer][] = [
    ['wasm SIMD', await createScorer({ ...options, backend: 'wasm' })],
    ['wasm scalar', await createScorer({ ...options, backend: 'wasm', module: scalar })],
    ['TS twin', await createScorer({ ...options, backend: 'ts' })],
  ];
  checkAgreement(scorers, rows, allowed);

  const perSecond = new Map<string, number>();
  for (const [name, scorer] of scorers) {
    const seconds = median(SAMPLES, 50, () => scorer.score(rows, { allowed, temperature: 0.5 }));
    perSecond.set(name, CANDIDATES / seconds);
  }
  const updates = new Map<string, number>();
  const x = rows.subarray(0, FEATURES);
  for (const [name, scorer] of scorers) {
    const saved = scorer.parameters();
    updates.set(
      name,
      1 / median(SAMPLES, 500, () => scorer.update(x, 1, { learningRate: 1e-4, loss: 'logistic' })),
    );
    scorer.setParameters(saved);
  }

  const pooled = await pooledPerSecond({
    features: FEATURES,
    rank: RANK,
    weights,
    a,
    b,
    candidates: rows,
    allowed,
    temperature: 0.5,
  });

  const simd = perSecond.get('wasm SIMD')!;
  const results: BenchResult[] = [];
  for (const [name, value] of perSecond) {
    const result: BenchResult = {
      name: `score 1000 x 32, rank 8, masked softmax, ${name}`,
      value,
      unit: 'candidates/s',
    };
    if (name !== 'TS twin')
      Object.assign(result, { baseline: 'TS twin', ratio: value / perSecond.get('TS twin')! });
    if (name === 'wasm SIMD') Object.assign(result, { target: '>= 1M candidates/s', met: value >= TARGET });
    results.push(result);
  }
  results.push({
    name: 'score 1000 x 32, rank 8, wasm SIMD vs scalar',
    value: simd,
    unit: 'candidates/s',
    baseline: 'wasm scalar',
    ratio: simd / perSecond.get('wasm scalar')!,
  });
  for (const [name, value] of updates) {
    const result: BenchResult = {
      name: `adapter update (f 32, r 8, logistic), ${name}`,
      value,
      unit: 'updates/s',
    };
    if (name !== 'TS twin')
      Object.assign(result, { baseline: 'TS twin', ratio: value / updates.get('TS twin')! });
    results.push(result);
  }
  results.push({
    name: 'score 1000 x 32, rank 8, through a 1-worker kernel pool (round trip)',
    value: pooled,
    unit: 'candidates/s',
    baseline: 'wasm SIMD on this thread',
    ratio: pooled / simd,
  });
  return results;
}

/** Candidates/s through a kernel pool: a sequence of awaited calls, median of several samples. */
async function pooledPerSecond(request: ScoreRequest): Promise<number> {
  const pool = createKernelPool({ size: 1 });
  try {
    const calls = 50;
    for (let i = 0; i < calls; i++) await pool.run('score', [request]);
    const times: number[] = [];
    for (let s = 0; s < SAMPLES; s++) {
      const start = performance.now();
      for (let i = 0; i < calls; i++) await pool.run('score', [request]);
      times.push((performance.now() - start) / 1000 / calls);
    }
    return CANDIDATES / times.sort((x, y) => x - y)[SAMPLES >> 1];
  } finally {
    await pool.close();
  }
}

/** Refuses to time backends that disagree: a fast wrong answer is no figure. */
function checkAgreement(scorers: [string, Scorer][], rows: Float32Array, allowed: Uint8Array): void {
  const [reference, ...others] = scorers.map(([name, s]) => [name, s.score(rows, { allowed })] as const);
  for (const [name, result] of others) {
    const maxError = result.scores.reduce(
      (m, s, i) => Math.max(m, Math.abs(s - reference[1].scores[i]) || 0),
      0,
    );
    if (result.best !== reference[1].best || maxError > 1e-4) {
      throw new Error(
        `${name} disagrees with ${reference[0]}: best ${result.best} vs ${reference[1].best}, max error ${maxError}`,
      );
    }
  }
}

/** Median seconds per call over `samples` samples of `calls` calls each (after a warm-up). */
function median(samples: number, calls: number, fn: () => unknown): number {
  for (let i = 0; i < calls; i++) fn();
  const times: number[] = [];
  for (let s = 0; s < samples; s++) {
    const start = performance.now();
    for (let i = 0; i < calls; i++) fn();
    times.push((performance.now() - start) / 1000 / calls);
  }
  return times.sort((x, y) => x - y)[samples >> 1];
}

function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 4294967296;
  };
}

await runIfMain(import.meta.url, runScoringBench);
