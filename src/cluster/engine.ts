/**
 * One engine among many: it reads the cluster's layout, says it is alive (`engine.<id>` in the
 * lease bucket), and every heartbeat refreshes its leases and balances the regions: with E engines
 * alive and R regions, each holds at most ceil(R / E); an engine under its share takes unowned
 * regions (create-if-absent on `region.<n>`), one over it hands the extra ones over (checkpoint,
 * acknowledge, delete the lease). An engine that dies stops refreshing: its leases lapse after the
 * bucket's time to live and the others take its regions over from their last acknowledged message
 * (region-worker.ts). A lease found taken by another engine at a refresh stops that region's
 * worker at once, without acknowledging.
 */
import { type JetStreamClient, type JetStreamManager, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { type KV, Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { type EngineConfig, parseEngineConfig } from '../serve/config.ts';
import { type ClusterLayout, checkLayout } from './layout.ts';
import { Leases } from './leases.ts';
import { NatsExecutor } from './nats-executor.ts';
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
  /** Regions whose lease was found taken by another engine. */
  leasesLost: number;
  /** Actions left to the engine that owned their target (one owner per incident). */
  actionsDeferred: number;
  /** Heartbeats that failed (the connection was down). */
  heartbeatFailures: number;
}

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
  #timer?: ReturnType<typeof setTimeout>;
  #beating: Promise<void> = Promise.resolve();
  #closed = false;
  #claims = 0;
  #takeovers = 0;
  #handedOver = 0;
  #leasesLost = 0;
  #heartbeatFailures = 0;

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
    };
    const started = new ClusterEngine(ctx, leases, options.heartbeatMs ?? 1000, options.quietMs ?? 500);
    await leases.claim(engineLeaseKey(engine), { startedAt: Date.now() });
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
      actionsDeferred: this.#ctx.executor.deferred,
      heartbeatFailures: this.#heartbeatFailures,
    };
  }

  /** Hands every region over (checkpoint, acknowledge, release) and gives up its leases. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#timer);
    await this.#beating;
    for (const region of this.regions()) await this.#handOver(region);
    await this.#leases.release(engineLeaseKey(this.#ctx.engine)).catch(() => undefined);
  }

  #schedule(): void {
    if (this.#closed) return;
    this.#timer = setTimeout(() => {
      this.#beating = this.#heartbeat().finally(() => this.#schedule());
    }, this.#heartbeatMs);
  }

  async #heartbeat(): Promise<void> {
    try {
      for (const key of await this.#leases.refresh()) {
        const region = regionOf(key);
        if (region === undefined) continue;
        this.#leasesLost++;
        this.#ctx.notice(`lost region ${region}: another engine took it`);
        const worker = this.#workers.get(region);
        this.#workers.delete(region);
        await worker?.stop(false);
      }
      await this.#leases.claim(engineLeaseKey(this.#ctx.engine), { startedAt: Date.now() });
      await this.#balance();
      for (const worker of this.#workers.values()) {
        await worker.idle(this.#quietMs);
        worker.announce();
      }
    } catch (error) {
      this.#heartbeatFailures++;
      this.#ctx.notice(`heartbeat: ${(error as Error).message}`);
    }
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
    for (let k = 0; k < regions && this.#workers.size < share; k++) {
      const region = (start + k) % regions;
      const key = regionLeaseKey(region);
      if (this.#workers.has(region) || owned.has(key)) continue;
      if (!(await this.#leases.claim(key, { region }))) continue;
      try {
        const worker = await RegionWorker.start(this.#ctx, region);
        this.#workers.set(region, worker);
      } catch (error) {
        await this.#leases.release(key).catch(() => undefined);
        throw error;
      }
      const worker = this.#workers.get(region)!;
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

/** A small stable hash (FNV-1a) of an id. */
function hashOf(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}
