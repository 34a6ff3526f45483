/**
 * What bench/serve.bench.ts sends: a mesh of NODES nodes reporting the default eight metrics, as
 * NDJSON (1,000 samples a request), columnar batches (every node's eight metrics at one time, a
 * request) and Prometheus remote write (1,000 series a request), in one of two shapes (Shape):
 *
 * - at its own pace (OWN_PACE): every series sampled every 10 ms, so a second of telemetry (one
 *   loop tick) holds 800,000 samples, a hundred per series, and the loop ticks about once per
 *   800,000 samples taken: near once a wall second at the rate the issue asks for. This is the
 *   ingest figure: what the engine takes while its loop runs at the data's own pace.
 * - loop-bound (LOOP_BOUND): every series sampled once a second, so each 8,000 samples (8 NDJSON
 *   requests, one columnar request) are a whole tick and the engine runs the loop over 1,000 nodes
 *   for each: the rate measures the loop's tick rate (bench/engine.bench.ts), not ingest.
 *
 * Bodies are made from templates built once, with only the timestamps filled in per request, so
 * the generators cost the driving process little and every request carries telemetry the engine
 * accepts: each step's samples are new, later steps have later times, and values vary around a
 * steady level.
 *
 * Telemetry time starts a day ahead of the wall clock: the engine closes a tick when newer samples
 * pass its lateness or when the wall clock does, and a clock that is behind the data never closes
 * a tick before its last request has arrived. So the loop's ticks follow the data's own time, at
 * the rate the engine takes it.
 */
import snappy from 'snappyjs';
import { encodeRemoteWrite } from '../src/monitor/formats/remote-write.ts';
import { encodeColumnarBatch } from '../src/monitor/sealed.ts';
import { DEFAULT_ENGINE_CONFIG } from '../src/serve/config.ts';

/** Nodes of the benchmark mesh. */
export const NODES = 1000;
/** Samples per NDJSON or remote-write request. */
export const BATCH = 1000;
/**
 * How the telemetry keeps time: `stepsPerSecond` sampling steps per second of telemetry time (each
 * step is every series once) and the engine's lateness. Requests overtake each other by up to
 * about 60 (autocannon builds each connection's first request before its connections open one
 * after another, so those first requests arrive after up to about 60 later ones), i.e. about 60
 * steps of columnar or 8 of NDJSON and remote write; the lateness covers that, so every sample
 * lands in its own tick.
 */
export interface Shape {
  /** Short name for result rows. */
  name: string;
  /** Sampling steps per second of telemetry time. */
  stepsPerSecond: number;
  /** The engine's lateness, seconds. */
  latenessSeconds: number;
}

/** Every series every 10 ms: a tick is 800,000 samples; 60 steps overtaken are 0.6 s. */
export const OWN_PACE: Shape = {
  name: 'at its own pace (1,000 nodes x 8 metrics every 10 ms)',
  stepsPerSecond: 100,
  latenessSeconds: 1,
};

/** Every series every second: a tick is 8,000 samples; 60 steps overtaken are 60 s. */
export const LOOP_BOUND: Shape = {
  name: 'loop-bound (one tick per 8,000 samples)',
  stepsPerSecond: 1,
  latenessSeconds: 64,
};

/**
 * The engine's settings: one-second ticks, the shape's lateness, and a queue of 100,000 samples,
 * small beside a run's volume, so accepted samples are processed ones and not a queue filling up.
 */
export function engineSettings(latenessSeconds: number): unknown {
  return { tickSeconds: 1, latenessSeconds, limits: { queueSamples: 100_000 } };
}

const METRICS = DEFAULT_ENGINE_CONFIG.metrics;
/** Value variants per template: steps cycle through them, so every series varies a little. */
const VARIANTS = 8;

/** A node's id. */
export function nodeId(index: number): string {
  return `node-${index}`;
}

/** The benchmark mesh: NODES nodes linked as a binary tree below the gateway node-0. */
export function benchTopology(nodes: number): unknown {
  if (!Number.isSafeInteger(nodes) || nodes < 1) throw new Error(`expected a node count, got ${nodes}`);
  const ids = Array.from({ length: nodes }, (_, i) => nodeId(i));
  return {
    nodes: ids.map((id) => ({ id })),
    links: ids.slice(1).map((id, i) => [ids[Math.floor(i / 2)], id]),
    gateways: [ids[0]],
  };
}

/** One way in: its path, its headers and a fresh sequence of request bodies. */
export interface Workload {
  /** Short name for result rows. */
  name: string;
  /** The route, e.g. `/v1/samples`. */
  path: string;
  /** Request headers (content type and the like). */
  headers: Record<string, string>;
  /** Samples per request. */
  samplesPerRequest: number;
  /** The target, samples/s. */
  target: number;
  /** A new sequence of bodies, its telemetry time starting at `t0` (Unix seconds), `stepsPerSecond` steps a second. */
  sequence(t0: number, stepsPerSecond: number): () => Buffer;
}

/** A steady value of the series (node, metric) with a small variation per variant, inside the metric's range. */
function value(node: number, metric: number, variant: number): number {
  const spec = METRICS[metric];
  const low = spec.min ?? 0;
  const span = (spec.max ?? 100) - low;
  const level = 0.3 + 0.4 * fraction(node * 31 + metric * 7);
  const wobble = 0.01 * (fraction(node * 131 + metric * 17 + variant * 1009) - 0.5);
  return low + span * (level + wobble);
}

/** A deterministic number in [0, 1) from an integer. */
function fraction(n: number): number {
  const x = Math.sin(n * 12.9898) * 43758.5453;
  return x - Math.floor(x);
}

/** Blocks of nodes that make one request of BATCH samples each (all metrics of NODES / blocks nodes). */
const BLOCKS = (NODES * METRICS.length) / BATCH;
const NODES_PER_BLOCK = NODES / BLOCKS;

/** NDJSON lines `{"ts","node","metric","value"}`: a step's samples in BLOCKS requests. */
export const NDJSON: Workload = {
  name: 'NDJSON, batches of 1,000',
  path: '/v1/samples',
  headers: { 'content-type': 'application/x-ndjson' },
  samplesPerRequest: BATCH,
  target: 1_000_000,
  sequence(t0, stepsPerSecond) {
    // Per variant and block, the body written with time t0 and where its timestamps are; a request
    // writes its step's time over them (ten digits and three decimals until the year 2286, so the
    // length stays).
    const stamp = seconds(t0 * 1000);
    const templates = Array.from({ length: VARIANTS }, (_, variant) =>
      Array.from({ length: BLOCKS }, (_, block) => {
        let text = '';
        for (let n = block * NODES_PER_BLOCK; n < (block + 1) * NODES_PER_BLOCK; n++) {
          for (let m = 0; m < METRICS.length; m++)
            text += `{"ts":${stamp},"node":"${nodeId(n)}","metric":"${METRICS[m].name}","value":${value(n, m, variant)}}\n`;
        }
        const raw = Buffer.from(text);
        const at = positions(raw, [...Buffer.from(`{"ts":${stamp},`)]).map((offset) => offset + 6);
        if (at.length !== BATCH)
          throw new Error(`found ${at.length} timestamps in a body of ${BATCH} samples`);
        return { raw, at };
      }),
    );
    let request = 0;
    return () => {
      const step = Math.floor(request / BLOCKS);
      const { raw, at } = templates[step % VARIANTS][request++ % BLOCKS];
      const body = Buffer.from(raw);
      const digits = Buffer.from(seconds(stepMs(t0, step, stepsPerSecond)));
      if (digits.length !== stamp.length) throw new Error('the timestamp outgrew its fourteen characters');
      for (const offset of at) for (let i = 0; i < digits.length; i++) body[offset + i] = digits[i];
      return body;
    };
  },
};

/** Columnar batches (src/monitor/sealed.ts): every node's eight metrics at one time, a step per request. */
export const COLUMNAR: Workload = {
  name: `columnar batches of ${(NODES * METRICS.length).toLocaleString('en-US')}`,
  path: '/v1/batches',
  headers: { 'content-type': 'application/octet-stream' },
  samplesPerRequest: NODES * METRICS.length,
  target: 10_000_000,
  sequence(t0, stepsPerSecond) {
    const templates = Array.from({ length: VARIANTS }, (_, variant) =>
      encodeColumnarBatch({
        ts: t0,
        columns: Object.fromEntries(
          METRICS.map((spec, m) => [
            spec.name,
            Float64Array.from({ length: NODES }, (_, n) => value(n, m, variant)),
          ]),
        ),
      }),
    );
    let step = 0;
    return () => {
      const body = Buffer.from(templates[step % VARIANTS]);
      // The batch's timestamp: a little-endian f64 at byte 8 of the format's header.
      body.writeDoubleLE(stepMs(t0, step++, stepsPerSecond) / 1000, 8);
      return body;
    };
  },
};

/** Field 2 (Sample.timestamp) as a varint: its tag byte. */
const TIMESTAMP_TAG = 0x10;

/** Prometheus remote write: 1,000 series (one sample each) per request, labelled as a Prometheus sends them. */
export const REMOTE_WRITE: Workload = {
  name: 'remote write, 1,000 series per request',
  path: '/api/v1/write',
  headers: {
    'content-type': 'application/x-protobuf',
    'content-encoding': 'snappy',
    'x-prometheus-remote-write-version': '0.1.0',
  },
  samplesPerRequest: BATCH,
  target: 1_000_000,
  sequence(t0, stepsPerSecond) {
    // Encoded once per variant and block with timestamp t0, decompressed, and the timestamp's
    // positions found; a request patches them (ms times near t0 keep the varint's length) and
    // compresses, as a Prometheus compresses each request it sends.
    const marker = [TIMESTAMP_TAG, ...varint(t0 * 1000)];
    const templates = Array.from({ length: VARIANTS }, (_, variant) =>
      Array.from({ length: BLOCKS }, (_, block) => {
        const series = [];
        for (let n = block * NODES_PER_BLOCK; n < (block + 1) * NODES_PER_BLOCK; n++) {
          for (let m = 0; m < METRICS.length; m++) {
            series.push({
              labels: { __name__: METRICS[m].name, instance: nodeId(n), job: 'bench' },
              samples: [{ value: value(n, m, variant), timestampMs: t0 * 1000 }],
            });
          }
        }
        const raw = snappy.uncompress(encodeRemoteWrite(series));
        const at = positions(raw, marker);
        if (at.length !== series.length)
          throw new Error(`found ${at.length} timestamps in a body of ${series.length} samples`);
        return { raw, at };
      }),
    );
    let request = 0;
    return () => {
      const step = Math.floor(request / BLOCKS);
      const { raw, at } = templates[step % VARIANTS][request++ % BLOCKS];
      const body = Uint8Array.from(raw);
      const stamp = varint(stepMs(t0, step, stepsPerSecond));
      if (stamp.length !== marker.length - 1) throw new Error('the timestamp outgrew its varint length');
      for (const offset of at) body.set(stamp, offset + 1);
      return Buffer.from(snappy.compress(body));
    };
  },
};

/** The three ways in the bench drives. */
export const WORKLOADS: readonly Workload[] = [NDJSON, COLUMNAR, REMOTE_WRITE];

/** Milliseconds (Unix) of sampling step `step`, the first at `t0` seconds. */
function stepMs(t0: number, step: number, stepsPerSecond: number): number {
  return t0 * 1000 + Math.round((step * 1000) / stepsPerSecond);
}

/** Unix milliseconds as seconds with three decimals, as JSON (fourteen characters until 2286). */
function seconds(ms: number): string {
  return `${Math.floor(ms / 1000)}.${String(ms % 1000).padStart(3, '0')}`;
}

/** Protobuf varint of a non-negative integer below 2^53. */
function varint(n: number): number[] {
  const bytes: number[] = [];
  while (n >= 0x80) {
    bytes.push((n % 0x80) | 0x80);
    n = Math.floor(n / 0x80);
  }
  bytes.push(n);
  return bytes;
}

/** Offsets of every occurrence of `needle` in `haystack`. */
function positions(haystack: Uint8Array, needle: readonly number[]): number[] {
  const found: number[] = [];
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    found.push(i);
  }
  return found;
}
