/**
 * The engine as a service: telemetry from any number of senders in, one MAPE-K loop ticking over
 * it. Senders hand samples to `submit` (rows, each with its own time) or `submitBatch` (a columnar
 * snapshot); both go into one bounded queue, and a single pump feeds the queue, in order, to a
 * TickAssembler and runs the loop on every tick it closes. A full queue is said to the sender
 * (`accepted: false` with a time to retry), never absorbed by dropping samples. A wall-clock timer
 * closes buckets whose lateness has passed, so a live service ticks when its senders go quiet,
 * and only for buckets that received samples (a gap in the data stays a gap).
 *
 * Columnar batches: a batch without `sources` holds every node at one time, which is what a tick
 * is. Alone in its bucket, it is held whole and ticked whole when the bucket is due, columns and
 * all, without a sample object per value (the path that reaches the throughput target), in order
 * with the assembler's ticks, and batches overtaking each other within the lateness still tick in
 * time order. Any other batch (a subset of the nodes, or one sharing its bucket with other samples
 * or another batch) is turned into rows and joins its bucket like any sample.
 *
 * Rows: the admission that checks a submitted sample's node and metric resolves its series, so
 * rows are queued and bucketed as IndexedRows (typed arrays, not an object per sample kept alive
 * until its tick), and the Monitor ingests a tick's rows without looking them up again, in slices
 * between which the server reads and answers requests (a tick of a million samples would
 * otherwise hold every answer back while it is ingested).
 *
 * Time: the loop counts in ticks, so it is fed tick time (seconds / `config.tickSeconds`, see
 * TickClock): 5-minute data confirms an incident after two 5-minute ticks, as 1-second data does
 * after two seconds. The knowledge store keeps the loop's tick times; what the engine shows
 * (`openIncidents`, `eventInSeconds`, alerts, the time-to-detect and -recover figures) is in the
 * telemetry's own seconds. The open incidents, time-to-detect and -recover figures and action
 * counts come from an IncidentWatch (incident-watch.ts) that follows the loop's events; the
 * schema check of submitted rows (unknown nodes and metrics, values out of range) is a
 * SeriesAdmission (admission.ts), behind the IntakeGuard (intake-guard.ts) that checks identity,
 * shape and room as the NATS gateway checks them.
 *
 * Every refusal is counted by reason in `stats().refusedBy`: the Monitor's own rejections plus
 * what the engine and its handler refuse in front of it (a parser's bad lines, back-pressure,
 * identity, whole bodies).
 */
import type { Executor } from '../execute/executor.ts';
import { PlanOnlyExecutor } from '../execute/plan-only.ts';
import { WebhookExecutor } from '../execute/webhook-executor.ts';
import { ArgumentError } from '../errors.ts';
import type { IdSource } from '../knowledge/ids.ts';
import type { IncidentRecord } from '../knowledge/records.ts';
import type { KnowledgeStore } from '../knowledge/store.ts';
import type { AuditSink } from '../loop/contracts.ts';
import type { LoopEvent } from '../loop/events.ts';
import type { MapeKLoop } from '../loop/loop.ts';
import type { ColumnarBatch, IndexedRows, Monitor, Sample } from '../monitor/ingest.ts';
import { type AssembledRows, IndexedTickAssembler, TickClock } from '../monitor/ticks.ts';
import { DEFAULT_ACTIONS } from '../plan/actions.ts';
import type { RagDocument } from '../rag/document.ts';
import type { ShadowSummary } from '../mlops/shadow.ts';
import type { LearntModels, RestoredLearning } from '../run/learning.ts';
import { AlertSender } from './alerts.ts';
import type { EngineConfig, ExecutorConfig } from './config.ts';
import { type HistogramSummary, ServeHistogram } from './histogram.ts';
import { IncidentWatch } from './incident-watch.ts';
import { batchSize, IntakeGuard, type SubmitResult } from './intake-guard.ts';
import { createOperatorLoop, type OperatorLoop, type OperatorLoopOptions } from './operator-loop.ts';
import type { Peer } from './peer.ts';
import { eventInSeconds, incidentInSeconds } from './telemetry-seconds.ts';
import type { Topology } from './topology.ts';

export type { SubmitResult } from './intake-guard.ts';

/** Options of {@link ServeEngine.start}. */
export interface ServeEngineOptions {
  /** The operator's nodes, links, calls and gateways. */
  topology: Topology;
  /** The parsed engine configuration (parseEngineConfig). */
  config: EngineConfig;
  /** What carries actions out (default: built from `config.executor`). */
  executor?: Executor;
  /** Where knowledge is kept (default: the operator loop's). */
  store?: KnowledgeStore;
  /** The audit trail of decisions and actions. */
  audit?: AuditSink;
  /** Id source of incidents and actions. */
  ids?: IdSource;
  /** Runbooks the diagnosis cites. */
  runbooks?: readonly RagDocument[];
  /** Worker threads scoring the detectors (see OperatorLoopOptions.detectorWorkers; default 0). */
  detectorWorkers?: number | 'auto';
  /** What the engine learnt before, to start from (`restoreLearning`; see OperatorLoopOptions.learning). */
  learning?: RestoredLearning;
  /** A challenger in the shadow of the planner (see OperatorLoopOptions.shadow), reviewed after each tick. */
  shadow?: OperatorLoopOptions['shadow'];
  /** Wall clock in seconds (default `Date.now() / 1000`): closes buckets when senders go quiet. */
  clock?: () => number;
}

/** Running figures of a {@link ServeEngine}. */
export interface EngineStats {
  /** Samples queued by submissions (every one of them is processed). */
  samplesReceived: number;
  /** Samples handed to the loop in ticks (the Monitor accepted or refused each). */
  samplesProcessed: number;
  /** Samples the Monitor accepted. */
  samplesAccepted: number;
  /** Samples refused, by reason: the Monitor's rejections and every refusal in front of it. */
  refusedBy: Record<string, number>;
  /** Samples waiting in the queue. */
  queueDepth: number;
  /** Samples waiting in open buckets (the assembler's rows and held snapshots). */
  pendingInBuckets: number;
  /** Ticks the loop ran. */
  ticks: number;
  /** Columnar batches ticked whole (the columnar fast path). */
  batchTicks: number;
  /** Ticks whose loop call failed (the error is in `lastError`). */
  tickFailures: number;
  /** The last tick failure's message. */
  lastError?: string;
  /** Milliseconds per loop tick. */
  tickLatencyMs: HistogramSummary;
  /** Seconds (telemetry time) from a node's first anomaly to its incident opening. */
  timeToDetectSeconds: HistogramSummary;
  /** Seconds (telemetry time) from an incident opening to its closing. */
  timeToRecoverSeconds: HistogramSummary;
  /** Actions by outcome ('healed', 'not-healed', 'failed', 'dry-run', 'rolled-back', 'rollback-failed'). */
  actionsBy: Record<string, number>;
  /** Incidents announced and not yet closed. */
  openIncidents: number;
  /** Knowledge writes queued for the store. */
  storeQueueDepth: number;
  /** Alerts sent and failed, when alerts are configured. */
  alerts?: { sent: number; failed: number };
  /** The shadow evaluation's figures, when a challenger runs (incidents scored, wins, losses, promotions, rollbacks). */
  shadow?: ShadowSummary;
}

/** What a probe sees. */
export interface EngineHealth {
  /** 'ok' while taking telemetry, 'draining' while shutting down, 'closed' after. */
  status: 'ok' | 'draining' | 'closed';
  /** Whether it takes telemetry (what `/readyz` reports). */
  ready: boolean;
  /** Samples waiting in the queue. */
  queueDepth: number;
  /** Ticks run. */
  ticks: number;
  /** Wall-clock seconds of the last tick, if any. */
  lastTickAt?: number;
  /** The last tick failure's message, if any. */
  lastError?: string;
}

/** Bounds of the tick latency histogram, milliseconds. */
export const TICK_LATENCY_BOUNDS_MS: readonly number[] = [
  0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000,
];
/** Milliseconds the pump works through the queue before letting the server read and answer requests. */
const PUMP_TURN_MS = 4;
/** Rows the Monitor ingests between looks at the clock while feeding a tick. */
const FEED_SLICE_ROWS = 8192;
/** Bounds of the Retry-After estimate, seconds. */
const RETRY_AFTER_MIN = 1;
const RETRY_AFTER_MAX = 60;

type QueueItem = { rows: IndexedRows; batch?: undefined } | { rows?: undefined; batch: ColumnarBatch };

/** A tick ready for the loop: rows from the assembler, or a held snapshot. */
type DueTick = { ts: number; size: number } & (
  | { rows: IndexedRows; batch?: undefined }
  | { rows?: undefined; batch: ColumnarBatch }
);

/** No rows (what a submission that queues nothing queues). */
const NO_ROWS: IndexedRows = {
  length: 0,
  series: new Int32Array(0),
  ts: new Float64Array(0),
  values: new Float64Array(0),
};

/** The engine as a long-running service (see the module's comment). */
export class ServeEngine {
  /** The loop it runs. */
  readonly loop: MapeKLoop;
  /** Its configuration. */
  readonly config: EngineConfig;
  /** Its topology. */
  readonly topology: Topology;
  /** The Monitor's sources (node ids), in the index order columnar batches use. */
  readonly nodes: readonly string[];
  readonly #operator: OperatorLoop;
  readonly #assembler: IndexedTickAssembler;
  /** Seconds to the loop's tick time and back. */
  readonly #tickTime: TickClock;
  readonly #clock: () => number;
  readonly #alerts: AlertSender | undefined;
  readonly #unsubscribe: Array<() => void> = [];
  readonly #nodeIndex: ReadonlyMap<string, number>;
  readonly #metricIndex: ReadonlyMap<string, number>;
  readonly #guard: IntakeGuard;
  readonly #queue: QueueItem[] = [];
  #queueHead = 0;
  #queued = 0;
  #pumping: Promise<void> | undefined;
  /** When the pump's current turn began (performance.now()): it yields to the server once a turn is PUMP_TURN_MS long. */
  #turn = 0;
  /** Milliseconds the pump has spent yielded to the server (a tick's time spans its slices). */
  #yielded = 0;
  #timer: ReturnType<typeof setInterval> | undefined;
  #state: 'ok' | 'draining' | 'closed' = 'ok';
  #draining: Promise<void> | undefined;
  #closing: Promise<void> | undefined;
  /** Newest telemetry time seen, in rows and batches. */
  #newest = Number.NEGATIVE_INFINITY;
  /** Newest bucket closed (by the assembler or as a held snapshot's tick). */
  #closedThrough = Number.NEGATIVE_INFINITY;
  /** Buckets the assembler holds rows in. */
  readonly #rowBuckets = new Set<number>();
  /** Snapshots of every node, each alone in its bucket, held whole until the bucket is due. */
  readonly #held = new Map<number, ColumnarBatch>();
  /** The arrays a batch turned into rows is written to (see #place). */
  readonly #batchRows: IndexedRows = { ...NO_ROWS };
  #heldSamples = 0;
  #lastTickAt: number | undefined;
  /** Samples processed per wall second, smoothed: the basis of Retry-After. */
  #rate = 0;
  readonly #incidents = new IncidentWatch();
  readonly #tickLatency = new ServeHistogram(TICK_LATENCY_BOUNDS_MS, 1000);
  #received = 0;
  #processed = 0;
  #ticks = 0;
  #batchTicks = 0;
  #tickFailures = 0;
  #lastError: string | undefined;

  private constructor(
    options: ServeEngineOptions,
    operator: OperatorLoop,
    alerts: AlertSender | undefined,
    clock: () => number,
  ) {
    this.config = options.config;
    this.topology = options.topology;
    this.#operator = operator;
    this.loop = operator.loop;
    this.nodes = this.loop.monitor.sources;
    this.#guard = new IntakeGuard({
      nodes: this.nodes,
      metrics: this.loop.monitor.metrics,
      limit: options.config.limits.queueSamples,
      wording: {
        draining: 'the engine is shutting down',
        tooLarge: (samples, limit) =>
          `${samples} samples in one submission; the queue holds ${limit} (send smaller batches)`,
        full: (waiting, limit) => `the ingest queue is full (${waiting} of ${limit} samples waiting)`,
        retryAfterSeconds: () => this.#retryAfter(),
      },
    });
    this.#nodeIndex = this.#guard.nodeIndex;
    this.#metricIndex = new Map(this.loop.monitor.metrics.map((m, i) => [m.name, i]));
    this.#clock = clock;
    this.#alerts = alerts;
    this.#tickTime = new TickClock(options.config.tickSeconds);
    this.#assembler = new IndexedTickAssembler({
      interval: options.config.tickSeconds,
      lateness: options.config.latenessSeconds,
    });
    this.#unsubscribe.push(this.#incidents.watch(this.loop, this.#tickTime));
    if (alerts) this.#unsubscribe.push(alerts.watch(this.loop));
    const period = Math.min(5, Math.max(0.25, options.config.tickSeconds / 4));
    this.#timer = setInterval(() => this.#kick(), period * 1000);
    // A timer must not keep a process alive on its own (Node and Bun); the server does that.
    (this.#timer as { unref?: () => void }).unref?.();
  }

  /**
   * Builds the loop (createOperatorLoop), the executor from `config.executor` unless one is given,
   * the alert sender when `config.alerts` names a receiver, and starts the wall-clock timer.
   * Throws what those throw for a configuration that does not fit (ConfigError, ArgumentError).
   */
  static async start(options: ServeEngineOptions): Promise<ServeEngine> {
    if (!options || typeof options !== 'object')
      throw new ArgumentError('options', 'expected engine options');
    const { topology, config } = options;
    const clock = options.clock ?? (() => Date.now() / 1000);
    if (typeof clock !== 'function') throw new ArgumentError('options.clock', 'expected a function');
    const nodes = new Set(topology.nodes.map((n) => n.id));
    const executor = options.executor ?? (await buildExecutor(config.executor, nodes));
    const { alertmanager, webhook } = config.alerts ?? {};
    const alerts =
      alertmanager || webhook
        ? new AlertSender({ alertmanager, webhook, timeOf: (t) => new Date(t * config.tickSeconds * 1000) })
        : undefined;
    const operator = await createOperatorLoop({
      topology,
      config,
      executor,
      store: options.store,
      audit: options.audit,
      ids: options.ids,
      dryRun: config.dryRun,
      runbooks: options.runbooks,
      learning: options.learning,
      detectorWorkers: options.detectorWorkers,
      ...(options.shadow ? { shadow: options.shadow } : {}),
    });
    return new ServeEngine(options, operator, alerts, clock);
  }

  /** Whether it takes telemetry: started and not draining. */
  get ready(): boolean {
    return this.#state === 'ok';
  }

  /** Samples waiting in the queue. */
  get queueDepth(): number {
    return this.#queued;
  }

  /** What a liveness or readiness probe reports. */
  health(): EngineHealth {
    return {
      status: this.#state,
      ready: this.ready,
      queueDepth: this.#queued,
      ticks: this.#ticks,
      ...(this.#lastTickAt !== undefined ? { lastTickAt: this.#lastTickAt } : {}),
      ...(this.#lastError !== undefined ? { lastError: this.#lastError } : {}),
    };
  }

  /**
   * What the engine has learnt so far (success rates, adapter, detector state, past incidents),
   * to register with `saveLearning`; take it before `close`, which stops the detector.
   */
  learnt(): Promise<LearntModels> {
    return this.#operator.learnt();
  }

  /** Incidents announced and not yet closed, as last reported by the loop, their times in seconds. */
  openIncidents(): IncidentRecord[] {
    return [...this.#incidents.open].map((record) => incidentInSeconds(record, this.#tickTime));
  }

  /** A loop event with its times (the event's, and those of the record it carries) in the telemetry's seconds. */
  eventInSeconds(event: LoopEvent): LoopEvent {
    return eventInSeconds(event, this.#tickTime);
  }

  /**
   * Queues samples for the loop, all or none. A sender with an identity that is not a collector
   * may only send samples for its own node (else 'forbidden-source'). Samples that are not
   * `{ source, metric, ts, value }` with a finite time are refused one by one as 'malformed'
   * (the format parsers refuse those before they get here), and samples the schema cannot take
   * (an unknown node or metric, a value out of range) are left out and said in `refusedSeries`;
   * what time says of a sample (out of order, a duplicate) the Monitor judges when its tick runs.
   */
  submit(samples: readonly Sample[], peer?: Peer): SubmitResult {
    const check = this.#guard.checkSamples(samples, peer);
    if ('accepted' in check) return check;
    const result = this.#enqueue({ rows: check.admitted }, check.admitted.length);
    return this.#guard.withRefusedSeries(result, check.refused);
  }

  /**
   * Queues a columnar batch (its `ts` in seconds; `sources` index {@link ServeEngine.nodes}).
   * A sender with an identity that is not a collector may only send its own node's column
   * entries. Throws an ArgumentError for something that is not a ColumnarBatch.
   */
  submitBatch(batch: ColumnarBatch, peer?: Peer): SubmitResult {
    const check = this.#guard.checkBatch(batch, peer);
    if (typeof check === 'number') return this.#enqueue({ batch }, check);
    // A batch answered without samples to take still hears 'draining' while the engine drains.
    return check.accepted ? this.#enqueue({ rows: NO_ROWS }, 0) : check;
  }

  /** Counts `count` samples refused in front of the engine (a parser's bad lines, an identity check), by reason. */
  refuse(reason: string, count = 1): void {
    this.#guard.refuse(reason, count);
  }

  /** Running figures (see EngineStats). */
  stats(): EngineStats {
    const monitor = this.loop.monitor.stats;
    const refusedBy: Record<string, number> = {};
    for (const [reason, count] of Object.entries(monitor.rejectedBy))
      if (count > 0) refusedBy[reason] = count;
    for (const [reason, count] of Object.entries(this.#guard.refusedBy()))
      refusedBy[reason] = (refusedBy[reason] ?? 0) + count;
    const loop = this.loop.stats();
    return {
      samplesReceived: this.#received,
      samplesProcessed: this.#processed,
      samplesAccepted: monitor.accepted,
      refusedBy,
      queueDepth: this.#queued,
      pendingInBuckets: this.#assembler.pending + this.#heldSamples,
      ticks: this.#ticks,
      batchTicks: this.#batchTicks,
      tickFailures: this.#tickFailures,
      ...(this.#lastError !== undefined ? { lastError: this.#lastError } : {}),
      tickLatencyMs: this.#tickLatency.summary(),
      timeToDetectSeconds: this.#incidents.timeToDetect.summary(),
      timeToRecoverSeconds: this.#incidents.timeToRecover.summary(),
      actionsBy: this.#incidents.actionsBy(),
      openIncidents: this.#incidents.openCount,
      storeQueueDepth: loop.storePending,
      ...(this.#alerts
        ? { alerts: { sent: this.#alerts.stats.sent, failed: this.#alerts.stats.failed } }
        : {}),
      ...(this.#operator.shadow ? { shadow: this.#operator.shadow.summary() } : {}),
    };
  }

  /** The distributions behind the stats, with their Prometheus buckets (for /metrics). */
  histograms(): {
    tickLatencyMs: ServeHistogram;
    timeToDetectSeconds: ServeHistogram;
    timeToRecoverSeconds: ServeHistogram;
  } {
    return {
      tickLatencyMs: this.#tickLatency,
      timeToDetectSeconds: this.#incidents.timeToDetect,
      timeToRecoverSeconds: this.#incidents.timeToRecover,
    };
  }

  /** Resolves once everything queued so far has gone through the assembler (and the ticks it closed through the loop). */
  async settled(): Promise<void> {
    this.#kick();
    while (this.#pumping) await this.#pumping;
  }

  /**
   * Stops taking telemetry, processes everything queued, closes every open bucket as a tick, and
   * waits for the loop's knowledge writes. Every sample accepted before is processed by the loop.
   */
  drain(): Promise<void> {
    this.#draining ??= this.#drain();
    return this.#draining;
  }

  /** Drains, then closes the loop and what `start` opened (timer, alert subscription, stores). */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #drain(): Promise<void> {
    if (this.#state === 'ok') this.#state = 'draining';
    await this.settled();
    await this.#runTicks(this.#release(this.#assembler.flush().map(dueRows), () => true));
    await this.loop.flush();
  }

  async #close(): Promise<void> {
    await this.drain();
    clearInterval(this.#timer);
    this.#timer = undefined;
    for (const unsubscribe of this.#unsubscribe.splice(0)) unsubscribe();
    await this.#alerts?.flush();
    await this.#operator.close();
    this.#state = 'closed';
  }

  #enqueue(item: QueueItem, samples: number): SubmitResult {
    const refusal = this.#guard.checkRoom(samples, this.#queued, this.#state === 'ok');
    if (refusal) return refusal;
    if (samples > 0) {
      this.#queue.push(item);
      this.#queued += samples;
      this.#received += samples;
      this.#kick();
    }
    return { accepted: true, samples };
  }

  #retryAfter(): number {
    const seconds = this.#rate > 0 ? Math.ceil(this.#queued / this.#rate) : RETRY_AFTER_MIN;
    return Math.min(RETRY_AFTER_MAX, Math.max(RETRY_AFTER_MIN, seconds));
  }

  /** Starts the pump unless it runs; it re-checks the queue when it stops, so nothing queued waits for the timer. */
  #kick(): void {
    if (this.#pumping || this.#state === 'closed') return;
    this.#pumping = this.#pump()
      .catch((error) => {
        this.#lastError = (error as Error)?.message ?? String(error);
      })
      .finally(() => {
        this.#pumping = undefined;
        if (this.#queueHead < this.#queue.length) this.#kick();
      });
  }

  async #pump(): Promise<void> {
    this.#turn = performance.now();
    for (;;) {
      const item = this.#take();
      if (!item) {
        // Nothing queued: close the buckets the wall clock says are complete.
        await this.#runTicks(this.#due([], this.#clock()));
        if (this.#queueHead >= this.#queue.length) return;
        continue;
      }
      const started = performance.now();
      const yielded = this.#yielded;
      const size = item.rows ? item.rows.length : batchSize(item.batch, this.nodes.length);
      this.#queued -= size;
      await this.#runTicks(this.#due(this.#place(item), this.#newest));
      const now = performance.now();
      // Its own work only: while a tick yields, the time goes to the server's requests.
      const seconds = (now - started - (this.#yielded - yielded)) / 1000;
      if (seconds > 0) {
        const rate = size / seconds;
        this.#rate = this.#rate === 0 ? rate : 0.8 * this.#rate + 0.2 * rate;
      }
      // Let the server read and answer requests once a turn's budget is spent: a long queue
      // drained in one go would hold every answer back until it is empty, and a yield after every
      // item would let the server take (and parse) requests faster than the queue empties, only
      // to refuse them once it is full.
      await this.#endTurnIfDue(now);
    }
  }

  /** Yields to the server (and starts a new turn) once the current turn is PUMP_TURN_MS long. */
  async #endTurnIfDue(now = performance.now()): Promise<void> {
    if (now - this.#turn < PUMP_TURN_MS) return;
    await yieldToIo();
    this.#turn = performance.now();
    this.#yielded += this.#turn - now;
  }

  #take(): QueueItem | undefined {
    if (this.#queueHead >= this.#queue.length) return undefined;
    const item = this.#queue[this.#queueHead];
    this.#queue[this.#queueHead++] = undefined as unknown as QueueItem;
    // Compact now and then so a long-running queue does not grow without end.
    if (this.#queueHead > 1024 && this.#queueHead * 2 > this.#queue.length) {
      this.#queue.splice(0, this.#queueHead);
      this.#queueHead = 0;
    }
    return item;
  }

  /** The bucket a sample at `ts` joins: its own, or the first open one after the buckets already closed (as the assembler places it). */
  #landing(ts: number): number {
    return Math.max(Math.floor(ts / this.#assembler.interval), this.#closedThrough + 1);
  }

  /**
   * Puts an item in its bucket: a snapshot of every node alone in its bucket is held whole;
   * anything else goes to the assembler as rows, taking with it a held snapshot whose bucket it
   * shares. Returns the ticks the assembler closed on the way.
   */
  #place(item: QueueItem): AssembledRows[] {
    const batch = item.batch;
    if (!batch) return this.#placeRows(item.rows);
    if (batch.ts > this.#newest) this.#newest = batch.ts;
    if (batch.sources === undefined) {
      const bucket = this.#landing(batch.ts);
      if (!this.#rowBuckets.has(bucket) && !this.#held.has(bucket)) {
        this.#held.set(bucket, batch);
        this.#heldSamples += batchSize(batch, this.nodes.length);
        return [];
      }
    }
    // The assembler copies rows as it adds them, so a batch's rows can be made in the same arrays each time.
    return this.#placeRows(this.#rowsOf(batch, this.#batchRows));
  }

  #placeRows(rows: IndexedRows): AssembledRows[] {
    const parts = [rows];
    let newest = this.#newest;
    let previous = Number.NaN;
    const { length, ts } = rows;
    for (let i = 0; i < length; i++) {
      // Rows mostly come in runs of one time: a run lands where its first row does.
      if (i > 0 && ts[i] === ts[i - 1]) continue;
      if (ts[i] > newest) newest = ts[i];
      const bucket = this.#landing(ts[i]);
      if (bucket === previous) continue;
      previous = bucket;
      this.#rowBuckets.add(bucket);
      const held = this.#held.get(bucket);
      if (held) {
        this.#held.delete(bucket);
        this.#heldSamples -= batchSize(held, this.nodes.length);
        parts.unshift(this.#rowsOf(held));
      }
    }
    this.#newest = newest;
    return this.#assembler.add(parts.length === 1 ? rows : concatRows(parts));
  }

  /**
   * The ticks due at `now` (telemetry time or wall clock), oldest first: `closed` (what the
   * assembler just closed), the assembler's buckets `lateness` past their end, and the held
   * snapshots as old. A held snapshot's bucket is marked closed in the assembler, so later samples
   * for it join the next bucket as any late sample does.
   */
  #due(closed: AssembledRows[], now: number): DueTick[] {
    const interval = this.#assembler.interval;
    const ticks = [...closed, ...this.#assembler.closeUntil(now)].map(dueRows);
    const last = Math.floor((now - this.#assembler.lateness) / interval) - 1;
    return this.#release(ticks, (bucket) => bucket <= last);
  }

  /** Adds the held snapshots `due` says are complete to `ticks`, notes every bucket closed, and sorts them oldest first. */
  #release(ticks: DueTick[], due: (bucket: number) => boolean): DueTick[] {
    const interval = this.#assembler.interval;
    for (const [bucket, batch] of this.#held) {
      if (!due(bucket)) continue;
      this.#held.delete(bucket);
      const size = batchSize(batch, this.nodes.length);
      this.#heldSamples -= size;
      // Mid-bucket, so rounding cannot put the mark in the bucket before.
      this.#assembler.skipThrough((bucket + 0.5) * interval);
      ticks.push({ ts: bucket * interval, batch, size });
    }
    for (const tick of ticks) {
      const bucket = Math.round(tick.ts / interval);
      this.#rowBuckets.delete(bucket);
      if (bucket > this.#closedThrough) this.#closedThrough = bucket;
    }
    return ticks.sort((a, b) => a.ts - b.ts);
  }

  /**
   * The batch as rows (a subset of the nodes, or one sharing its bucket with other samples),
   * metric by metric in its columns' order. A column the schema has no metric for keeps its
   * samples as sent, for the Monitor to refuse as it refuses any such sample.
   */
  #rowsOf(batch: ColumnarBatch, into?: IndexedRows): IndexedRows {
    const sources = batch.sources;
    const width = sources?.length ?? this.nodes.length;
    const metrics = Object.keys(batch.columns);
    const capacity = width * metrics.length;
    const rows = into ?? { ...NO_ROWS };
    if (rows.series.length < capacity) {
      rows.series = new Int32Array(capacity);
      rows.ts = new Float64Array(capacity);
      rows.values = new Float64Array(capacity);
    }
    const { series, ts, values } = rows;
    ts.fill(batch.ts, 0, capacity);
    let samples: Array<Sample | undefined> | undefined;
    const stride = this.loop.monitor.metrics.length;
    let length = 0;
    let unknown = 0;
    for (const metric of metrics) {
      const column = batch.columns[metric];
      const m = this.#metricIndex.get(metric);
      if (!sources && m !== undefined && column instanceof Float64Array && column.length >= width) {
        // A column of every node, in node order: its values as they are.
        for (let i = 0; i < width; i++) series[length + i] = i * stride + m;
        values.set(column.subarray(0, width), length);
        length += width;
        continue;
      }
      for (let i = 0; i < width; i++) {
        const at = sources ? sources[i] : i;
        const source = this.nodes[at];
        if (source === undefined) {
          unknown++;
          continue;
        }
        const value = column[i];
        // An integer that found a node is that node's index; anything else is looked up by name.
        const node = Number.isInteger(at) ? at : this.#nodeIndex.get(source);
        if (m === undefined || node === undefined) {
          series[length] = -1;
          (samples ??= [])[length] = { source, metric, ts: batch.ts, value };
        } else series[length] = node * stride + m;
        values[length++] = typeof value === 'number' ? value : Number.NaN;
      }
    }
    this.refuse('unknown-series', unknown);
    rows.length = length;
    rows.samples = samples;
    return rows;
  }

  async #runTicks(ticks: DueTick[]): Promise<void> {
    for (const tick of ticks) {
      if (tick.batch) this.#batchTicks++;
      await this.#runTick(tick);
    }
  }

  /**
   * Ingests a tick's rows into the Monitor in order, a slice at a time, letting the server read
   * and answer requests whenever a turn of the pump is spent (the tick's result is the same as
   * ingesting them at once: nothing else touches the Monitor until the tick is done). Only while
   * the queue is less than half full: nothing leaves the queue until the tick is done, and
   * requests read past that would mostly be parsed only to be refused.
   */
  async #feed(monitor: Monitor, rows: IndexedRows): Promise<void> {
    const room = this.config.limits.queueSamples / 2;
    for (let from = 0; from < rows.length; from += FEED_SLICE_ROWS) {
      monitor.ingestRows(rows, from, Math.min(rows.length, from + FEED_SLICE_ROWS));
      if (this.#queued < room) await this.#endTurnIfDue();
    }
  }

  async #runTick(tick: DueTick): Promise<void> {
    const started = performance.now();
    try {
      const time = this.#tickTime;
      if (tick.batch)
        await this.loop.tick(time.ticks(tick.ts), { ...tick.batch, ts: time.ticks(tick.batch.ts) });
      else {
        const rows = time.rows(tick.rows);
        await this.loop.tick(time.ticks(tick.ts), {
          samples: rows.length,
          feed: (monitor) => this.#feed(monitor, rows),
        });
      }
      // Promotions and rollbacks happen between ticks, once the registry has recorded them.
      await this.#operator.shadow?.review(time.ticks(tick.ts));
    } catch (error) {
      this.#tickFailures++;
      this.#lastError = (error as Error)?.message ?? String(error);
    }
    this.#ticks++;
    this.#processed += tick.size;
    this.#lastTickAt = this.#clock();
    this.#tickLatency.record(performance.now() - started);
  }
}

/** What the assembler closed, as a tick for the loop. */
function dueRows(tick: AssembledRows): DueTick {
  return { ts: tick.ts, rows: tick.rows, size: tick.rows.length };
}

/** `parts` one after another, as one IndexedRows. */
function concatRows(parts: readonly IndexedRows[]): IndexedRows {
  const length = parts.reduce((sum, part) => sum + part.length, 0);
  const series = new Int32Array(length);
  const ts = new Float64Array(length);
  const values = new Float64Array(length);
  let samples: Array<Sample | undefined> | undefined;
  let at = 0;
  for (const part of parts) {
    series.set(part.series.subarray(0, part.length), at);
    ts.set(part.ts.subarray(0, part.length), at);
    values.set(part.values.subarray(0, part.length), at);
    part.samples?.forEach((sample, i) => {
      if (sample !== undefined && i < part.length) (samples ??= [])[at + i] = sample;
    });
    at += part.length;
  }
  return { length, series, ts, values, ...(samples ? { samples } : {}) };
}

/** The executor `config.executor` describes (for the nodes `nodes`); the command executor is loaded only when asked for (it needs child processes). */
export async function buildExecutor(config: ExecutorConfig, nodes: ReadonlySet<string>): Promise<Executor> {
  switch (config.kind) {
    case 'webhook':
      return new WebhookExecutor({ url: config.url, secret: config.secret, timeoutMs: config.timeoutMs });
    case 'command': {
      const { CommandExecutor } = await import('../execute/command-executor.ts');
      return new CommandExecutor({
        actions: config.actions,
        rollback: config.rollback,
        timeoutMs: config.timeoutMs,
      });
    }
    default:
      return new PlanOnlyExecutor(DEFAULT_ACTIONS, { isNode: (id) => nodes.has(id) });
  }
}

/** Resolves after pending I/O callbacks have run (setImmediate where there is one). */
function yieldToIo(): Promise<void> {
  return new Promise((resolve) =>
    typeof setImmediate === 'function' ? setImmediate(resolve) : setTimeout(resolve, 0),
  );
}
