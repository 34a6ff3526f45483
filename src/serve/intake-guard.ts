/**
 * The checks every telemetry intake makes before it takes samples: ServeEngine's queue and the
 * NATS gateway's publishing (src/cluster/gateway.ts) judge a submission alike, so that a sender
 * hears the same answer from either. An IntakeGuard checks who sends (an identity that is not a
 * collector speaks only for its own node), what is sent (the shape of a sample, a batch's time),
 * and what the schema takes (SeriesAdmission); it says whether the intake has room for what
 * passed; and it counts every refusal by reason, for `stats().refusedBy` and `/metrics`. What an
 * intake does with what passes (queue it for the loop, publish it) is its own.
 *
 * On the submission paths it allocates nothing per sample beyond what the admission resolves
 * (the admitted rows), as ServeEngine's throughput needs.
 */
import { ArgumentError } from '../errors.ts';
import type { ColumnarBatch, IndexedRows, MetricSpec, Sample } from '../monitor/ingest.ts';
import { type SeriesRefusal, SeriesAdmission } from './admission.ts';
import type { Peer } from './peer.ts';

/** The answer of an intake (ServeEngine, the NATS gateway) to a submission. */
export type SubmitResult =
  | {
      /** The samples are queued: the loop will process every one of them. */
      accepted: true;
      /** Samples queued. */
      samples: number;
      /**
       * Samples left out because the engine's schema cannot take them, one entry per node and
       * metric (and reason): an unknown node or metric, or a value outside the metric's range.
       */
      refusedSeries?: SeriesRefusal[];
    }
  | {
      /** Nothing was queued. */
      accepted: false;
      /**
       * 'back-pressure': the queue is full, retry later; 'draining': the engine is shutting down;
       * 'too-large': more samples than the whole queue holds, never accepted as one submission;
       * 'forbidden-source': an identity sent samples for a node it does not speak for;
       * 'unavailable': where the samples go did not take them (the NATS gateway's JetStream).
       */
      reason: 'back-pressure' | 'draining' | 'too-large' | 'forbidden-source' | 'unavailable';
      /** For 'back-pressure', 'draining' and 'unavailable': seconds after which a retry may succeed. */
      retryAfterSeconds?: number;
      /** What was refused, for the sender. */
      detail: string;
    };

/** Samples that passed {@link IntakeGuard.checkSamples}: the rows the schema takes, and what it left out. */
export interface AdmittedSamples {
  /** The samples the schema takes, in order, their series resolved. */
  admitted: IndexedRows;
  /** The samples it left out, grouped by node, metric and reason. */
  refused: SeriesRefusal[];
}

/** How an intake words its refusals for want of room (the rest of every answer is the same). */
export interface RoomWording {
  /** The 'draining' detail ('the engine is shutting down'). */
  draining: string;
  /** The 'too-large' detail for `samples` in one submission when the intake holds `limit`. */
  tooLarge(samples: number, limit: number): string;
  /** The 'back-pressure' detail when `waiting` of `limit` samples wait. */
  full(waiting: number, limit: number): string;
  /** Seconds after which a sender refused for back-pressure may retry. */
  retryAfterSeconds(): number;
}

/** Options of an {@link IntakeGuard}. */
export interface IntakeGuardOptions {
  /** The nodes, in the index order columnar batches use. */
  nodes: readonly string[];
  /** The metrics, in the order series are indexed by (the Monitor's). */
  metrics: readonly MetricSpec[];
  /** The most samples the intake holds at once (`config.limits.queueSamples`). */
  limit: number;
  /** The intake's wording of its refusals for want of room. */
  wording: RoomWording;
}

/** Seconds a sender is told to wait while an intake drains: it does not come back soon. */
const DRAINING_RETRY_AFTER_SECONDS = 60;

/** The checks in front of an intake and its refusal counts (see the module's comment). */
export class IntakeGuard {
  /** The nodes, in the index order columnar batches use. */
  readonly nodes: readonly string[];
  /** Each node's index in {@link IntakeGuard.nodes}. */
  readonly nodeIndex: ReadonlyMap<string, number>;
  /** The most samples the intake holds at once. */
  readonly limit: number;
  readonly #admission: SeriesAdmission;
  readonly #wording: RoomWording;
  readonly #refused = new Map<string, number>();

  /** A guard of the intake `options` describe (its config already checked: parseEngineConfig). */
  constructor(options: IntakeGuardOptions) {
    this.nodes = options.nodes;
    this.nodeIndex = new Map(this.nodes.map((node, i) => [node, i]));
    this.limit = options.limit;
    this.#admission = new SeriesAdmission(this.nodes, options.metrics);
    this.#wording = options.wording;
  }

  /**
   * Judges samples: a sender with an identity that is not a collector may only send samples for
   * its own node (else the whole submission is refused, 'forbidden-source'); samples that are not
   * `{ source, metric, ts, value }` with a finite time are refused one by one as 'malformed'; the
   * rest go through the schema's admission. Returns the refusal to answer with, or what the schema
   * took and left out (count the latter with {@link IntakeGuard.withRefusedSeries} once the
   * submission is taken). Throws an ArgumentError for something that is not an array.
   */
  checkSamples(samples: readonly Sample[], peer?: Peer): SubmitResult | AdmittedSamples {
    if (!Array.isArray(samples)) throw new ArgumentError('samples', 'expected an array of samples');
    const identity = peer?.identity;
    if (identity && !identity.collector) {
      const other = samples.find((s) => s?.source !== identity.node);
      if (other) {
        this.refuse('forbidden-source', samples.length);
        return {
          accepted: false,
          reason: 'forbidden-source',
          detail: `${identity.node} may only send samples for itself, not for ${String(other?.source)}`,
        };
      }
    }
    let rows = samples;
    if (!samples.every(isSampleShape)) {
      rows = samples.filter(isSampleShape);
      this.refuse('malformed', samples.length - rows.length);
    }
    return this.#admission.admit(rows);
  }

  /**
   * Judges a columnar batch (`sources` index {@link IntakeGuard.nodes}): a sender with an identity
   * that is not a collector may only send its own node's entries (else 'forbidden-source'), and a
   * batch whose time is not a finite number is refused whole as 'bad-timestamp' (answered as
   * accepted with no samples: there is nothing to take). Returns the samples the batch carries
   * when the intake is to take it, else the answer. Throws an ArgumentError for something that is
   * not a ColumnarBatch.
   */
  checkBatch(batch: ColumnarBatch, peer?: Peer): SubmitResult | number {
    if (!batch || typeof batch !== 'object' || typeof batch.columns !== 'object' || batch.columns === null)
      throw new ArgumentError('batch', 'expected a ColumnarBatch');
    const size = batchSize(batch, this.nodes.length);
    const identity = peer?.identity;
    if (identity && !identity.collector) {
      const own = this.nodeIndex.get(identity.node);
      const sources = batch.sources;
      const foreign = sources ? sources.some((s) => s !== own) : !(this.nodes.length === 1 && own === 0);
      if (foreign) {
        this.refuse('forbidden-source', size);
        return {
          accepted: false,
          reason: 'forbidden-source',
          detail: `${identity.node} may only send its own node's values (a batch with sources = [its index])`,
        };
      }
    }
    if (typeof batch.ts !== 'number' || !Number.isFinite(batch.ts)) {
      this.refuse('bad-timestamp', Math.max(1, size));
      return { accepted: true, samples: 0 };
    }
    return size;
  }

  /**
   * Whether the intake has room for `samples` more while `waiting` wait: the refusal to answer
   * with ('draining' when it no longer `accepting`, 'too-large' for more than it ever holds,
   * 'back-pressure' when it is full), counted, or undefined when it has room.
   */
  checkRoom(samples: number, waiting: number, accepting: boolean): SubmitResult | undefined {
    const wording = this.#wording;
    if (!accepting) {
      this.refuse('draining', samples);
      return {
        accepted: false,
        reason: 'draining',
        retryAfterSeconds: DRAINING_RETRY_AFTER_SECONDS,
        detail: wording.draining,
      };
    }
    const limit = this.limit;
    if (samples > limit) {
      this.refuse('too-large', samples);
      return { accepted: false, reason: 'too-large', detail: wording.tooLarge(samples, limit) };
    }
    if (waiting + samples > limit) {
      this.refuse('back-pressure', samples);
      return {
        accepted: false,
        reason: 'back-pressure',
        retryAfterSeconds: wording.retryAfterSeconds(),
        detail: wording.full(waiting, limit),
      };
    }
    return undefined;
  }

  /**
   * `result` with the series the schema left out (`refused`, from checkSamples) counted
   * ('out-of-range' or 'unknown-series') and said in `refusedSeries`, when the submission was
   * taken; a refused submission is answered as it is (nothing of it was taken).
   */
  withRefusedSeries(result: SubmitResult, refused: SeriesRefusal[]): SubmitResult {
    if (!result.accepted || refused.length === 0) return result;
    for (const r of refused)
      this.refuse(r.reason === 'out-of-range' ? 'out-of-range' : 'unknown-series', r.samples);
    return { ...result, refusedSeries: refused };
  }

  /** Counts `count` samples refused in front of the intake (a parser's bad lines, an identity check), by reason. */
  refuse(reason: string, count = 1): void {
    if (typeof reason !== 'string' || reason === '')
      throw new ArgumentError('reason', 'expected a reason code');
    if (!Number.isSafeInteger(count) || count < 0)
      throw new ArgumentError('count', 'expected an integer >= 0');
    if (count > 0) this.#refused.set(reason, (this.#refused.get(reason) ?? 0) + count);
  }

  /** The samples refused so far, by reason, in the order the reasons first came. */
  refusedBy(): Record<string, number> {
    return Object.fromEntries(this.#refused);
  }
}

/** Values a batch carries: its width (its sources, else every node) times its columns. */
export function batchSize(batch: ColumnarBatch, nodes: number): number {
  const width = batch.sources?.length ?? nodes;
  return width * Object.keys(batch.columns).length;
}

function isSampleShape(sample: Sample): boolean {
  return (
    typeof sample === 'object' &&
    sample !== null &&
    typeof sample.source === 'string' &&
    typeof sample.metric === 'string' &&
    typeof sample.ts === 'number' &&
    Number.isFinite(sample.ts)
  );
}
