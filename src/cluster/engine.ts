/**
 * One engine among many: it reads the cluster's layout, says it is alive (`engine.<id>` in the
 * lease bucket), and every heartbeat refreshes its leases and balances the regions: with E engines
 * alive and R regions, each holds at most ceil(R / E); an engine under its share takes unowned
 * regions (create-if-absent on `region.<n>`), one over it hands the extra ones over (checkpoint,
 * acknowledge, delete the lease). An engine that dies stops refreshing: its leases lapse after the
 * bucket's time to live and the others take its regions over from their last acknowledged message
 * (region-worker.ts). A lease found lapsed at a refresh stops that region's
 * worker at once, without acknowledging; it is claimed afresh (from the last acknowledged message) if
 * it is still unowned and wanted.
 */
import { type JetStreamClient, type JetStreamManager, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { type KV, Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/nats-core';
import type { IdSource } from '../knowledge/ids.ts';
import type { KnowledgeStore } from '../knowledge/store.ts';
import type { AuditSink } from '../loop/contracts.ts';
import { type EngineConfig, parseEngineConfig } from '../serve/config.ts';
import { type ClusterLayout, checkLayout } from './layout.ts';
import { Leases } from './leases.ts';
import { NatsExecutor } from './nats-executor.ts';
import type { ClusterModels } from './region-models.ts';
import { RegionWorker, type WorkerContext, type WorkerCounts } from './region-worker.ts';
import { checkEngineId, decode, LAYOUT_KEY, LEASE_BUCKET, STATE_BUCKET } from './subjects.ts';

/** Options of {@link ClusterEngine.start}. */
export interface ClusterEngineOptions {
  /** The NATS connection (any transport: Node, Deno, Bun, or WebSocket in a browser). */
  connection: NatsConnection;
  /** This engine's id: unique among the engines ([-_a-zA-Z0-9], at most 64). */
  engine: string;
  /** The engine config (default: the defaults with 1-second ticks, the simulator's metrics). */
  config?: EngineConfig;
  /** Milliseconds between heartbeats (default 1,000); keep it well under the lease bucket's time to live. */
  heartbeatMs?: number;
  /** Ticks between a region's checkpoints, each followed by an acknowledgement (default 120). */
  checkpointTicks?: number;
  /** Milliseconds without a message after which a region checkpoints what it holds (default 500). */
  quietMs?: number;
  /** Milliseconds to wait for the layout to be published (default 60,000). */
  layoutTimeoutMs?: number;
  /** Progress lines (claims, hand-overs, lost leases). */
  notice?: (line: string) => void;
  /** Where the regions' loops keep knowledge (e.g. a PostgreSQL server the engines share; default: memory). */
  store?: KnowledgeStore;
  /** The engine's own signed audit log, recording every region's decisions (default: none). */
  audit?: AuditSink;
  /** The engine's incident and action ids (default: fresh ones per region). */
  ids?: IdSource;
  /** Where the regions' learnt models are registered, named per region (default: nowhere; see region-models.ts). */
  models?: ClusterModels;
}

/** Running figures of a {@link ClusterEngine}. */
export interface ClusterEngineStats extends WorkerCounts {
  /** The engine's id. */
  engine: string;
  /** Regions held now. */
  regions: number[];
  /** Regions taken (at start, or over from another engine). */
  claims: number;
  /** Regions taken from a checkpoint another engine wrote. */
  takeovers: number;
  /** Regions handed over to balance the load. */
  handedOver: number;
  /** Regions whose lease was found lapsed at a refresh. */
  leasesLost: number;
  /** Regions stopped because their lease was not refreshed in time (fencing). */
  leasesInDoubt: number;
  /** Actions left to the engine that owned their target (one owner per incident). */
  actionsDeferred: number;
  /** Heartbeats that failed (the connection was down). */
  heartbeatFailures: number;
}

/** Milliseconds a heartbeat step (a refresh, a balancing) may take before it is given up. */
const STEP_TIMEOUT_MS = 5000;

/** Milliseconds before a lease's time to live runs out at which its holder stops trusting it. */
const LEASE_MARGIN_MS = 300;

/** The key of region `region`'s lease. */
export function regionLeaseKey(region: number): string {
  return `region.${region}`;
}

/** The key of engine `engine`'s liveness lease. */
export function engineLeaseKey(engine: string): string {
  return `engine.${engine}`;
}

/** An engine claiming and processing regions (see the module's comment). */
export class ClusterEngine {
  readonly #ctx: WorkerContext;
  readonly #leases: Leases;
  readonly #workers = new Map<number, RegionWorker>();
  readonly #heartbeatMs: number;
  readonly #quietMs: number;
  readonly #timers: Array<ReturnType<typeof setTimeout>> = [];
  readonly #turns = new Set<Promise<void>>();
  #closed = false;
  #claims = 0;
  #takeovers = 0;
  #handedOver = 0;
  #leasesLost = 0;
  #heartbeatFailures = 0;
  #leasesInDoubt = 0;

  private constructor(ctx: WorkerContext, leases: Leases, heartbeatMs: number, quietMs: number) {
    this.#ctx = ctx;
    this.#leases = leases;
    this.#heartbeatMs = heartbeatMs;
    this.#quietMs = quietMs;
  }

  /** The cluster's layout. */
  get layout(): ClusterLayout {
    return this.#ctx.layout;
  }

  /** Opens the buckets, waits for the layout, says it is alive and starts its heartbeat. */
  static async start(options: ClusterEngineOptions): Promise<ClusterEngine> {
    const engine = checkEngineId(options.engine);
    const nc = options.connection;
    const notice = options.notice ?? (() => {});
    const js: JetStreamClient = jetstream(nc);
    const jsm: JetStreamManager = await jetstreamManager(nc);
    const kvm = new Kvm(nc);
    const deadline = Date.now() + (options.layoutTimeoutMs ?? 60_000);
    let state: KV | undefined;
    let leaseBucket: KV | undefined;
    let layout: ClusterLayout | undefined;
    while (layout === undefined) {
      try {
        state ??= await kvm.open(STATE_BUCKET);
        leaseBucket ??= await kvm.open(LEASE_BUCKET);
        const entry = await state.get(LAYOUT_KEY);
        if (entry && entry.operation === 'PUT') layout = checkLayout(decode(entry.value, LAYOUT_KEY));
      } catch (error) {
        if (!/not found|no stream|does not exist/i.test((error as Error).message)) throw error;
        state = undefined;
        leaseBucket = undefined;
      }
      if (layout) break;
      if (Date.now() > deadline)
        throw new Error(`no cluster layout in bucket ${STATE_BUCKET} (is a publisher running?)`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const leases = new Leases(leaseBucket!, engine);
    const counts: WorkerCounts = {
      ticks: 0,
      samplesProcessed: 0,
      samplesAcked: 0,
      duplicates: 0,
      checkpoints: 0,
      tickFailures: 0,
      incidentsOpened: 0,
      incidentsResumed: 0,
      checkpointMs: 0,
      modelVersions: 0,
      modelFailures: 0,
    };
    const ttl = (await leaseBucket!.status()).ttl;
    // Trusted while refreshed lately; otherwise (the refresh timer was held up) refreshed now at
    // the revision last seen, which succeeds only if the lease never lapsed.
    const holdsLease = async (region: number): Promise<boolean> => {
      const key = regionLeaseKey(region);
      if (leases.age(key) < ttl / 3) return true;
      return leases.confirm(key).catch(() => leases.age(key) < ttl - LEASE_MARGIN_MS);
    };
    const ctx: WorkerContext = {
      engine,
      connection: nc,
      js,
      jsm,
      state: state!,
      layout,
      config: options.config ?? parseEngineConfig({ tickSeconds: 1 }),
      executor: new NatsExecutor({ connection: nc, leases }),
      checkpointTicks: options.checkpointTicks ?? 120,
      notice,
      counts,
      holdsLease,
      // Replaced by the engine below, which knows its workers.
      onLeaseInDoubt: () => {},
      ...(options.store ? { store: options.store } : {}),
      ...(options.audit ? { audit: options.audit } : {}),
      ...(options.ids ? { ids: options.ids } : {}),
      ...(options.models ? { models: options.models } : {}),
    };
    const started = new ClusterEngine(ctx, leases, options.heartbeatMs ?? 1000, options.quietMs ?? 500);
    ctx.onLeaseInDoubt = (region) => {
      started.#leasesInDoubt++;
      notice(`region ${region}: lease not refreshed in time; stopping it without acknowledging`);
      void started.#abandon(region);
    };
    await started.#heartbeat();
    started.#schedule();
    return started;
  }

  /** The regions held now, ascending. */
  regions(): number[] {
    return [...this.#workers.keys()].sort((a, b) => a - b);
  }

  /** Running figures. */
  stats(): ClusterEngineStats {
    return {
      engine: this.#ctx.engine,
      regions: this.regions(),
      ...this.#ctx.counts,
      claims: this.#claims,
      takeovers: this.#takeovers,
      handedOver: this.#handedOver,
      leasesLost: this.#leasesLost,
      leasesInDoubt: this.#leasesInDoubt,
      actionsDeferred: this.#ctx.executor.deferred,
      heartbeatFailures: this.#heartbeatFailures,
    };
  }

  /** Hands every region over (checkpoint, acknowledge, release) and gives up its leases. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const timer of this.#timers) clearTimeout(timer);
    await Promise.all(this.#turns);
    for (const region of this.regions()) await this.#handOver(region);
    await this.#leases.release(engineLeaseKey(this.#ctx.engine)).catch(() => undefined);
  }

  /** Two loops, each waiting for its own previous turn: lease refreshes never wait for a claim. */
  #schedule(): void {
    const every = (slot: number, task: () => Promise<void>) => {
      const next = (): void => {
        if (this.#closed) return;
        this.#timers[slot] = setTimeout(() => {
          const turn = task().finally(next);
          this.#turns.add(turn);
          void turn.finally(() => this.#turns.delete(turn));
        }, this.#heartbeatMs);
      };
      next();
    };
    every(0, () => this.#refresh());
    every(1, () => this.#heartbeat());
  }

  /** Refreshes every lease; stops the workers of regions another engine took. */
  async #refresh(): Promise<void> {
    try {
      for (const key of await within(STEP_TIMEOUT_MS, 'refreshing leases', () => this.#leases.refresh())) {
        const region = regionOf(key);
        if (region === undefined) continue;
        this.#leasesLost++;
        this.#ctx.notice(`lost region ${region}: its lease lapsed`);
        await this.#abandon(region);
      }
    } catch (error) {
      this.#heartbeatFailures++;
      this.#ctx.notice(`lease refresh: ${(error as Error).message}`);
    }
  }

  /** Says it is alive, balances the regions, checkpoints quiet ones and repeats their progress. */
  async #heartbeat(): Promise<void> {
    try {
      // First, and not waited for: a region busy with a long tick must hold up neither the others
      // nor the balancing, and progress is said again however the bucket answers.
      for (const worker of this.#workers.values()) {
        worker.announce();
        void worker.idle(this.#quietMs);
      }
      await within(STEP_TIMEOUT_MS, 'claiming the engine lease', () =>
        this.#leases.claim(engineLeaseKey(this.#ctx.engine), { startedAt: Date.now() }),
      );
      await within(STEP_TIMEOUT_MS, 'balancing', () => this.#balance());
    } catch (error) {
      this.#heartbeatFailures++;
      this.#ctx.notice(`heartbeat: ${(error as Error).message}`);
    }
  }

  /** Stops a region's worker without acknowledging and lets its lease lapse (it is lost or in doubt). */
  async #abandon(region: number): Promise<void> {
    const worker = this.#workers.get(region);
    this.#workers.delete(region);
    this.#leases.forget(regionLeaseKey(region));
    await worker?.stop(false);
  }

  /** Takes or hands over regions toward an even share (see the module's comment). */
  async #balance(): Promise<void> {
    if (this.#closed) return;
    const regions = this.#ctx.layout.regions;
    const engines = Math.max(1, (await this.#leases.list('engine.')).size);
    const share = Math.ceil(regions / engines);
    while (this.#workers.size > share) await this.#handOver(this.regions().at(-1)!);
    if (this.#workers.size >= share) return;
    const owned = await this.#leases.list('region.');
    // Each engine starts looking at its own place in the ring, so they do not all race for region 0.
    const start = hashOf(this.#ctx.engine) % regions;
    // One claim a turn: starting a region's loop takes a while, and a stampede of claims at start
    // (before the other engines are seen) would only be handed back.
    for (let k = 0, claimed = 0; k < regions && this.#workers.size < share && claimed === 0; k++) {
      const region = (start + k) % regions;
      const key = regionLeaseKey(region);
      if (this.#workers.has(region) || owned.has(key) || this.#leases.holds(key)) continue;
      if (!(await this.#leases.claim(key, { region }))) continue;
      try {
        const worker = await RegionWorker.start(this.#ctx, region);
        this.#workers.set(region, worker);
      } catch (error) {
        await this.#leases.release(key).catch(() => undefined);
        throw error;
      }
      const worker = this.#workers.get(region)!;
      claimed++;
      this.#claims++;
      const from = worker.resumedFrom;
      if (from !== undefined && from !== this.#ctx.engine) this.#takeovers++;
      this.#ctx.notice(
        `claimed region ${region}${from ? ` from tick ${worker.lastTick + 1} (checkpoint by ${from})` : ''}`,
      );
    }
  }

  async #handOver(region: number): Promise<void> {
    const worker = this.#workers.get(region);
    if (!worker) return;
    this.#workers.delete(region);
    await worker.stop(true);
    await this.#leases.release(regionLeaseKey(region));
    this.#handedOver++;
    this.#ctx.notice(`handed region ${region} over at tick ${worker.lastTick}`);
  }
}

/** The region a lease key names, if it names one. */
function regionOf(key: string): number | undefined {
  const match = /^region\.(\d+)$/.exec(key);
  return match ? Number(match[1]) : undefined;
}

/**
 * Runs `step`, rejecting if it has not settled within `ms` (a bucket read that never answers must
 * not stop the heartbeat; the step itself runs on and its result is dropped).
 */
function within<T>(ms: number, what: string, step: () => Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took over ${ms} ms`)), ms);
  });
  return Promise.race([step(), late]).finally(() => clearTimeout(timer));
}

/** A small stable hash (FNV-1a) of an id. */
function hashOf(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}
