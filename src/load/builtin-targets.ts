/**
 * In-process targets that do real work, for running the presets without a deployed engine:
 * `sha256Target` hashes a payload per call, and `monitorIngestTarget` pushes telemetry batches
 * through the engine's own Monitor stage (schema validation, per-series windows), checking that
 * every sample was accepted.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { ArgumentError } from '../errors.ts';
import { Rng } from '../random.ts';
import { type ColumnarBatch, Monitor } from '../monitor/index.ts';
import { LoadCallError, type LoadTarget } from './target.ts';

/** Hashes a `payloadBytes` payload (stamped with the iteration number) with SHA-256 per call. */
export function sha256Target(payloadBytes = 1024): LoadTarget {
  if (!Number.isInteger(payloadBytes) || payloadBytes < 4)
    throw new ArgumentError('payloadBytes', 'must be an integer >= 4');
  const payload = new Uint8Array(payloadBytes);
  const view = new DataView(payload.buffer);
  return (context) => {
    view.setUint32(0, context.iteration);
    return sha256(payload);
  };
}

/** Options of the Monitor ingest target. */
export interface MonitorIngestOptions {
  /** Seed of the generated values (default 1): the same seed sends the same batches. */
  seed?: number;
  /** Value columns pre-generated per batch size and reused round-robin, so generation is not timed. */
  pool?: number;
}

interface Feed {
  monitor: Monitor;
  columns: Float64Array[];
}

/**
 * Each call ingests one columnar batch of `context.batchSize` samples (one `value` per source,
 * `batchSize` sources, timestamps 1 ms apart) into an engine Monitor made for that batch size.
 * A batch with any sample refused fails the call with kind 'rejected'.
 */
export function monitorIngestTarget(options: MonitorIngestOptions = {}): LoadTarget {
  const { seed = 1, pool = 8 } = options;
  if (!Number.isInteger(pool) || pool < 1)
    throw new ArgumentError('options.pool', 'must be a positive integer');
  const feeds = new Map<number, Feed>();
  let tick = 0;
  const feed = (size: number): Feed => {
    const rng = new Rng(seed + size);
    const level = new Float64Array(size).fill(50);
    // A bounded random walk per source, so consecutive batches look like real gauges.
    const columns = Array.from({ length: pool }, () => {
      for (let i = 0; i < size; i++) level[i] = Math.min(100, Math.max(0, level[i] + rng.next() - 0.5));
      return level.slice();
    });
    const sources = Array.from({ length: size }, (_, i) => `node-${i}`);
    return { monitor: new Monitor({ sources, metrics: [{ name: 'value', min: 0, max: 100 }] }), columns };
  };
  return (context) => {
    let f = feeds.get(context.batchSize);
    if (!f) feeds.set(context.batchSize, (f = feed(context.batchSize)));
    // Timestamps must rise per series across runs too, so they come from this target, not the run.
    const batch: ColumnarBatch = {
      ts: ++tick,
      columns: { value: f.columns[context.iteration % f.columns.length] },
    };
    f.monitor.beginTick();
    const accepted = f.monitor.ingestBatch(batch);
    if (accepted !== context.batchSize) {
      throw new LoadCallError('rejected', `monitor accepted ${accepted} of ${context.batchSize} samples`);
    }
  };
}

/** The built-in targets by name: `sha256` (1 KiB per call) and `ingest` (batches into a Monitor). */
export function builtinTargets(): Record<string, LoadTarget> {
  return { sha256: sha256Target(), ingest: monitorIngestTarget() };
}
