// Node-only: the scalar wasm build (what runtimes without SIMD would run if given it, and the
// benchmark's baseline) agrees with the SIMD build and the TS twin. Reads build/ from disk.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { createScorer } from '../src/kernels/scoring/index.ts';

const scalar = new WebAssembly.Module(readFileSync(new URL('../build/scoring.scalar.wasm', import.meta.url)));
const value = fc.oneof(
  fc.float({ min: -1000, max: 1000, noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(NaN, Infinity, -Infinity, 0, 1e-40),
);

/** Equal (infinities and NaN included), or within f32 summation error for these magnitudes. */
function close(a: number, b: number): boolean {
  if (!Number.isFinite(a) || !Number.isFinite(b))
    return Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b));
  return Math.abs(a - b) <= 1e-3 * (1 + Math.abs(b));
}

describe('scoring: scalar wasm build', () => {
  it('agrees with the SIMD build and the twin on scores, argmax and probabilities', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          f: fc.integer({ min: 1, max: 19 }),
          r: fc.integer({ min: 0, max: 6 }),
          n: fc.integer({ min: 0, max: 30 }),
        }),
        fc.integer({ min: 0, max: 1e6 }),
        async ({ f, r, n }, seed) => {
          const weights = Float32Array.from({ length: f }, (_, j) => Math.sin(seed + j));
          const options = { features: f, rank: r, weights, seed };
          const scorers = [
            await createScorer({ ...options, backend: 'wasm', module: scalar }),
            await createScorer({ ...options, backend: 'wasm' }),
            await createScorer({ ...options, backend: 'ts' }),
          ];
          const rows = fc.sample(fc.array(value, { minLength: n * f, maxLength: n * f }), {
            numRuns: 1,
            seed,
          })[0];
          const candidates = Float32Array.from(rows);
          const [plain, simd, twin] = scorers.map((s) => s.score(candidates, { temperature: 0.7 }));
          for (const other of [simd, twin]) {
            expect(plain.rejected).toBe(other.rejected);
            for (let i = 0; i < n; i++) expect(close(plain.scores[i], other.scores[i])).toBe(true);
          }
          expect(plain.best < 0).toBe(twin.best < 0);
          if (twin.best >= 0) expect(close(twin.scores[plain.best], twin.scores[twin.best])).toBe(true);
          const x = Float32Array.from({ length: f }, (_, j) => Math.cos(seed * 3 + j));
          if (r > 0) {
            const [u, v] = [
              scorers[0].update(x, 1, { learningRate: 0.1, loss: 'logistic' }),
              scorers[2].update(x, 1, { learningRate: 0.1, loss: 'logistic' }),
            ];
            expect(u.loss).toBeCloseTo(v.loss, 4);
            scorers[0]
              .parameters()
              .b.forEach((b, k) => expect(b).toBeCloseTo(scorers[2].parameters().b[k], 4));
          }
        },
      ),
      { numRuns: 120 },
    );
  });
});
