/**
 * The telemetry wire formats (issue 12, sections 2 and 8): what each parser accepts, what it
 * refuses line by line with which reason, what makes a whole body unreadable, and, fuzzed, that
 * no input makes any of them throw anything but an UnreadableBodyError.
 */
import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import fc from 'fast-check';
import snappy from 'snappyjs';
import { describe, expect, it } from 'vitest';
import { ArgumentError } from '../../src/errors.ts';
import {
  encodeRemoteWrite,
  parseCsv,
  parseExposition,
  parseIsoSeconds,
  parseOtlpMetrics,
  parseRemoteWrite,
  parseSamples,
  type RemoteWriteSeries,
  UnreadableBodyError,
} from '../../src/monitor/index.ts';

const T = 1_765_000_000;

describe('ISO 8601 timestamps', () => {
  it('reads date-times with a zone and refuses the rest', () => {
    expect(parseIsoSeconds('2025-12-06T05:46:40Z')).toBe(T);
    expect(parseIsoSeconds('2025-12-06T06:46:40+01:00')).toBe(T);
    expect(parseIsoSeconds('2025-12-06T05:46:40.250Z')).toBe(T + 0.25);
    expect(parseIsoSeconds('2025-12-06 00:46:40-0500')).toBe(T);
    expect(parseIsoSeconds('2025-12-06T05:46:40')).toBeNaN(); // no zone
    expect(parseIsoSeconds('2025-02-30T00:00:00Z')).toBeNaN();
    expect(parseIsoSeconds('2024-02-29T00:00:00Z')).toBe(Date.UTC(2024, 1, 29) / 1000);
    expect(parseIsoSeconds('2100-02-29T00:00:00Z')).toBeNaN();
    expect(parseIsoSeconds('2025-04-31T00:00:00Z')).toBeNaN();
    expect(parseIsoSeconds('2025-12-06T24:00:00Z')).toBeNaN();
    expect(parseIsoSeconds('December 6, 2025')).toBeNaN();
  });
});

describe('NDJSON and JSON samples', () => {
  it('reads NDJSON lines with Unix or ISO timestamps and node ids of any spelling', () => {
    const body = [
      `{"ts":${T},"node":"edge:7/a@b c","metric":"cpu","value":0.5}`,
      '',
      `{"ts":"2025-12-06T05:46:41Z","node":"n2","metric":"rtt","value":-3}`,
      '',
    ].join('\r\n');
    expect(parseSamples(body)).toEqual({
      samples: [
        { source: 'edge:7/a@b c', metric: 'cpu', ts: T, value: 0.5 },
        { source: 'n2', metric: 'rtt', ts: T + 1, value: -3 },
      ],
      refused: [],
    });
  });

  it('refuses each bad line with its number and reason and keeps the rest', () => {
    const lines = [
      `{"ts":${T},"node":"a","metric":"m","value":1}`,
      '{"ts":1,',
      '[1,2]',
      `{"node":"a","metric":"m","value":1}`,
      `{"ts":"yesterday","node":"a","metric":"m","value":1}`,
      `{"ts":${T},"node":"","metric":"m","value":1}`,
      `{"ts":${T},"node":"a","metric":7,"value":1}`,
      `{"ts":${T},"node":"a","metric":"m","value":"1"}`,
      `{"ts":${T},"node":"a","metric":"m","value":null}`,
      `{"ts":${T},"node":"a","metric":"m","value":1e999}`,
      `{"ts":1e999,"node":"a","metric":"m","value":1}`,
      `{"ts":${T + 1},"node":"a","metric":"m","value":2}`,
    ];
    const { samples, refused } = parseSamples(lines.join('\n'));
    expect(samples.map((s) => s.value)).toEqual([1, 2]);
    expect(refused.map((r) => [r.line, r.reason])).toEqual([
      [2, 'bad-json'],
      [3, 'not-an-object'],
      [4, 'missing-field'],
      [5, 'bad-timestamp'],
      [6, 'bad-node'],
      [7, 'bad-metric'],
      [8, 'bad-value'],
      [9, 'bad-value'],
      [10, 'bad-value'],
      [11, 'bad-timestamp'],
    ]);
    expect(refused[2].detail).toContain('ts');
  });

  it('numbers lines the same when a line holds two JSON values', () => {
    const { samples, refused } = parseSamples(
      `{"ts":${T},"node":"a","metric":"m","value":1},{"ts":1}\n{"ts":${T},"node":"b","metric":"m","value":1}`,
    );
    expect(samples.map((s) => s.source)).toEqual(['b']);
    expect(refused).toMatchObject([{ line: 1, reason: 'bad-json' }]);
  });

  it('reads a JSON array, numbering elements from 1', () => {
    const { samples, refused } = parseSamples(
      ` [{"ts":${T},"node":"a","metric":"m","value":1}, {"ts":${T}}]`,
    );
    expect(samples).toHaveLength(1);
    expect(refused).toMatchObject([{ line: 2, reason: 'missing-field' }]);
  });

  it('calls a broken JSON array or a body with no JSON line unreadable, and an empty body empty', () => {
    expect(() => parseSamples('[{"ts":1}')).toThrow(UnreadableBodyError);
    expect(() => parseSamples('<html>\n<body>nope</body>')).toThrow(UnreadableBodyError);
    expect(parseSamples('  \n\n')).toEqual({ samples: [], refused: [] });
    expect(parseSamples('{"a":1}').refused).toMatchObject([{ line: 1, reason: 'missing-field' }]);
  });
});

describe('long CSV', () => {
  it('reads records with and without a header, in the header order, with RFC 4180 quotes', () => {
    const withHeader = `node,ts,metric,value\r\n"edge, 7 ""west""",${T},cpu,0.25\r\nb,2025-12-06T05:46:41Z,cpu,1e3\r\n`;
    expect(parseCsv(withHeader)).toEqual({
      samples: [
        { source: 'edge, 7 "west"', metric: 'cpu', ts: T, value: 0.25 },
        { source: 'b', metric: 'cpu', ts: T + 1, value: 1000 },
      ],
      refused: [],
    });
    expect(parseCsv(`${T},a b,m,1\n\n${T},"multi\nline",m,2`).samples.map((s) => s.source)).toEqual([
      'a b',
      'multi\nline',
    ]);
  });

  it('refuses bad records with the line they start on', () => {
    const body = [
      `${T},a,m,1`,
      `${T},a,m`,
      `soon,a,m,1`,
      `${T},,m,1`,
      `${T},a,,1`,
      `${T},a,m,NaN`,
      `${T},a,m,0x10`,
      `${T},"a"x,m,1`,
      `${T},"quoted`,
      'newline",m,3',
      `${T},a"b,m,1`,
      `${T + 1},a,m,2`,
      `${T},"never closed,m,1`,
    ].join('\n');
    const { samples, refused } = parseCsv(body);
    expect(samples.map((s) => s.value)).toEqual([1, 3, 2]);
    expect(samples[1].source).toBe('quoted\nnewline');
    expect(refused.map((r) => [r.line, r.reason])).toEqual([
      [2, 'bad-columns'],
      [3, 'bad-timestamp'],
      [4, 'bad-node'],
      [5, 'bad-metric'],
      [6, 'bad-value'],
      [7, 'bad-value'],
      [8, 'bad-quote'],
      [11, 'bad-quote'],
      [13, 'bad-quote'],
    ]);
  });
});

describe('Prometheus remote write', () => {
  const series: RemoteWriteSeries[] = [
    {
      labels: { __name__: 'node_load1', instance: 'edge:9100', job: 'node' },
      samples: [{ value: 0.5, timestampMs: T * 1000 }],
    },
    {
      labels: {
        __name__: 'node_cpu_seconds_total',
        cpu: '0',
        instance: 'edge:9100',
        job: 'node',
        mode: 'idle',
      },
      samples: [
        { value: 10, timestampMs: T * 1000 + 250 },
        { value: Number.NaN, timestampMs: T * 1000 + 500 },
        { value: Number.POSITIVE_INFINITY, timestampMs: T * 1000 + 750 },
      ],
    },
    { labels: { instance: 'edge:9100' }, samples: [{ value: 1, timestampMs: T * 1000 }] },
    { labels: { __name__: 'up', job: 'node' }, samples: [{ value: 1, timestampMs: T * 1000 }] },
    { labels: { __name__: 'up', instance: 'quote"d' }, samples: [] },
  ];

  it('round-trips encodeRemoteWrite: node from the node label, metric from the name and other labels, ms to seconds', () => {
    const { samples, refused } = parseRemoteWrite(encodeRemoteWrite(series));
    expect(samples).toEqual([
      { source: 'edge:9100', metric: 'node_load1', ts: T, value: 0.5 },
      { source: 'edge:9100', metric: 'node_cpu_seconds_total{cpu="0",mode="idle"}', ts: T + 0.25, value: 10 },
    ]);
    expect(refused.map((r) => [r.line, r.reason])).toEqual([
      [2, 'stale'],
      [2, 'non-finite'],
      [3, 'missing-name'],
      [4, 'missing-node'],
    ]);
  });

  it('takes the node from the configured label', () => {
    const body = encodeRemoteWrite([
      { labels: { __name__: 'up', host: 'h1', instance: 'i' }, samples: [{ value: 1, timestampMs: 1000 }] },
    ]);
    expect(parseRemoteWrite(body, { nodeLabel: 'host' }).samples).toEqual([
      { source: 'h1', metric: 'up{instance="i"}', ts: 1, value: 1 },
    ]);
  });

  it('round-trips arbitrary series', () => {
    const label = fc.string({ minLength: 1, maxLength: 12 });
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            node: label,
            name: label,
            samples: fc.array(
              fc.record({
                value: fc.double({ noNaN: true, noDefaultInfinity: true }),
                timestampMs: fc.integer({ min: 0, max: 2 ** 45 }),
              }),
              { maxLength: 4 },
            ),
          }),
          { maxLength: 8 },
        ),
        (all) => {
          const { samples, refused } = parseRemoteWrite(
            encodeRemoteWrite(
              all.map((s) => ({ labels: { __name__: s.name, instance: s.node }, samples: s.samples })),
            ),
          );
          expect(refused).toEqual([]);
          expect(samples).toEqual(
            all.flatMap((s) =>
              s.samples.map((x) => ({
                source: s.node,
                metric: s.name,
                ts: x.timestampMs / 1000,
                value: x.value,
              })),
            ),
          );
        },
      ),
    );
  });

  it('reads labels that come after the samples, and the same label bytes again after other series', () => {
    const w = new BinaryWriter();
    const label = (name: string, value: string) =>
      w
        .tag(1, WireType.LengthDelimited)
        .fork()
        .tag(1, WireType.LengthDelimited)
        .string(name)
        .tag(2, WireType.LengthDelimited)
        .string(value)
        .join();
    w.tag(1, WireType.LengthDelimited).fork();
    label('__name__', 'late');
    w.tag(2, WireType.LengthDelimited)
      .fork()
      .tag(1, WireType.Bit64)
      .double(7)
      .tag(2, WireType.Varint)
      .int64(2000)
      .join();
    label('instance', 'n9');
    label('zone', 'b');
    w.join();
    const late = { samples: [{ source: 'n9', metric: 'late{zone="b"}', ts: 2, value: 7 }], refused: [] };
    expect(parseRemoteWrite(snappy.compress(w.finish()))).toEqual(late);
    // The same leading label bytes as the series above: what its later labels added must not stick.
    const early = encodeRemoteWrite([
      { labels: { __name__: 'late' }, samples: [{ value: 1, timestampMs: 0 }] },
    ]);
    expect(parseRemoteWrite(early).refused).toMatchObject([{ reason: 'missing-node' }]);
  });

  it('calls a body that is not snappy, not a WriteRequest, or too large unreadable', () => {
    expect(() => parseRemoteWrite(new TextEncoder().encode('{"hello":"world"}'))).toThrow(
      UnreadableBodyError,
    );
    expect(() => parseRemoteWrite(snappy.compress(new Uint8Array([0x0a, 0x05, 0x01])))).toThrow(
      UnreadableBodyError,
    );
    expect(() => parseRemoteWrite(snappy.compress(new Uint8Array([0x08, 0x01])))).toThrow(
      /expected a message/,
    );
    expect(() => parseRemoteWrite(snappy.compress(new Uint8Array([0x2a, 0x00])))).toThrow(
      /remote write 2\.0/,
    );
    expect(() => parseRemoteWrite(encodeRemoteWrite(series), { maxDecodedBytes: 10 })).toThrow(
      /more than the 10 allowed/,
    );
    // A literal whose 4-byte length has its top bit set: snappyjs alone never returns from this.
    expect(() => parseRemoteWrite(new Uint8Array([10, 0xfc, 0xf4, 0xff, 0xff, 0xff]))).toThrow(
      UnreadableBodyError,
    );
    expect(parseRemoteWrite(snappy.compress(new Uint8Array(0)))).toEqual({ samples: [], refused: [] });
  });
});

describe('OTLP/HTTP JSON metrics', () => {
  const resource = (attributes: Record<string, string>) => ({
    attributes: Object.entries(attributes).map(([key, value]) => ({ key, value: { stringValue: value } })),
  });
  const ns = (seconds: number) => `${BigInt(seconds) * 1_000_000_000n}`;

  it('maps gauges, sums and histograms to (node, metric) by the first node attribute present', () => {
    const body = {
      resourceMetrics: [
        {
          resource: resource({ 'service.name': 'checkout', 'host.name': 'web-1' }),
          scopeMetrics: [
            {
              metrics: [
                { name: 'queue_depth', gauge: { dataPoints: [{ timeUnixNano: ns(T), asDouble: 3.5 }] } },
                {
                  name: 'requests',
                  // timeUnixNano as a JSON number, as some senders write int64
                  sum: { dataPoints: [{ timeUnixNano: T * 1e9, asInt: '42' }], isMonotonic: true },
                },
                {
                  name: 'latency',
                  histogram: {
                    dataPoints: [
                      { timeUnixNano: ns(T + 1), count: '10', sum: 2.5, bucketCounts: ['4', '6'] },
                    ],
                  },
                },
              ],
            },
          ],
        },
      ],
    };
    expect(parseOtlpMetrics(body)).toEqual({
      samples: [
        { source: 'web-1', metric: 'queue_depth', ts: T, value: 3.5 },
        { source: 'web-1', metric: 'requests', ts: T, value: 42 },
        { source: 'web-1', metric: 'latency_count', ts: T + 1, value: 10 },
        { source: 'web-1', metric: 'latency_sum', ts: T + 1, value: 2.5 },
      ],
      refused: [],
    });
    expect(parseOtlpMetrics(body, { nodeAttributes: ['service.name'] }).samples[0].source).toBe('checkout');
  });

  it('refuses data points it cannot read, numbered across the body', () => {
    const body = {
      resourceMetrics: [
        {
          resource: resource({ 'host.name': 'h' }),
          scopeMetrics: [
            {
              metrics: [
                {
                  name: 'g',
                  gauge: {
                    dataPoints: [
                      { timeUnixNano: ns(T), asDouble: 1 },
                      { timeUnixNano: '0', asDouble: 1 },
                      { timeUnixNano: ns(T), asDouble: 'NaN' },
                    ],
                  },
                },
                { name: 's', gauge: { dataPoints: [{ timeUnixNano: ns(T), asDouble: 1, flags: 1 }] } },
                { name: 'x', description: 'no data' },
                { gauge: { dataPoints: [{ timeUnixNano: ns(T), asDouble: 1 }] } },
              ],
            },
          ],
        },
        {
          resource: resource({ region: 'eu' }),
          scopeMetrics: [
            { metrics: [{ name: 'g', gauge: { dataPoints: [{ timeUnixNano: ns(T), asInt: 1 }] } }] },
          ],
        },
      ],
    };
    const { samples, refused } = parseOtlpMetrics(body);
    expect(samples).toHaveLength(1);
    expect(refused.map((r) => [r.line, r.reason])).toEqual([
      [2, 'bad-timestamp'],
      [3, 'bad-value'],
      [4, 'stale'],
      [5, 'unsupported-metric'],
      [6, 'bad-metric'],
      [7, 'missing-node'],
    ]);
  });

  it('calls a body without resourceMetrics, or with a malformed structure, unreadable', () => {
    expect(() => parseOtlpMetrics([])).toThrow(UnreadableBodyError);
    expect(() => parseOtlpMetrics({ resourceMetrics: {} })).toThrow(UnreadableBodyError);
    expect(() => parseOtlpMetrics({ resourceMetrics: [{ scopeMetrics: 'x' }] })).toThrow(UnreadableBodyError);
    expect(parseOtlpMetrics({ resourceMetrics: [] })).toEqual({ samples: [], refused: [] });
  });
});

describe('Prometheus text exposition', () => {
  const text = [
    '# HELP node_load1 1m load average.',
    '# TYPE node_load1 gauge',
    'node_load1 0.42',
    'node_cpu_seconds_total{mode="idle",cpu="0"} 1234.5',
    'odd{path="C:\\\\dir",quote="say \\"hi\\"",nl="a\\nb",} 1 1765000000500',
    'up{instance="other:9100"} 1',
    'node_temp NaN',
    'node_big +Inf',
    'node_x abc',
    'node_y 1 soon',
    'node_z{mode="idle" 1',
    '{oops="1"} 2',
  ].join('\n');

  it('reads samples with sorted labels as part of the metric and the node from options or the node label', () => {
    const { samples, refused } = parseExposition(text, { node: 'edge 1', ts: T });
    expect(samples).toEqual([
      { source: 'edge 1', metric: 'node_load1', ts: T, value: 0.42 },
      { source: 'edge 1', metric: 'node_cpu_seconds_total{cpu="0",mode="idle"}', ts: T, value: 1234.5 },
      {
        source: 'edge 1',
        metric: 'odd{nl="a\\nb",path="C:\\\\dir",quote="say \\"hi\\""}',
        ts: T + 0.5,
        value: 1,
      },
      { source: 'edge 1', metric: 'up', ts: T, value: 1 },
    ]);
    expect(refused.map((r) => [r.line, r.reason])).toEqual([
      [7, 'non-finite'],
      [8, 'non-finite'],
      [9, 'bad-value'],
      [10, 'bad-timestamp'],
      [11, 'bad-line'],
      [12, 'bad-line'],
    ]);
    const byLabel = parseExposition(text, { ts: T, fallbackNode: 'host:9100' });
    expect(byLabel.samples.map((s) => s.source)).toEqual([
      'host:9100',
      'host:9100',
      'host:9100',
      'other:9100',
    ]);
    expect(parseExposition('up 1', { ts: T }).refused).toMatchObject([{ line: 1, reason: 'missing-node' }]);
  });

  it('calls a body with no sample or comment line unreadable, and needs a finite scrape time', () => {
    expect(() => parseExposition('<!doctype html>\n<p>hi</p>', { node: 'a', ts: T })).toThrow(
      UnreadableBodyError,
    );
    expect(parseExposition('', { node: 'a', ts: T })).toEqual({ samples: [], refused: [] });
    expect(() => parseExposition('up 1', { node: 'a', ts: Number.NaN })).toThrow(ArgumentError);
  });
});

describe('fuzzing: every parser returns or throws UnreadableBodyError, nothing else', () => {
  const only = (run: () => unknown) => {
    try {
      const parsed = run() as { samples: unknown[]; refused: unknown[] };
      expect(Array.isArray(parsed.samples) && Array.isArray(parsed.refused)).toBe(true);
    } catch (error) {
      if (!(error instanceof UnreadableBodyError)) throw error;
    }
  };
  const fragment = fc.oneof(
    fc.string(),
    fc.json(),
    fc.constantFrom(
      '\n',
      '\r\n',
      ',',
      '"',
      '{',
      '}',
      '[',
      ']',
      '#',
      ' ',
      'NaN',
      '+Inf',
      `${T}`,
      '2025-12-06T05:46:40Z',
      '\\',
      '=',
    ),
  );
  const text = fc.oneof(
    fc.string({ unit: 'binary' }),
    fc.array(fragment, { maxLength: 30 }).map((parts) => parts.join('')),
  );
  const bytes = fc.oneof(
    fc.uint8Array({ maxLength: 200 }),
    fc.uint8Array({ maxLength: 200 }).map((b) => snappy.compress(b)),
    fc.uint8Array({ maxLength: 200 }).map((b) => {
      const body = snappy.compress(b);
      return body.subarray(0, Math.floor(body.length / 2));
    }),
  );

  it('NDJSON, CSV and exposition on arbitrary text', () => {
    fc.assert(
      fc.property(text, (body) => {
        only(() => parseSamples(body));
        only(() => parseCsv(body));
        only(() => parseExposition(body, { ts: T, fallbackNode: 'n' }));
      }),
      { numRuns: 500 },
    );
  });

  it('remote write on arbitrary bytes, snappy-compressed or not', () => {
    fc.assert(
      fc.property(bytes, (body) => only(() => parseRemoteWrite(body))),
      { numRuns: 1000 },
    );
  });

  it('remote write on mutated valid bodies', () => {
    const valid = encodeRemoteWrite([
      { labels: { __name__: 'a', instance: 'n' }, samples: [{ value: 1, timestampMs: 5 }] },
      { labels: { __name__: 'b', instance: 'n', x: 'y' }, samples: [{ value: 2, timestampMs: 6 }] },
    ]);
    const raw = snappy.uncompress(valid);
    fc.assert(
      fc.property(fc.nat(raw.length - 1), fc.integer({ min: 0, max: 255 }), (at, byte) => {
        const mutated = raw.slice();
        mutated[at] = byte;
        only(() => parseRemoteWrite(snappy.compress(mutated)));
      }),
      { numRuns: 500 },
    );
  });

  it('OTLP on arbitrary JSON values and near-OTLP shapes', () => {
    const anything = fc.jsonValue();
    const nearOtlp = fc.record({
      resourceMetrics: fc.array(
        fc.record({
          resource: fc.oneof(
            anything,
            fc.record({
              attributes: fc.array(fc.record({ key: fc.constantFrom('host.name', 'x'), value: anything })),
            }),
          ),
          scopeMetrics: fc.oneof(
            anything,
            fc.array(
              fc.record({
                metrics: fc.array(fc.record({ name: anything, gauge: anything, histogram: anything })),
              }),
            ),
          ),
        }),
      ),
    });
    fc.assert(
      fc.property(fc.oneof(anything, nearOtlp), (body) => only(() => parseOtlpMetrics(body))),
      { numRuns: 500 },
    );
  });
});
