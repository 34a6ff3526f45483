import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createSimilarityIndex,
  initSimilarity,
  type Metric,
  type Precision,
  type SimilarityIndex,
} from '../src/kernels/similarity/index.ts';
import { normalizeInPlace } from '../src/kernels/similarity/twin.ts';

// The scalar build (no v128) of the same AssemblyScript source, as used where SIMD is missing
// or by benchmarks: it must agree with the SIMD build and the twin like they agree together.
const scalar = new WebAssembly.Module(
  readFileSync(new URL('../build/similarity.scalar.wasm', import.meta.url)),
);

function score(metric: Metric, q: Float32Array, x: Float32Array): number {
  let s = 0;
  for (let i = 0; i < q.length; i++) s += metric === 'l2' ? (q[i] - x[i]) ** 2 : q[i] * x[i];
  return s;
}

// Same bound as the conformance suite: (d + 2) ulps of the largest sum of |terms|.
function expectSameTopK(indexes: SimilarityIndex[], queries: Float32Array, k: number): void {
  const [reference] = indexes;
  const { dim, metric } = reference;
  const results = indexes.map((index) => index.searchBatch(queries, k));
  const rows = [...reference.ids()].map((id) => reference.get(id)!);
  for (let j = 0; j < queries.length / dim; j++) {
    const q = queries.slice(j * dim, (j + 1) * dim);
    if (metric === 'cosine') normalizeInPlace(q);
    const bound = Math.max(
      0,
      ...rows.map((x) =>
        metric === 'l2' ? score('l2', q, x) : score('dot', q.map(Math.abs), x.map(Math.abs)),
      ),
    );
    const tol = (dim + 2) * 2 ** -23 * bound + dim * 2 ** -147;
    const [a, ...others] = results.map((r) => r[j]);
    for (const b of others) {
      expect(b.ids.length).toBe(a.ids.length);
      for (let i = 0; i < a.ids.length; i++) {
        expect(Math.abs(a.scores[i] - b.scores[i])).toBeLessThanOrEqual(2 * tol);
        if (a.ids[i] !== b.ids[i]) {
          const gap = score(metric, q, reference.get(a.ids[i])!) - score(metric, q, reference.get(b.ids[i])!);
          expect(Math.abs(gap)).toBeLessThanOrEqual(2 * tol);
        }
      }
    }
  }
}

describe('similarity scalar wasm build', () => {
  for (const [metric, precision] of [
    ['dot', 'f32'],
    ['cosine', 'f32'],
    ['l2', 'f32'],
    ['dot', 'int8'],
    ['cosine', 'int8'],
  ] as [Metric, Precision][]) {
    it(`${metric} ${precision}: agrees with the SIMD build and the twin`, async () => {
      await initSimilarity();
      const value = fc.float({ min: -100, max: 100, noNaN: true });
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 1, max: 37 }),
          fc.integer({ min: 0, max: 80 }),
          fc.integer({ min: 1, max: 9 }),
          fc.integer({ min: 1, max: 20 }),
          fc.integer(),
          async (dim, n, nq, k, seed) => {
            const data = fc.sample(
              fc.array(value, { minLength: (n + nq) * dim, maxLength: (n + nq) * dim }),
              { seed, numRuns: 1 },
            )[0];
            const indexes = await Promise.all([
              createSimilarityIndex({ dim, metric, precision, backend: 'ts' }),
              createSimilarityIndex({ dim, metric, precision, backend: 'wasm' }),
              createSimilarityIndex({ dim, metric, precision, module: scalar }),
            ]);
            const ids = Array.from({ length: n }, (_, i) => (i * 7919) % 100003);
            for (const index of indexes) index.addMany(ids, Float32Array.from(data.slice(0, n * dim)));
            expectSameTopK(indexes, Float32Array.from(data.slice(n * dim)), k);
          },
        ),
        { numRuns: 40 },
      );
    });
  }
});
