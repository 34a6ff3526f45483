import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { ArgumentError, DetachedBufferError, DimensionError } from '../../src/errors.ts';
import {
  createSimilarityIndex,
  initSimilarity,
  type Metric,
  type Precision,
  type SimilarityIndex,
  type TopK,
} from '../../src/kernels/similarity/index.ts';
import { simdSupported } from '../../src/kernels/loader.ts';
import { normalizeInPlace } from '../../src/kernels/similarity/twin.ts';

beforeAll(() => initSimilarity());

const pair = async (dim: number, metric: Metric, precision: Precision = 'f32') => ({
  wasm: await createSimilarityIndex({ dim, metric, precision, backend: 'wasm' }),
  twin: await createSimilarityIndex({ dim, metric, precision, backend: 'ts' }),
});

// f64 score of a stored row against a (normalised, for cosine) query: the exact value that
// both backends approximate in f32.
function reference(metric: Metric, q: Float32Array, x: Float32Array): number {
  let s = 0;
  for (let i = 0; i < q.length; i++) s += metric === 'l2' ? (q[i] - x[i]) ** 2 : q[i] * x[i];
  return s;
}

// f32 summation error bound: (d + 2) ulps of sum |terms|, plus flushed subnormal products.
function tolerance(metric: Metric, q: Float32Array, rows: Float32Array[]): number {
  let bound = 0;
  for (const x of rows) {
    let s = 0;
    for (let i = 0; i < q.length; i++) s += metric === 'l2' ? (q[i] - x[i]) ** 2 : Math.abs(q[i] * x[i]);
    bound = Math.max(bound, s);
  }
  return (q.length + 2) * 2 ** -23 * bound + q.length * 2 ** -147;
}

/**
 * Asserts that one query's top-k from each backend is a correct top-k: same length, every
 * score within tolerance of the f64 score of its id, ids differing only between near-equal
 * scores, exact ties ordered by lower id, and (f32 only: int8 candidates are approximate)
 * scores matching the brute-force ranking position by position.
 */
function expectTopK(index: SimilarityIndex, query: Float32Array, k: number, results: TopK[]): void {
  const metric = index.metric;
  const q = query.slice();
  if (metric === 'cosine') normalizeInPlace(q);
  const ids = [...index.ids()];
  const rows = new Map(ids.map((id) => [id, index.get(id)!]));
  const tol = tolerance(metric, q, [...rows.values()]);
  const better = metric === 'l2' ? (a: number, b: number) => a < b : (a: number, b: number) => a > b;
  const ranked = ids
    .map((id) => reference(metric, q, rows.get(id)!))
    .sort((a, b) => (better(a, b) ? -1 : better(b, a) ? 1 : 0));
  const kk = Math.min(k, ids.length);
  for (const r of results) {
    expect(r.ids.length).toBe(kk);
    expect(new Set(r.ids).size).toBe(kk);
    for (let i = 0; i < kk; i++) {
      expect(Math.abs(r.scores[i] - reference(metric, q, rows.get(r.ids[i])!))).toBeLessThanOrEqual(tol);
      if (index.precision === 'f32') expect(Math.abs(r.scores[i] - ranked[i])).toBeLessThanOrEqual(2 * tol);
      if (i > 0) {
        expect(better(r.scores[i], r.scores[i - 1])).toBe(false);
        if (r.scores[i] === r.scores[i - 1]) expect(r.ids[i]).toBeGreaterThan(r.ids[i - 1]);
      }
    }
  }
  const [a, b] = results;
  for (let i = 0; i < kk; i++) {
    if (a.ids[i] !== b.ids[i]) {
      const gap = reference(metric, q, rows.get(a.ids[i])!) - reference(metric, q, rows.get(b.ids[i])!);
      expect(Math.abs(gap)).toBeLessThanOrEqual(2 * tol);
    }
  }
}

function expectBackendsAgree(
  wasm: SimilarityIndex,
  twin: SimilarityIndex,
  queries: Float32Array,
  k: number,
): void {
  const dim = wasm.dim;
  const a = wasm.searchBatch(queries, k);
  const b = twin.searchBatch(queries, k);
  expect(a.length).toBe(queries.length / dim);
  for (let q = 0; q < a.length; q++)
    expectTopK(wasm, queries.subarray(q * dim, (q + 1) * dim), k, [a[q], b[q]]);
}

// Finite f32 values across magnitudes, with zeros and subnormals; |x| <= 1e15 keeps every
// product and sum of up to 40 terms finite in f32.
const component = fc.oneof(
  fc.float({ min: -1, max: 1, noNaN: true }),
  fc.float({ min: Math.fround(-1e15), max: Math.fround(1e15), noNaN: true }),
  fc.constantFrom(0, -0, 1e-40, -3e-42, 1, -1),
);

/** Random search cases: up to `rows` rows of 1 to 40 dimensions, `queries` and `k` in the given ranges. */
const searchCases = (rows: number, queries: { min: number; max: number }, k: { min: number; max: number }) =>
  fc
    .record({
      dim: fc.integer({ min: 1, max: 40 }),
      n: fc.integer({ min: 0, max: rows }),
      nq: fc.integer(queries),
      k: fc.integer(k),
    })
    .chain(({ dim, n, nq, k }) =>
      fc.record({
        dim: fc.constant(dim),
        k: fc.constant(k),
        ids: fc.uniqueArray(fc.integer({ min: 0, max: 0xffffffff }), { minLength: n, maxLength: n }),
        // Few distinct rows so that exact ties (resolved by id) are common.
        rows: fc.array(fc.array(component, { minLength: dim, maxLength: dim }), {
          minLength: n,
          maxLength: n,
        }),
        duplicates: fc.array(fc.nat(), { minLength: n, maxLength: n }),
        queries: fc.array(component, { minLength: nq * dim, maxLength: nq * dim }),
      }),
    );

const case_ = searchCases(60, { min: 1, max: 9 }, { min: 1, max: 70 });

function matrix(rows: number[][], duplicates: number[], dim: number): Float32Array {
  const out = new Float32Array(rows.length * dim);
  rows.forEach((row, r) =>
    out.set(duplicates[r] % 3 === 0 && r > 0 ? rows[duplicates[r] % r] : row, r * dim),
  );
  return out;
}

describe('similarity: wasm kernel and TS twin agree', () => {
  for (const metric of ['dot', 'cosine', 'l2'] as const) {
    for (const precision of metric === 'l2' ? (['f32'] as const) : (['f32', 'int8'] as const)) {
      it(`${metric} ${precision}: random matrices, d = 1..40, k up to 70 (> N), batched queries`, async () => {
        await fc.assert(
          fc.asyncProperty(case_, async ({ dim, k, ids, rows, duplicates, queries }) => {
            const { wasm, twin } = await pair(dim, metric, precision);
            const data = matrix(rows, duplicates, dim);
            wasm.addMany(ids, data);
            twin.addMany(ids, data);
            expectBackendsAgree(wasm, twin, Float32Array.from(queries), k);
          }),
          { numRuns: 60 },
        );
      });
    }
  }

  it('add, update and delete in any order keep both backends equal to a model', async () => {
    const op = fc.oneof(
      fc.record({
        kind: fc.constant('add' as const),
        id: fc.integer({ min: 0, max: 30 }),
        seed: fc.integer(),
      }),
      fc.record({
        kind: fc.constant('update' as const),
        id: fc.integer({ min: 0, max: 30 }),
        seed: fc.integer(),
      }),
      fc.record({
        kind: fc.constant('delete' as const),
        id: fc.integer({ min: 0, max: 30 }),
        seed: fc.integer(),
      }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom<Metric>('dot', 'cosine', 'l2'),
        fc.array(op, { maxLength: 60 }),
        async (metric, ops) => {
          const dim = 7;
          const { wasm, twin } = await pair(dim, metric, metric === 'l2' ? 'f32' : 'int8');
          const model = new Map<number, Float32Array>();
          for (const { kind, id, seed } of ops) {
            const v = Float32Array.from({ length: dim }, (_, i) => Math.sin(seed * (i + 1)));
            if (kind === 'add' && !model.has(id)) {
              for (const index of [wasm, twin]) index.add(id, v);
              model.set(id, v);
            } else if (kind === 'update' && model.has(id)) {
              for (const index of [wasm, twin]) index.update(id, v);
              model.set(id, v);
            } else if (kind === 'delete') {
              expect(wasm.delete(id)).toBe(model.has(id));
              expect(twin.delete(id)).toBe(model.has(id));
              model.delete(id);
            }
          }
          for (const index of [wasm, twin]) {
            expect(index.size).toBe(model.size);
            expect([...index.ids()].sort((a, b) => a - b)).toEqual([...model.keys()].sort((a, b) => a - b));
            for (const [id, v] of model) {
              const expected = v.slice();
              if (metric === 'cosine') normalizeInPlace(expected);
              expect(index.get(id)).toEqual(expected);
            }
          }
          expectBackendsAgree(
            wasm,
            twin,
            Float32Array.from({ length: 3 * dim }, (_, i) => Math.cos(i)),
            5,
          );
        },
      ),
      { numRuns: 80 },
    );
  });
});

describe('similarity: edge cases', () => {
  it('an empty index returns empty results for every query', async () => {
    for (const backend of ['wasm', 'ts'] as const) {
      const index = await createSimilarityIndex({ dim: 3, metric: 'cosine', backend });
      expect(index.search(new Float32Array(3), 5).ids).toEqual(new Uint32Array(0));
      const batch = index.searchBatch(new Float32Array(6), 5);
      expect(batch.map((r) => r.scores.length)).toEqual([0, 0]);
      expect(index.searchBatch(new Float32Array(0), 5)).toEqual([]);
    }
  });

  it('one row, k > N: returns that row with its exact score', async () => {
    for (const metric of ['dot', 'cosine', 'l2'] as const) {
      const { wasm, twin } = await pair(5, metric);
      for (const index of [wasm, twin]) {
        index.add(42, Float32Array.of(1, 2, 3, 4, 5));
        const r = index.search(Float32Array.of(1, 0, 0, 0, 1), 10);
        expect([...r.ids]).toEqual([42]);
        const expected = metric === 'dot' ? 6 : metric === 'l2' ? 4 + 9 + 16 + 16 : 6 / Math.sqrt(2 * 55);
        expect(r.scores[0]).toBeCloseTo(expected, 5);
      }
    }
  });

  it('equal scores rank the lower id first, whatever the insertion order', async () => {
    for (const precision of ['f32', 'int8'] as const) {
      const { wasm, twin } = await pair(6, 'dot', precision);
      const v = Float32Array.of(1, 1, 1, 1, 1, 1);
      for (const index of [wasm, twin]) {
        for (const id of [9, 3, 7, 1, 5]) index.add(id, v);
        index.add(100, Float32Array.of(2, 2, 2, 2, 2, 2));
        const r = index.search(Float32Array.of(1, 0, 0, 0, 0, 0), 4);
        expect([...r.ids]).toEqual([100, 1, 3, 5]);
        expect([...r.scores]).toEqual([2, 1, 1, 1]);
      }
    }
  });

  it('a NaN score (Infinity - Infinity) is reported as -Infinity and ranks last', async () => {
    const { wasm, twin } = await pair(2, 'dot');
    for (const index of [wasm, twin]) {
      index.add(1, Float32Array.of(1e30, 1e30));
      index.add(2, Float32Array.of(1e30, -1e30));
      index.add(3, Float32Array.of(1, 1));
      const r = index.search(Float32Array.of(1e30, -1e30), 3);
      expect([...r.ids]).toEqual([2, 3, 1]);
      expect([...r.scores]).toEqual([Infinity, 0, -Infinity]);
    }
  });

  it('l2 distances that overflow are +Infinity and rank last; cosine of huge vectors stays exact', async () => {
    const l2 = await pair(2, 'l2');
    for (const index of [l2.wasm, l2.twin]) {
      index.add(1, Float32Array.of(3e38, -3e38));
      index.add(2, Float32Array.of(1, 1));
      const r = index.search(Float32Array.of(-1, 1), 2);
      expect([...r.ids]).toEqual([2, 1]);
      expect(r.scores[1]).toBe(Infinity);
    }
    const cos = await pair(2, 'cosine');
    for (const index of [cos.wasm, cos.twin]) {
      index.add(1, Float32Array.of(3e38, 3e38));
      index.add(2, Float32Array.of(3e38, -3e38));
      const r = index.search(Float32Array.of(1e38, 1e38), 2);
      expect([...r.ids]).toEqual([1, 2]);
      expect(r.scores[0]).toBeCloseTo(1, 6);
      expect(r.scores[1]).toBeCloseTo(0, 6);
    }
  });

  it('subnormal vectors normalise exactly for cosine; a zero vector scores 0', async () => {
    const { wasm, twin } = await pair(3, 'cosine', 'int8');
    for (const index of [wasm, twin]) {
      index.add(1, Float32Array.of(1e-40, 0, 0));
      index.add(2, Float32Array.of(0, 0, 0));
      expect(index.get(1)).toEqual(Float32Array.of(1, 0, 0));
      const r = index.search(Float32Array.of(3e-41, 0, 0), 2);
      expect([...r.ids]).toEqual([1, 2]);
      expect([...r.scores]).toEqual([1, 0]);
      expect([...index.search(new Float32Array(3), 2).scores]).toEqual([0, 0]);
    }
  });

  it('rows survive memory growth, deletes and re-adds (d = 17 pads to the SIMD width)', async () => {
    const dim = 17;
    const { wasm, twin } = await pair(dim, 'cosine', 'int8');
    const vector = (id: number) => Float32Array.from({ length: dim }, (_, i) => Math.sin(id * 0.7 + i));
    for (let id = 0; id < 3000; id++) for (const index of [wasm, twin]) index.add(id, vector(id));
    for (let id = 0; id < 3000; id += 3) for (const index of [wasm, twin]) index.delete(id);
    for (const index of [wasm, twin]) index.addMany([5000, 5001], new Float32Array(2 * dim).fill(1));
    expect(wasm.size).toBe(2002);
    expect(wasm.get(1500)).toBeUndefined();
    const expected = vector(2999);
    normalizeInPlace(expected);
    expect(wasm.get(2999)).toEqual(expected);
    expect(wasm.get(2999)).toEqual(twin.get(2999));
    expectBackendsAgree(
      wasm,
      twin,
      Float32Array.from({ length: 5 * dim }, (_, i) => Math.cos(i * 1.3)),
      12,
    );
  });

  it('d = 2001 spans several row blocks of the batched scan (odd rows, 6 queries)', async () => {
    const dim = 2001;
    for (const [metric, precision] of [
      ['dot', 'f32'],
      ['l2', 'f32'],
      ['cosine', 'int8'],
    ] as const) {
      const { wasm, twin } = await pair(dim, metric, precision);
      const data = Float32Array.from(
        { length: 251 * dim },
        (_, i) => Math.sin(i * 0.013) * Math.cos(i * 0.0007),
      );
      for (const index of [wasm, twin])
        index.addMany(
          Array.from({ length: 251 }, (_, i) => 1000 - i),
          data,
        );
      expectBackendsAgree(
        wasm,
        twin,
        Float32Array.from({ length: 6 * dim }, (_, i) => Math.cos(i * 0.011)),
        9,
      );
    }
  });

  it('int8 keeps recall@10 >= 0.99 against exact f32 (2000 x 64 gaussian-like rows)', async () => {
    const dim = 64;
    let s = 12345;
    const next = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32 + (s & 0xff) / 2 ** 40;
    const normal = () => Math.sqrt(-2 * Math.log(next() + 1e-12)) * Math.cos(2 * Math.PI * next());
    const data = Float32Array.from({ length: 2000 * dim }, normal);
    const queries = Float32Array.from({ length: 50 * dim }, normal);
    const ids = Array.from({ length: 2000 }, (_, i) => i);
    for (const metric of ['cosine', 'dot'] as const) {
      const exact = await createSimilarityIndex({ dim, metric, backend: 'wasm' });
      const int8 = await createSimilarityIndex({ dim, metric, precision: 'int8', backend: 'wasm' });
      exact.addMany(ids, data);
      int8.addMany(ids, data);
      const truth = exact.searchBatch(queries, 10);
      const approx = int8.searchBatch(queries, 10);
      let hits = 0;
      truth.forEach((t, q) => approx[q].ids.forEach((id) => (hits += t.ids.includes(id) ? 1 : 0)));
      expect(hits / 500).toBeGreaterThanOrEqual(0.99);
    }
  });

  it('searchBatch gives the same answers as one query at a time (scores to f32 rounding)', async () => {
    const dim = 24;
    for (const metric of ['dot', 'l2'] as const) {
      const index = await createSimilarityIndex({ dim, metric, backend: 'wasm' });
      index.addMany(
        Array.from({ length: 301 }, (_, i) => i),
        Float32Array.from({ length: 301 * dim }, (_, i) => Math.sin(i * 0.37)),
      );
      const queries = Float32Array.from({ length: 11 * dim }, (_, i) => Math.cos(i * 0.21));
      const batch = index.searchBatch(queries, 7);
      batch.forEach((r, q) => {
        const one = index.search(queries.slice(q * dim, (q + 1) * dim), 7);
        expect(r.ids).toEqual(one.ids);
        r.scores.forEach((score, i) =>
          expect(Math.abs(score - one.scores[i])).toBeLessThanOrEqual(1e-5 * Math.abs(score)),
        );
      });
    }
  });

  it('int8 searchBatch returns exactly what one query at a time returns (grouped vs single scan)', async () => {
    // Batches scan queries in groups of four with their own layout and kernel (from 32
    // queries, a Strassen scan over blocks of rows), single queries with another; all must
    // compute the same integer sums and break ties the same way. rescore = 1 makes the int8
    // candidates the final ids, so any difference shows. Every third row repeats an earlier one
    // under a lower id, so equal int8 keys meet at the heap roots. 701 rows leave a last block
    // padded with zero rows; d = 130 and 2001 span several blocks of the Strassen scan.
    let s = 7;
    const next = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32 - 0.5;
    for (const dim of [5, 16, 37, 130, 2001]) {
      for (const metric of ['dot', 'cosine'] as const) {
        const index = await createSimilarityIndex({
          dim,
          metric,
          precision: 'int8',
          rescore: 1,
          backend: 'wasm',
        });
        const rows = dim > 1000 ? 97 : 701;
        const data = Float32Array.from({ length: rows * dim }, next);
        for (let r = 3; r < rows; r += 3) data.copyWithin(r * dim, (r / 3) * dim, (r / 3 + 1) * dim);
        index.addMany(
          Array.from({ length: rows }, (_, i) => 5000 - 3 * i),
          data,
        );
        for (const nq of [11, 45]) {
          const queries = Float32Array.from({ length: nq * dim }, next);
          const batch = index.searchBatch(queries, 8);
          batch.forEach((r, q) => {
            const one = index.search(queries.slice(q * dim, (q + 1) * dim), 8);
            expect(r.ids).toEqual(one.ids);
            expect(r.scores).toEqual(one.scores);
          });
        }
      }
    }
  });

  it('int8 batches of 32 to 70 queries (Strassen scan): random matrices match single queries and the twin', async () => {
    // Extreme and repeated components, ties, empty and tiny matrices (blocks of 1 to 3 rows
    // padded with zero rows), and batch sizes that leave 1 to 7 queries to the other scans.
    const wide = searchCases(40, { min: 32, max: 70 }, { min: 1, max: 12 });
    await fc.assert(
      fc.asyncProperty(
        wide,
        fc.constantFrom<Metric>('dot', 'cosine'),
        async ({ dim, k, ids, rows, duplicates, queries }, metric) => {
          const wasm = await createSimilarityIndex({
            dim,
            metric,
            precision: 'int8',
            rescore: 1,
            backend: 'wasm',
          });
          const twin = await createSimilarityIndex({
            dim,
            metric,
            precision: 'int8',
            rescore: 1,
            backend: 'ts',
          });
          const data = matrix(rows, duplicates, dim);
          wasm.addMany(ids, data);
          twin.addMany(ids, data);
          const q = Float32Array.from(queries);
          expectBackendsAgree(wasm, twin, q, k);
          wasm.searchBatch(q, k).forEach((r, j) => {
            const one = wasm.search(q.slice(j * dim, (j + 1) * dim), k);
            expect(r.ids).toEqual(one.ids);
            expect(r.scores).toEqual(one.scores);
          });
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe('similarity: argument validation', () => {
  const make = (options: object) => createSimilarityIndex({ dim: 4, metric: 'dot', ...options } as never);
  const rejects = async (promise: Promise<unknown>, argument: string) => {
    const error = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ArgumentError);
    expect((error as ArgumentError).argument).toBe(argument);
  };
  const throws = (fn: () => unknown, argument: string, type: typeof ArgumentError = ArgumentError) => {
    let error: unknown;
    try {
      fn();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(type);
    expect((error as ArgumentError).argument).toBe(argument);
  };

  it('rejects bad options, naming them', async () => {
    await rejects(make({ dim: 0 }), 'dim');
    await rejects(make({ dim: 65537 }), 'dim');
    await rejects(make({ dim: 2.5 }), 'dim');
    await rejects(make({ metric: 'manhattan' }), 'metric');
    await rejects(make({ precision: 'int4' }), 'precision');
    await rejects(make({ metric: 'l2', precision: 'int8' }), 'precision');
    await rejects(make({ precision: 'int8', rescore: 0 }), 'rescore');
    await rejects(make({ backend: 'gpu' }), 'backend');
    await rejects(make({ module: new Uint8Array(8) }), 'module');
    await rejects(make({ capacity: -1 }), 'capacity');
    for (const backend of ['wasm', 'ts']) {
      // 65536 floats + id = 262148 bytes a row: 16127 rows fit below 4 GiB - 64 MiB.
      const big = await make({ dim: 65536, backend });
      expect(big.maxRows).toBe(16127);
      await rejects(make({ dim: 65536, backend, capacity: 16128 }), 'capacity');
    }
  });

  it('auto picks wasm where SIMD is supported, else the twin', async () => {
    const index = await make({});
    expect(index.backend).toBe(simdSupported() ? 'wasm' : 'ts');
  });

  for (const backend of ['wasm', 'ts'] as const) {
    it(`${backend}: rejects bad vectors, ids, queries and k, and leaves the index unchanged`, async () => {
      const index = await make({ backend });
      index.add(1, Float32Array.of(1, 2, 3, 4));
      throws(() => index.add(2, Float32Array.of(1, 2, 3)), 'vector', DimensionError);
      throws(() => index.add(2, new Float64Array(4) as never), 'vector');
      throws(() => index.add(2, Float32Array.of(1, NaN, 3, 4)), 'vector');
      throws(() => index.add(2, Float32Array.of(1, 2, Infinity, 4)), 'vector');
      throws(() => index.add(1, Float32Array.of(1, 2, 3, 4)), 'id');
      throws(() => index.add(-1, Float32Array.of(1, 2, 3, 4)), 'id');
      throws(() => index.add(2 ** 32, Float32Array.of(1, 2, 3, 4)), 'id');
      throws(() => index.addMany([2, 2], new Float32Array(8)), 'ids');
      throws(() => index.addMany([2, 0.5], new Float32Array(8)), 'ids[1]');
      throws(() => index.addMany([2, 3], new Float32Array(7)), 'vectors', DimensionError);
      throws(() => index.update(7, Float32Array.of(1, 2, 3, 4)), 'id');
      throws(() => index.search(Float32Array.of(1, 2, 3), 1), 'query', DimensionError);
      throws(() => index.search(Float32Array.of(1, 2, 3, -Infinity), 1), 'query');
      throws(() => index.search(Float32Array.of(1, 2, 3, 4), 0), 'k');
      throws(() => index.search(Float32Array.of(1, 2, 3, 4), 1.5), 'k');
      throws(() => index.searchBatch(new Float32Array(6), 1), 'queries');
      const buffer = new ArrayBuffer(16);
      const detached = new Float32Array(buffer);
      structuredClone(buffer, { transfer: [buffer] });
      throws(() => index.search(detached, 1), 'query', DetachedBufferError);
      expect(index.delete(99)).toBe(false);
      expect(index.size).toBe(1);
      expect([...index.search(Float32Array.of(1, 0, 0, 0), 5).ids]).toEqual([1]);
    });
  }
});
