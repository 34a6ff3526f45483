/**
 * The ingest side of a real mesh over NATS (`x0tta6bl4 serve --publish <url>`): telemetry comes in
 * over HTTP through the service's own handler (the same routes, validation and counted refusals as
 * `serve`), and instead of feeding a local loop each admitted sample goes to its topology region's
 * JetStream subject, framed as the engines (`serve --nats`) consume it from `sim --publish`: one
 * TelemetryMessage per region and tick. The gateway also answers the engines' action requests with
 * the executor its config names, so the loop closes across processes: the gateway ingests and
 * executes, the engines analyse and plan.
 *
 * Ticks: an engine's region takes one message per tick, in tick order, so samples are put in tick
 * buckets as ServeEngine puts them (IndexedTickAssembler, `tickSeconds` and `latenessSeconds` of
 * the config), and a bucket is published when it closes: a newer sample's time or the wall clock
 * is `latenessSeconds` past its end, or the gateway is stopping. Ticks are published one after
 * another, every region of a tick at once, each message with a message id (`<region>:<tick>`) so a
 * retried publish is stored once. Within a tick a node's metric keeps its newest value (the others
 * are counted as superseded); a node that reported some metrics and not others carries `null` for
 * the missing ones.
 *
 * Nothing is silently lost: a submission is answered once JetStream has stored every tick its
 * samples landed in (so an answer can wait up to `tickSeconds + latenessSeconds` past its samples'
 * time), or with 'unavailable' (503) when a publish was not stored within `publishTimeoutMs`.
 * Published, superseded, failed and refused samples are counted (`stats`, `exposition`).
 *
 * One gateway per mesh: two gateways publishing the same region's tick would collide (the second
 * is refused by its message id and its senders are answered 503). The gateway follows the engines'
 * loop events from its start, so `/v1/incidents` and `/v1/events` show the whole mesh's.
 */
import { type JetStreamClient, jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection, Subscription } from '@nats-io/nats-core';
import type { Target } from '../domain/targets.ts';
import { ArgumentError } from '../errors.ts';
import type { ActionRequest, Executor } from '../execute/executor.ts';
import type { IncidentRecord } from '../knowledge/records.ts';
import { type LoopEvent, LoopEvents } from '../loop/events.ts';
import type { ColumnarBatch, IndexedRows, Sample } from '../monitor/ingest.ts';
import { type AssembledRows, IndexedTickAssembler, TickClock } from '../monitor/ticks.ts';
import type { EngineConfig } from '../serve/config.ts';
import type { EngineHealth, SubmitResult } from '../serve/engine.ts';
import type { TelemetryIntake } from '../serve/handler.ts';
import { IntakeGuard } from '../serve/intake-guard.ts';
import { escapeLabel } from '../serve/metrics.ts';
import type { Peer } from '../serve/peer.ts';
import { eventInSeconds, incidentInSeconds } from '../serve/telemetry-seconds.ts';
import type { Topology } from '../serve/topology.ts';
import type { ClusterLayout } from './layout.ts';
import { type ActionAnswer, answerActions, ensureStreams, openBuckets, settleLayout } from './streams.ts';
import {
  type ActionMessage,
  type ClusterEventMessage,
  DEFAULT_LEASE_SECONDS,
  decode,
  EVENTS_STREAM,
  encode,
  eventsSubject,
  type TelemetryMessage,
  telemetrySubject,
} from './subjects.ts';

/** Options of {@link NatsGateway.open}. */
export interface NatsGatewayOptions {
  /** The NATS connection (any transport). */
  connection: NatsConnection;
  /** The engine config the engines run with (ticks, lateness, metrics, limits). */
  config: EngineConfig;
  /** What carries the engines' actions out. */
  executor: Executor;
  /** The mesh: written as the layout if the cluster has none, else checked against it (default: the layout's). */
  topology?: Topology;
  /** Regions of a new layout (default 6, at most one per node); checked against an existing one when given. */
  regions?: number;
  /** Seconds a lease lives, if the gateway creates the lease bucket (default 4). */
  leaseSeconds?: number;
  /** Milliseconds a tick's publishing may take, retries included, before its senders are answered 503 (default `config.limits.requestTimeoutMs`). */
  publishTimeoutMs?: number;
  /** Progress lines (actions answered, publish retries). */
  notice?: (line: string) => void;
  /** Wall clock in seconds (default `Date.now() / 1000`): closes buckets when senders go quiet. */
  clock?: () => number;
}

/** Running figures of a {@link NatsGateway}. */
export interface GatewayStats {
  /** Samples admitted for publishing. */
  samplesReceived: number;
  /** Samples in messages JetStream stored. */
  samplesPublished: number;
  /** Samples left out because a newer value of their node and metric came in the same tick. */
  samplesSuperseded: number;
  /** Samples in messages JetStream did not store in time (their senders were answered 503). */
  samplesFailed: number;
  /** Samples refused, by reason (whole bodies count once), as ServeEngine counts them. */
  refusedBy: Record<string, number>;
  /** Samples admitted and not yet published (in open buckets or being published). */
  pendingSamples: number;
  /** Telemetry messages JetStream stored. */
  messagesPublished: number;
  /** Ticks published (each as one message per region that reported). */
  ticksPublished: number;
  /** Publishes tried again after a failure. */
  publishRetries: number;
  /** Action requests answered, by `<op>:<ok|failed>`. */
  actionsBy: Record<string, number>;
  /** Incidents the engines opened (since the gateway started) and have not resolved. */
  openIncidents: number;
  /** The last publish failure's message. */
  lastError?: string;
}

/** Milliseconds between publish attempts of a message JetStream did not store. */
const RETRY_MS = 250;
/** Milliseconds one publish attempt waits for JetStream's acknowledgement. */
const ATTEMPT_TIMEOUT_MS = 5000;

/** A tick bucket's publishing, awaited by the submissions whose samples landed in it. */
interface BucketWaiter {
  done: Promise<void>;
  resolve: () => void;
  reject: (error: Error) => void;
}

/** The HTTP side of a cluster (see the module's comment); a TelemetryIntake for the service's handler. */
export class NatsGateway implements TelemetryIntake {
  /** The engine config. */
  readonly config: EngineConfig;
  /** The cluster's layout (the mesh and every node's region). */
  readonly layout: ClusterLayout;
  /** The mesh's nodes, in the layout's order (columnar batches index them). */
  readonly nodes: readonly string[];
  /** The engines' loop events, as they publish them. */
  readonly loop: { readonly events: LoopEvents } = { events: new LoopEvents() };
  readonly #js: JetStreamClient;
  readonly #executor: Executor;
  readonly #guard: IntakeGuard;
  readonly #metricNames: readonly string[];
  readonly #assembler: IndexedTickAssembler;
  readonly #tickTime: TickClock;
  readonly #clock: () => number;
  readonly #publishTimeoutMs: number;
  readonly #notice: (line: string) => void;
  readonly #waiters = new Map<number, BucketWaiter>();
  readonly #actions = new Map<string, number>();
  readonly #open = new Map<string, IncidentRecord>();
  readonly #subscriptions: Subscription[];
  readonly #timer: ReturnType<typeof setInterval>;
  /** Ticks are published one after another: an engine's region drops a tick older than its last. */
  #chain: Promise<void> = Promise.resolve();
  #closedThrough = Number.NEGATIVE_INFINITY;
  #state: 'ok' | 'draining' | 'closed' = 'ok';
  #closing: Promise<void> | undefined;
  #received = 0;
  #pending = 0;
  #published = 0;
  #superseded = 0;
  #failed = 0;
  #messages = 0;
  #ticks = 0;
  #retries = 0;
  #lastTickAt: number | undefined;
  #lastError: string | undefined;

  private constructor(connection: NatsConnection, layout: ClusterLayout, options: NatsGatewayOptions) {
    const { config } = options;
    this.config = config;
    this.layout = layout;
    this.nodes = layout.topology.nodes.map((n) => n.id);
    this.#js = jetstream(connection);
    this.#executor = options.executor;
    this.#guard = new IntakeGuard({
      nodes: this.nodes,
      metrics: config.metrics,
      limit: config.limits.queueSamples,
      wording: {
        draining: 'the gateway is shutting down',
        tooLarge: (samples, limit) =>
          `${samples} samples in one submission; the gateway holds ${limit} (send smaller batches)`,
        full: (waiting, limit) => `${waiting} of ${limit} samples wait to be published`,
        retryAfterSeconds: () => 1,
      },
    });
    this.#metricNames = config.metrics.map((m) => m.name);
    this.#assembler = new IndexedTickAssembler({
      interval: config.tickSeconds,
      lateness: config.latenessSeconds,
    });
    this.#tickTime = new TickClock(config.tickSeconds);
    this.#clock = options.clock ?? (() => Date.now() / 1000);
    this.#publishTimeoutMs = options.publishTimeoutMs ?? config.limits.requestTimeoutMs;
    this.#notice = options.notice ?? (() => {});
    const actions = answerActions(connection, (request, reply) => {
      void this.#carryOut(request).then(reply, (error: unknown) =>
        reply({ ok: false, reason: (error as Error)?.message ?? String(error) }),
      );
    });
    this.#subscriptions = [actions, this.#followEvents(connection)];
    const period = Math.min(5, Math.max(0.25, config.tickSeconds / 4));
    this.#timer = setInterval(() => {
      if (this.#state === 'ok') this.#publishClosed(this.#assembler.closeUntil(this.#clock()));
    }, period * 1000);
    // A timer must not keep a process alive on its own; the server does that.
    (this.#timer as { unref?: () => void }).unref?.();
  }

  /**
   * Creates the streams and buckets the cluster lacks, writes the layout (or checks the one there
   * against `topology` and `regions`), and starts answering actions. Throws an ArgumentError for a
   * layout that does not match, or for none and no topology.
   */
  static async open(options: NatsGatewayOptions): Promise<NatsGateway> {
    if (!options || typeof options !== 'object')
      throw new ArgumentError('options', 'expected gateway options');
    const timeout = options.publishTimeoutMs;
    if (timeout !== undefined && !(Number.isFinite(timeout) && timeout > 0))
      throw new ArgumentError('publishTimeoutMs', `expected milliseconds > 0, got ${String(timeout)}`);
    const connection = options.connection;
    await ensureStreams(await jetstreamManager(connection));
    const { state } = await openBuckets(connection, options.leaseSeconds ?? DEFAULT_LEASE_SECONDS);
    const layout = await settleLayout(state, options.topology, options.regions);
    return new NatsGateway(connection, layout, options);
  }

  /**
   * Takes samples, all or none, as ServeEngine.submit judges them (identity, shape, the schema's
   * nodes, metrics and ranges); resolves once JetStream stored every tick they landed in, or to
   * 'unavailable' when it did not in time.
   */
  submit(samples: readonly Sample[], peer?: Peer): Promise<SubmitResult> {
    const check = this.#guard.checkSamples(samples, peer);
    if ('accepted' in check) return Promise.resolve(check);
    return this.#publishRows(check.admitted).then((result) =>
      this.#guard.withRefusedSeries(result, check.refused),
    );
  }

  /**
   * Takes a columnar batch (its `ts` in seconds; `sources` index {@link NatsGateway.nodes}) as
   * samples; a sender with an identity that is not a collector may only send its own node's
   * entries. Throws an ArgumentError for something that is not a ColumnarBatch.
   */
  submitBatch(batch: ColumnarBatch, peer?: Peer): Promise<SubmitResult> {
    const check = this.#guard.checkBatch(batch, peer);
    if (typeof check !== 'number') return Promise.resolve(check);
    const width = batch.sources?.length ?? this.nodes.length;
    const samples: Sample[] = [];
    let unknown = 0;
    for (const [metric, column] of Object.entries(batch.columns))
      for (let i = 0; i < width; i++) {
        const at = batch.sources ? batch.sources[i] : i;
        const source = Number.isInteger(at) ? this.nodes[at] : undefined;
        if (source === undefined) unknown++;
        else samples.push({ source, metric, ts: batch.ts, value: column[i] });
      }
    this.refuse('unknown-series', unknown);
    return this.submit(samples);
  }

  /** Counts `count` samples refused in front of the gateway, by reason. */
  refuse(reason: string, count = 1): void {
    this.#guard.refuse(reason, count);
  }

  /** What a probe sees: `queueDepth` is the samples not yet published, `ticks` the ticks published. */
  health(): EngineHealth {
    return {
      status: this.#state,
      ready: this.#state === 'ok',
      queueDepth: this.#pending,
      ticks: this.#ticks,
      ...(this.#lastTickAt !== undefined ? { lastTickAt: this.#lastTickAt } : {}),
      ...(this.#lastError !== undefined ? { lastError: this.#lastError } : {}),
    };
  }

  /** The incidents the engines opened since the gateway started and have not resolved, times in seconds. */
  openIncidents(): IncidentRecord[] {
    return [...this.#open.values()].map((record) => incidentInSeconds(record, this.#tickTime));
  }

  /** A loop event with its times (the event's, and those of the record it carries) in the telemetry's seconds. */
  eventInSeconds(event: LoopEvent): LoopEvent {
    return eventInSeconds(event, this.#tickTime);
  }

  /** Running figures (see GatewayStats). */
  stats(): GatewayStats {
    return {
      samplesReceived: this.#received,
      samplesPublished: this.#published,
      samplesSuperseded: this.#superseded,
      samplesFailed: this.#failed,
      refusedBy: this.#guard.refusedBy(),
      pendingSamples: this.#pending,
      messagesPublished: this.#messages,
      ticksPublished: this.#ticks,
      publishRetries: this.#retries,
      actionsBy: Object.fromEntries(this.#actions),
      openIncidents: this.#open.size,
      ...(this.#lastError !== undefined ? { lastError: this.#lastError } : {}),
    };
  }

  /** The stats in the Prometheus text exposition format (the gateway's `/metrics`). */
  exposition(): string {
    const stats = this.stats();
    const lines: string[] = [];
    const family = (
      name: string,
      type: 'counter' | 'gauge',
      help: string,
      samples: Array<[Record<string, string>, number]>,
    ) => {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
      for (const [labels, value] of samples) {
        const pairs = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
        lines.push(`${name}${pairs.length ? `{${pairs.join(',')}}` : ''} ${value}`);
      }
    };
    const one = (value: number): Array<[Record<string, string>, number]> => [[{}, value]];
    const sorted = (counts: Record<string, number>) =>
      Object.entries(counts).sort(([a], [b]) => a.localeCompare(b));
    family(
      'x0tta6bl4_samples_received_total',
      'counter',
      'Samples admitted for publishing.',
      one(stats.samplesReceived),
    );
    family(
      'x0tta6bl4_samples_refused_total',
      'counter',
      'Samples refused, by reason (whole bodies count once).',
      sorted(stats.refusedBy).map(([reason, n]) => [{ reason }, n]),
    );
    family(
      'x0tta6bl4_gateway_samples_published_total',
      'counter',
      'Samples in telemetry messages JetStream stored.',
      one(stats.samplesPublished),
    );
    family(
      'x0tta6bl4_gateway_samples_superseded_total',
      'counter',
      'Samples left out for a newer value of their node and metric in the same tick.',
      one(stats.samplesSuperseded),
    );
    family(
      'x0tta6bl4_gateway_samples_failed_total',
      'counter',
      'Samples in messages JetStream did not store in time (their senders were answered 503).',
      one(stats.samplesFailed),
    );
    family(
      'x0tta6bl4_gateway_pending_samples',
      'gauge',
      'Samples admitted and not yet published.',
      one(stats.pendingSamples),
    );
    family(
      'x0tta6bl4_gateway_messages_published_total',
      'counter',
      'Telemetry messages (one per region and tick) JetStream stored.',
      one(stats.messagesPublished),
    );
    family(
      'x0tta6bl4_gateway_ticks_published_total',
      'counter',
      'Ticks published.',
      one(stats.ticksPublished),
    );
    family(
      'x0tta6bl4_gateway_publish_retries_total',
      'counter',
      'Publishes tried again after a failure.',
      one(stats.publishRetries),
    );
    family(
      'x0tta6bl4_gateway_actions_total',
      'counter',
      "Engines' action requests answered, by operation and outcome.",
      sorted(stats.actionsBy).map(([key, n]) => {
        const [op, outcome] = key.split(':');
        return [{ op, outcome }, n];
      }),
    );
    family(
      'x0tta6bl4_open_incidents',
      'gauge',
      'Incidents the engines opened (since the gateway started) and have not resolved.',
      one(stats.openIncidents),
    );
    return `${lines.join('\n')}\n`;
  }

  /** Stops taking samples, publishes every open bucket and waits until every tick is published (or failed). */
  async drain(): Promise<void> {
    if (this.#state === 'ok') this.#state = 'draining';
    this.#publishClosed(this.#assembler.flush());
    await this.#chain;
  }

  /** Drains, then stops answering actions and following events. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      await this.drain();
      clearInterval(this.#timer);
      for (const subscription of this.#subscriptions) subscription.unsubscribe();
      this.loop.events.close();
      this.#state = 'closed';
    })();
    return this.#closing;
  }

  /** Puts admitted rows in their buckets and waits until every bucket they landed in is published. */
  async #publishRows(rows: IndexedRows): Promise<SubmitResult> {
    const size = rows.length;
    const refusal = this.#guard.checkRoom(size, this.#pending, this.#state === 'ok');
    if (refusal) return refusal;
    if (size === 0) return { accepted: true, samples: 0 };
    // The buckets the rows land in, as the assembler places them: their own, or the first open one
    // after those already published.
    const waits = new Set<Promise<void>>();
    const interval = this.#assembler.interval;
    let previous = Number.NaN;
    for (let i = 0; i < size; i++) {
      if (i > 0 && rows.ts[i] === rows.ts[i - 1]) continue;
      const bucket = Math.max(Math.floor(rows.ts[i] / interval), this.#closedThrough + 1);
      if (bucket === previous) continue;
      previous = bucket;
      waits.add(this.#waiter(bucket).done);
    }
    this.#received += size;
    this.#pending += size;
    this.#publishClosed(this.#assembler.add(rows));
    const outcomes = await Promise.allSettled(waits);
    const failure = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
    if (!failure) return { accepted: true, samples: size };
    return {
      accepted: false,
      reason: 'unavailable',
      retryAfterSeconds: 1,
      detail: `JetStream did not store them: ${(failure.reason as Error)?.message ?? String(failure.reason)}`,
    };
  }

  #waiter(bucket: number): BucketWaiter {
    let waiter = this.#waiters.get(bucket);
    if (!waiter) {
      let resolve: () => void = () => {};
      let reject: (error: Error) => void = () => {};
      const done = new Promise<void>((ok, fail) => {
        resolve = ok;
        reject = fail;
      });
      waiter = { done, resolve, reject };
      this.#waiters.set(bucket, waiter);
    }
    return waiter;
  }

  /** Frames each closed bucket as it closes (the assembler reuses its buffers) and queues its publishing. */
  #publishClosed(ticks: AssembledRows[]): void {
    for (const closed of ticks) {
      const bucket = Math.round(closed.ts / this.#assembler.interval);
      if (bucket > this.#closedThrough) this.#closedThrough = bucket;
      const rows = closed.rows.length;
      const frame = this.#frame(bucket, closed.rows);
      const waiter = this.#waiters.get(bucket);
      this.#waiters.delete(bucket);
      const publishing = this.#chain.then(() => this.#publishTick(frame));
      this.#chain = publishing.then(
        () => waiter?.resolve(),
        (error: Error) => waiter?.reject(error),
      );
      void this.#chain.finally(() => {
        this.#pending -= rows;
      });
    }
  }

  /** A tick's rows as one message per region that reported, and the samples each carries. */
  #frame(tick: number, rows: IndexedRows): Array<{ message: TelemetryMessage; samples: number }> {
    const width = this.#metricNames.length;
    const regionOf = this.layout.regionOf;
    /** Per region, per node: its values (NaN where none came) and which metrics came. */
    const regions = new Map<number, Map<number, { values: Float64Array; seen: Uint8Array }>>();
    for (let i = 0; i < rows.length; i++) {
      const series = rows.series[i];
      const node = Math.floor(series / width);
      const metric = series % width;
      const region = regionOf[node];
      let nodes = regions.get(region);
      if (!nodes) regions.set(region, (nodes = new Map()));
      let entry = nodes.get(node);
      if (!entry) {
        entry = { values: new Float64Array(width).fill(Number.NaN), seen: new Uint8Array(width) };
        nodes.set(node, entry);
      }
      // Rows come in time order: a later one is the newer value.
      if (entry.seen[metric]) this.#superseded++;
      entry.seen[metric] = 1;
      entry.values[metric] = rows.values[i];
    }
    const frame: Array<{ message: TelemetryMessage; samples: number }> = [];
    for (const [region, nodes] of [...regions].sort(([a], [b]) => a - b)) {
      const order = [...nodes.keys()].sort((a, b) => a - b);
      const metrics: Record<string, number[]> = {};
      let samples = 0;
      for (let m = 0; m < width; m++) {
        if (!order.some((node) => nodes.get(node)!.seen[m])) continue;
        // A value that did not come is null in JSON (NaN): the engine's Monitor holds none for it.
        metrics[this.#metricNames[m]] = order.map((node) => {
          const entry = nodes.get(node)!;
          if (entry.seen[m]) samples++;
          return entry.seen[m] ? entry.values[m] : Number.NaN;
        });
      }
      frame.push({ message: { region, tick, nodes: order, metrics }, samples });
    }
    return frame;
  }

  /** Publishes a tick's messages at once; rejects if any was not stored in time. */
  async #publishTick(frame: Array<{ message: TelemetryMessage; samples: number }>): Promise<void> {
    const outcomes = await Promise.allSettled(frame.map((part) => this.#publish(part.message)));
    let failure: unknown;
    outcomes.forEach((outcome, i) => {
      if (outcome.status === 'fulfilled') {
        this.#messages++;
        this.#published += frame[i].samples;
      } else {
        failure ??= outcome.reason;
        this.#failed += frame[i].samples;
      }
    });
    this.#ticks++;
    this.#lastTickAt = this.#clock();
    if (failure !== undefined) {
      this.#lastError = (failure as Error)?.message ?? String(failure);
      throw failure;
    }
  }

  /** Publishes one message, retrying until `publishTimeoutMs` (a server restarting); a duplicate is not retried. */
  async #publish(message: TelemetryMessage): Promise<void> {
    const subject = telemetrySubject(message.region);
    const msgID = `${message.region}:${message.tick}`;
    const deadline = Date.now() + this.#publishTimeoutMs;
    const data = encode(message);
    for (let attempt = 0; ; attempt++) {
      let ack: { duplicate: boolean };
      try {
        ack = await this.#js.publish(subject, data, {
          msgID,
          timeout: Math.max(1, Math.min(ATTEMPT_TIMEOUT_MS, deadline - Date.now())),
        });
      } catch (error) {
        if (Date.now() + RETRY_MS >= deadline)
          throw new Error(`${subject} tick ${message.tick}: ${(error as Error).message}`);
        if (attempt % 10 === 0) this.#notice(`publish ${subject}: ${(error as Error).message}; retrying`);
        this.#retries++;
        await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
        continue;
      }
      // A publish retried after its first attempt was stored is stored once: that is success.
      if (ack.duplicate && attempt === 0)
        throw new Error(
          `region ${message.region} tick ${message.tick} was already published (by another gateway?)`,
        );
      return;
    }
  }

  /** Carries out one action request with the executor. */
  async #carryOut(request: ActionMessage): Promise<ActionAnswer> {
    const op = request.op;
    let answer: ActionAnswer;
    if (op === 'reachable') {
      answer = this.#executor.reachable
        ? { ok: await this.#executor.reachable(String(request.node)) }
        : { ok: false, reason: 'the executor has no reachability check' };
    } else if (op === 'apply' || op === 'dryRun' || op === 'rollback') {
      const action = actionRequest(request.request);
      answer = await this.#executor[op](action);
      if (op !== 'dryRun')
        this.#notice(
          `${op} ${action.action} on ${action.target.node ?? action.target.link.join('-')} for ${request.engine}: ${answer.ok ? 'ok' : `failed (${answer.reason ?? 'no reason'})`}`,
        );
    } else return { ok: false, reason: `unknown op ${JSON.stringify(op)}` };
    const key = `${op}:${answer.ok ? 'ok' : 'failed'}`;
    this.#actions.set(key, (this.#actions.get(key) ?? 0) + 1);
    return { ok: answer.ok === true, ...(answer.reason !== undefined ? { reason: answer.reason } : {}) };
  }

  /**
   * Follows the engines' loop events as they are published (a plain subscription to their
   * subjects: what the gateway shows starts with it) into `loop.events` and the open incidents.
   */
  #followEvents(connection: NatsConnection): Subscription {
    return connection.subscribe(eventsSubject('*'), {
      callback: (error, message) => {
        if (error) return;
        try {
          const event = decode<ClusterEventMessage>(message.data, EVENTS_STREAM);
          if (event.kind === 'loop') this.#onEvent(event.event as unknown as LoopEvent);
        } catch (failure) {
          this.#notice(`events: ${(failure as Error).message}`);
        }
      },
    });
  }

  #onEvent(event: LoopEvent): void {
    if ('incident' in event) {
      const incident = event.incident;
      if (event.type === 'incident-opened') this.#open.set(incident.id, incident);
      else if (event.type === 'incident-resolved') this.#open.delete(incident.id);
      else if (this.#open.has(incident.id)) this.#open.set(incident.id, incident);
    }
    this.loop.events.emit(event);
  }
}

/** An action request as the executor takes it; throws an ArgumentError for one that is not. */
function actionRequest(value: unknown): ActionRequest {
  const request = value as Partial<ActionRequest> | undefined;
  if (
    typeof request !== 'object' ||
    request === null ||
    typeof request.id !== 'string' ||
    typeof request.incidentId !== 'string' ||
    typeof request.action !== 'string'
  )
    throw new ArgumentError('request', 'expected { id, incidentId, action, target }');
  const target = request.target as { node?: unknown; link?: unknown } | undefined;
  let checked: Target;
  if (typeof target?.node === 'string') checked = { node: target.node };
  else if (
    Array.isArray(target?.link) &&
    target.link.length === 2 &&
    target.link.every((n) => typeof n === 'string')
  )
    checked = { link: [target.link[0], target.link[1]] };
  else throw new ArgumentError('request.target', 'expected { node } or { link: [a, b] }');
  return { id: request.id, incidentId: request.incidentId, action: request.action, target: checked };
}
