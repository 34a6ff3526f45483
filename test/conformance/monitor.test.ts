import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Monitor, type Rejection } from '../../src/monitor/index.ts';
import { ArgumentError } from '../../src/errors.ts';

function monitor() {
  return new Monitor({
    sources: ['a', 'b', 'c'],
    metrics: [
      { name: 'cpu', min: 0, max: 100 },
      { name: 'latency', min: 0 },
    ],
    window: 4,
    maxBatchSamples: 10,
  });
}

describe('monitor ingest', () => {
  it('accepts valid samples into per-series windows', () => {
    const m = monitor();
    expect(m.ingest({ source: 'b', metric: 'latency', ts: 1, value: 12 })).toBe(true);
    const s = m.seriesIndex('b', 'latency');
    expect(s).toBe(3);
    expect(m.latest[s]).toBe(12);
    expect(m.windows.last(s)).toEqual({ ts: [1], values: [12] });
    expect(m.stats.accepted).toBe(1);
  });

  it('rejects each kind of bad sample with its reason, and counts it', () => {
    const m = monitor();
    const seen: Rejection[] = [];
    m.onReject((r) => seen.push(r));
    m.ingest({ source: 'a', metric: 'cpu', ts: 5, value: 10 });
    expect(m.ingest({ source: 'zz', metric: 'cpu', ts: 6, value: 1 })).toBe(false);
    expect(m.ingest({ source: 'a', metric: 'disk', ts: 6, value: 1 })).toBe(false);
    expect(m.ingest({ source: 'a', metric: 'cpu', ts: 6, value: NaN })).toBe(false);
    expect(m.ingest({ source: 'a', metric: 'cpu', ts: 6, value: Infinity })).toBe(false);
    expect(m.ingest({ source: 'a', metric: 'cpu', ts: 5, value: 1 })).toBe(false);
    expect(m.ingest({ source: 'a', metric: 'cpu', ts: 4, value: 1 })).toBe(false);
    expect(m.ingest({ source: 'a', metric: 'cpu', ts: 7, value: 101 })).toBe(false);
    expect(m.ingest(null as never)).toBe(false);
    expect(seen.map((r) => r.reason)).toEqual([
      'unknown-series',
      'unknown-series',
      'non-finite',
      'non-finite',
      'duplicate',
      'out-of-order',
      'out-of-range',
      'malformed',
    ]);
    expect(m.stats.rejected).toBe(8);
    expect(m.stats.rejectedBy['non-finite']).toBe(2);
    expect(m.stats.accepted).toBe(1);
  });

  it('ingests columnar batches, with a source subset, and rejects oversized ones whole', () => {
    const m = monitor();
    const accepted = m.ingestBatch({
      ts: 1,
      columns: { cpu: new Float64Array([1, 2]), latency: new Float64Array([3, NaN]) },
      sources: new Uint32Array([2, 0]),
    });
    expect(accepted).toBe(3);
    expect(m.latest[m.seriesIndex('c', 'cpu')]).toBe(1);
    expect(m.latest[m.seriesIndex('a', 'cpu')]).toBe(2);
    expect(m.stats.rejectedBy['non-finite']).toBe(1);
    const big = new Float64Array(6);
    expect(m.ingestBatch({ ts: 2, columns: { cpu: big, latency: big }, sources: new Uint32Array(6) })).toBe(
      0,
    );
    expect(m.stats.rejectedBy.oversized).toBe(12);
  });

  it('keeps only the last `window` samples, oldest first', () => {
    const m = monitor();
    for (let t = 1; t <= 6; t++) m.ingest({ source: 'a', metric: 'cpu', ts: t, value: t * 10 });
    expect(m.windows.last(0)).toEqual({ ts: [3, 4, 5, 6], values: [30, 40, 50, 60] });
    expect(m.windows.last(0, 2).values).toEqual([50, 60]);
  });

  it('refuses a bad schema with a typed error', () => {
    expect(() => new Monitor({ sources: [], metrics: [{ name: 'x' }] })).toThrow(ArgumentError);
    expect(() => new Monitor({ sources: ['a', 'a'], metrics: [{ name: 'x' }] })).toThrow(/duplicate source/);
  });
});

describe('monitor ingest of malformed batches (issue 18, finding 7)', () => {
  const cpuOf = (source: number) => 10 + source;

  it('refuses `columns: null` as malformed instead of throwing', () => {
    const m = monitor();
    const seen: Rejection[] = [];
    m.onReject((r) => seen.push(r));
    expect(m.ingestBatch({ ts: 1, columns: null as never })).toBe(0);
    expect(seen).toEqual([{ reason: 'malformed', count: 1 }]);
    expect(m.stats.rejectedBy.malformed).toBe(1);
  });

  for (const index of [-1, NaN, 1.5, Infinity, 3])
    it(`refuses the samples of source index ${index} and writes no series`, () => {
      const m = monitor();
      const seen: Rejection[] = [];
      m.onReject((r) => seen.push(r));
      const accepted = m.ingestBatch({
        ts: 1,
        columns: { cpu: Float64Array.of(55), latency: Float64Array.of(7) },
        sources: [index] as never,
      });
      expect(accepted).toBe(0);
      expect(seen.map((r) => [r.reason, r.metric, r.count])).toEqual([
        ['unknown-series', 'cpu', 1],
        ['unknown-series', 'latency', 1],
      ]);
      expect(Array.from(m.latest).every(Number.isNaN)).toBe(true);
      for (let s = 0; s < m.seriesCount; s++) expect(m.windows.size(s)).toBe(0);
    });

  it('keeps the good samples of a batch whose sources mix valid and invalid indices', () => {
    const m = monitor();
    const accepted = m.ingestBatch({
      ts: 1,
      columns: { cpu: Float64Array.of(cpuOf(2), 99, cpuOf(0), 98) },
      sources: [2, 1.5, 0, -1] as never,
    });
    expect(accepted).toBe(2);
    expect(m.latest[m.seriesIndex('c', 'cpu')]).toBe(cpuOf(2));
    expect(m.latest[m.seriesIndex('a', 'cpu')]).toBe(cpuOf(0));
    expect(m.latest[m.seriesIndex('b', 'cpu')]).toBeNaN();
    expect(m.stats.rejectedBy['unknown-series']).toBe(2);
  });

  it('refuses sources that are not a list as malformed', () => {
    const m = monitor();
    for (const sources of [5, 'ab', {}, new DataView(new ArrayBuffer(4))])
      expect(m.ingestBatch({ ts: 1, columns: { cpu: Float64Array.of(1) }, sources: sources as never })).toBe(
        0,
      );
    expect(m.stats.rejectedBy.malformed).toBe(4);
  });

  it('never lets a sample reach a series other than its own (source, metric)', () => {
    const SOURCES = ['a', 'b', 'c', 'd'];
    const METRICS = ['cpu', 'mem', 'net'];
    // A value names its source, metric and batch: 1000 * batch + 10 * source + metric. A value
    // put at an invalid position names source 9, which no series has.
    const code = (batch: number, source: number, metric: number) => 1000 * batch + 10 * source + metric;
    const entry = fc.oneof(
      { weight: 4, arbitrary: fc.integer({ min: 0, max: SOURCES.length - 1 }) },
      {
        weight: 1,
        arbitrary: fc.constantFrom<unknown>(
          -1,
          -0,
          NaN,
          1.5,
          2.9999,
          Infinity,
          -Infinity,
          4,
          2 ** 32,
          '1',
          null,
        ),
      },
    );
    const column = fc.oneof(
      { weight: 6, arbitrary: fc.constantFrom<'good'>('good') },
      { weight: 1, arbitrary: fc.constantFrom('short', 'plain-array', 'null', 'float32') },
    );
    const batch = fc.record({
      sources: fc.oneof(
        fc.constant(undefined),
        fc.array(entry, { maxLength: 8 }),
        fc.array(fc.integer({ min: 0, max: 6 }), { maxLength: 8 }).map((a) => Uint32Array.from(a)),
      ),
      metrics: fc.subarray([...METRICS, 'disk']),
      shapes: fc.array(column, { minLength: 4, maxLength: 4 }),
      skipTime: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(batch, { maxLength: 12 }), (batches) => {
        const m = new Monitor({ sources: SOURCES, metrics: METRICS.map((name) => ({ name, min: 0 })) });
        let ts = 0;
        batches.forEach((spec, k) => {
          ts += spec.skipTime ? 2 : 1;
          const positions: unknown[] = spec.sources
            ? Array.from(spec.sources as ArrayLike<unknown>)
            : [0, 1, 2, 3];
          const owner = (i: number) => {
            const s = positions[i];
            return typeof s === 'number' && Number.isInteger(s) && s >= 0 && s < SOURCES.length ? s : 9;
          };
          const columns: Record<string, unknown> = {};
          let expected = 0;
          spec.metrics.forEach((name, c) => {
            const j = METRICS.indexOf(name);
            const values = positions.map((_, i) => code(k, owner(i), j < 0 ? 7 : j));
            const shape = spec.shapes[c];
            columns[name] =
              shape === 'good'
                ? Float64Array.from(values)
                : shape === 'short'
                  ? Float64Array.from(values.slice(1))
                  : shape === 'plain-array'
                    ? values
                    : shape === 'float32'
                      ? Float32Array.from(values)
                      : null;
            if (j >= 0 && shape === 'good') {
              const owners = new Set(positions.map((_, i) => owner(i)).filter((s) => s !== 9));
              expected += owners.size;
            }
          });
          m.beginTick();
          const accepted = m.ingestBatch({ ts, columns, sources: spec.sources } as never);
          expect(accepted).toBe(expected);
          for (let source = 0; source < SOURCES.length; source++) {
            for (let j = 0; j < METRICS.length; j++) {
              const s = m.seriesIndex(SOURCES[source], METRICS[j]);
              const latest = m.latest[s];
              if (!Number.isNaN(latest)) expect(latest).toBe(code(k, source, j));
              for (const value of m.windows.last(s).values) expect(value % 1000).toBe(code(0, source, j));
            }
          }
        });
      }),
      { numRuns: 200 },
    );
  });
});
