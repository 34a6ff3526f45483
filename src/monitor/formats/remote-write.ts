/**
 * Prometheus remote write (protocol 1.0, `POST /api/v1/write`): a snappy-compressed (block
 * format) protobuf `prometheus.WriteRequest`. Decoded with snappyjs and @bufbuild/protobuf's wire
 * reader straight into samples, without building message objects, so a Prometheus can push at
 * the ingest path's rate. A series names its node by a label (`instance` by default) and its
 * metric by `__name__` plus its other identifying labels.
 */
import { BinaryReader, BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import snappy from 'snappyjs';
import type { Sample } from '../ingest.ts';
import { type LineRefusal, type ParsedTelemetry, UnreadableBodyError } from './telemetry.ts';

/** Options of parseRemoteWrite. */
export interface RemoteWriteOptions {
  /** The label that names a series' node (default 'instance'). */
  nodeLabel?: string;
  /** Labels left out of the metric name besides `__name__` and the node label (default ['job']). */
  ignoreLabels?: readonly string[];
  /** The most bytes a body may decompress to (default 64 MiB); a larger one is unreadable. */
  maxDecodedBytes?: number;
}

/** One series for encodeRemoteWrite. */
export interface RemoteWriteSeries {
  /** Its labels, `__name__` included. */
  labels: Record<string, string>;
  /** Its samples: a value and a Unix timestamp in milliseconds. */
  samples: readonly { value: number; timestampMs: number }[];
}

const DEFAULT_MAX_DECODED = 64 * 1024 * 1024;
const DEFAULT_IGNORED = ['job'] as const;

/**
 * Decodes a remote-write body into samples: `source` is the node label's value, `metric` is
 * `__name__` alone when the series has no other labels (besides the node label and
 * `ignoreLabels`) or `name{label="value",...}` with them in label order, so series that differ
 * only by a label stay apart; `ts` is the sample's timestamp in seconds. Refused, with the
 * series' 1-based index: a series without `__name__` ('missing-name') or without the node label
 * ('missing-node'), a NaN value ('stale': Prometheus's staleness marker), an infinite one
 * ('non-finite'), and native histograms ('native-histogram', not read by this engine). Throws an
 * UnreadableBodyError for a body that is not snappy block format or not a WriteRequest, and for
 * remote write 2.0 bodies.
 */
export function parseRemoteWrite(body: Uint8Array, options: RemoteWriteOptions = {}): ParsedTelemetry {
  const nodeLabel = options.nodeLabel ?? 'instance';
  const ignoreLabels = options.ignoreLabels ?? DEFAULT_IGNORED;
  const cacheKey = [nodeLabel, ...ignoreLabels].join('\u0000');
  let cache = labelCaches.get(cacheKey);
  if (cache === undefined) {
    if (labelCaches.size >= MAX_LABEL_CACHES) labelCaches.clear();
    cache = new LabelCache(nodeLabel, ignoreLabels);
    labelCaches.set(cacheKey, cache);
  }
  const decoded = unsnappy(body, options.maxDecodedBytes ?? DEFAULT_MAX_DECODED);
  const samples: Sample[] = [];
  const refused: LineRefusal[] = [];
  try {
    const reader = new BinaryReader(decoded);
    let series = 0;
    while (reader.pos < reader.len) {
      const tag = reader.uint32();
      const field = tag >>> 3;
      const wireType = tag & 7;
      if (field === 1) {
        expectWireType(field, wireType);
        const end = messageEnd(reader);
        readSeries(reader, decoded, end, ++series, cache, samples, refused);
      } else if (field === 5 || field === 4) {
        throw new Error(
          'this is a remote write 2.0 request (io.prometheus.write.v2.Request); send prometheus.WriteRequest (protocol 1.0)',
        );
      } else {
        skip(reader, tag);
      }
    }
  } catch (error) {
    throw new UnreadableBodyError(
      'remote-write',
      `not a prometheus.WriteRequest: ${(error as Error).message}`,
    );
  }
  return { samples, refused };
}

/** What a series' labels name: its metric name, its node, and its other labels as `a="x",b="y"`. */
interface SeriesLabels {
  name: string | undefined;
  node: string | undefined;
  extra: string;
}

/** A cache entry: the labels' encoded bytes and what they name. */
interface CachedLabels extends SeriesLabels {
  bytes: Uint8Array;
}

// Entries per cache; at the limit a cache starts over (cheap, and bounded however many series come).
const MAX_CACHED_SERIES = 100_000;
// Caches, one per distinct (nodeLabel, ignoreLabels); a config has one or two.
const MAX_LABEL_CACHES = 8;
const labelCaches = new Map<string, LabelCache>();

/**
 * What series' label bytes decode to, by a hash of the bytes (checked byte for byte on a hit). A
 * Prometheus sends the same series every scrape interval, and decoding their label strings one by
 * one is most of a request's work; hashing and comparing a known series' bytes costs far less.
 */
class LabelCache {
  readonly #byHash = new Map<number, CachedLabels>();
  readonly #ignored: ReadonlySet<string>;

  constructor(
    readonly nodeLabel: string,
    ignoreLabels: readonly string[],
  ) {
    this.#ignored = new Set(['__name__', nodeLabel, ...ignoreLabels]);
  }

  /** The labels encoded in bytes[start, end), decoded by `reader` (positioned at start) when not cached. */
  labels(reader: BinaryReader, bytes: Uint8Array, start: number, end: number): SeriesLabels {
    let hash = 0x811c9dc5;
    for (let i = start; i < end; i++) hash = Math.imul(hash ^ bytes[i], 0x01000193);
    const cached = this.#byHash.get(hash);
    if (cached !== undefined && sameBytes(cached.bytes, bytes, start, end)) return cached;
    const labels: CachedLabels = {
      name: undefined,
      node: undefined,
      extra: '',
      bytes: bytes.slice(start, end),
    };
    while (reader.pos < end) {
      reader.uint32();
      this.read(reader, labels);
    }
    if (this.#byHash.size >= MAX_CACHED_SERIES) this.#byHash.clear();
    this.#byHash.set(hash, labels);
    return labels;
  }

  /** Reads one Label message (its tag already read) into `labels`. */
  read(reader: BinaryReader, labels: SeriesLabels): void {
    const labelEnd = messageEnd(reader);
    let labelName = '';
    let labelValue = '';
    while (reader.pos < labelEnd) {
      const t = reader.uint32();
      if (t === LABEL_NAME) labelName = reader.string();
      else if (t === LABEL_VALUE) labelValue = reader.string();
      else skip(reader, t);
    }
    checkEnd(reader, labelEnd);
    if (labelName === '__name__') labels.name = labelValue;
    else if (labelName === this.nodeLabel) labels.node = labelValue;
    if (!this.#ignored.has(labelName))
      labels.extra += `${labels.extra === '' ? '' : ','}${labelName}="${escapeLabelValue(labelValue)}"`;
  }
}

/** Whether `known` holds the same bytes as bytes[start, end). */
function sameBytes(known: Uint8Array, bytes: Uint8Array, start: number, end: number): boolean {
  if (known.length !== end - start) return false;
  for (let i = 0; i < known.length; i++) if (known[i] !== bytes[start + i]) return false;
  return true;
}

function readSeries(
  reader: BinaryReader,
  bytes: Uint8Array,
  end: number,
  index: number,
  cache: LabelCache,
  samples: Sample[],
  refused: LineRefusal[],
): void {
  // Labels come first in every sender's series; that run of them is looked up in the cache.
  const labelsStart = reader.pos;
  for (;;) {
    const at = reader.pos;
    if (at >= end || reader.uint32() !== LABEL_TAG) {
      reader.pos = at;
      break;
    }
    reader.pos = messageEnd(reader);
    if (reader.pos > end) throw new Error('a label runs past the end of its series');
  }
  const labelsEnd = reader.pos;
  reader.pos = labelsStart;
  const cached = cache.labels(reader, bytes, labelsStart, labelsEnd);
  reader.pos = labelsEnd;
  let labels: SeriesLabels = cached;
  const values: number[] = [];
  const times: number[] = [];
  let histograms = 0;
  while (reader.pos < end) {
    const tag = reader.uint32();
    const field = tag >>> 3;
    const wireType = tag & 7;
    if (field === 1) {
      // A label after the samples: rare, so it is read without the cache, into a copy.
      expectWireType(field, wireType);
      if (labels === cached) labels = { name: cached.name, node: cached.node, extra: cached.extra };
      cache.read(reader, labels);
    } else if (field === 2) {
      expectWireType(field, wireType);
      const sampleEnd = messageEnd(reader);
      let value = 0;
      let timestamp = 0;
      while (reader.pos < sampleEnd) {
        const t = reader.uint32();
        if (t === SAMPLE_VALUE) value = reader.double();
        else if (t === SAMPLE_TIMESTAMP) timestamp = Number(reader.int64());
        else skip(reader, t);
      }
      checkEnd(reader, sampleEnd);
      values.push(value);
      times.push(timestamp);
    } else {
      if (field === 4) histograms++;
      skip(reader, tag);
    }
  }
  const { name, node, extra } = labels;
  const nodeLabel = cache.nodeLabel;
  checkEnd(reader, end);
  if (histograms > 0)
    refused.push({
      line: index,
      reason: 'native-histogram',
      detail: `${histograms} native histogram sample(s) not read`,
    });
  if (values.length === 0) return;
  if (name === undefined || name === '') {
    refused.push({
      line: index,
      reason: 'missing-name',
      detail: `a series without __name__ (${values.length} sample(s))`,
    });
    return;
  }
  if (node === undefined || node === '') {
    refused.push({
      line: index,
      reason: 'missing-node',
      detail: `series ${name} has no ${nodeLabel} label (${values.length} sample(s))`,
    });
    return;
  }
  const metric = extra === '' ? name : `${name}{${extra}}`;
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (Number.isFinite(value)) samples.push({ source: node, metric, ts: times[i] / 1000, value });
    else if (Number.isNaN(value))
      refused.push({
        line: index,
        reason: 'stale',
        detail: `${metric} of ${node} at ${times[i]} ms is a staleness marker (NaN)`,
      });
    else
      refused.push({
        line: index,
        reason: 'non-finite',
        detail: `${metric} of ${node} at ${times[i]} ms is ${value}`,
      });
  }
}

/** Encodes series as a remote-write body (snappy-compressed WriteRequest), for tests, benches and senders. */
export function encodeRemoteWrite(series: readonly RemoteWriteSeries[]): Uint8Array {
  const writer = new BinaryWriter();
  for (const s of series) {
    writer.tag(1, WireType.LengthDelimited).fork();
    for (const [name, value] of Object.entries(s.labels))
      writer
        .tag(1, WireType.LengthDelimited)
        .fork()
        .tag(1, WireType.LengthDelimited)
        .string(name)
        .tag(2, WireType.LengthDelimited)
        .string(value)
        .join();
    for (const sample of s.samples)
      writer
        .tag(2, WireType.LengthDelimited)
        .fork()
        .tag(1, WireType.Bit64)
        .double(sample.value)
        .tag(2, WireType.Varint)
        .int64(Math.trunc(sample.timestampMs))
        .join();
    writer.join();
  }
  // snappyjs answers in the type it is given (its published types say any buffer type).
  return snappy.compress(writer.finish()) as Uint8Array;
}

/** Label values escaped as in the text exposition format, so a metric name reads back unambiguously. */
export function escapeLabelValue(value: string): string {
  if (!/[\\"\n]/.test(value)) return value;
  return value.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n');
}

// Tags (field number << 3 | wire type) of the fields read, compared whole in the hot loops.
const LABEL_TAG = (1 << 3) | 2;
const LABEL_NAME = (1 << 3) | 2;
const LABEL_VALUE = (2 << 3) | 2;
const SAMPLE_VALUE = (1 << 3) | 1;
const SAMPLE_TIMESTAMP = (2 << 3) | 0;
const LENGTH_DELIMITED = 2;

/** Skips a field the decoder does not read; a field number 0 or a bad wire type is an error. */
function skip(reader: BinaryReader, tag: number): void {
  if (tag >>> 3 === 0) throw new Error('illegal tag: field number 0');
  reader.skip((tag & 7) as WireType, tag >>> 3);
}

function expectWireType(field: number, wireType: number): void {
  if (wireType !== LENGTH_DELIMITED)
    throw new Error(`field ${field} has wire type ${wireType}, expected a message`);
}

/** Reads a length prefix and returns where the message it announces ends, checking it fits. */
function messageEnd(reader: BinaryReader): number {
  const length = reader.uint32();
  const end = reader.pos + length;
  if (end > reader.len) throw new Error(`a message of ${length} bytes runs past the end of the body`);
  return end;
}

function checkEnd(reader: BinaryReader, end: number): void {
  if (reader.pos !== end) throw new Error('a field runs past the end of its message');
}

/**
 * Snappy block format, checked before snappyjs decodes it: snappyjs 0.7 loops forever on a
 * literal whose 4-byte length has its top bit set, and leaves the end of its output zero when
 * the stream is short. The walk reads only tags and lengths, so it costs little.
 */
function unsnappy(body: Uint8Array, maxBytes: number): Uint8Array {
  if (!(body instanceof Uint8Array)) throw new UnreadableBodyError('remote-write', 'the body must be bytes');
  let pos = 0;
  let length = 0;
  for (let shift = 0; ; shift += 7) {
    if (pos >= body.length || shift > 28)
      throw new UnreadableBodyError('remote-write', 'not snappy: no valid length header');
    const c = body[pos++];
    length += (c & 0x7f) * 2 ** shift;
    if (c < 0x80) break;
  }
  if (length > maxBytes)
    throw new UnreadableBodyError(
      'remote-write',
      `the body decompresses to ${length} bytes, more than the ${maxBytes} allowed`,
    );
  let out = 0;
  while (pos < body.length) {
    const c = body[pos++];
    const tag = c & 3;
    if (tag === 0) {
      let len = (c >>> 2) + 1;
      if (len > 60) {
        const bytes = len - 60;
        if (pos + bytes > body.length) return refuseSnappy('a literal length runs past the end');
        len = 0;
        for (let i = 0; i < bytes; i++) len += body[pos + i] * 2 ** (8 * i);
        len += 1;
        pos += bytes;
      }
      if (pos + len > body.length) return refuseSnappy('a literal runs past the end');
      pos += len;
      out += len;
    } else {
      let len: number;
      let offset: number;
      if (tag === 1) {
        if (pos >= body.length) return refuseSnappy('a copy runs past the end');
        len = ((c >>> 2) & 7) + 4;
        offset = ((c >>> 5) << 8) | body[pos];
        pos += 1;
      } else if (tag === 2) {
        if (pos + 2 > body.length) return refuseSnappy('a copy runs past the end');
        len = (c >>> 2) + 1;
        offset = body[pos] | (body[pos + 1] << 8);
        pos += 2;
      } else {
        if (pos + 4 > body.length) return refuseSnappy('a copy runs past the end');
        len = (c >>> 2) + 1;
        offset = body[pos] + body[pos + 1] * 2 ** 8 + body[pos + 2] * 2 ** 16 + body[pos + 3] * 2 ** 24;
        pos += 4;
      }
      if (offset === 0 || offset > out) return refuseSnappy('a copy refers before the start');
      out += len;
    }
    if (out > length) return refuseSnappy('the stream is longer than its header says');
  }
  if (out !== length) return refuseSnappy(`the stream holds ${out} bytes, its header says ${length}`);
  try {
    return snappy.uncompress(body, maxBytes) as Uint8Array;
  } catch (error) {
    return refuseSnappy((error as Error).message);
  }
}

function refuseSnappy(why: string): never {
  throw new UnreadableBodyError('remote-write', `not snappy block format: ${why}`);
}
