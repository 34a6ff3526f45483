import { afterAll, describe, expect, it } from 'vitest';
import { WorkerPool } from '../../src/runtime/pool.ts';
import { createKernelPool } from '../../src/kernels/pool.ts';
import { runtimeName, sharedMemoryAvailable } from '../../src/runtime/detect.ts';
import { sharedFloat32Array, transferablesOf } from '../../src/runtime/transfer.ts';
import { createScorer } from '../../src/kernels/scoring/index.ts';
import { createSimilarityIndex } from '../../src/kernels/similarity/index.ts';
import { initStats, SeriesStatsBatch } from '../../src/kernels/stats/index.ts';
import { ArgumentError, PoolClosedError, WorkerCrashedError } from '../../src/errors.ts';
import type { ProbeApi } from '../fixtures/workers/probe.ts';
import { failure } from './helpers/failure.ts';

const SLOW = 60_000;

/** A pool of probe workers; the literal `new Worker(new URL(...))` lets Vite bundle the probe. */
function probePool(size: number, options: { callTimeout?: number } = {}): WorkerPool<ProbeApi> {
  const pool = new WorkerPool<ProbeApi>(
    {
      url: new URL('../fixtures/workers/probe.ts', import.meta.url),
      create: () => new Worker(new URL('../fixtures/workers/probe.ts', import.meta.url), { type: 'module' }),
    },
    { size, ...options },
  );
  pools.push(pool);
  return pool;
}

const pools: WorkerPool<ProbeApi>[] = [];
afterAll(async () => {
  await Promise.all(pools.map((pool) => pool.close({ drain: false })));
});

describe(`worker pool (${runtimeName()})`, () => {
  it(
    'runs calls in workers and spreads concurrent calls over the least busy',
    async () => {
      const pool = probePool(2);
      await pool.start();
      expect(await pool.run('echo', [{ a: [1, 2] }])).toEqual({ a: [1, 2] });
      const slow = pool.run('sleep', [200]);
      const quick = pool.run('sleep', [1]);
      expect(pool.load).toEqual([1, 1]);
      const [a, b] = await Promise.all([slow, quick]);
      expect(a).not.toBe(b);
      expect(pool.load).toEqual([0, 0]);
    },
    SLOW,
  );

  it(
    'moves transferred arrays instead of copying them, both ways',
    async () => {
      const pool = probePool(1);
      const values = new Float32Array([1, 2, 3.5]);
      expect(await pool.run('sum', [values], transferablesOf(values, values))).toBe(6.5);
      expect(values.length).toBe(0); // detached: it now belongs to the worker
      const kept = new Float32Array([1, 2]);
      expect(await pool.run('sum', [kept])).toBe(3);
      expect(kept.length).toBe(2); // copied
      const doubled = await pool.run('double', [new Float32Array([1, 4])]);
      expect(Array.from(doubled)).toEqual([2, 8]);
      expect(await failure(pool.run('echo', [5], transferablesOf(kept)))).toBeInstanceOf(ArgumentError);
    },
    SLOW,
  );

  it(
    'shares memory with workers where the runtime allows it',
    async () => {
      const pool = probePool(1);
      const values = sharedFloat32Array(4);
      expect(transferablesOf(values).length).toBe(sharedMemoryAvailable() ? 0 : 1);
      const shared = await pool.run('fill', [values, 7]);
      expect(shared).toBe(sharedMemoryAvailable());
      // Only shared memory shows the worker's writes; a copied array stays as it was.
      expect(Array.from(values)).toEqual(sharedMemoryAvailable() ? [7, 7, 7, 7] : [0, 0, 0, 0]);
    },
    SLOW,
  );

  it(
    'passes a thrown error back without losing the worker',
    async () => {
      const pool = probePool(1);
      const id = await pool.run('id', []);
      expect((await failure(pool.run('fail', ['bad input']))).message).toBe('bad input');
      expect(await pool.run('id', [])).toBe(id);
      expect(pool.crashes).toBe(0);
    },
    SLOW,
  );

  it(
    'replaces a crashed worker and fails its in-flight calls with WorkerCrashedError',
    async () => {
      const pool = probePool(1);
      const before = await pool.run('id', []);
      const crash = pool.run('crash', []);
      const queued = pool.run('sleep', [10_000]);
      const [crashed, lost] = await Promise.all([failure(crash), failure(queued)]);
      expect(crashed).toBeInstanceOf(WorkerCrashedError);
      expect(lost).toBeInstanceOf(WorkerCrashedError);
      expect(lost.message).toMatch(/probe crashed on purpose/);
      const after = await pool.run('id', []);
      expect(after).not.toBe(before);
      expect(pool.crashes).toBe(1);
      expect(await pool.run('echo', ['still working'])).toBe('still working');
    },
    SLOW,
  );

  it(
    'notices a worker that exits by itself',
    async () => {
      const pool = probePool(1);
      const before = await pool.run('id', []);
      expect(await failure(pool.run('exit', [3]))).toBeInstanceOf(WorkerCrashedError);
      expect(await pool.run('id', [])).not.toBe(before);
      expect(pool.crashes).toBe(1);
    },
    SLOW,
  );

  it(
    'replaces a hung worker after callTimeout and fails its calls',
    async () => {
      const pool = probePool(1, { callTimeout: 500 });
      const before = await pool.run('id', []);
      const started = Date.now();
      const error = await failure(pool.run('spin', [60_000]));
      expect(error).toBeInstanceOf(WorkerCrashedError);
      expect(error.message).toMatch(/no answer within 500 ms/);
      expect(Date.now() - started).toBeLessThan(20_000);
      expect(await pool.run('id', [])).not.toBe(before);
      expect(pool.crashes).toBe(1);
      expect(typeof (await pool.run('sleep', [10]))).toBe('string'); // quick calls are not cut short
    },
    SLOW,
  );

  it(
    'drains in-flight calls on close, then refuses new ones',
    async () => {
      const pool = probePool(2);
      const pending = pool.run('sleep', [100]);
      await pool.close();
      expect(typeof (await pending)).toBe('string');
      expect(await failure(pool.run('id', []))).toBeInstanceOf(PoolClosedError);
      expect(await failure(pool.start())).toBeInstanceOf(PoolClosedError);
    },
    SLOW,
  );

  it(
    'rejects in-flight calls with PoolClosedError when closed without draining',
    async () => {
      const pool = probePool(1);
      await pool.start();
      const pending = failure(pool.run('sleep', [10_000]));
      await pool.close({ drain: false });
      expect(await pending).toBeInstanceOf(PoolClosedError);
    },
    SLOW,
  );

  it(
    'fails calls promptly when a worker cannot start, and does not loop restarting it',
    async () => {
      const pool = new WorkerPool<ProbeApi>(
        { url: new URL('../fixtures/workers/missing.ts', import.meta.url) },
        { size: 1, startTimeout: 20_000 },
      );
      pools.push(pool);
      expect(await failure(pool.run('id', []))).toBeInstanceOf(WorkerCrashedError);
      expect(pool.crashes).toBe(0);
      expect(await failure(pool.run('id', []))).toBeInstanceOf(WorkerCrashedError);
    },
    SLOW,
  );

  it('names bad arguments', () => {
    const url = new URL('../fixtures/workers/probe.ts', import.meta.url);
    expect(() => new WorkerPool({ url }, { size: 0 })).toThrow(/^size: /);
    expect(() => new WorkerPool({ url }, { size: 1.5 })).toThrow(ArgumentError);
    expect(() => new WorkerPool({ url }, { startTimeout: -1 })).toThrow(/^startTimeout: /);
    expect(() => new WorkerPool({ url }, { callTimeout: 0 })).toThrow(/^callTimeout: /);
    expect(() => new WorkerPool({ url: 'x.ts' as unknown as URL })).toThrow(/^source: /);
    expect(() => sharedFloat32Array(-1)).toThrow(/^length: /);
  });
});

describe(`kernel worker pool (${runtimeName()})`, () => {
  it(
    'scores in a worker exactly as on this thread',
    async () => {
      const pool = createKernelPool({ size: 1 });
      try {
        const weights = new Float32Array([0.5, -1, 2]);
        const a = new Float32Array([0.1, 0.2, 0.3, -0.1, 0, 0.5]);
        const b = new Float32Array([1, -2]);
        const candidates = new Float32Array([1, 2, 3, 0, 1, 0, 3, 3, 3, NaN, 0, 0]);
        const allowed = new Uint8Array([1, 1, 0, 1]);
        const local = await createScorer({ features: 3, rank: 2, weights, a, b });
        const want = local.score(candidates, { allowed, temperature: 0.5 });
        const got = await pool.run('score', [
          { features: 3, rank: 2, weights, a, b, candidates, allowed, temperature: 0.5 },
        ]);
        expect(Array.from(got.scores)).toEqual(Array.from(want.scores));
        expect(Array.from(got.probabilities)).toEqual(Array.from(want.probabilities));
        expect([got.best, got.rejected]).toEqual([want.best, want.rejected]);
        const bad = await failure(
          pool.run('score', [{ features: 3, rank: 2, weights, a, b, candidates: new Float32Array(4) }]),
        );
        expect(bad.name).toBe('DimensionError');
        expect(bad.message).toMatch(/^candidates: /);
      } finally {
        await pool.close();
      }
    },
    SLOW,
  );

  it(
    'updates series statistics in a worker across requests, carrying the snapshot',
    async () => {
      const pool = createKernelPool({ size: 2 });
      try {
        const series = 3;
        const steps = [
          new Float64Array([1, 10, 5, 2, 11, NaN, 3, 9, 5]),
          new Float64Array([4, 30, 5, 5, 10, 5]),
        ];
        await initStats();
        const local = new SeriesStatsBatch({ series, alpha: 0.3 });
        let snapshot: Float64Array | undefined;
        let rejected = 0;
        for (const values of steps) {
          // Two calls may land on different workers: the snapshot carries the state between them.
          const got = await pool.run('statsUpdate', [{ series, alpha: 0.3, values, snapshot }]);
          for (let at = 0; at < values.length; at += series) {
            rejected += local.update(values.subarray(at, at + series));
            expect(Array.from(got.z.subarray(at, at + series))).toEqual(Array.from(local.z));
            expect(Array.from(got.ewmaZ.subarray(at, at + series))).toEqual(Array.from(local.ewmaZ));
          }
          snapshot = got.snapshot;
        }
        expect(rejected).toBe(1);
        expect(Array.from(snapshot!)).toEqual(Array.from(local.save()));
        const bad = await failure(pool.run('statsUpdate', [{ series, values: new Float64Array(4) }]));
        expect(bad.message).toMatch(/^values: /);
      } finally {
        await pool.close();
      }
    },
    SLOW,
  );

  it(
    'finds the same top-k in a worker as on this thread',
    async () => {
      const pool = createKernelPool({ size: 1 });
      try {
        const dim = 5;
        const vectors = Float32Array.from({ length: 40 * dim }, (_, i) => Math.sin(i * 0.7));
        const ids = Uint32Array.from({ length: 40 }, (_, i) => 100 + i);
        const queries = Float32Array.from({ length: 3 * dim }, (_, i) => Math.cos(i));
        const local = await createSimilarityIndex({ dim, metric: 'cosine' });
        local.addMany(ids, vectors);
        const want = local.searchBatch(queries, 4);
        const got = await pool.run('similaritySearch', [
          { dim, metric: 'cosine', ids, vectors, queries, k: 4 },
        ]);
        expect(got.map((r) => Array.from(r.ids))).toEqual(want.map((r) => Array.from(r.ids)));
        expect(got.map((r) => Array.from(r.scores))).toEqual(want.map((r) => Array.from(r.scores)));
        const bad = await failure(
          pool.run('similaritySearch', [{ dim, metric: 'cosine', ids, vectors, queries, k: 0 }]),
        );
        expect(bad.message).toMatch(/^k: /);
      } finally {
        await pool.close();
      }
    },
    SLOW,
  );
});
