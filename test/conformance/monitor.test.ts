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
