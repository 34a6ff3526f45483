/**
 * The mutable physical state of a simulated mesh, as flat typed arrays indexed by node or link.
 * Two kinds live here: persistent state (load walk, queues, leaked memory, provisioned
 * capacity, administrative holds) and per-tick overlays that active faults write and the traffic
 * model reads; overlays are reset at the start of every tick, so a fault's effect ends with it.
 */
import type { Rng } from '../random.ts';
import type { RouteTable } from './routing.ts';
import type { Topology } from './topology.ts';

/** Provisioning headroom over the initial peak load, for node capacity and link bandwidth. */
const HEADROOM = 2.5;
/** Amplitude bounds of the daily load cycle (fraction of mean load). */
const SEASON_AMPLITUDE: readonly [number, number] = [0.25, 0.45];
/** Mean gap between a node's benign load events, ticks (about one every six hours). */
export const BENIGN_EVENT_MEAN_GAP = 6 * 3600;
/** Largest benign load event multiplier; provisioning covers it. */
export const BENIGN_EVENT_MAX = 1.6;

/** Per-node and per-link arrays shared by the traffic model, faults and actions. */
export class MeshState {
  // Persistent, per node.
  /** Mean offered load of the node's own clients, Mbit/s. */
  readonly baseLoad: Float64Array;
  /** Amplitude of the node's daily cycle. */
  readonly seasonAmplitude: Float64Array;
  /** Log-load random walk (Ornstein-Uhlenbeck), the slow benign drift. */
  readonly loadWalk: Float64Array;
  /** Multiplier of the current benign load event (batch job, event crowd) and when it ends. */
  readonly eventFactor: Float64Array;
  readonly eventUntil: Float64Array;
  /** Tick at which the node's next benign load event starts. */
  readonly nextEventAt: Float64Array;
  /** Forwarding capacity, Mbit/s, and the scale-up/down multiplier on it. */
  readonly capacity: Float64Array;
  readonly capacityScale: Float64Array;
  readonly baseCpu: Float64Array;
  readonly baseMemory: Float64Array;
  /** Cache memory (percent) that grows slowly and clear-cache releases. */
  readonly cache: Float64Array;
  /** Leaked memory, percent. */
  readonly leak: Float64Array;
  /** Packets queued at the node. */
  readonly queue: Float64Array;
  /** Ticks until which a hold is in force (restart outage, quarantine, rate limit, reroute). */
  readonly restartUntil: Float64Array;
  readonly quarantineUntil: Float64Array;
  readonly rateLimitUntil: Float64Array;
  readonly nodeRerouteUntil: Float64Array;
  /** Provisioned link bandwidth, Mbit/s, and reroute holds per link. */
  readonly bandwidth: Float64Array;
  readonly linkRerouteUntil: Float64Array;

  // Overlays, reset every tick and written by active faults.
  readonly down: Uint8Array;
  readonly extraLoad: Float64Array;
  readonly cpuExtra: Float64Array;
  readonly errorExtra: Float64Array;
  /** Fraction of transit traffic a misbehaving node drops or corrupts. */
  readonly transitDrop: Float64Array;
  readonly corruptFraction: Float64Array;
  /** Fraction of its own requests a badly configured node rejects. */
  readonly ownReject: Float64Array;
  readonly capacityFactor: Float64Array;
  readonly latencyFactor: Float64Array;
  readonly linkDown: Uint8Array;
  readonly linkExtraLoss: Float64Array;
  readonly linkSnrDrop: Float64Array;
  readonly linkLatencyFactor: Float64Array;
  /** Links whose overlays were written this tick (may repeat), so link quality is recomputed only there. */
  readonly touchedLinks: number[] = [];

  constructor(
    readonly topology: Topology,
    routes: RouteTable,
    rng: Rng,
    startTick: number,
  ) {
    const n = topology.nodeCount;
    const m = topology.linkCount;
    this.baseLoad = new Float64Array(n);
    this.seasonAmplitude = new Float64Array(n);
    this.baseCpu = new Float64Array(n);
    this.baseMemory = new Float64Array(n);
    this.cache = new Float64Array(n);
    this.nextEventAt = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      this.baseLoad[i] = rng.range(0.1, 0.5);
      this.seasonAmplitude[i] = rng.range(SEASON_AMPLITUDE[0], SEASON_AMPLITUDE[1]);
      this.baseCpu[i] = rng.range(5, 15);
      this.baseMemory[i] = rng.range(30, 45);
      this.cache[i] = rng.range(0, 5);
      this.nextEventAt[i] = startTick + rng.exponential(BENIGN_EVENT_MEAN_GAP);
    }
    this.loadWalk = new Float64Array(n);
    this.eventFactor = new Float64Array(n).fill(1);
    this.eventUntil = new Float64Array(n);
    this.capacityScale = new Float64Array(n).fill(1);
    this.leak = new Float64Array(n);
    this.queue = new Float64Array(n);
    this.restartUntil = new Float64Array(n);
    this.quarantineUntil = new Float64Array(n);
    this.rateLimitUntil = new Float64Array(n);
    this.nodeRerouteUntil = new Float64Array(n);
    this.linkRerouteUntil = new Float64Array(m);

    // Provision for the initial routes' aggregated peak load, as an operator sizing the mesh would.
    const peak = new Float64Array(n);
    for (let i = 0; i < n; i++) peak[i] = this.baseLoad[i] * (1 + this.seasonAmplitude[i]) * BENIGN_EVENT_MAX;
    for (const i of routes.order) if (routes.nextHop[i] >= 0) peak[routes.nextHop[i]] += peak[i];
    this.capacity = new Float64Array(n);
    for (let i = 0; i < n; i++) this.capacity[i] = Math.max(5, HEADROOM * peak[i]);
    this.bandwidth = Float64Array.from(topology.bandwidth);
    for (let i = 0; i < n; i++) {
      const l = routes.nextLink[i];
      if (l >= 0) this.bandwidth[l] = Math.max(this.bandwidth[l], HEADROOM * peak[i]);
    }

    this.down = new Uint8Array(n);
    this.extraLoad = new Float64Array(n);
    this.cpuExtra = new Float64Array(n);
    this.errorExtra = new Float64Array(n);
    this.transitDrop = new Float64Array(n);
    this.corruptFraction = new Float64Array(n);
    this.ownReject = new Float64Array(n);
    this.capacityFactor = new Float64Array(n);
    this.latencyFactor = new Float64Array(n);
    this.linkDown = new Uint8Array(m);
    this.linkExtraLoss = new Float64Array(m);
    this.linkSnrDrop = new Float64Array(m);
    this.linkLatencyFactor = new Float64Array(m);
    this.resetOverlays(startTick);
  }

  /** Marks link `l` as having overlays this tick. */
  touchLink(l: number): void {
    this.touchedLinks.push(l);
  }

  /** Clears every overlay; nodes in a restart outage at `tick` start the tick down. */
  resetOverlays(tick: number): void {
    this.extraLoad.fill(0);
    this.cpuExtra.fill(0);
    this.errorExtra.fill(0);
    this.transitDrop.fill(0);
    this.corruptFraction.fill(0);
    this.ownReject.fill(0);
    this.capacityFactor.fill(1);
    this.latencyFactor.fill(1);
    this.linkDown.fill(0);
    this.linkExtraLoss.fill(0);
    this.linkSnrDrop.fill(0);
    this.linkLatencyFactor.fill(1);
    this.touchedLinks.length = 0;
    const n = this.down.length;
    for (let i = 0; i < n; i++) this.down[i] = this.restartUntil[i] > tick ? 1 : 0;
  }
}
