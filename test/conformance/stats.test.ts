import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  histogram,
  initStats,
  ksDistance,
  ksDistanceBinned,
  MAD_TO_SIGMA,
  psi,
  RollingMedian,
  RollingMedianBatch,
  SeriesStats,
  SeriesStatsBatch,
} from '../../src/kernels/stats/index.ts';
import { ArgumentError, DetachedBufferError, DimensionError } from '../../src/errors.ts';

// The twin mirrors the kernel operation for operation in IEEE f64, so the stated tolerance
// between wasm and twin is zero: every result must be the same bits (NaN equal to NaN, -0 != +0).
function sameBits(actual: ArrayLike<number>, expected: ArrayLike<number>, what = ''): void {
  if (actual.length !== expected.length)
    throw new Error(`${what}: length ${actual.length} !== ${expected.length}`);
  for (let i = 0; i < actual.length; i++) {
    if (!Object.is(actual[i], expected[i])) {
      throw new Error(`${what}[${i}]: ${actual[i]} !== ${expected[i]}`);
    }
  }
}

function close(actual: number, expected: number, rel = 1e-9): void {
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(rel * Math.max(1, Math.abs(expected)));
}

// Mostly ordinary numbers, plus every edge: NaN, infinities, -0, subnormals, huge magnitudes.
const edgy = fc.constantFrom(
  NaN,
  Infinity,
  -Infinity,
  0,
  -0,
  5e-324,
  -5e-324,
  1e-300,
  1e300,
  -1e300,
  1.7e308,
);
const value = fc.oneof(
  { arbitrary: fc.double({ min: -1e3, max: 1e3, noNaN: true }), weight: 6 },
  { arbitrary: fc.integer({ min: -3, max: 3 }), weight: 2 },
  { arbitrary: fc.double(), weight: 1 },
  { arbitrary: edgy, weight: 1 },
);
const alpha = fc.double({ min: 1e-3, max: 1, noNaN: true });
const slack = fc.double({ min: 0, max: 3, noNaN: true });

const FIELDS = [
  'count',
  'mean',
  'ewmaMean',
  'ewmaVar',
  'min',
  'max',
  'cusumPos',
  'cusumNeg',
  'z',
  'ewmaZ',
] as const;

function detached(): Float64Array {
  const array = new Float64Array(4);
  structuredClone(array.buffer, { transfer: [array.buffer] });
  return array;
}

let compiled: WebAssembly.Module;

beforeAll(async () => {
  compiled = await initStats();
});

describe('backend choice', () => {
  it('is idempotent, accepts an injected module everywhere and names bad choices', async () => {
    expect(await initStats()).toBe(compiled);
    const values = Float64Array.of(3, 1, 4, 1, 5, 9, 2, 6);
    const injected = new SeriesStatsBatch({ series: 8, module: compiled });
    expect(injected.backend).toBe('wasm');
    expect(new SeriesStatsBatch({ series: 8 }).backend).toBe('wasm'); // auto, SIMD everywhere we run
    expect(new RollingMedian({ window: 3, backend: 'ts' }).backend).toBe('ts');
    injected.update(values);
    sameBits(
      histogram(values, { bins: 4, min: 0, max: 10 }, { module: compiled }).counts,
      [3, 2, 2, 1],
      'counts',
    );
    expect(
      ksDistance(
        values,
        values.map((x) => x + 100),
        { module: compiled },
      ),
    ).toBe(1);
    expect(() => new SeriesStatsBatch({ series: 2, module: {} as WebAssembly.Module })).toThrow(/module/);
    expect(() => histogram(values, { bins: 2, min: 0, max: 1 }, { backend: 'gpu' as 'ts' })).toThrow(
      /backend/,
    );
  });
});

describe('SeriesStatsBatch', () => {
  it('wasm and twin agree bit for bit on random update streams', () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 1, max: 37 })
          .chain((n) =>
            fc.tuple(
              fc.constant(n),
              fc.array(fc.array(value, { minLength: n, maxLength: n }), { maxLength: 30 }),
            ),
          ),
        alpha,
        slack,
        ([n, rows], a, k) => {
          const wasm = new SeriesStatsBatch({ series: n, alpha: a, cusumSlack: k, backend: 'wasm' });
          const ts = new SeriesStatsBatch({ series: n, alpha: a, cusumSlack: k, backend: 'ts' });
          for (const row of rows) {
            const values = Float64Array.from(row);
            expect(wasm.update(values)).toBe(ts.update(values));
            for (const f of FIELDS) sameBits(wasm[f], ts[f], f);
          }
          sameBits(wasm.variance(), ts.variance(), 'variance');
          expect(wasm.rejected).toBe(ts.rejected);
          sameBits(wasm.save(), ts.save(), 'snapshot');
        },
      ),
      { numRuns: 150 },
    );
  });

  it('matches the textbook definitions (two-pass mean and variance, explicit EWMA, prior-state z)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 60 }),
        alpha,
        (xs, a) => {
          for (const backend of ['wasm', 'ts'] as const) {
            const s = new SeriesStatsBatch({ series: 2, alpha: a, backend });
            let em = 0;
            let ev = 0;
            for (let t = 0; t < xs.length; t++) {
              s.update(Float64Array.of(xs[t], 1));
              const seen = xs.slice(0, t + 1);
              const prior = xs.slice(0, t);
              const mean = seen.reduce((p, x) => p + x, 0) / seen.length;
              close(s.mean[0], mean);
              if (t >= 1) {
                const v = seen.reduce((p, x) => p + (x - mean) ** 2, 0) / (seen.length - 1);
                close(s.variance()[0], v, 1e-7);
              }
              if (prior.length >= 2) {
                const pm = prior.reduce((p, x) => p + x, 0) / prior.length;
                const sd = Math.sqrt(prior.reduce((p, x) => p + (x - pm) ** 2, 0) / (prior.length - 1));
                if (sd > 1e-6 * Math.abs(pm) + 1e-9) close(s.z[0], (xs[t] - pm) / sd, 1e-6);
              } else {
                expect(s.z[0]).toBe(0);
              }
              // EWMA written out as the recurrence, with z taken before the update.
              if (t === 0) {
                em = xs[0];
                ev = 0;
              } else {
                const d = xs[t] - em;
                em = em + a * d;
                ev = (1 - a) * (ev + a * d * d);
              }
              close(s.ewmaMean[0], em);
              close(s.ewmaVar[0], ev, 1e-7);
              expect(s.min[0]).toBe(Math.min(...seen));
              expect(s.max[0]).toBe(Math.max(...seen));
            }
            expect(s.count[0]).toBe(xs.length);
            expect(s.count[1]).toBe(xs.length);
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('rejects NaN and infinities: state unchanged, z NaN, counted', () => {
    for (const backend of ['wasm', 'ts'] as const) {
      const s = new SeriesStatsBatch({ series: 3, backend });
      s.update(Float64Array.of(1, 2, 3));
      s.update(Float64Array.of(2, 4, 6));
      s.update(Float64Array.of(3, 5, 7));
      const before = s.save();
      expect(s.update(Float64Array.of(NaN, Infinity, -Infinity))).toBe(3);
      expect(s.rejected).toBe(3);
      for (const f of [
        'count',
        'mean',
        'ewmaMean',
        'ewmaVar',
        'min',
        'max',
        'cusumPos',
        'cusumNeg',
      ] as const) {
        const fresh = new SeriesStatsBatch({ series: 3, backend: 'ts' });
        fresh.restore(before);
        sameBits(s[f], fresh[f], f);
      }
      sameBits(s.z, [NaN, NaN, NaN], 'z');
      sameBits(s.ewmaZ, [NaN, NaN, NaN], 'ewmaZ');
      expect(s.update(Float64Array.of(4, NaN, 8))).toBe(1);
      expect(s.count[0]).toBe(4);
      expect(s.count[1]).toBe(3);
      expect(Number.isNaN(s.z[1])).toBe(true);
      expect(Number.isFinite(s.z[0])).toBe(true);
    }
  });

  it('scores 0 without history or deviation and +-Infinity against a constant history', () => {
    for (const backend of ['wasm', 'ts'] as const) {
      const s = new SeriesStatsBatch({ series: 2, backend });
      sameBits(s.z, [NaN, NaN], 'z before any update');
      s.update(Float64Array.of(5, 5));
      sameBits(s.z, [0, 0], 'z of the first value');
      s.update(Float64Array.of(5, 5));
      sameBits(s.z, [0, 0], 'z of the second value');
      s.update(Float64Array.of(5, 4));
      sameBits(s.z, [0, -Infinity], 'z against a constant history');
      sameBits(s.ewmaZ, [0, -Infinity], 'ewmaZ against a constant history');
      expect(s.cusumNeg[1]).toBe(Infinity);
      s.resetCusum(1);
      expect(s.cusumNeg[1]).toBe(0);
      expect(s.variance()[0]).toBe(0);
      close(s.variance()[1], 1 / 3, 1e-15);
      expect(new SeriesStatsBatch({ series: 1, backend }).variance()[0]).toBeNaN();
    }
  });

  it('accumulates CUSUM on a mean shift and not on noise around the mean', () => {
    for (const backend of ['wasm', 'ts'] as const) {
      const s = new SeriesStatsBatch({ series: 1, cusumSlack: 0.5, backend });
      const noise = [0.3, -0.2, 0.1, -0.4, 0.2, -0.1, 0.4, -0.3];
      for (let t = 0; t < 200; t++) s.update(Float64Array.of(noise[t % 8]));
      expect(s.cusumPos[0]).toBeLessThan(3);
      expect(s.cusumNeg[0]).toBeLessThan(3);
      for (let t = 0; t < 10; t++) s.update(Float64Array.of(2 + noise[t % 8]));
      expect(s.cusumPos[0]).toBeGreaterThan(20);
      expect(s.cusumNeg[0]).toBe(0);
      s.resetCusum();
      expect(s.cusumPos[0]).toBe(0);
    }
  });

  it('saves on one backend and restores on the other, then both continue identically', () => {
    const wasm = new SeriesStatsBatch({ series: 5, alpha: 0.3, backend: 'wasm' });
    for (let t = 0; t < 20; t++)
      wasm.update(Float64Array.from({ length: 5 }, (_, i) => Math.sin(t * (i + 1))));
    const ts = new SeriesStatsBatch({ series: 5, backend: 'ts' });
    ts.restore(wasm.save());
    for (let t = 0; t < 20; t++) {
      const v = Float64Array.from({ length: 5 }, (_, i) => Math.cos(t + i));
      wasm.update(v);
      ts.update(v);
    }
    sameBits(wasm.save(), ts.save(), 'snapshot');
    wasm.reset();
    expect(wasm.count[0]).toBe(0);
    expect(wasm.min[0]).toBe(Infinity);
  });

  it('grows wasm memory for many series', () => {
    const s = new SeriesStatsBatch({ series: 100_001, backend: 'wasm' });
    const v = Float64Array.from({ length: 100_001 }, (_, i) => i);
    s.update(v);
    s.update(v.map((x) => x + 2));
    expect(s.mean[100_000]).toBe(100_001);
    expect(s.variance()[100_000]).toBe(2);
  });

  it('validates its arguments', () => {
    expect(() => new SeriesStatsBatch({ series: 0 })).toThrow(ArgumentError);
    expect(() => new SeriesStatsBatch({ series: 1.5 })).toThrow(/series/);
    expect(() => new SeriesStatsBatch({ series: 2 ** 22 + 1 })).toThrow(/series/);
    expect(() => new SeriesStatsBatch(undefined as unknown as { series: number })).toThrow(/series/);
    expect(() => new SeriesStatsBatch({ series: 2, alpha: 0 })).toThrow(/alpha/);
    expect(() => new SeriesStatsBatch({ series: 2, alpha: 1.5 })).toThrow(/alpha/);
    expect(() => new SeriesStatsBatch({ series: 2, alpha: NaN })).toThrow(/alpha/);
    expect(() => new SeriesStatsBatch({ series: 2, cusumSlack: -1 })).toThrow(/cusumSlack/);
    expect(() => new SeriesStatsBatch({ series: 2, backend: 'gpu' as 'ts' })).toThrow(/backend/);
    const s = new SeriesStatsBatch({ series: 3 });
    expect(() => s.update(new Float64Array(2))).toThrow(DimensionError);
    expect(() => s.update(new Float32Array(3) as unknown as Float64Array)).toThrow(
      /values: expected Float64Array/,
    );
    expect(() => s.update(detached())).toThrow(DetachedBufferError);
    expect(() => s.resetCusum(3)).toThrow(/series/);
    expect(() => s.variance(new Float64Array(2))).toThrow(/out/);
    expect(() => s.restore(new Float64Array(10))).toThrow(/snapshot/);
    expect(() => s.restore(new SeriesStatsBatch({ series: 4, backend: 'ts' }).save())).toThrow(/4 series/);
  });
});

describe('SeriesStats (one long series)', () => {
  it('wasm and twin agree bit for bit, chunk by chunk and value by value', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(value, { maxLength: 40 }), { maxLength: 6 }),
        alpha,
        slack,
        (chunks, a, k) => {
          const wasm = new SeriesStats({ alpha: a, cusumSlack: k, backend: 'wasm' });
          const ts = new SeriesStats({ alpha: a, cusumSlack: k, backend: 'ts' });
          const one = new SeriesStatsBatch({ series: 1, alpha: a, cusumSlack: k, backend: 'wasm' });
          for (const chunk of chunks) {
            const values = Float64Array.from(chunk);
            const [zw, zt, ew, et] = [0, 1, 2, 3].map(() => new Float64Array(values.length));
            expect(wasm.push(values, zw, ew)).toBe(ts.push(values, zt, et));
            sameBits(zw, zt, 'z');
            sameBits(ew, et, 'ewmaZ');
            const zOne = values.map((x) => (one.update(Float64Array.of(x)), one.z[0]));
            sameBits(zw, zOne, 'z of the batch with one series');
          }
          sameBits(wasm.save(), ts.save(), 'snapshot');
          sameBits(wasm.save(), one.save(), 'snapshot of the batch with one series');
        },
      ),
      { numRuns: 150 },
    );
  });

  it('handles inputs longer than its internal chunk', () => {
    const n = 10_000;
    const values = Float64Array.from({ length: n }, (_, t) => Math.sin(t / 10) * 100 + (t % 7));
    values[5000] = NaN;
    const out = [0, 1, 2, 3].map(() => new Float64Array(n));
    const wasm = new SeriesStats({ backend: 'wasm' });
    const ts = new SeriesStats({ backend: 'ts' });
    expect(wasm.push(values, out[0], out[1])).toBe(1);
    expect(ts.push(values, out[2], out[3])).toBe(1);
    sameBits(out[0], out[2], 'z');
    sameBits(out[1], out[3], 'ewmaZ');
    expect(wasm.count).toBe(n - 1);
    expect(Number.isNaN(out[0][5000])).toBe(true);
    close(wasm.mean, values.filter((x) => !Number.isNaN(x)).reduce((p, x) => p + x, 0) / (n - 1));
    expect(wasm.rejected).toBe(1);
  });

  it('is stable on a huge offset where f32 would lose everything', () => {
    const s = new SeriesStats({ backend: 'wasm' });
    const base = 1e12;
    s.push(Float64Array.from({ length: 1000 }, (_, t) => base + (t % 2 === 0 ? 1 : -1)));
    close(s.mean, base, 1e-15);
    close(s.variance, 1000 / 999, 1e-9);
    expect(s.min).toBe(base - 1);
    expect(s.max).toBe(base + 1);
  });

  it('validates its arguments', () => {
    const s = new SeriesStats({ backend: 'wasm' });
    expect(() => s.push([1, 2] as unknown as Float64Array)).toThrow(/values/);
    expect(() => s.push(new Float64Array(3), new Float64Array(2))).toThrow(/zOut/);
    expect(() => s.push(new Float64Array(3), undefined, new Float64Array(4))).toThrow(/ewmaZOut/);
    expect(() => s.push(detached())).toThrow(DetachedBufferError);
    expect(s.push(new Float64Array(0))).toBe(0);
    expect(s.count).toBe(0);
    expect(s.z).toBeNaN();
  });
});

/** Median and MAD of the last `window` finite values, by sorting: the definition. */
function naiveMedianMad(accepted: number[], window: number): [number, number] {
  const w = accepted.slice(-window).sort((a, b) => a - b);
  if (w.length === 0) return [NaN, NaN];
  const med = medianOfSorted(w);
  return [med, medianOfSorted(w.map((x) => Math.abs(x - med)).sort((a, b) => a - b))];
}

function medianOfSorted(s: number[]): number {
  const h = s.length >> 1;
  if (s.length % 2 === 1) return s[h];
  const m = (s[h - 1] + s[h]) * 0.5;
  return Number.isFinite(m) ? m : s[h - 1] * 0.5 + s[h] * 0.5;
}

describe('RollingMedianBatch and RollingMedian', () => {
  it('match the sort-the-window definition and agree bit for bit across backends', () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 1, max: 6 })
          .chain((n) =>
            fc.tuple(
              fc.constant(n),
              fc.array(fc.array(value, { minLength: n, maxLength: n }), { maxLength: 40 }),
            ),
          ),
        fc.integer({ min: 1, max: 9 }),
        ([n, rows], window) => {
          const wasm = new RollingMedianBatch({ series: n, window, backend: 'wasm' });
          const ts = new RollingMedianBatch({ series: n, window, backend: 'ts' });
          const accepted: number[][] = Array.from({ length: n }, () => []);
          for (const row of rows) {
            const values = Float64Array.from(row);
            expect(wasm.update(values)).toBe(ts.update(values));
            sameBits(wasm.median, ts.median, 'median');
            sameBits(wasm.mad, ts.mad, 'mad');
            for (let s = 0; s < n; s++) {
              if (Number.isFinite(row[s])) accepted[s].push(row[s]);
              const [med, mad] = naiveMedianMad(accepted[s], window);
              // A window of +0 and -0 values may report either zero; compare as numbers there.
              expect(wasm.median[s] === med || Object.is(wasm.median[s], med)).toBe(true);
              expect(wasm.mad[s] === mad || Object.is(wasm.mad[s], mad)).toBe(true);
            }
          }
          sameBits(wasm.save(), ts.save(), 'snapshot');
        },
      ),
      { numRuns: 200 },
    );
  });

  it('one long series gives the same answers as a batch of one, across chunk boundaries', () => {
    fc.assert(
      fc.property(fc.array(value, { maxLength: 120 }), fc.integer({ min: 1, max: 16 }), (xs, window) => {
        const values = Float64Array.from(xs);
        const out = [0, 1, 2, 3].map(() => new Float64Array(values.length));
        const wasm = new RollingMedian({ window, backend: 'wasm' });
        const ts = new RollingMedian({ window, backend: 'ts' });
        expect(
          wasm.push(values.subarray(0, 50), out[0].subarray(0, 50), out[1].subarray(0, 50)) +
            wasm.push(values.subarray(50), out[0].subarray(50), out[1].subarray(50)),
        ).toBe(ts.push(values, out[2], out[3]));
        sameBits(out[0], out[2], 'median');
        sameBits(out[1], out[3], 'mad');
        const one = new RollingMedianBatch({ series: 1, window, backend: 'wasm' });
        for (let t = 0; t < values.length; t++) {
          one.update(values.subarray(t, t + 1));
          sameBits([one.median[0], one.mad[0]], [out[0][t], out[1][t]], `t=${t}`);
        }
        sameBits([wasm.median, wasm.mad], [ts.median, ts.mad], 'last');
        expect(wasm.count).toBe(Math.min(window, xs.filter(Number.isFinite).length));
      }),
      { numRuns: 200 },
    );
  });

  it('slides a large window over a long series (memory moves, chunking, MAD scale)', () => {
    const n = 20_000;
    const values = Float64Array.from({ length: n }, (_, t) => ((t * 7919) % 1000) / 10);
    const wasm = new RollingMedian({ window: 1001, backend: 'wasm' });
    const ts = new RollingMedian({ window: 1001, backend: 'ts' });
    const out = [0, 1, 2, 3].map(() => new Float64Array(n));
    wasm.push(values, out[0], out[1]);
    ts.push(values, out[2], out[3]);
    sameBits(out[0], out[2], 'median');
    sameBits(out[1], out[3], 'mad');
    const [med, mad] = naiveMedianMad(Array.from(values), 1001);
    expect([wasm.median, wasm.mad]).toEqual([med, mad]);
    expect(MAD_TO_SIGMA * wasm.mad).toBeGreaterThan(0);
  });

  it('reports NaN for an empty window and keeps the window on rejected values', () => {
    for (const backend of ['wasm', 'ts'] as const) {
      const r = new RollingMedianBatch({ series: 2, window: 3, backend });
      sameBits(r.median, [NaN, NaN], 'fresh');
      expect(r.update(Float64Array.of(NaN, 4))).toBe(1);
      sameBits(r.median, [NaN, 4], 'median');
      sameBits(r.mad, [NaN, 0], 'mad');
      r.update(Float64Array.of(1, Infinity));
      sameBits(r.median, [1, 4], 'median after Infinity');
      expect(r.rejected).toBe(2);
    }
  });

  it('restores across backends and refuses snapshots that would index outside a window', () => {
    const wasm = new RollingMedianBatch({ series: 3, window: 4, backend: 'wasm' });
    for (let t = 0; t < 11; t++) wasm.update(Float64Array.of(t % 5, -t, t * t));
    const snapshot = wasm.save();
    const ts = new RollingMedianBatch({ series: 3, window: 4, backend: 'ts' });
    ts.restore(snapshot);
    for (let t = 0; t < 7; t++) {
      const v = Float64Array.of(t, t % 3, -t);
      wasm.update(v);
      ts.update(v);
      sameBits(wasm.median, ts.median, 'median');
      sameBits(wasm.mad, ts.mad, 'mad');
    }
    const bad = snapshot.slice();
    bad[4] = 5; // fill of series 0 > window
    expect(() => wasm.restore(bad)).toThrow(/snapshot fill/);
    const badHead = snapshot.slice();
    badHead[7] = -1; // head of series 0
    expect(() => wasm.restore(badHead)).toThrow(/snapshot head/);
    const badValue = snapshot.slice();
    badValue[4 + 12] = NaN; // first ring cell
    expect(() => wasm.restore(badValue)).toThrow(/non-finite/);
    expect(() =>
      wasm.restore(new RollingMedianBatch({ series: 3, window: 5, backend: 'ts' }).save()),
    ).toThrow(/window 5/);
  });

  it('validates its arguments', () => {
    expect(() => new RollingMedianBatch({ series: 2, window: 0 })).toThrow(/window/);
    expect(() => new RollingMedianBatch({ series: 0, window: 3 })).toThrow(/series/);
    expect(() => new RollingMedian({ window: 2 ** 21 })).toThrow(/window/);
    expect(() => new RollingMedianBatch({ series: 2 ** 16, window: 2 ** 11, backend: 'ts' })).toThrow(
      /series x window/,
    );
    const r = new RollingMedianBatch({ series: 2, window: 3 });
    expect(() => r.update(new Float64Array(3))).toThrow(DimensionError);
    expect(() => r.update(detached())).toThrow(DetachedBufferError);
    const one = new RollingMedian({ window: 3 });
    expect(() => one.push(new Float64Array(2), new Float64Array(1))).toThrow(/medianOut/);
    expect(() => one.push(new Float64Array(2), undefined, new Float64Array(3))).toThrow(/madOut/);
  });
});

describe('histogram', () => {
  const spec = fc.record({
    bins: fc.integer({ min: 1, max: 40 }),
    min: fc.double({ min: -100, max: 100, noNaN: true }),
    width: fc.double({ min: 1e-3, max: 1e3, noNaN: true }),
  });

  it('wasm and twin agree and match the bin formula, with edge bins open', () => {
    fc.assert(
      fc.property(fc.array(value, { maxLength: 200 }), spec, (xs, { bins, min, width }) => {
        const values = Float64Array.from(xs);
        const s = { bins, min, max: min + width };
        const wasm = histogram(values, s, { backend: 'wasm' });
        const ts = histogram(values, s, { backend: 'ts' });
        sameBits(wasm.counts, ts.counts, 'counts');
        expect(wasm.rejected).toBe(ts.rejected);
        const expected = new Float64Array(bins);
        let nan = 0;
        for (const x of xs) {
          if (Number.isNaN(x)) nan++;
          else expected[Math.min(bins - 1, Math.max(0, Math.floor((x - min) * (bins / width))))]++;
        }
        sameBits(wasm.counts, expected, 'definition');
        expect(wasm.rejected).toBe(nan);
      }),
      { numRuns: 200 },
    );
  });

  it('accumulates into given counts across calls and long inputs', () => {
    const into = new Float64Array(10);
    const values = Float64Array.from({ length: 50_000 }, (_, i) => (i % 100) / 10);
    histogram(values, { bins: 10, min: 0, max: 10 }, { into });
    const r = histogram(
      Float64Array.of(-1e300, 1e300, -Infinity, Infinity, NaN),
      { bins: 10, min: 0, max: 10 },
      { into },
    );
    expect(r.counts).toBe(into);
    expect(r.rejected).toBe(1);
    expect(Array.from(into)).toEqual([5002, 5000, 5000, 5000, 5000, 5000, 5000, 5000, 5000, 5002]);
    expect(histogram(new Float64Array(0), { bins: 3, min: 0, max: 1 }).counts).toEqual(new Float64Array(3));
  });

  it('validates its arguments', () => {
    const v = Float64Array.of(1);
    expect(() => histogram(v, { bins: 0, min: 0, max: 1 })).toThrow(/bins/);
    expect(() => histogram(v, { bins: 2, min: 1, max: 1 })).toThrow(/max/);
    expect(() => histogram(v, { bins: 2, min: NaN, max: 1 })).toThrow(/min/);
    expect(() => histogram(v, { bins: 2, min: 0, max: Infinity })).toThrow(/max/);
    expect(() => histogram(v, { bins: 2, min: -1.7e308, max: 1.7e308 })).toThrow(/max/);
    expect(() => histogram(v, { bins: 2, min: 0, max: 1 }, { into: new Float64Array(3) })).toThrow(/into/);
    expect(() => histogram(detached(), { bins: 2, min: 0, max: 1 })).toThrow(DetachedBufferError);
  });
});

describe('psi', () => {
  const counts = (n: number) => fc.array(fc.integer({ min: 0, max: 1000 }), { minLength: n, maxLength: n });

  it('is 0 for the same proportions, symmetric and non-negative', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }).chain((n) => fc.tuple(counts(n), counts(n))),
        ([a, b]) => {
          fc.pre(a.some((c) => c > 0) && b.some((c) => c > 0));
          const e = Float64Array.from(a);
          const x = Float64Array.from(b);
          expect(
            psi(
              e,
              e.map((c) => c * 3),
            ),
          ).toBeCloseTo(0, 12);
          const forward = psi(e, x);
          expect(forward).toBeGreaterThanOrEqual(0);
          close(psi(x, e), forward, 1e-12);
        },
      ),
    );
  });

  it('matches a hand computation and the floor option', () => {
    const e = Float64Array.of(50, 50);
    const a = Float64Array.of(80, 20);
    close(psi(e, a), (0.8 - 0.5) * Math.log(0.8 / 0.5) + (0.2 - 0.5) * Math.log(0.2 / 0.5), 1e-14);
    expect(psi(Float64Array.of(1, 0), Float64Array.of(0, 1), { floor: 0 })).toBe(Infinity);
    // Empty bins count as the floor proportion: (1 - 1e-4) ln(1 / 1e-4) on each side.
    close(psi(Float64Array.of(1, 0), Float64Array.of(0, 1)), 2 * (1 - 1e-4) * Math.log(1e4), 1e-14);
    close(
      psi(Float64Array.of(1, 0), Float64Array.of(0, 1), { floor: 0.01 }),
      2 * 0.99 * Math.log(100),
      1e-14,
    );
  });

  it('detects drift in histograms of shifted samples', () => {
    const spec = { bins: 10, min: -4, max: 4 };
    const sample = (shift: number) =>
      Float64Array.from({ length: 5000 }, (_, i) => Math.sin(i * 12.9898) * 2 + shift);
    const ref = histogram(sample(0), spec).counts;
    expect(psi(ref, histogram(sample(0.01), spec).counts)).toBeLessThan(0.1);
    expect(psi(ref, histogram(sample(1), spec).counts)).toBeGreaterThan(0.25);
  });

  it('validates its arguments', () => {
    const ok = Float64Array.of(1, 2);
    expect(() => psi(ok, Float64Array.of(1, 2, 3))).toThrow(DimensionError);
    expect(() => psi(new Float64Array(0), new Float64Array(0))).toThrow(/expected/);
    expect(() => psi(Float64Array.of(1, -1), ok)).toThrow(/expected: bin 1/);
    expect(() => psi(ok, Float64Array.of(NaN, 1))).toThrow(/actual: bin 0/);
    expect(() => psi(ok, Float64Array.of(0, 0))).toThrow(/actual: histogram is empty/);
    expect(() => psi(ok, ok, { floor: -1 })).toThrow(/floor/);
    expect(() => psi(ok, ok, { floor: 1 })).toThrow(/floor/);
  });
});

describe('ksDistance', () => {
  const sample = fc.array(
    value.filter((x) => !Number.isNaN(x)),
    { minLength: 1, maxLength: 80 },
  );

  /** sup over every sample point of |Fa - Fb|, with F(x) = #(<= x) / n: the definition. */
  function naiveKs(a: number[], b: number[]): number {
    let d = 0;
    for (const x of [...a, ...b]) {
      const fa = a.filter((y) => y <= x).length / a.length;
      const fb = b.filter((y) => y <= x).length / b.length;
      d = Math.max(d, Math.abs(fa - fb));
    }
    return d;
  }

  it('wasm and twin agree with the definition on random samples with ties and infinities', () => {
    fc.assert(
      fc.property(sample, sample, (a, b) => {
        const fa = Float64Array.from(a);
        const fb = Float64Array.from(b);
        const wasm = ksDistance(fa, fb, { backend: 'wasm' });
        expect(wasm).toBe(ksDistance(fa, fb, { backend: 'ts' }));
        expect(wasm).toBe(naiveKs(a, b));
        expect(ksDistance(fb, fa)).toBe(wasm);
        expect(ksDistance(fa, fa.slice().reverse())).toBe(0);
        expect(Array.from(fa)).toEqual(a); // inputs untouched
      }),
      { numRuns: 300 },
    );
  });

  it('on histograms equals the exact distance when values sit on the bin grid, else bounds it', () => {
    const onGrid = fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 1, maxLength: 60 });
    const spec = { bins: 10, min: -0.5, max: 9.5 };
    fc.assert(
      fc.property(onGrid, onGrid, fc.double({ min: -0.49, max: 0.49, noNaN: true }), (a, b, jitter) => {
        const fa = Float64Array.from(a);
        const fb = Float64Array.from(b);
        const binned = ksDistanceBinned(histogram(fa, spec).counts, histogram(fb, spec).counts);
        close(binned, ksDistance(fa, fb), 1e-12);
        const moved = fb.map((x, i) => x + (i % 2 ? jitter : -jitter));
        expect(
          ksDistanceBinned(histogram(fa, spec).counts, histogram(moved, spec).counts),
        ).toBeLessThanOrEqual(ksDistance(fa, moved) + 1e-12);
      }),
    );
    expect(() => ksDistanceBinned(Float64Array.of(1), Float64Array.of(1, 2))).toThrow(DimensionError);
    expect(() => ksDistanceBinned(Float64Array.of(0), Float64Array.of(1))).toThrow(
      /expected: histogram is empty/,
    );
  });

  it('is 1 for disjoint samples, treats -0 as +0 and sorts long samples', () => {
    expect(ksDistance(Float64Array.of(1, 2), Float64Array.of(3, 4))).toBe(1);
    expect(ksDistance(Float64Array.of(-0), Float64Array.of(0))).toBe(0);
    const n = 100_000;
    const a = Float64Array.from({ length: n }, (_, i) => Math.sin(i) * 1e6);
    const b = a.map((x) => x + 1e4);
    expect(ksDistance(a, b, { backend: 'wasm' })).toBe(ksDistance(a, b, { backend: 'ts' }));
  });

  it('validates its arguments', () => {
    expect(() => ksDistance(new Float64Array(0), Float64Array.of(1))).toThrow(/a: sample is empty/);
    expect(() => ksDistance(Float64Array.of(1), Float64Array.of(1, NaN))).toThrow(/b: NaN at index 1/);
    expect(() => ksDistance(Float64Array.of(1), detached())).toThrow(DetachedBufferError);
    expect(() => ksDistance(Float64Array.of(1), Float64Array.of(1), { backend: 'cuda' as 'ts' })).toThrow(
      /backend/,
    );
  });
});
