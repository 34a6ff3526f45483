import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createScorer, type Scorer } from '../../src/kernels/scoring/index.ts';
import { ArgumentError, DetachedBufferError, DimensionError } from '../../src/errors.ts';

const f32 = Math.fround;
const finite = (max: number) =>
  fc.float({ min: f32(-max), max: f32(max), noNaN: true, noDefaultInfinity: true });
const special = fc.constantFrom(NaN, Infinity, -Infinity, 0, -0, 1e-40, -3e-39, 1e15, -1e15);

interface Case {
  f: number;
  r: number;
  weights: Float32Array;
  a: Float32Array;
  b: Float32Array;
  rows: Float32Array;
  allowed: Uint8Array | undefined;
}

/** Random shapes (f not a multiple of 4 included, empty batches too) and parameters. */
const cases = (feature: fc.Arbitrary<number>) =>
  fc
    .record({
      f: fc.integer({ min: 1, max: 37 }),
      r: fc.integer({ min: 0, max: 9 }),
      n: fc.integer({ min: 0, max: 40 }),
    })
    .chain(({ f, r, n }) =>
      fc.record({
        f: fc.constant(f),
        r: fc.constant(r),
        weights: fc.float32Array({
          minLength: f,
          maxLength: f,
          min: f32(-1e6),
          max: f32(1e6),
          noNaN: true,
          noDefaultInfinity: true,
        }),
        a: fc.float32Array({
          minLength: f * r,
          maxLength: f * r,
          min: -100,
          max: 100,
          noNaN: true,
          noDefaultInfinity: true,
        }),
        b: fc.float32Array({
          minLength: r,
          maxLength: r,
          min: -100,
          max: 100,
          noNaN: true,
          noDefaultInfinity: true,
        }),
        rows: fc.array(feature, { minLength: n * f, maxLength: n * f }).map((v) => Float32Array.from(v)),
        allowed: fc.option(fc.uint8Array({ minLength: n, maxLength: n, max: 1 }), { nil: undefined }),
      }),
    );

async function pair(c: Pick<Case, 'f' | 'r' | 'weights' | 'a' | 'b'>): Promise<[Scorer, Scorer]> {
  const options = { features: c.f, rank: c.r, weights: c.weights, a: c.a, b: c.b };
  return [
    await createScorer({ ...options, backend: 'wasm' }),
    await createScorer({ ...options, backend: 'ts' }),
  ];
}

/** The effective weights w + A.B in f64, for error bounds and a direct (unfolded) oracle. */
function merged(c: Pick<Case, 'f' | 'r' | 'weights' | 'a' | 'b'>): Float64Array {
  return Float64Array.from(c.weights, (w, j) => {
    let sum = w;
    for (let k = 0; k < c.r; k++) sum += c.a[j * c.r + k] * c.b[k];
    return sum;
  });
}

describe('scoring: wasm kernel and TS twin agree', () => {
  it('on scores, within 1e-5 of sum |x_j * w_j|, with NaN and infinities classified alike', async () => {
    await fc.assert(
      fc.asyncProperty(cases(fc.oneof(finite(1e3), special)), async (c) => {
        const [wasm, twin] = await pair(c);
        const got = wasm.score(c.rows, { allowed: c.allowed });
        const want = twin.score(c.rows, { allowed: c.allowed });
        const m = merged(c);
        for (let i = 0; i < want.scores.length; i++) {
          const [s, t] = [got.scores[i], want.scores[i]];
          if (!Number.isFinite(t) || !Number.isFinite(s)) {
            expect(s).toBe(t);
            continue;
          }
          let magnitude = 0;
          for (let j = 0; j < c.f; j++) magnitude += Math.abs(c.rows[i * c.f + j] * m[j]);
          expect(Math.abs(s - t)).toBeLessThanOrEqual(1e-5 * magnitude + 1e-37);
        }
        expect(got.rejected).toBe(want.rejected);
      }),
      { numRuns: 150 },
    );
  });

  it('on the unfolded product x.w + (x.A).B, computed here in f64', async () => {
    await fc.assert(
      fc.asyncProperty(cases(finite(100)), async (c) => {
        for (const scorer of await pair(c)) {
          const { scores } = scorer.score(c.rows);
          for (let i = 0; i < scores.length; i++) {
            const x = c.rows.subarray(i * c.f, (i + 1) * c.f);
            let linear = 0;
            let magnitude = 0;
            for (let j = 0; j < c.f; j++) {
              linear += x[j] * c.weights[j];
              magnitude += Math.abs(x[j] * c.weights[j]);
            }
            let adapter = 0;
            for (let k = 0; k < c.r; k++) {
              let h = 0;
              for (let j = 0; j < c.f; j++) {
                h += x[j] * c.a[j * c.r + k];
                magnitude += Math.abs(x[j] * c.a[j * c.r + k] * c.b[k]);
              }
              adapter += h * c.b[k];
            }
            expect(Math.abs(scores[i] - (linear + adapter))).toBeLessThanOrEqual(1e-5 * magnitude + 1e-30);
          }
        }
      }),
      { numRuns: 100 },
    );
  });

  it('on masks, softmax, argmax and rejections when the scores are exact', async () => {
    // One feature with weight 1 makes score = feature exactly, isolating the softmax stage.
    const one = new Float32Array([1]);
    const [wasm, twin] = await pair({
      f: 1,
      r: 0,
      weights: one,
      a: new Float32Array(0),
      b: new Float32Array(0),
    });
    const score = fc.oneof(finite(1e30), finite(10), special, fc.constantFrom(1, 2, 2));
    await fc.assert(
      fc.property(
        fc
          .array(score, { maxLength: 60 })
          .chain((s) =>
            fc.tuple(
              fc.constant(Float32Array.from(s)),
              fc.option(fc.uint8Array({ minLength: s.length, maxLength: s.length }), { nil: undefined }),
              fc.constantFrom(1, 0.01, 1e-30, 7.5, 1e30),
            ),
          ),
        ([rows, allowed, temperature]) => {
          const got = wasm.score(rows, { allowed, temperature });
          const want = twin.score(rows, { allowed, temperature });
          expect(got.best).toBe(want.best);
          expect(got.rejected).toBe(want.rejected);
          expect(Array.from(got.scores)).toEqual(Array.from(want.scores));
          for (let i = 0; i < rows.length; i++) {
            expect(Math.abs(got.probabilities[i] - want.probabilities[i])).toBeLessThanOrEqual(1e-5);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('on whole batches of moderate values: probabilities within 1e-4, best within the score bound', async () => {
    await fc.assert(
      fc.asyncProperty(cases(finite(10)), fc.constantFrom(0.5, 1, 3), async (c, temperature) => {
        const params = {
          ...c,
          weights: c.weights.map((w) => w / 1e5),
          a: c.a.map((v) => v / 100),
          b: c.b.map((v) => v / 100),
        };
        const [wasm, twin] = await pair(params);
        const got = wasm.score(c.rows, { allowed: c.allowed, temperature });
        const want = twin.score(c.rows, { allowed: c.allowed, temperature });
        for (let i = 0; i < want.probabilities.length; i++) {
          expect(Math.abs(got.probabilities[i] - want.probabilities[i])).toBeLessThanOrEqual(1e-4);
        }
        expect(got.best < 0).toBe(want.best < 0);
        if (want.best >= 0)
          expect(Math.abs(want.scores[got.best] - want.scores[want.best])).toBeLessThanOrEqual(1e-4);
      }),
      { numRuns: 100 },
    );
  });

  it('on adapter updates (squared and logistic) over several steps', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 0, max: 1000 }),
        fc.constantFrom('squared' as const, 'logistic' as const),
        async (f, r, seed, loss) => {
          const [wasm, twin] = await pair({
            f,
            r,
            weights: new Float32Array(f).fill(0.1),
            a: initial(f, r, seed),
            b: new Float32Array(r),
          });
          for (let step = 0; step < 5; step++) {
            const x = Float32Array.from({ length: f }, (_, j) => Math.sin(seed + step * 7 + j));
            const outcome = (step + seed) % 2;
            const u = wasm.update(x, outcome, { learningRate: 0.1, loss });
            const v = twin.update(x, outcome, { learningRate: 0.1, loss });
            expect(u.prediction).toBeCloseTo(v.prediction, 4);
            expect(u.loss).toBeCloseTo(v.loss, 4);
          }
          const [p, q] = [wasm.parameters(), twin.parameters()];
          for (const key of ['a', 'b'] as const) {
            p[key].forEach((value, i) => expect(value).toBeCloseTo(q[key][i], 4));
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});

function initial(f: number, r: number, seed: number): Float32Array {
  return Float32Array.from({ length: f * r }, (_, i) => Math.cos(seed * 13 + i) / Math.sqrt(f));
}

for (const backend of ['wasm', 'ts'] as const) {
  describe(`scoring semantics (${backend})`, () => {
    const make = (f: number, r: number, weights: number[], extra: { a?: number[]; b?: number[] } = {}) =>
      createScorer({
        features: f,
        rank: r,
        backend,
        weights: Float32Array.from(weights),
        a: extra.a && Float32Array.from(extra.a),
        b: extra.b && Float32Array.from(extra.b),
      });

    it('adds the adapter as (x.A).B, checked against the unfolded product', async () => {
      // f = 3, r = 2: A = [[1, 2], [0, 1], [-1, 0]], B = [0.5, -1]
      const scorer = await make(3, 2, [1, 0, 2], { a: [1, 2, 0, 1, -1, 0], b: [0.5, -1] });
      const x = new Float32Array([1, 2, 3, -1, 0, 0.5]);
      // row 0: x.w = 7; x.A = [-2, 4]; (x.A).B = -5 -> 2. row 1: x.w = 0; x.A = [-1.5, -2] -> 1.25
      expect(Array.from(scorer.score(x).scores)).toEqual([2, 1.25]);
    });

    it('masks candidates to -Infinity with zero probability, and returns -1 when all are masked', async () => {
      const scorer = await make(1, 0, [1]);
      const result = scorer.score(new Float32Array([3, 1, 2]), { allowed: new Uint8Array([0, 1, 1]) });
      expect(result.scores[0]).toBe(-Infinity);
      expect(result.probabilities[0]).toBe(0);
      expect(result.best).toBe(2);
      expect(result.probabilities[1] + result.probabilities[2]).toBeCloseTo(1, 6);
      const none = scorer.score(new Float32Array([3, 1]), { allowed: new Uint8Array(2) });
      expect(none.best).toBe(-1);
      expect(Array.from(none.probabilities)).toEqual([0, 0]);
    });

    it('breaks ties toward the lowest index and shares probability equally', async () => {
      const scorer = await make(2, 0, [1, 1]);
      const result = scorer.score(new Float32Array([0, 1, 2, 3, 3, 2, 5, 0]));
      expect(result.best).toBe(1);
      expect(result.probabilities[1]).toBeCloseTo(result.probabilities[2], 7);
    });

    it('rejects NaN scores, lets +Infinity win and treats a computed -Infinity as never chosen', async () => {
      const scorer = await make(1, 0, [2]);
      const result = scorer.score(new Float32Array([NaN, 1, Infinity, 5, Infinity, -Infinity]));
      expect(result.rejected).toBe(1);
      expect(Number.isNaN(result.scores[0])).toBe(true);
      expect(result.best).toBe(2);
      expect(Array.from(result.probabilities)).toEqual([0, 0, 0.5, 0, 0.5, 0]);
      const lost = scorer.score(new Float32Array([-Infinity, NaN]));
      expect(lost.best).toBe(-1);
      expect(lost.rejected).toBe(1);
      expect(Array.from(lost.probabilities)).toEqual([0, 0]);
      // Infinity times a zero weight is NaN, not a win.
      const zero = await make(2, 0, [0, 1]);
      expect(zero.score(new Float32Array([Infinity, 1])).rejected).toBe(1);
    });

    it('stays stable for huge scores and sharpens as the temperature falls', async () => {
      const scorer = await make(1, 0, [1]);
      const huge = scorer.score(new Float32Array([3e38, 2.9e38, -3e38]));
      expect(huge.best).toBe(0);
      expect(Array.from(huge.probabilities)).toEqual([1, 0, 0]);
      const rows = new Float32Array([1, 2, 3]);
      const hot = scorer.score(rows, { temperature: 100 }).probabilities;
      const cold = scorer.score(rows, { temperature: 0.1 }).probabilities;
      expect(hot[0]).toBeGreaterThan(0.32);
      expect(cold[2]).toBeGreaterThan(0.9999);
      const softmax = scorer.score(rows).probabilities;
      const e = [Math.exp(-2), Math.exp(-1), 1];
      const total = e[0] + e[1] + e[2];
      e.forEach((v, i) => expect(softmax[i]).toBeCloseTo(v / total, 6));
    });

    it('handles an empty batch and a single candidate', async () => {
      const scorer = await make(3, 1, [1, 1, 1]);
      const empty = scorer.score(new Float32Array(0));
      expect(empty.scores.length).toBe(0);
      expect(empty.best).toBe(-1);
      const one = scorer.score(new Float32Array([1, 2, 3]));
      expect(one.best).toBe(0);
      expect(Array.from(one.probabilities)).toEqual([1]);
    });

    it('grows memory for large batches and gives the same scores as a small batch', async () => {
      const scorer = await make(5, 2, [1, -1, 0.5, 0.25, 2], {
        a: [1, 0, 0, 1, 1, 1, 0, 0, 0.5, 0.5],
        b: [1, 2],
      });
      const n = 60_000;
      const rows = Float32Array.from({ length: n * 5 }, (_, i) => (i % 17) - 8);
      const all = scorer.score(rows).scores;
      const tail = scorer.score(rows.subarray((n - 3) * 5)).scores;
      expect(Array.from(all.subarray(n - 3))).toEqual(Array.from(tail));
    });

    it('learns: squared-loss steps move the score toward the outcome', async () => {
      const scorer = await createScorer({ features: 4, rank: 2, backend, seed: 7 });
      const x = new Float32Array([1, 0.5, -0.5, 2]);
      const first = scorer.update(x, 3, { learningRate: 0.05 });
      let last = first;
      for (let i = 0; i < 200; i++) last = scorer.update(x, 3, { learningRate: 0.05 });
      expect(first.score).toBe(0); // B starts at zero, as in LoRA
      expect(last.loss).toBeLessThan(first.loss / 100);
      expect(scorer.score(x).scores[0]).toBeCloseTo(3, 2);
      expect(Array.from(scorer.parameters().weights)).toEqual([0, 0, 0, 0]);
    });

    it('learns: logistic steps separate a good action from a bad one', async () => {
      const scorer = await createScorer({ features: 3, rank: 2, backend, seed: 3 });
      const good = new Float32Array([1, 0, 1]);
      const bad = new Float32Array([0, 1, 1]);
      for (let i = 0; i < 300; i++) {
        scorer.update(good, 1, { learningRate: 0.5, loss: 'logistic' });
        scorer.update(bad, 0, { learningRate: 0.5, loss: 'logistic' });
      }
      const result = scorer.score(new Float32Array([...bad, ...good]));
      expect(result.best).toBe(1);
      expect(scorer.update(good, 1, { learningRate: 1e-9, loss: 'logistic' }).prediction).toBeGreaterThan(
        0.9,
      );
    });

    it('refuses a step that overflows and keeps the parameters', async () => {
      const scorer = await createScorer({ features: 2, rank: 1, backend, b: new Float32Array([1]) });
      const before = scorer.parameters();
      expect(() => scorer.update(new Float32Array([1e30, 1e30]), 0, { learningRate: 1e30 })).toThrow(
        ArgumentError,
      );
      expect(scorer.parameters()).toEqual(before);
    });

    it('initialises A from the seed, reproducibly', async () => {
      const a1 = (await createScorer({ features: 6, rank: 3, backend, seed: 5 })).parameters().a;
      const a2 = (await createScorer({ features: 6, rank: 3, backend, seed: 5 })).parameters().a;
      const a3 = (await createScorer({ features: 6, rank: 3, backend, seed: 6 })).parameters().a;
      expect(a1).toEqual(a2);
      expect(a1).not.toEqual(a3);
      expect(a1.every((v) => Math.abs(v) <= 1 / Math.sqrt(6))).toBe(true);
    });
  });
}

/** A's and B's of both adapters, drawn from a seed (wasm and twin get the same ones). */
function lora(f: number, r: number, n: number, seed: number) {
  const draw = (length: number, k: number, size: number) =>
    Float32Array.from({ length }, (_, i) => Math.sin(seed * 7 + k * 1000 + i) * size);
  return {
    weights: draw(f, 0, 1),
    a: draw(f * r, 1, 1 / Math.sqrt(f)),
    b: draw(r, 2, 0.5),
    headA: draw(f * r, 3, 1 / Math.sqrt(f)),
    headB: draw(n * r, 4, 0.5),
  };
}

/** The score of x for action i, unfolded in f64: x.w + scale ((x.A).B + (x.Ah).Bh[i]). */
function unfolded(
  p: ReturnType<typeof lora>,
  x: ArrayLike<number>,
  f: number,
  r: number,
  i: number,
  scale: number,
  projection = true,
): number {
  let score = 0;
  for (let j = 0; j < f; j++) score += x[j] * p.weights[j];
  for (let k = 0; k < r; k++) {
    let h = 0;
    let hh = 0;
    for (let j = 0; j < f; j++) {
      h += x[j] * p.a[j * r + k];
      hh += x[j] * p.headA[j * r + k];
    }
    score += scale * ((projection ? h * p.b[k] : 0) + hh * p.headB[i * r + k]);
  }
  return score;
}

describe('LoRA adapters: action head, scale, dropout and training in the kernel', () => {
  it('wasm and twin agree with the unfolded product, per action, for any scale', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 1, max: 7 }),
        fc.integer({ min: 0, max: 40 }),
        fc.constantFrom(0.5, 1, 2, 16 / Math.sqrt(8)),
        fc.boolean(),
        fc.integer({ min: 0, max: 1000 }),
        async (f, r, n, count, scale, projection, seed) => {
          const p = lora(f, r, n, seed);
          const options = {
            features: f,
            rank: r,
            actions: n,
            scale,
            projection,
            weights: p.weights,
            ...(projection ? { a: p.a, b: p.b } : {}),
            headA: p.headA,
            headB: p.headB,
          };
          const wasm = await createScorer({ ...options, backend: 'wasm' });
          const twin = await createScorer({ ...options, backend: 'ts' });
          const rows = Float32Array.from({ length: count * f }, (_, i) => Math.cos(seed + i));
          const actions = Int32Array.from({ length: count }, (_, i) => (i * 5 + seed) % n);
          const u = wasm.score(rows, { actions });
          const v = twin.score(rows, { actions });
          expect(u.best).toBe(v.best);
          for (let i = 0; i < count; i++) {
            const x = rows.subarray(i * f, (i + 1) * f);
            const expected = unfolded(p, x, f, r, actions[i], scale, projection);
            const bound = 1e-5 * (1 + Math.abs(expected) + f * r * scale);
            expect(Math.abs(u.scores[i] - expected)).toBeLessThanOrEqual(bound);
            expect(Math.abs(v.scores[i] - expected)).toBeLessThanOrEqual(bound);
          }
        },
      ),
      { numRuns: 80 },
    );
  });

  it('wasm and twin agree on training steps: both adapters, rank-stabilised scale, dropout', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 0, max: 4 }),
        fc.constantFrom(0, 0.3),
        fc.constantFrom('squared' as const, 'logistic' as const),
        fc.integer({ min: 0, max: 1000 }),
        async (f, r, n, dropout, loss, seed) => {
          const options = { features: f, rank: r, actions: n, scale: 16 / Math.sqrt(r), dropout, seed };
          const wasm = await createScorer({ ...options, backend: 'wasm' });
          const twin = await createScorer({ ...options, backend: 'ts' });
          for (let step = 0; step < 6; step++) {
            const x = Float32Array.from({ length: f }, (_, j) => 0.5 * Math.sin(seed + step * 7 + j));
            const outcome = (step + seed) % 2;
            const update = { learningRate: 0.01, loss, ...(n ? { action: step % n } : {}) };
            const u = wasm.update(x, outcome, update);
            const v = twin.update(x, outcome, update);
            expect(u.score).toBeCloseTo(v.score, 3);
            expect(u.loss).toBeCloseTo(v.loss, 3);
          }
          const [p, q] = [wasm.parameters(), twin.parameters()];
          for (const key of ['a', 'b', 'headA', 'headB'] as const)
            p[key]?.forEach((value, i) => expect(value).toBeCloseTo(q[key]?.[i] ?? NaN, 3));
        },
      ),
      { numRuns: 60 },
    );
  });

  for (const backend of ['wasm', 'ts'] as const) {
    it(`takes the gradient's step: A and B move by -learningRate x dLoss, checked by finite differences (${backend})`, async () => {
      const f = 3;
      const r = 2;
      const scale = 2;
      const p = lora(f, r, 2, 11);
      const x = new Float32Array([0.5, -1, 0.25]);
      const lossAt = (q: typeof p) => 0.5 * (unfolded(q, x, f, r, 1, scale) - 1) ** 2;
      const scorer = await createScorer({ features: f, rank: r, actions: 2, scale, backend, ...p });
      const learningRate = 1e-3;
      scorer.update(x, 1, { learningRate, action: 1 });
      const after = scorer.parameters();
      for (const key of ['a', 'b', 'headA', 'headB'] as const)
        p[key].forEach((value, i) => {
          const nudged = { ...p, [key]: Float32Array.from(p[key]) };
          const h = 1e-3;
          nudged[key][i] = value + h;
          const up = lossAt(nudged);
          nudged[key][i] = value - h;
          const gradient = (up - lossAt(nudged)) / (2 * h);
          expect((after[key] as Float32Array)[i] - value).toBeCloseTo(-learningRate * gradient, 5);
        });
    });

    it(`reduces the loss on a toy problem only the action head can solve (${backend})`, async () => {
      // Two actions with the same features: one heals, one does not. The shared projection
      // cannot tell them apart; each action's row of the head can.
      const scorer = await createScorer({
        features: 4,
        rank: 8,
        actions: 2,
        scale: 2,
        projection: false,
        backend,
      });
      const x = new Float32Array([1, 0.5, 0.2, 1]);
      const total = () =>
        scorer.update(x, 1, { learningRate: 1e-9, loss: 'logistic', action: 0 }).loss +
        scorer.update(x, 0, { learningRate: 1e-9, loss: 'logistic', action: 1 }).loss;
      const before = total();
      for (let i = 0; i < 200; i++) {
        scorer.update(x, 1, { learningRate: 0.05, loss: 'logistic', action: 0 });
        scorer.update(x, 0, { learningRate: 0.05, loss: 'logistic', action: 1 });
      }
      expect(total()).toBeLessThan(before / 10);
      const result = scorer.score(new Float32Array([...x, ...x]), { actions: new Int32Array([1, 0]) });
      expect(result.best).toBe(1);
      expect(result.probabilities[1]).toBeGreaterThan(0.99);
      expect(scorer.parameters().a).toHaveLength(0);
    });

    it(`scales the adapters' output and keeps the projection's weights apart from the head's (${backend})`, async () => {
      const p = lora(3, 2, 2, 5);
      const x = new Float32Array([1, 2, -1]);
      const at = async (scale: number) =>
        (await createScorer({ features: 3, rank: 2, actions: 2, scale, backend, ...p })).score(x, {
          actions: new Int32Array([1]),
        }).scores[0];
      const base = p.weights[0] + 2 * p.weights[1] - p.weights[2];
      expect(((await at(2)) - base) / ((await at(1)) - base)).toBeCloseTo(2, 4);
      expect(await at(0.5)).toBeCloseTo(unfolded(p, x, 3, 2, 1, 0.5), 5);
    });

    it(`draws dropout masks from the seed: reproducible, and never while scoring (${backend})`, async () => {
      const run = async (seed: number, dropout: number) => {
        const scorer = await createScorer({ features: 6, rank: 4, actions: 2, dropout, seed, backend });
        const x = new Float32Array([1, -1, 0.5, 2, 0, 1]);
        const first = scorer.score(x, { actions: new Int32Array([0]) }).scores[0];
        expect(scorer.score(x, { actions: new Int32Array([0]) }).scores[0]).toBe(first);
        for (let i = 0; i < 20; i++) scorer.update(x, i % 2, { learningRate: 0.05, action: i % 2 });
        return scorer.parameters();
      };
      expect(await run(3, 0.5)).toEqual(await run(3, 0.5));
      expect((await run(3, 0.5)).headB).not.toEqual((await run(4, 0.5)).headB);
      // Same seed, same initial A: only the masks differ.
      expect((await run(3, 0.5)).headB).not.toEqual((await run(3, 0)).headB);
    });

    it(`initialises A Kaiming-uniform or Gaussian N(0, 1/r^2), B at zero (${backend})`, async () => {
      const kaiming = (await createScorer({ features: 64, rank: 8, actions: 3, backend })).parameters();
      expect(kaiming.a.every((v) => Math.abs(v) <= 1 / 8)).toBe(true);
      expect(kaiming.headA?.every((v) => Math.abs(v) <= 1 / 8)).toBe(true);
      expect([...kaiming.b, ...(kaiming.headB ?? [])].every((v) => v === 0)).toBe(true);
      const gaussian = (
        await createScorer({ features: 64, rank: 8, backend, initialisation: 'gaussian', seed: 9 })
      ).parameters().a;
      const sd = Math.sqrt(gaussian.reduce((s, v) => s + v * v, 0) / gaussian.length);
      expect(sd).toBeGreaterThan(0.8 / 8);
      expect(sd).toBeLessThan(1.2 / 8);
      expect(gaussian.some((v) => Math.abs(v) > 1 / 8)).toBe(true);
    });
  }

  it('checks the adapter options and the actions of batches and updates', async () => {
    await expect(createScorer({ features: 2, actions: 2 })).rejects.toThrow(/^actions: /);
    await expect(createScorer({ features: 2, rank: 1, scale: 0 })).rejects.toThrow(/^scale: /);
    await expect(createScorer({ features: 2, rank: 1, dropout: 1 })).rejects.toThrow(/^dropout: /);
    await expect(
      createScorer({ features: 2, rank: 1, initialisation: 'orthogonal' as 'gaussian' }),
    ).rejects.toThrow(/^initialisation: /);
    await expect(createScorer({ features: 2, rank: 1, projection: 1 as unknown as boolean })).rejects.toThrow(
      /^projection: /,
    );
    await expect(
      createScorer({ features: 2, rank: 1, actions: 2, headB: new Float32Array(3) }),
    ).rejects.toThrow(/^headB: /);
    await expect(createScorer({ features: 2, rank: 1, headA: new Float32Array(2) })).rejects.toThrow(
      /^headA: /,
    );
    const headed = await createScorer({ features: 2, rank: 1, actions: 2 });
    const x = new Float32Array(2);
    expect(() => headed.score(x)).toThrow(/^actions: /);
    expect(() => headed.score(x, { actions: new Int32Array([2]) })).toThrow(/^actions: element 0/);
    expect(() => headed.score(x, { actions: new Int32Array(2) })).toThrow(/^actions: /);
    expect(() => headed.update(x, 1, { learningRate: 0.1 })).toThrow(/^action: /);
    expect(() => headed.update(x, 1, { learningRate: 0.1, action: -1 })).toThrow(/^action: /);
    const flat = await createScorer({ features: 2, rank: 1 });
    expect(() => flat.score(x, { actions: new Int32Array([0]) })).toThrow(/^actions: /);
    expect(() => flat.update(x, 1, { learningRate: 0.1, action: 0 })).toThrow(/^action: /);
  });
});

describe('scoring argument checks', () => {
  it('validates the scorer shape and backend', async () => {
    await expect(createScorer({ features: 0 })).rejects.toThrow(/^features: /);
    await expect(createScorer({ features: 2.5 })).rejects.toThrow(ArgumentError);
    await expect(createScorer({ features: 4, rank: -1 })).rejects.toThrow(/^rank: /);
    await expect(createScorer({ features: 1 << 20, rank: 4096 })).rejects.toThrow(DimensionError);
    await expect(createScorer({ features: 4, backend: 'gpu' as 'ts' })).rejects.toThrow(/^backend: /);
    await expect(createScorer({ features: 4, module: {} as WebAssembly.Module })).rejects.toThrow(
      /^module: /,
    );
    await expect(createScorer({ features: 2, weights: new Float32Array([1, NaN]) })).rejects.toThrow(
      /^weights: element 1/,
    );
    await expect(createScorer({ features: 2, rank: 1, a: new Float32Array(3) })).rejects.toThrow(
      DimensionError,
    );
    await expect(createScorer({ features: 2, rank: 1, b: new Float32Array([Infinity]) })).rejects.toThrow(
      /^b: /,
    );
    await expect(createScorer({ features: 2, weights: [1, 2] as unknown as Float32Array })).rejects.toThrow(
      /^weights: expected Float32Array/,
    );
  });

  for (const backend of ['wasm', 'ts'] as const) {
    it(`validates batches and updates (${backend})`, async () => {
      const scorer = await createScorer({ features: 3, rank: 1, backend });
      expect(() => scorer.score(new Float32Array(4))).toThrow(DimensionError);
      expect(() => scorer.score(new Float32Array(3), null as unknown as object)).toThrow(/^options: /);
      expect(() => scorer.score(new Float64Array(3) as unknown as Float32Array)).toThrow(/^candidates: /);
      expect(() => scorer.score(new Float32Array(6), { allowed: new Uint8Array(3) })).toThrow(/^allowed: /);
      expect(() => scorer.score(new Float32Array(6), { allowed: [1, 1] as unknown as Uint8Array })).toThrow(
        /^allowed: /,
      );
      for (const temperature of [0, -1, NaN, Infinity]) {
        expect(() => scorer.score(new Float32Array(3), { temperature })).toThrow(/^temperature: /);
      }
      const detached = new Float32Array(3);
      structuredClone(detached.buffer, { transfer: [detached.buffer] });
      expect(() => scorer.score(detached)).toThrow(DetachedBufferError);
      const x = new Float32Array(3);
      expect(() => scorer.update(new Float32Array([0, NaN, 0]), 1, { learningRate: 0.1 })).toThrow(/^x: /);
      expect(() => scorer.update(new Float32Array(2), 1, { learningRate: 0.1 })).toThrow(/^x: /);
      expect(() => scorer.update(x, NaN, { learningRate: 0.1 })).toThrow(/^outcome: /);
      expect(() => scorer.update(x, 2, { learningRate: 0.1, loss: 'logistic' })).toThrow(/^outcome: /);
      expect(() => scorer.update(x, 1, { learningRate: 0 })).toThrow(/^learningRate: /);
      expect(() => scorer.update(x, 1, { learningRate: 0.1, loss: 'hinge' as 'squared' })).toThrow(/^loss: /);
      expect(() =>
        scorer.setParameters({
          weights: new Float32Array(3),
          a: new Float32Array(3),
          b: new Float32Array(2),
        }),
      ).toThrow(/^b: /);
      const flat = await createScorer({ features: 3, backend });
      expect(() => flat.update(x, 1, { learningRate: 0.1 })).toThrow(/^rank: /);
    });
  }
});
