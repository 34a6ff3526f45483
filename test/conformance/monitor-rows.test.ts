/**
 * Samples as IndexedRows (issue 12, section 7: the service's ingest path): an
 * IndexedTickAssembler makes the same ticks, in the same order, as a TickAssembler makes of the
 * same samples as objects, and a Monitor ingesting a tick's rows (at once or in slices) ends in
 * the same state, with the same refusals in the same order, as one ingesting the samples.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ArgumentError } from '../../src/errors.ts';
import { type IndexedRows, Monitor, type Rejection, type Sample } from '../../src/monitor/ingest.ts';
import { IndexedTickAssembler, TickAssembler } from '../../src/monitor/ticks.ts';

const SOURCES = ['a', 'b', 'c'];
const METRICS = [{ name: 'cpu', min: 0, max: 100 }, { name: 'mem' }];

/** Samples as IndexedRows, with `series` as the Monitor numbers them (-1 and the sample for an unknown name). */
function rowsOf(samples: readonly Sample[]): IndexedRows {
  const series = new Int32Array(samples.length);
  const ts = new Float64Array(samples.length);
  const values = new Float64Array(samples.length);
  const kept: Array<Sample | undefined> = [];
  samples.forEach((sample, i) => {
    const s = SOURCES.indexOf(sample.source);
    const m = METRICS.findIndex((metric) => metric.name === sample.metric);
    series[i] = s < 0 || m < 0 ? -1 : s * METRICS.length + m;
    if (series[i] < 0) kept[i] = sample;
    ts[i] = sample.ts;
    values[i] = sample.value;
  });
  return { length: samples.length, series, ts, values, samples: kept };
}

/** The samples IndexedRows stand for (names from the series, or the kept sample). */
function samplesOf(rows: IndexedRows): Sample[] {
  return Array.from({ length: rows.length }, (_, i) => {
    const s = rows.series[i];
    if (s < 0) return rows.samples?.[i] as Sample;
    return {
      source: SOURCES[Math.floor(s / METRICS.length)],
      metric: METRICS[s % METRICS.length].name,
      ts: rows.ts[i],
      value: rows.values[i],
    };
  });
}

const sample = fc.record({
  source: fc.constantFrom('a', 'b', 'c', 'stranger'),
  metric: fc.constantFrom('cpu', 'mem', 'disk'),
  // Few distinct times, so that runs, ties and late samples are common.
  ts: fc.integer({ min: 0, max: 40 }).map((t) => t / 4),
  value: fc.oneof(fc.double({ min: -10, max: 200, noNaN: true }), fc.constant(Number.NaN)),
});

function monitorWithLog(): { monitor: Monitor; log: Rejection[] } {
  const monitor = new Monitor({ sources: SOURCES, metrics: METRICS, window: 8 });
  const log: Rejection[] = [];
  monitor.onReject((r) => log.push(r));
  return { monitor, log };
}

describe('IndexedTickAssembler', () => {
  it('makes the ticks a TickAssembler makes of the same samples, in the same order, late ones included', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(sample, { maxLength: 12 }), { maxLength: 12 }),
        fc.constantFrom(1, 2.5),
        (batches, interval) => {
          const objects = new TickAssembler({ interval, lateness: 1 });
          const indexed = new IndexedTickAssembler({ interval, lateness: 1 });
          const expected = batches.flatMap((batch) => objects.add(batch));
          const got = batches.flatMap((batch) => indexed.add(rowsOf(batch)));
          expected.push(...objects.flush());
          got.push(...indexed.flush());
          expect(got.map((t) => t.ts)).toEqual(expected.map((t) => t.ts));
          got.forEach((tick, i) => expect(samplesOf(tick.rows)).toEqual(expected[i].samples));
          expect(indexed.pending).toBe(0);
        },
      ),
    );
  });

  it('keeps rows of one time in arrival order when it sorts a bucket', () => {
    const ticks = new IndexedTickAssembler({ interval: 10, lateness: 0 });
    const arrived = [3, 1, 3, 2, 1, 3].map((ts, i) => ({ source: 'a', metric: 'cpu', ts, value: i }));
    const [tick] = ticks.add(rowsOf([...arrived, { source: 'a', metric: 'cpu', ts: 25, value: 9 }]));
    expect(Array.from(tick.rows.ts.subarray(0, tick.rows.length))).toEqual([1, 1, 2, 3, 3, 3]);
    expect(Array.from(tick.rows.values.subarray(0, tick.rows.length))).toEqual([1, 4, 3, 0, 2, 5]);
  });

  it('refuses a time that is not finite, before adding any row', () => {
    const ticks = new IndexedTickAssembler({ interval: 1 });
    const rows = rowsOf([
      { source: 'a', metric: 'cpu', ts: 1, value: 1 },
      { source: 'a', metric: 'cpu', ts: Number.POSITIVE_INFINITY, value: 1 },
    ]);
    expect(() => ticks.add(rows)).toThrow(ArgumentError);
    expect(ticks.pending).toBe(0);
  });
});

describe('Monitor.ingestRows', () => {
  it('ends as ingesting the samples one by one does: windows, latest, counts and refusals in order', () => {
    fc.assert(
      fc.property(fc.array(sample, { maxLength: 60 }), fc.integer({ min: 1, max: 7 }), (samples, slice) => {
        const one = monitorWithLog();
        const rows = monitorWithLog();
        for (const monitor of [one.monitor, rows.monitor]) {
          monitor.admitTick(5);
          monitor.beginTick();
        }
        const accepted = samples.filter((s) => one.monitor.ingest(s)).length;
        const indexed = rowsOf(samples);
        let got = 0;
        for (let from = 0; from < indexed.length; from += slice)
          got += rows.monitor.ingestRows(indexed, from, from + slice);
        expect(got).toBe(accepted);
        expect(rows.monitor.stats).toEqual(one.monitor.stats);
        expect(rows.log).toEqual(one.log);
        expect(Array.from(rows.monitor.latest)).toEqual(Array.from(one.monitor.latest));
        for (let s = 0; s < one.monitor.seriesCount; s++)
          expect(rows.monitor.windows.last(s)).toEqual(one.monitor.windows.last(s));
      }),
    );
  });

  it("refuses what is not IndexedRows as one malformed sample, and a series that is not the Monitor's as unknown", () => {
    const { monitor, log } = monitorWithLog();
    expect(monitor.ingestRows({ length: 1 } as unknown as IndexedRows)).toBe(0);
    const rows: IndexedRows = {
      length: 2,
      series: Int32Array.of(99, -1),
      ts: Float64Array.of(1, 2),
      values: Float64Array.of(1, 2),
    };
    expect(monitor.ingestRows(rows)).toBe(0);
    expect(log.map((r) => [r.reason, r.count, r.ts])).toEqual([
      ['malformed', 1, undefined],
      ['unknown-series', 1, 1],
      ['unknown-series', 1, 2],
    ]);
  });
});
