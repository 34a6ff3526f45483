/**
 * One region in one engine: a loop over the region's view (its nodes and their halo, layout.ts)
 * fed from the region's durable consumer, in tick order. Acknowledgement follows durability: every
 * `checkpointTicks` ticks, after every tick on which the loop's incidents moved (one opened, an
 * action started or ended, one resolved or escalated), and when the region goes quiet or is handed
 * over, the worker saves what its loop learnt (detectors, normal ranges, planner) and its state
 * (the open incidents with their evidence and progress, MapeKLoop.save) as the region's
 * checkpoint, waits for the events of those ticks to be stored, then acknowledges the last message
 * (AckAll: every message up to it). So the acknowledged point is always a state another engine can
 * start from: a taker restores the checkpoint, finishes the incidents it holds under their ids,
 * and resumes the durable consumer after its last acknowledged message, skipping any message the
 * checkpoint already covers (a checkpoint saved whose acknowledgement was lost).
 *
 * With a model registry (`WorkerContext.models`), the region's learnt models are also registered
 * there, named for the region, each version descending from the region's previous one
 * (region-models.ts).
 */
import {
  AckPolicy,
  type ConsumerMessages,
  DeliverPolicy,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
} from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/nats-core';
import { ArgumentError } from '../errors.ts';
import { IdSource } from '../knowledge/ids.ts';
import type { KnowledgeStore } from '../knowledge/store.ts';
import type { AuditSink } from '../loop/contracts.ts';
import type { LoopEvent } from '../loop/events.ts';
import type { LoopState } from '../loop/state.ts';
import type { ColumnarBatch } from '../monitor/ingest.ts';
import type { LearntModels, RestoredLearning } from '../run/learning.ts';
import type { EngineConfig } from '../serve/config.ts';
import { createOperatorLoop, type OperatorLoop } from '../serve/operator-loop.ts';
import { CheckpointFencedError, CheckpointWriter } from './checkpoints.ts';
import { type ClusterLayout, type RegionView, regionView } from './layout.ts';
import type { NatsExecutor } from './nats-executor.ts';
import { type ClusterModels, RegionModels } from './region-models.ts';
import {
  type ClusterEventMessage,
  decode,
  type LoopEventPayload,
  encode,
  eventsSubject,
  PROGRESS_SUBJECT,
  type ProgressMessage,
  regionConsumer,
  TELEMETRY_STREAM,
  type TelemetryMessage,
  telemetrySubject,
} from './subjects.ts';

/** The loop events an evaluator needs, published for each region. */
const PUBLISHED_EVENTS = [
  'incident-opened',
  'diagnosis',
  'incident-resolved',
  'escalation',
  'action-started',
  'action-result',
  'rollback',
] as const;

/** Milliseconds an unacknowledged message waits before redelivery: longer than any checkpoint interval. */
const ACK_WAIT_MS = 120_000;

/** Milliseconds a region works through messages before letting timers run. */
const YIELD_EVERY_MS = 20;

/** Claims made by this process: part of each claim's consumer name. */
let claimCount = 0;

/** A region's checkpoint in the state bucket. */
export interface RegionCheckpoint {
  /** The last tick it covers. */
  tick: number;
  /** The engine that wrote it. */
  engine: string;
  /** What the region's loop had learnt by then. */
  learnt: LearntModels;
  /** The region's loop state then: its open incidents, for the next owner to finish. */
  loop?: LoopState;
}

/** What a worker shares with its engine. */
export interface WorkerContext {
  /** The engine's id. */
  engine: string;
  /** Its NATS connection. */
  connection: NatsConnection;
  /** JetStream over it. */
  js: JetStreamClient;
  /** JetStream's management API over it (consumers). */
  jsm: JetStreamManager;
  /** The state bucket (checkpoints). */
  state: KV;
  /** The cluster's layout. */
  layout: ClusterLayout;
  /** The engine config every region's loop runs with. */
  config: EngineConfig;
  /** Carries the loops' actions out. */
  executor: NatsExecutor;
  /** Ticks between checkpoints. */
  checkpointTicks: number;
  /** Progress lines. */
  notice: (line: string) => void;
  /** Counts shared by the engine's workers. */
  counts: WorkerCounts;
  /** Whether the region's lease is still this engine's (refreshed now when it was not lately). */
  holdsLease: (region: number) => Promise<boolean>;
  /** Called once when the worker found its lease in doubt and stopped processing. */
  onLeaseInDoubt: (region: number) => void;
  /** Where every region's loop keeps incidents, actions and success rates (default: a MemoryStore each). */
  store?: KnowledgeStore;
  /** The engine's signed audit log, shared by its regions' loops (default: none). */
  audit?: AuditSink;
  /** The engine's incident and action ids, shared by its regions' loops so none repeats (default: a fresh IdSource each). */
  ids?: IdSource;
  /** Where the regions' learnt models are registered (default: nowhere; they stay in the checkpoints). */
  models?: ClusterModels;
}

/** Running counts of an engine's workers. */
export interface WorkerCounts {
  /** Ticks run by the regions' loops. */
  ticks: number;
  /** Samples handed to the loops. */
  samplesProcessed: number;
  /** Samples in acknowledged messages. */
  samplesAcked: number;
  /** Messages skipped because a checkpoint already covered them. */
  duplicates: number;
  /** Checkpoints saved. */
  checkpoints: number;
  /** Loop ticks that failed. */
  tickFailures: number;
  /** Incidents the regions' loops opened. */
  incidentsOpened: number;
  /** Open incidents taken from the checkpoints of the regions claimed, finished here under their ids. */
  incidentsResumed: number;
  /** Milliseconds spent saving checkpoints (the loop's state and what it learnt, gzipped, written). */
  checkpointMs: number;
  /** Model versions registered for the regions (`WorkerContext.models`). */
  modelVersions: number;
  /** Registrations of a region's models that failed (reported as a notice each). */
  modelFailures: number;
}

/** One owned region (see the module's comment). */
export class RegionWorker {
  readonly #ctx: WorkerContext;
  /** The region's view (its nodes and halo). */
  readonly view: RegionView;
  readonly #local: Map<number, number>;
  #operator!: OperatorLoop;
  #messages?: ConsumerMessages;
  #consuming: Promise<void> = Promise.resolve();
  /** Serialises processing and checkpoints. */
  #chain: Promise<void> = Promise.resolve();
  #lastTick = -1;
  #pending: { last?: JsMsg; from: number; samples: number } = { from: -1, samples: 0 };
  #publishes: Promise<unknown>[] = [];
  #lastMessageAt = 0;
  #stopped = false;
  /** Set when the lease was in doubt: nothing more is processed or acknowledged. */
  #halted = false;
  /** Whether a quiet-time checkpoint is queued. */
  #idling = false;
  /** Whether the loop published an event since the last checkpoint (its incidents moved). */
  #eventful = false;
  /** The region's model registrations, with a registry. */
  #models?: RegionModels;
  /** The engine that wrote the checkpoint this worker started from, if any. */
  resumedFrom?: string;

  readonly #checkpoints: CheckpointWriter;

  private constructor(ctx: WorkerContext, region: number) {
    this.#ctx = ctx;
    this.#checkpoints = new CheckpointWriter(ctx.state, region, ctx.engine);
    this.view = regionView(ctx.layout, region);
    this.#local = localIndex(this.view);
  }

  /** The region. */
  get region(): number {
    return this.view.region;
  }

  /** The last tick processed. */
  get lastTick(): number {
    return this.#lastTick;
  }

  /** Restores the region's checkpoint (if any), resumes its durable consumer after its last acknowledged message and starts consuming. */
  static async start(ctx: WorkerContext, region: number): Promise<RegionWorker> {
    const worker = new RegionWorker(ctx, region);
    await worker.#open();
    return worker;
  }

  async #open(): Promise<void> {
    const ctx = this.#ctx;
    const checkpoint = await this.#checkpoints.take<RegionCheckpoint>();
    if (checkpoint) {
      this.#lastTick = checkpoint.tick;
      this.resumedFrom = checkpoint.engine;
    }
    const registered = await this.#openModels();
    this.#operator = await createOperatorLoop({
      topology: this.view.topology,
      config: ctx.config,
      executor: ctx.executor,
      ids: ctx.ids ?? new IdSource(),
      ...(ctx.store ? { store: ctx.store } : {}),
      ...(ctx.audit ? { audit: ctx.audit } : {}),
      ...(checkpoint
        ? { learning: { ...checkpoint.learnt, versions: {}, notes: [] } }
        : registered
          ? { learning: registered }
          : {}),
    });
    if (checkpoint?.loop) this.#resume(checkpoint.loop, checkpoint.engine);
    for (const type of PUBLISHED_EVENTS)
      this.#operator.loop.events.addEventListener(type, (e) =>
        this.#publishEvent((e as unknown as { detail: LoopEvent }).detail),
      );
    this.#operator.loop.events.addEventListener('incident-opened', () => ctx.counts.incidentsOpened++);
    // Resume after the last acknowledged message: a consumer created afresh at that point
    // redelivers at once what the previous owner took and never acknowledged.
    // Each owner consumes through a durable consumer of its own, named for this claim: the
    // previous owner's is read for its acknowledged point and deleted, so a previous owner that
    // does not know it lost the region can neither take nor acknowledge a message any more.
    const name = regionConsumer(this.region, `${ctx.engine}-${++claimCount}`);
    let floor = 0;
    for await (const info of ctx.jsm.consumers.list(TELEMETRY_STREAM)) {
      if (!info.name.startsWith(regionConsumer(this.region, ''))) continue;
      floor = Math.max(floor, info.ack_floor.stream_seq);
      await ctx.jsm.consumers.delete(TELEMETRY_STREAM, info.name).catch(() => false);
    }
    await ctx.jsm.consumers.add(TELEMETRY_STREAM, {
      durable_name: name,
      filter_subject: telemetrySubject(this.region),
      ack_policy: AckPolicy.All,
      ack_wait: ACK_WAIT_MS * 1_000_000,
      max_ack_pending: 100_000,
      ...(floor > 0
        ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: floor + 1 }
        : { deliver_policy: DeliverPolicy.All }),
    });
    const consumer = await ctx.js.consumers.get(TELEMETRY_STREAM, name);
    this.#messages = await consumer.consume({ max_messages: 256 });
    const messages = this.#messages;
    this.#consuming = (async () => {
      let yieldedAt = Date.now();
      for await (const message of messages) {
        if (this.#stopped) break;
        await this.#serial(() => this.#process(message)).catch((error) =>
          ctx.notice(`region ${this.region}: ${(error as Error).message}`),
        );
        // A loop tick's awaits settle as microtasks, which would starve the timers that refresh
        // the leases while a backlog is worked through: give the event loop a turn now and then.
        if (Date.now() - yieldedAt >= YIELD_EVERY_MS) {
          await new Promise((resolve) => setTimeout(resolve, 0));
          yieldedAt = Date.now();
        }
      }
    })();
  }

  /**
   * With a registry: reads the region's registered models (the lineage of the versions this owner
   * registers) and returns them when there are any, to start from when NATS holds no checkpoint.
   * A store that cannot be read costs the lineage, not the claim.
   */
  async #openModels(): Promise<RestoredLearning | undefined> {
    const ctx = this.#ctx;
    if (!ctx.models) return undefined;
    this.#models = new RegionModels(ctx.models, this.region, ctx.engine);
    try {
      const registered = await this.#models.open(this.#lastTick);
      for (const line of registered.notes) ctx.notice(`region ${this.region} models: ${line}`);
      const versions = Object.entries(registered.versions).map(([key, version]) => `${key}@${version}`);
      if (versions.length === 0) return undefined;
      // A checkpoint in NATS is newer than any version registered: the registry is the lineage only.
      if (this.resumedFrom === undefined)
        ctx.notice(`region ${this.region}: starting from its registered models ${versions.join(', ')}`);
      return registered;
    } catch (error) {
      ctx.notice(`region ${this.region} models: ${(error as Error).message}; registering without a parent`);
      return undefined;
    }
  }

  /**
   * Goes on with the incidents the checkpoint's writer had open, under their ids. A state the
   * loop refuses (ArgumentError: another version's, or damaged) is reported and the region's
   * incidents are detected afresh.
   */
  #resume(state: LoopState, writer: string): void {
    const ctx = this.#ctx;
    try {
      this.#operator.loop.restore(state);
    } catch (error) {
      if (!(error instanceof ArgumentError)) throw error;
      ctx.notice(
        `region ${this.region}: the checkpoint's loop state is refused (${error.message}); its incidents are detected afresh`,
      );
      return;
    }
    const ids = state.incidents.map((p) => p.id);
    ctx.counts.incidentsResumed += ids.length;
    if (ids.length > 0)
      ctx.notice(
        `region ${this.region}: resumed ${ids.length} open incidents of ${writer}'s: ${ids.join(', ')}`,
      );
  }

  /** Checkpoints when messages wait unacknowledged and none came for `quietMs`. */
  idle(quietMs: number): Promise<void> {
    if (this.#idling || this.#pending.last === undefined || Date.now() - this.#lastMessageAt < quietMs)
      return Promise.resolve();
    this.#idling = true;
    return this.#serial(() => this.#checkpoint())
      .catch((error) => this.#ctx.notice(`region ${this.region} checkpoint: ${(error as Error).message}`))
      .finally(() => {
        this.#idling = false;
      });
  }

  /** Says again how far the region is processed (a lost progress message is replaced). */
  announce(): void {
    if (this.#lastTick >= 0) this.#progress();
  }

  /**
   * Stops consuming. `handOver`: checkpoint and acknowledge what was processed, so the next owner
   * starts where this one stopped; otherwise (the lease was lost) leave it: the new owner resumes
   * from the last acknowledged message.
   */
  async stop(handOver: boolean): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    await this.#messages?.close().catch(() => undefined);
    await this.#consuming.catch(() => undefined);
    await this.#chain;
    if (handOver) await this.#checkpoint(true);
    await this.#models?.settled();
    await this.#operator.close();
  }

  #serial(task: () => Promise<void>): Promise<void> {
    const done = this.#chain.then(task);
    this.#chain = done.catch(() => undefined);
    return done;
  }

  async #process(message: JsMsg): Promise<void> {
    if (this.#stopped || this.#halted) return;
    const ctx = this.#ctx;
    if (!(await ctx.holdsLease(this.region))) {
      // Fencing: another engine may hold the region by now. Process and acknowledge nothing more;
      // whoever owns it next resumes after the last acknowledged message.
      this.#halted = true;
      setTimeout(() => ctx.onLeaseInDoubt(this.region), 0);
      return;
    }
    this.#lastMessageAt = Date.now();
    const telemetry = decode<TelemetryMessage>(message.data, telemetrySubject(this.region));
    if (telemetry.tick <= this.#lastTick) {
      // Covered by the checkpoint this worker started from.
      ctx.counts.duplicates++;
      this.#pending.last = message;
      return;
    }
    const samples = telemetry.nodes.length * Object.keys(telemetry.metrics).length;
    try {
      if (telemetry.routes)
        this.#operator.loop.updateRoutes(regionRoutes(this.view, this.#local, telemetry.routes));
      await this.#operator.loop.tick(telemetry.tick, regionBatch(this.view, this.#local, telemetry));
    } catch (error) {
      ctx.counts.tickFailures++;
      ctx.notice(`region ${this.region} tick ${telemetry.tick}: ${(error as Error).message}`);
    }
    ctx.counts.ticks++;
    ctx.counts.samplesProcessed += samples;
    if (this.#pending.last === undefined || this.#pending.from < 0) this.#pending.from = telemetry.tick;
    this.#pending.last = message;
    this.#pending.samples += samples;
    this.#lastTick = telemetry.tick;
    this.#progress();
    if (this.#eventful || telemetry.tick - this.#pending.from + 1 >= ctx.checkpointTicks)
      await this.#checkpoint();
  }

  /**
   * Saves the checkpoint, waits for the events to be stored, then acknowledges (see the module's
   * comment); registers the region's models when due, or when `final` (the region is handed over).
   */
  async #checkpoint(final = false): Promise<void> {
    const last = this.#pending.last;
    const register = this.#models?.due(this.#lastTick, final) ?? false;
    if ((last === undefined && !register) || this.#halted) return;
    const ctx = this.#ctx;
    if (!(await ctx.holdsLease(this.region))) {
      this.#halted = true;
      setTimeout(() => ctx.onLeaseInDoubt(this.region), 0);
      return;
    }
    const started = performance.now();
    const learnt = await this.#operator.learnt();
    this.#eventful = false;
    const checkpoint: RegionCheckpoint = {
      tick: this.#lastTick,
      engine: ctx.engine,
      learnt,
      loop: this.#operator.loop.save(),
    };
    try {
      if (last !== undefined) await this.#checkpoints.save(checkpoint);
    } catch (error) {
      if (!(error instanceof CheckpointFencedError)) throw error;
      this.#halted = true;
      setTimeout(() => ctx.onLeaseInDoubt(this.region), 0);
      return;
    } finally {
      ctx.counts.checkpointMs += performance.now() - started;
    }
    if (register) this.#register(learnt);
    if (last === undefined) return;
    const publishes = this.#publishes;
    this.#publishes = [];
    await Promise.all(publishes);
    if (this.#pending.from >= 0) {
      const acked: ClusterEventMessage = {
        kind: 'acked',
        engine: ctx.engine,
        region: this.region,
        from: this.#pending.from,
        to: this.#lastTick,
        samples: this.#pending.samples,
      };
      await ctx.js.publish(eventsSubject(ctx.engine), encode(acked));
    }
    await last.ackAck();
    ctx.counts.samplesAcked += this.#pending.samples;
    ctx.counts.checkpoints++;
    this.#pending = { from: -1, samples: 0 };
  }

  /** Registers the region's models in the background; `stop` waits for it. */
  #register(learnt: LearntModels): void {
    const ctx = this.#ctx;
    this.#models!.register(learnt, this.#lastTick).then(
      (records) => {
        ctx.counts.modelVersions += records.length;
      },
      (error) => {
        ctx.counts.modelFailures++;
        ctx.notice(`region ${this.region} models: registering failed: ${(error as Error).message}`);
      },
    );
  }

  #publishEvent(event: LoopEvent): void {
    this.#eventful = true;
    const message: ClusterEventMessage = {
      kind: 'loop',
      engine: this.#ctx.engine,
      region: this.region,
      event: event as unknown as LoopEventPayload,
    };
    this.#publishes.push(this.#ctx.js.publish(eventsSubject(this.#ctx.engine), encode(message)));
  }

  #progress(): void {
    const progress: ProgressMessage = { engine: this.#ctx.engine, region: this.region, tick: this.#lastTick };
    this.#ctx.connection.publish(PROGRESS_SUBJECT, encode(progress));
  }
}

/** Each layout index of `view`'s nodes to its index in the view. */
export function localIndex(view: RegionView): Map<number, number> {
  return new Map(view.layoutIndex.map((g, i) => [g, i]));
}

/**
 * A region's telemetry as a columnar batch over the view's node order; throws an ArgumentError
 * for a node that is not the region's own.
 */
export function regionBatch(
  view: RegionView,
  local: ReadonlyMap<number, number>,
  telemetry: TelemetryMessage,
): ColumnarBatch {
  const sources = new Uint32Array(telemetry.nodes.length);
  telemetry.nodes.forEach((g, k) => {
    const index = local.get(g);
    if (index === undefined || index >= view.own)
      throw new ArgumentError(`telemetry.nodes[${k}]`, `node ${g} is not in region ${view.region}`);
    sources[k] = index;
  });
  const columns: Record<string, Float64Array> = {};
  // A value that did not come is null in JSON: NaN, which holds no value (Float64Array.from would make it 0).
  for (const [name, values] of Object.entries(telemetry.metrics))
    columns[name] = Float64Array.from(values, (v) => v ?? Number.NaN);
  return { ts: telemetry.tick, columns, sources };
}

/** The layout's next hops as the view's (a hop leaving the view is no route the view knows). */
export function regionRoutes(
  view: RegionView,
  local: ReadonlyMap<number, number>,
  routes: readonly number[],
): Int32Array {
  const out = new Int32Array(view.layoutIndex.length);
  view.layoutIndex.forEach((g, i) => {
    const next = routes[g];
    out[i] = next === undefined || next < 0 ? -1 : (local.get(next) ?? -1);
  });
  return out;
}
