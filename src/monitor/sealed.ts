/**
 * Sealed telemetry into the Monitor. A node encodes a ColumnarBatch (the binary format below),
 * seals it in its session (src/security/session.ts) and sends the envelope; the engine's
 * {@link SealedTelemetry} opens it and feeds the batch to the Monitor. An envelope that does
 * not open (replayed, tampered, stale, unknown key...), does not decode, or reports a source
 * the peer may not speak for is never ingested: it is counted as a 'sealed-rejected' rejection
 * carrying the error class name.
 *
 * Columnar batch v1, little-endian:
 *   [0] version = 1  [1] flags (bit 0: source indices present)  [2..4) metric count M (u16)
 *   [4..8) width W (u32)  [8..16) timestamp (f64)
 *   M x { name length (u8), UTF-8 name }
 *   if flagged: W x source index (u32)
 *   M x W x value (f64), one column after another, in name order
 */
import { ArgumentError, X0ttaError } from '../errors.ts';
import {
  MalformedMessageError,
  SecurityError,
  UnauthorizedSourceError,
  UnsupportedVersionError,
} from '../security/errors.ts';
import type { Session } from '../security/session.ts';
import type { ColumnarBatch, Monitor } from './ingest.ts';

/** Columnar batch format version written and accepted. */
export const BATCH_FORMAT_VERSION = 1;
const FIXED = 16;
const HAS_SOURCES = 1;

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** Encodes `batch` in the binary format above; throws an ArgumentError naming a bad field. */
export function encodeColumnarBatch(batch: ColumnarBatch): Uint8Array {
  if (!batch || typeof batch !== 'object' || typeof batch.columns !== 'object' || batch.columns === null) {
    throw new ArgumentError('batch', 'expected a ColumnarBatch');
  }
  if (typeof batch.ts !== 'number') throw new ArgumentError('batch.ts', 'expected a number');
  const names = Object.keys(batch.columns);
  if (names.length > 0xffff) throw new ArgumentError('batch.columns', 'at most 65,535 metrics');
  const sources = batch.sources;
  if (sources !== undefined && !(sources instanceof Uint32Array))
    throw new ArgumentError('batch.sources', 'expected a Uint32Array');
  const width = sources?.length ?? batch.columns[names[0]]?.length ?? 0;
  const encodedNames = names.map((name) => {
    const bytes = encoder.encode(name);
    if (bytes.length === 0 || bytes.length > 255)
      throw new ArgumentError(`batch.columns.${name}`, 'metric names take 1 to 255 UTF-8 bytes');
    const column = batch.columns[name];
    if (!(column instanceof Float64Array) || column.length !== width) {
      throw new ArgumentError(`batch.columns.${name}`, `expected a Float64Array of ${width} values`);
    }
    return bytes;
  });
  const namesLength = encodedNames.reduce((sum, b) => sum + 1 + b.length, 0);
  const out = new Uint8Array(FIXED + namesLength + (sources ? 4 * width : 0) + 8 * width * names.length);
  const view = new DataView(out.buffer);
  out[0] = BATCH_FORMAT_VERSION;
  out[1] = sources ? HAS_SOURCES : 0;
  view.setUint16(2, names.length, true);
  view.setUint32(4, width, true);
  view.setFloat64(8, batch.ts, true);
  let offset = FIXED;
  for (const bytes of encodedNames) {
    out[offset] = bytes.length;
    out.set(bytes, offset + 1);
    offset += 1 + bytes.length;
  }
  if (sources) for (let i = 0; i < width; i++, offset += 4) view.setUint32(offset, sources[i], true);
  for (const name of names) {
    const column = batch.columns[name];
    for (let i = 0; i < width; i++, offset += 8) view.setFloat64(offset, column[i], true);
  }
  return out;
}

/** Decodes {@link encodeColumnarBatch} output; throws MalformedMessageError or UnsupportedVersionError. */
export function decodeColumnarBatch(bytes: Uint8Array): ColumnarBatch {
  if (!(bytes instanceof Uint8Array)) throw new ArgumentError('bytes', 'expected a Uint8Array');
  if (bytes.length < FIXED)
    throw new MalformedMessageError(`batch of ${bytes.length} bytes is shorter than its header`);
  if (bytes[0] !== BATCH_FORMAT_VERSION)
    throw new UnsupportedVersionError(`batch format ${bytes[0]} (expected ${BATCH_FORMAT_VERSION})`);
  if ((bytes[1] & ~HAS_SOURCES) !== 0) throw new MalformedMessageError(`unknown batch flags ${bytes[1]}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const metrics = view.getUint16(2, true);
  const width = view.getUint32(4, true);
  const ts = view.getFloat64(8, true);
  let offset = FIXED;
  const names: string[] = [];
  for (let m = 0; m < metrics; m++) {
    const length = bytes[offset];
    if (!length || offset + 1 + length > bytes.length)
      throw new MalformedMessageError(`metric name ${m} is empty or runs past the end`);
    try {
      names.push(decoder.decode(bytes.subarray(offset + 1, offset + 1 + length)));
    } catch {
      throw new MalformedMessageError(`metric name ${m} is not UTF-8`);
    }
    offset += 1 + length;
  }
  if (new Set(names).size !== names.length) throw new MalformedMessageError('a metric appears twice');
  const hasSources = (bytes[1] & HAS_SOURCES) !== 0;
  // Checked before anything is allocated, so a forged width cannot make us allocate gigabytes.
  const expected = offset + (hasSources ? 4 * width : 0) + 8 * width * metrics;
  if (bytes.length !== expected)
    throw new MalformedMessageError(`batch of ${bytes.length} bytes, its header implies ${expected}`);
  let sources: Uint32Array | undefined;
  if (hasSources) {
    sources = new Uint32Array(width);
    for (let i = 0; i < width; i++, offset += 4) sources[i] = view.getUint32(offset, true);
  }
  // No prototype: a metric named "__proto__" (or anything else) from the wire stays a plain column.
  const columns: Record<string, Float64Array> = Object.create(null);
  for (const name of names) {
    const column = new Float64Array(width);
    for (let i = 0; i < width; i++, offset += 8) column[i] = view.getFloat64(offset, true);
    columns[name] = column;
  }
  return sources ? { ts, columns, sources } : { ts, columns };
}

/** Encodes and seals a batch in `session`: what a node sends. */
export function sealColumnarBatch(session: Session, batch: ColumnarBatch): Promise<Uint8Array> {
  return session.seal(encodeColumnarBatch(batch));
}

/** Options of {@link SealedTelemetry}. */
export interface SealedTelemetryOptions {
  /**
   * The sources this peer may report (e.g. its own node id). A batch that touches any other
   * source is refused whole, so one compromised node cannot forge telemetry for its neighbours.
   * Default: every source of the Monitor.
   */
  allowedSources?: readonly string[];
}

/** Opens one peer's sealed batches (its session's receiving side) for a Monitor. */
export class SealedTelemetry {
  /** Envelopes refused, by error class name. */
  readonly rejectedBy: Record<string, number> = {};
  readonly #session: Session;
  readonly #monitor: Monitor;
  /** Monitor source index -> may this peer report it; undefined when every source is allowed. */
  readonly #allowed: Uint8Array | undefined;

  /** `session` is the engine's side of the handshake with one node. */
  constructor(session: Session, monitor: Monitor, options: SealedTelemetryOptions = {}) {
    if (!session || typeof session.open !== 'function')
      throw new ArgumentError('session', 'expected a Session');
    if (!monitor || typeof monitor.ingestBatch !== 'function')
      throw new ArgumentError('monitor', 'expected a Monitor');
    this.#session = session;
    this.#monitor = monitor;
    if (options.allowedSources !== undefined) {
      this.#allowed = new Uint8Array(monitor.sources.length);
      for (const source of options.allowedSources) {
        const index = monitor.sources.indexOf(source);
        if (index < 0) throw new ArgumentError('options.allowedSources', `unknown source "${source}"`);
        this.#allowed[index] = 1;
      }
    }
  }

  #checkSources(batch: ColumnarBatch): void {
    const allowed = this.#allowed;
    if (!allowed) return;
    const width = batch.sources?.length ?? allowed.length;
    for (let i = 0; i < width; i++) {
      const s = batch.sources ? batch.sources[i] : i;
      if (allowed[s] !== 1)
        throw new UnauthorizedSourceError(
          `the peer may not report source ${this.#monitor.sources[s] ?? `#${s}`}`,
        );
    }
  }

  /**
   * Opens and decodes an envelope without ingesting it (the loop ingests batches in `tick`).
   * Returns undefined for a refused envelope, after counting it in the Monitor's stats.
   */
  async open(envelope: Uint8Array): Promise<ColumnarBatch | undefined> {
    try {
      const batch = decodeColumnarBatch(await this.#session.open(envelope));
      this.#checkSources(batch);
      return batch;
    } catch (error) {
      if (error instanceof SecurityError) {
        this.rejectedBy[error.name] = (this.rejectedBy[error.name] ?? 0) + 1;
        this.#monitor.countRejection({ reason: 'sealed-rejected', count: 1, error: error.name });
        return undefined;
      }
      if (error instanceof X0ttaError) {
        this.#monitor.countRejection({ reason: 'malformed', count: 1, error: error.name });
        return undefined;
      }
      throw error;
    }
  }

  /** Opens an envelope and ingests its batch; returns the samples accepted (0 when refused). */
  async ingest(envelope: Uint8Array): Promise<number> {
    const batch = await this.open(envelope);
    return batch ? this.#monitor.ingestBatch(batch) : 0;
  }
}
