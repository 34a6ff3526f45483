/**
 * The service's fetch handler over a real engine, called with `new Request(...)` directly (no
 * sockets, no node: imports, so the cases can join the per-runtime suite): every way in with good
 * and bad bodies, the status codes of every refusal and their counts in /metrics, back-pressure,
 * identity, sealed sessions, incidents, events, irregular time, and a fuzz of arbitrary requests.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeRemoteWrite } from '../src/monitor/formats/remote-write.ts';
import { encodeColumnarBatch, sealColumnarBatch } from '../src/monitor/sealed.ts';
import { initiateHandshake } from '../src/security/handshake.ts';
import { KeyRing, NodeKeys } from '../src/security/keys.ts';
import { sealOneShot } from '../src/security/oneshot.ts';
import { parseEngineConfig } from '../src/serve/config.ts';
import { ServeEngine } from '../src/serve/engine.ts';
import { createHandler, type HandlerOptions, SESSION_HEADER } from '../src/serve/handler.ts';
import type { FetchHandler, Peer } from '../src/serve/peer.ts';
import { parseTopology } from '../src/serve/topology.ts';

// Node ids as operators spell them: colons, slashes, @ and spaces.
const NODES = ['db:5432', 'api/v1', 'cache@eu', 'web front', 'queue:a/b'];
const T0 = 1_700_000_000;

const topology = parseTopology({
  nodes: NODES.map((id) => ({ id })),
  links: NODES.slice(1).map((id, i) => [NODES[i], id]),
  calls: [
    ['web front', 'api/v1'],
    ['api/v1', 'db:5432'],
  ],
  gateways: ['web front'],
});

function config(overrides: Record<string, unknown> = {}) {
  return parseEngineConfig({
    tickSeconds: 1,
    latenessSeconds: 0,
    metrics: [
      { name: 'errorRate', min: 0, max: 1, harmful: 'up', roles: ['local'] },
      { name: 'latencyP95', min: 0, harmful: 'up' },
    ],
    ...overrides,
  });
}

const engines: ServeEngine[] = [];
afterEach(async () => {
  await Promise.all(engines.splice(0).map((engine) => engine.close()));
});

async function start(
  overrides: Record<string, unknown> = {},
  options: HandlerOptions = {},
): Promise<{ engine: ServeEngine; handler: FetchHandler; clock: { now: number } }> {
  const clock = { now: T0 };
  const engine = await ServeEngine.start({ topology, config: config(overrides), clock: () => clock.now });
  engines.push(engine);
  return { engine, handler: createHandler(engine, options), clock };
}

function post(
  path: string,
  body: BodyInit,
  type = 'application/x-ndjson',
  headers: Record<string, string> = {},
) {
  return new Request(`http://engine${path}`, {
    method: 'POST',
    body,
    headers: { 'content-type': type, ...headers },
  });
}

const line = (ts: number | string, node: string, metric: string, value: unknown) =>
  JSON.stringify({ ts, node, metric, value });

/**
 * One tick of normal telemetry (or a fault at `faulty` from `faultFrom` until before `faultUntil`),
 * as NDJSON, at T0 + t * step seconds.
 */
function tickLines(
  t: number,
  faulty?: string,
  faultFrom = Infinity,
  faultUntil = Infinity,
  step = 1,
): string {
  return NODES.flatMap((node, i) => {
    const wobble = ((t * 7 + i * 13) % 10) / 10;
    const bad = node === faulty && t >= faultFrom && t < faultUntil;
    return [
      line(T0 + t * step, node, 'errorRate', bad ? 0.6 + 0.05 * wobble : 0.01 + 0.004 * wobble),
      line(T0 + t * step, node, 'latencyP95', bad ? 450 + 10 * wobble : 50 + 4 * wobble),
    ];
  }).join('\n');
}

async function metricsText(handler: FetchHandler): Promise<string> {
  const response = await handler(new Request('http://engine/metrics'));
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return response.text();
}

function metricValue(text: string, series: string): number | undefined {
  const found = text.split('\n').find((l) => l.startsWith(`${series} `));
  return found === undefined ? undefined : Number(found.slice(series.length + 1));
}

describe('POST /v1/samples', () => {
  it('accepts good lines, refuses bad ones with their line numbers, and counts both in /metrics', async () => {
    const { engine, handler } = await start();
    const body = [
      line(T0, 'db:5432', 'errorRate', 0.01),
      '{not json',
      line(T0, 'api/v1', 'errorRate', 'high'),
      '',
      line(new Date((T0 + 0.5) * 1000).toISOString(), 'web front', 'latencyP95', 42),
      JSON.stringify({ node: 'cache@eu', metric: 'errorRate', value: 0.1 }),
      line(T0, 'nobody', 'errorRate', 0.1),
      line(T0 + 1, 'nobody', 'errorRate', 0.2),
      line(T0, 'db:5432', 'cpu', 10),
      line(T0 + 1, 'db:5432', 'errorRate', 7),
    ].join('\n');
    const response = await handler(post('/v1/samples', body));
    expect(response.status).toBe(202);
    const answer = await response.json();
    expect(answer.accepted).toBe(2);
    expect(answer.refused.map((r: { line: number }) => r.line)).toEqual([2, 3, 6]);
    for (const refusal of answer.refused) expect(typeof refusal.reason).toBe('string');
    // What the schema cannot take is said to the sender at once, per node and metric.
    expect(answer.refusedSeries).toEqual([
      expect.objectContaining({ reason: 'unknown-node', node: 'nobody', metric: 'errorRate', samples: 2 }),
      expect.objectContaining({ reason: 'unknown-metric', node: 'db:5432', metric: 'cpu', samples: 1 }),
      expect.objectContaining({ reason: 'out-of-range', node: 'db:5432', metric: 'errorRate', samples: 1 }),
    ]);
    await engine.drain();
    const stats = engine.stats();
    expect(stats.samplesProcessed).toBe(2);
    expect(stats.samplesAccepted).toBe(2);
    expect(stats.refusedBy['unknown-series']).toBe(3);
    expect(stats.refusedBy['out-of-range']).toBe(1);
    const text = await metricsText(handler);
    expect(metricValue(text, 'x0tta6bl4_samples_accepted_total')).toBe(2);
    expect(metricValue(text, 'x0tta6bl4_samples_refused_total{reason="unknown-series"}')).toBe(3);
    for (const refusal of answer.refused)
      expect(
        metricValue(text, `x0tta6bl4_samples_refused_total{reason="${refusal.reason}"}`),
      ).toBeGreaterThan(0);
    expect(text).toMatch(/# TYPE x0tta6bl4_tick_latency_seconds histogram/);
    expect(text).toMatch(/x0tta6bl4_tick_latency_seconds_bucket\{le="\+Inf"\} \d+/);
  });

  it('takes a JSON array', async () => {
    const { handler } = await start();
    const body = JSON.stringify([
      { ts: T0, node: 'db:5432', metric: 'errorRate', value: 0.02 },
      { ts: T0, node: 'db:5432', metric: 'latencyP95', value: 40 },
    ]);
    const response = await handler(post('/v1/samples', body, 'application/json'));
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({ accepted: 2, refused: [] });
  });

  it('answers 400 to a wholly unreadable body and 415 to another content type', async () => {
    const { engine, handler } = await start();
    const broken = await handler(post('/v1/samples', '[{"ts": 1, "node": '));
    expect(broken.status).toBe(400);
    expect((await broken.json()).error).toBe('unreadable-body');
    const notUtf8 = await handler(post('/v1/samples', new Uint8Array([0xff, 0xfe, 0x80])));
    expect(notUtf8.status).toBe(400);
    const csv = await handler(post('/v1/samples', 'ts,node,metric,value', 'text/csv'));
    expect(csv.status).toBe(415);
    expect(engine.stats().refusedBy['unreadable-body']).toBe(2);
    expect(engine.stats().refusedBy['unsupported-media-type']).toBe(1);
  });

  it('answers 413 past maxBodyBytes, by Content-Length and while reading a body without one', async () => {
    const { engine, handler } = await start({ limits: { maxBodyBytes: 500 } });
    const big = tickLines(0);
    expect(big.length).toBeGreaterThan(500);
    // Refused by its Content-Length alone: the body it declares is never read.
    const declared = await handler(
      post('/v1/samples', 'x', 'application/x-ndjson', { 'content-length': '501' }),
    );
    expect(declared.status).toBe(413);
    expect((await declared.json()).detail).toMatch(/501 bytes/);
    expect((await handler(post('/v1/samples', big))).status).toBe(413);
    const chunks = [big.slice(0, 300), big.slice(300)];
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        const next = chunks.shift();
        if (next === undefined) controller.close();
        else controller.enqueue(new TextEncoder().encode(next));
      },
    });
    const streamed = await handler(
      new Request('http://engine/v1/samples', {
        method: 'POST',
        body: stream,
        headers: { 'content-type': 'application/x-ndjson' },
        duplex: 'half',
      } as RequestInit),
    );
    expect(streamed.status).toBe(413);
    expect(engine.stats().refusedBy['body-too-large']).toBe(3);
    expect(engine.stats().samplesReceived).toBe(0);
  });

  it('answers 408 to a body slower than requestTimeoutMs', async () => {
    const { engine, handler } = await start({ limits: { requestTimeoutMs: 50 } });
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(line(T0, 'db:5432', 'errorRate', 0.1)));
      },
    });
    const response = await handler(
      new Request('http://engine/v1/samples', {
        method: 'POST',
        body: stream,
        headers: { 'content-type': 'application/x-ndjson' },
        duplex: 'half',
      } as RequestInit),
    );
    expect(response.status).toBe(408);
    expect(engine.stats().refusedBy['body-timeout']).toBe(1);
  });

  it('answers 429 with Retry-After when the queue is full, and processes every sample it accepted', async () => {
    const { engine, handler } = await start({ limits: { queueSamples: 8 } });
    const requests = Array.from({ length: 30 }, (_, t) =>
      handler(post('/v1/samples', tickLines(t).split('\n').slice(0, 6).join('\n'))),
    );
    const responses = await Promise.all(requests);
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0);
    let accepted = 0;
    for (const response of responses) {
      const answer = await response.json();
      if (response.status === 429) {
        expect(Number(response.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
        expect(answer.error).toBe('back-pressure');
      } else {
        expect(response.status).toBe(202);
        accepted += answer.accepted;
      }
    }
    const oversized = await handler(post('/v1/samples', tickLines(100)));
    expect(oversized.status).toBe(413);
    await engine.drain();
    const stats = engine.stats();
    expect(stats.samplesReceived).toBe(accepted);
    expect(stats.samplesProcessed).toBe(accepted);
    expect(stats.refusedBy['back-pressure']).toBe(30 * 6 - accepted);
    const text = await metricsText(handler);
    expect(metricValue(text, 'x0tta6bl4_samples_refused_total{reason="back-pressure"}')).toBe(
      30 * 6 - accepted,
    );
  });

  it('processes irregular timestamps, gaps and 5-minute data without refusing any of it', async () => {
    const { engine, handler } = await start({ tickSeconds: 300, latenessSeconds: 60 });
    const times = [0, 17.5, 299.9, 300, 600.25, 3600, 3900, 86_400, 86_700.5, 87_000];
    const body = times
      .flatMap((dt) => NODES.map((node) => line(T0 + dt, node, 'errorRate', 0.01)))
      .join('\n');
    const response = await handler(post('/v1/samples', body));
    expect(response.status).toBe(202);
    await engine.drain();
    const stats = engine.stats();
    expect(stats.samplesProcessed).toBe(times.length * NODES.length);
    expect(stats.samplesAccepted).toBe(times.length * NODES.length);
    expect(stats.refusedBy).toEqual({});
    // One tick per 5-minute bucket that holds samples; the empty hours between make none.
    const buckets = new Set(times.map((dt) => Math.floor((T0 + dt) / 300)));
    expect(stats.ticks).toBe(buckets.size);
  });

  it('closes buckets by the wall clock when senders go quiet, and only buckets with samples', async () => {
    const { engine, handler, clock } = await start({ tickSeconds: 10, latenessSeconds: 5 });
    await handler(post('/v1/samples', line(T0 + 1, 'db:5432', 'errorRate', 0.01)));
    await engine.settled();
    expect(engine.stats().ticks).toBe(0);
    clock.now = T0 + 100;
    await engine.settled();
    expect(engine.stats().ticks).toBe(1);
    clock.now = T0 + 1000;
    await engine.settled();
    expect(engine.stats().ticks).toBe(1);
  });
});

describe('identity', () => {
  it('answers 401 without an identity where one is required, 403 for another node unless a collector', async () => {
    const { engine, handler } = await start({}, { requireIdentity: true });
    const body = [line(T0, 'db:5432', 'errorRate', 0.01), line(T0, 'api/v1', 'errorRate', 0.01)].join('\n');
    expect((await handler(post('/v1/samples', body))).status).toBe(401);
    const node: Peer = { identity: { node: 'db:5432', collector: false } };
    const forbidden = await handler(post('/v1/samples', body), node);
    expect(forbidden.status).toBe(403);
    expect((await forbidden.json()).error).toBe('forbidden-source');
    const own = await handler(post('/v1/samples', line(T0, 'db:5432', 'latencyP95', 30)), node);
    expect(own.status).toBe(202);
    const collector: Peer = { identity: { node: 'prometheus', collector: true } };
    expect((await handler(post('/v1/samples', body), collector)).status).toBe(202);
    const stats = engine.stats();
    expect(stats.refusedBy['identity-missing']).toBe(1);
    expect(stats.refusedBy['forbidden-source']).toBe(2);
    expect((await handler(new Request('http://engine/healthz'))).status).toBe(200);
  });
});

describe('other ways in', () => {
  it('takes a Prometheus remote-write body, refusing series without the node label', async () => {
    const { engine, handler } = await start({ remoteWrite: { nodeLabel: 'node' } });
    const body = encodeRemoteWrite([
      {
        labels: { __name__: 'errorRate', node: 'db:5432', job: 'mesh' },
        samples: [
          { value: 0.01, timestampMs: T0 * 1000 },
          { value: 0.02, timestampMs: T0 * 1000 + 1500 },
        ],
      },
      {
        labels: { __name__: 'errorRate', instance: 'api/v1' },
        samples: [{ value: 0.01, timestampMs: T0 * 1000 }],
      },
    ]);
    const response = await handler(
      post('/api/v1/write', body as Uint8Array<ArrayBuffer>, 'application/x-protobuf', {
        'content-encoding': 'snappy',
      }),
    );
    expect(response.status).toBe(202);
    const answer = await response.json();
    expect(answer.accepted).toBe(2);
    expect(answer.refused).toEqual([expect.objectContaining({ line: 2, reason: 'missing-node' })]);
    await engine.drain();
    expect(engine.stats().samplesAccepted).toBe(2);
    const garbage = await handler(
      post('/api/v1/write', new Uint8Array([1, 2, 3, 4, 5]), 'application/x-protobuf'),
    );
    expect(garbage.status).toBe(400);
  });

  it('takes OTLP/HTTP JSON gauges, with the node from a resource attribute', async () => {
    const { engine, handler } = await start();
    const point = (ns: bigint, asDouble: number) => ({ timeUnixNano: String(ns), asDouble });
    const body = JSON.stringify({
      resourceMetrics: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'api/v1' } }] },
          scopeMetrics: [
            {
              metrics: [
                { name: 'latencyP95', gauge: { dataPoints: [point(BigInt(T0) * 1_000_000_000n, 33)] } },
                { name: 'errorRate', gauge: { dataPoints: [point(BigInt(T0) * 1_000_000_000n, 0.02)] } },
              ],
            },
          ],
        },
      ],
    });
    const response = await handler(post('/v1/metrics', body, 'application/json'));
    expect(response.status).toBe(202);
    expect((await response.json()).accepted).toBe(2);
    await engine.drain();
    expect(engine.stats().samplesAccepted).toBe(2);
    expect((await handler(post('/v1/metrics', '{"resourceMetrics":', 'application/json'))).status).toBe(400);
    expect((await handler(post('/v1/metrics', 'x', 'application/x-protobuf'))).status).toBe(415);
  });

  it('takes columnar batches, a whole snapshot as its own tick, a subset as rows', async () => {
    const { engine, handler } = await start();
    const snapshot = (t: number) =>
      encodeColumnarBatch({
        ts: T0 + t,
        columns: {
          errorRate: Float64Array.from(NODES, () => 0.01),
          latencyP95: Float64Array.from(NODES, (_, i) => 40 + i),
        },
      });
    for (let t = 0; t < 3; t++) {
      const response = await handler(
        post('/v1/batches', snapshot(t) as Uint8Array<ArrayBuffer>, 'application/octet-stream'),
      );
      expect(response.status).toBe(202);
      expect((await response.json()).accepted).toBe(NODES.length * 2);
    }
    const subset = encodeColumnarBatch({
      ts: T0 + 3.5,
      columns: { errorRate: Float64Array.of(0.02) },
      sources: Uint32Array.of(1),
    });
    expect(
      (await handler(post('/v1/batches', subset as Uint8Array<ArrayBuffer>, 'application/octet-stream')))
        .status,
    ).toBe(202);
    const bad = await handler(post('/v1/batches', new Uint8Array([9, 0, 0, 0]), 'application/octet-stream'));
    expect(bad.status).toBe(400);
    await engine.drain();
    const stats = engine.stats();
    expect(stats.batchTicks).toBe(3);
    expect(stats.ticks).toBe(4);
    expect(stats.samplesAccepted).toBe(3 * NODES.length * 2 + 1);
  });

  it('ticks snapshots that overtake each other within the lateness whole and in time order', async () => {
    const { engine, handler } = await start({ latenessSeconds: 3 });
    const send = async (t: number, sources?: Uint32Array) => {
      const width = sources?.length ?? NODES.length;
      const batch = encodeColumnarBatch({
        ts: T0 + t,
        columns: {
          errorRate: new Float64Array(width).fill(0.01),
          latencyP95: new Float64Array(width).fill(40),
        },
        ...(sources ? { sources } : {}),
      });
      const response = await handler(
        post('/v1/batches', batch as Uint8Array<ArrayBuffer>, 'application/octet-stream'),
      );
      expect(response.status).toBe(202);
    };
    for (const t of [0, 2, 1, 3, 5, 4]) await send(t);
    // A subset in bucket 7, then a snapshot in the same bucket: both go in as rows, one tick.
    await send(7.2, Uint32Array.of(2));
    await send(7.5);
    await engine.drain();
    const stats = engine.stats();
    expect(stats.batchTicks).toBe(6);
    expect(stats.ticks).toBe(7);
    expect(engine.loop.monitor.stats.ticksRefused).toBe(0);
    expect(stats.refusedBy).toEqual({});
    // Bucket 7 holds node 2's values twice (7.2 and 7.5, in time order) and everyone else's once.
    expect(stats.samplesAccepted).toBe(6 * NODES.length * 2 + 2 + NODES.length * 2);
    expect(stats.pendingInBuckets).toBe(0);
  });

  it('opens sealed sessions over HTTP and refuses tampered, replayed and foreign envelopes', async () => {
    const engineKeys = NodeKeys.generate({ owner: 'engine' });
    const nodeKeys = NodeKeys.generate({ owner: 'api/v1' });
    const stranger = NodeKeys.generate({ owner: 'api/v1' });
    const { engine, handler } = await start(
      {},
      { sealed: { keys: engineKeys, trust: new KeyRing(nodeKeys.ring().records()) } },
    );
    const engineTrust = new KeyRing(engineKeys.ring().records());
    const pending = initiateHandshake(nodeKeys, engineTrust, engineKeys.signingKey(Date.now()).id);
    const handshake = await handler(
      post('/v1/sessions', pending.hello as Uint8Array<ArrayBuffer>, 'application/octet-stream'),
    );
    expect(handshake.status).toBe(200);
    const session = pending.complete(new Uint8Array(await handshake.arrayBuffer()));
    expect(handshake.headers.get(SESSION_HEADER)).toBe(session.id);
    const own = {
      ts: T0,
      columns: { errorRate: Float64Array.of(0.03) },
      sources: Uint32Array.of(NODES.indexOf('api/v1')),
    };
    const envelope = await sealColumnarBatch(session, own);
    const sealed = (bytes: Uint8Array, headers: Record<string, string> = { [SESSION_HEADER]: session.id }) =>
      handler(post('/v1/sealed', bytes as Uint8Array<ArrayBuffer>, 'application/octet-stream', headers));
    expect((await sealed(envelope)).status).toBe(202);
    expect((await sealed(envelope)).status).toBe(401); // replayed
    const tampered = await sealColumnarBatch(session, { ...own, ts: T0 + 1 });
    tampered[tampered.length - 1] ^= 1;
    expect((await sealed(tampered)).status).toBe(401);
    const foreign = await sealColumnarBatch(session, { ...own, sources: Uint32Array.of(0) });
    expect((await sealed(foreign)).status).toBe(403);
    expect(
      (await sealed(await sealColumnarBatch(session, own), { [SESSION_HEADER]: 'f'.repeat(32) })).status,
    ).toBe(401);
    const oneShot = sealOneShot(
      nodeKeys,
      engineKeys.kemKey(Date.now()),
      encodeColumnarBatch({ ...own, ts: T0 + 2 }),
    );
    expect((await sealed(oneShot, {})).status).toBe(202);
    const untrusted = initiateHandshake(stranger, engineTrust, engineKeys.signingKey(Date.now()).id);
    expect(
      (
        await handler(
          post('/v1/sessions', untrusted.hello as Uint8Array<ArrayBuffer>, 'application/octet-stream'),
        )
      ).status,
    ).toBe(401);
    await engine.drain();
    expect(engine.stats().samplesAccepted).toBe(2);
    expect(engine.stats().refusedBy['sealed-rejected']).toBe(5);
  });

  it('answers 404 for sealed routes when no keys are configured', async () => {
    const { handler } = await start();
    expect((await handler(post('/v1/sealed', new Uint8Array(40), 'application/octet-stream'))).status).toBe(
      404,
    );
  });
});

describe('ways out', () => {
  it('shows an incident in /v1/incidents while a node fails, and its times in /metrics once it is over', async () => {
    const { engine, handler, clock } = await start();
    const feed = async (from: number, to: number) => {
      for (let t = from; t < to; t++) {
        const response = await handler(post('/v1/samples', tickLines(t, 'cache@eu', 250, 330)));
        expect(response.status).toBe(202);
        clock.now = T0 + t + 1;
        await engine.settled();
      }
    };
    await feed(0, 320);
    const incidents = await (await handler(new Request('http://engine/v1/incidents'))).json();
    expect(incidents.incidents.length).toBeGreaterThan(0);
    expect(incidents.incidents[0].nodes).toContain('cache@eu');
    let text = await metricsText(handler);
    expect(metricValue(text, 'x0tta6bl4_open_incidents')).toBeGreaterThan(0);
    expect(metricValue(text, 'x0tta6bl4_time_to_detect_seconds_count')).toBeGreaterThan(0);
    // Back to normal: the incident (a human's, with a plan-only executor) closes.
    await feed(320, 480);
    expect((await (await handler(new Request('http://engine/v1/incidents'))).json()).incidents).toEqual([]);
    text = await metricsText(handler);
    expect(metricValue(text, 'x0tta6bl4_open_incidents')).toBe(0);
    expect(metricValue(text, 'x0tta6bl4_time_to_recover_seconds_count')).toBeGreaterThan(0);
    expect(metricValue(text, 'x0tta6bl4_time_to_recover_seconds_sum')).toBeGreaterThan(0);
  });

  it('counts ticks, not seconds: minute data opens the incident after the same number of ticks, shown in seconds', async () => {
    const { engine, handler, clock } = await start({ tickSeconds: 60, latenessSeconds: 30 });
    for (let t = 0; t < 262; t++) {
      expect((await handler(post('/v1/samples', tickLines(t, 'cache@eu', 250, 330, 60)))).status).toBe(202);
      clock.now = T0 + (t + 1) * 60;
      await engine.settled();
    }
    const [incident] = (await (await handler(new Request('http://engine/v1/incidents'))).json()).incidents;
    expect(incident?.nodes).toContain('cache@eu');
    // Opened within a few minute-ticks of the fault, and reported in the telemetry's seconds.
    expect(incident.openedAt).toBeGreaterThanOrEqual(T0 + 250 * 60);
    expect(incident.openedAt).toBeLessThanOrEqual(T0 + 256 * 60);
    const detect = metricValue(await metricsText(handler), 'x0tta6bl4_time_to_detect_seconds_sum');
    expect(detect).toBeGreaterThanOrEqual(60);
    expect(detect).toBeLessThanOrEqual(6 * 60);
  });

  it('streams loop events as server-sent events until the client goes', async () => {
    const { engine, handler } = await start({}, { heartbeatMs: 20 });
    const response = await handler(new Request('http://engine/v1/events'));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    await handler(
      post(
        '/v1/samples',
        // The same series twice at one time: the Monitor refuses the second when the tick runs.
        [line(T0, 'db:5432', 'errorRate', 0.2), line(T0, 'db:5432', 'errorRate', 0.1)].join('\n'),
      ),
    );
    await engine.drain();
    let text = '';
    const decoder = new TextDecoder();
    while (!text.includes('event: sample-rejected') || !text.includes(': heartbeat')) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value);
    }
    expect(text).toMatch(/event: sample-rejected\ndata: \{"type":"sample-rejected"/);
    expect(text).toContain(': heartbeat');
    await reader.cancel();
  });

  it('reports readiness, and refuses telemetry with 503 while draining', async () => {
    const { engine, handler } = await start();
    expect((await handler(new Request('http://engine/readyz'))).status).toBe(200);
    await engine.drain();
    expect((await handler(new Request('http://engine/readyz'))).status).toBe(503);
    const refused = await handler(post('/v1/samples', line(T0, 'db:5432', 'errorRate', 0.1)));
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).not.toBeNull();
  });

  it('escapes label values and writes HELP and TYPE for every family in /metrics', async () => {
    const { engine, handler } = await start();
    engine.refuse('odd "reason" \\ with\nnewline', 2);
    const text = await metricsText(handler);
    expect(text).toContain(
      'x0tta6bl4_samples_refused_total{reason="odd \\"reason\\" \\\\ with\\nnewline"} 2\n',
    );
    const families = [...text.matchAll(/^# TYPE (\S+) (counter|gauge|histogram)$/gm)].map((m) => m[1]);
    for (const name of [
      'x0tta6bl4_samples_accepted_total',
      'x0tta6bl4_samples_refused_total',
      'x0tta6bl4_tick_latency_seconds',
      'x0tta6bl4_open_incidents',
      'x0tta6bl4_actions_total',
      'x0tta6bl4_time_to_detect_seconds',
      'x0tta6bl4_time_to_recover_seconds',
      'x0tta6bl4_store_queue_depth',
    ])
      expect(families).toContain(name);
    for (const name of families) expect(text).toContain(`# HELP ${name} `);
  });

  it('answers 404 and 405 with JSON errors', async () => {
    const { handler } = await start();
    const missing = await handler(new Request('http://engine/nowhere'));
    expect(missing.status).toBe(404);
    expect((await missing.json()).error).toBe('not-found');
    const proto = await handler(new Request('http://engine/__proto__'));
    expect(proto.status).toBe(404);
    const wrong = await handler(new Request('http://engine/v1/samples'));
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('POST');
  });
});

describe('fuzz', () => {
  it('answers every request with a response, never a throw or a hang', async () => {
    const { engine, handler } = await start({ limits: { maxBodyBytes: 4096, requestTimeoutMs: 200 } });
    const paths = [
      '/v1/samples',
      '/v1/batches',
      '/api/v1/write',
      '/v1/metrics',
      '/v1/sessions',
      '/v1/sealed',
      '/metrics',
      '/healthz',
      '/readyz',
      '/v1/incidents',
      '/v1/events',
      '/',
    ];
    const methods = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'];
    const body = fc.oneof(
      fc.string(),
      fc.uint8Array({ maxLength: 600 }),
      fc
        .array(
          fc.record({
            ts: fc.oneof(fc.double(), fc.string()),
            node: fc.constantFrom(...NODES, ''),
            metric: fc.string(),
            value: fc.anything(),
          }),
        )
        .map((rows) => rows.map((r) => JSON.stringify(r)).join('\n')),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...methods),
        fc.oneof(fc.constantFrom(...paths), fc.webPath()),
        body,
        fc.constantFrom(
          'application/x-ndjson',
          'application/json',
          'application/octet-stream',
          'text/plain',
          '',
        ),
        async (method, path, content, type) => {
          const withBody = method !== 'GET' && method !== 'HEAD';
          const request = new Request(`http://engine${path.startsWith('/') ? path : `/${path}`}`, {
            method,
            ...(withBody ? { body: content as BodyInit } : {}),
            headers: type ? { 'content-type': type } : {},
          });
          const response = await handler(request);
          expect(response).toBeInstanceOf(Response);
          expect(response.status).toBeGreaterThanOrEqual(200);
          expect(response.status).toBeLessThan(600);
          await response.body?.cancel();
        },
      ),
      { numRuns: 300 },
    );
    await engine.drain();
    expect(engine.stats().refusedBy['internal-error']).toBeUndefined();
  });
});
