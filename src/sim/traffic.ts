/**
 * The per-tick traffic and metrics model. Every node offers load (daily cycle x slow random
 * walk x benign load events) toward its gateway; one pass over the nodes, children before
 * parents, pushes traffic hop by hop through node queues and lossy links, so congestion, drops
 * and corruption show up where a real mesh would show them: at the cause, at the nodes that
 * forward into it and along the route downstream. O(nodes + links) per tick, no allocation.
 */
import type { TickFrame } from './frame.ts';
import { LinkQuality } from './link-quality.ts';
import type { Rng } from '../random.ts';
import type { RouteTable } from './routing.ts';
import type { Topology } from './topology.ts';
import { BENIGN_EVENT_MAX, BENIGN_EVENT_MEAN_GAP, type MeshState } from './state.ts';

const DAY = 86_400;
/** Busiest second of the day (14:00). */
const PEAK_SECOND = 14 * 3600;
/** Packets per second carried by 1 Mbit/s (about 1,250-byte packets). */
const PACKETS_PER_MBIT = 100;
/** Packets a node can queue before it tail-drops. */
const BUFFER_PACKETS = 1000;
/** Mean reversion and step size of the log-load random walk. */
const WALK_REVERSION = 0.01;
const WALK_STEP = 0.02;
/** Per-packet processing time of an idle node, ms. */
const PROCESSING_MS = 1;
/** Latency of a gateway's uplink, ms. */
const UPLINK_MS = 2;

/** Scratch arrays for one tick of traffic; owned by one simulator. */
export class TrafficModel {
  private readonly ownLoad: Float64Array;
  private readonly inbound: Float64Array;
  private readonly corruptIn: Float64Array;
  private readonly utilization: Float64Array;
  private readonly overflow: Float64Array;
  private readonly hopLoss: Float64Array;
  private readonly delivered: Float64Array;
  private readonly linkQuality: LinkQuality;

  constructor(topology: Topology) {
    const nodes = topology.nodeCount;
    this.ownLoad = new Float64Array(nodes);
    this.inbound = new Float64Array(nodes);
    this.corruptIn = new Float64Array(nodes);
    this.utilization = new Float64Array(nodes);
    this.overflow = new Float64Array(nodes);
    this.hopLoss = new Float64Array(nodes);
    this.delivered = new Float64Array(nodes);
    this.linkQuality = new LinkQuality(topology);
  }

  /**
   * Advances load and queues by one tick and writes every node's metrics into `frame`. `noise`
   * scales measurement noise (0 gives exact model values, useful to isolate a fault's effect).
   */
  step(
    state: MeshState,
    routes: RouteTable,
    tick: number,
    loadRng: Rng,
    noiseRng: Rng,
    noise: number,
    frame: TickFrame,
  ): void {
    this.offerLoad(state, tick, loadRng);
    this.forward(state, routes, tick);
    this.linkQuality.measure(state, tick);
    this.writeMetrics(state, routes, tick, noiseRng, noise, frame);
  }

  private offerLoad(state: MeshState, tick: number, rng: Rng): void {
    const season = Math.cos((2 * Math.PI * (tick - PEAK_SECOND)) / DAY);
    const n = this.ownLoad.length;
    for (let i = 0; i < n; i++) {
      if (tick >= state.nextEventAt[i]) {
        state.eventFactor[i] = rng.range(0.6, BENIGN_EVENT_MAX);
        state.eventUntil[i] = tick + Math.round(rng.range(300, 1800));
        state.nextEventAt[i] = state.eventUntil[i] + rng.exponential(BENIGN_EVENT_MEAN_GAP);
      } else if (tick >= state.eventUntil[i]) {
        state.eventFactor[i] = 1;
      }
      state.loadWalk[i] = state.loadWalk[i] * (1 - WALK_REVERSION) + WALK_STEP * rng.normal();
      let load =
        state.baseLoad[i] *
        (1 + state.seasonAmplitude[i] * season) *
        Math.exp(state.loadWalk[i]) *
        state.eventFactor[i];
      // A rate limit caps the node's clients at their normal daily peak.
      if (state.rateLimitUntil[i] > tick)
        load = Math.min(load, state.baseLoad[i] * (1 + state.seasonAmplitude[i]));
      this.ownLoad[i] = load + state.extraLoad[i];
      this.inbound[i] = 0;
      this.corruptIn[i] = 0;
    }
  }

  private forward(state: MeshState, routes: RouteTable, tick: number): void {
    const { order, nextHop, nextLink } = routes;
    const { topology } = state;
    for (let k = 0; k < order.length; k++) {
      const i = order[k];
      const capacity = state.capacity[i] * state.capacityScale[i] * state.capacityFactor[i];
      const own = this.ownLoad[i] * (1 - state.ownReject[i]);
      const transit = this.inbound[i];
      let forwarded = 0;
      let corrupted = 0;
      if (state.down[i] || state.quarantineUntil[i] > tick) {
        state.queue[i] = 0;
        this.overflow[i] = 1;
        this.utilization[i] = 0;
      } else {
        const total = own + transit;
        const queue = Math.min(
          BUFFER_PACKETS,
          Math.max(0, state.queue[i] + (total - capacity) * PACKETS_PER_MBIT),
        );
        state.queue[i] = queue;
        const overflow = queue >= BUFFER_PACKETS && total > capacity ? 1 - capacity / total : 0;
        const transitOut = transit * (1 - state.transitDrop[i]) * (1 - overflow);
        forwarded = own * (1 - overflow) + transitOut;
        corrupted = transitOut * state.corruptFraction[i];
        this.overflow[i] = overflow;
        this.utilization[i] = total / capacity;
      }
      const l = nextLink[i];
      let loss = 0;
      if (l >= 0) {
        const congestion = forwarded > state.bandwidth[l] ? 1 - state.bandwidth[l] / forwarded : 0;
        loss = state.linkDown[l]
          ? 1
          : 1 - (1 - topology.loss[l]) * (1 - state.linkExtraLoss[l]) * (1 - congestion);
      }
      const delivered = forwarded * (1 - loss);
      this.hopLoss[i] = loss;
      this.delivered[i] = delivered;
      const p = nextHop[i];
      if (p >= 0 && delivered > 0) {
        // Receivers discard corrupted packets after the checksum fails: errors there, no further.
        const corruptShare = corrupted / forwarded;
        this.inbound[p] += delivered * (1 - corruptShare);
        this.corruptIn[p] += delivered * corruptShare;
      }
    }
  }

  private writeMetrics(
    state: MeshState,
    routes: RouteTable,
    tick: number,
    rng: Rng,
    noise: number,
    frame: TickFrame,
  ): void {
    const { cpu, memory, packetLoss, latencyP95, throughput, errorRate, queueDepth, linkQuality } =
      frame.metrics;
    const { topology } = state;
    const n = this.ownLoad.length;
    frame.tick = tick;
    for (let i = 0; i < n; i++) {
      // Caches fill slowly toward 10% of memory: a benign trend that is not a leak.
      state.cache[i] += 0.0002 * (10 - state.cache[i]);
      if (state.down[i]) {
        frame.reporting[i] = 0;
        cpu[i] =
          memory[i] =
          packetLoss[i] =
          latencyP95[i] =
          throughput[i] =
          errorRate[i] =
          queueDepth[i] =
          linkQuality[i] =
            NaN;
        continue;
      }
      frame.reporting[i] = 1;
      const util = Math.min(this.utilization[i], 2);
      const mem = Math.min(100, state.baseMemory[i] + state.cache[i] + state.leak[i] + 5 * Math.min(util, 1));
      const gcPressure = mem > 85 ? (mem - 85) / 15 : 0;
      const cpuValue = Math.min(
        100,
        state.baseCpu[i] + 55 * Math.min(util, 1.2) + state.cpuExtra[i] + 25 * gcPressure,
      );
      const cpuSlowdown = cpuValue > 85 ? (3 * (cpuValue - 85)) / 15 : 0;

      // Loss of the node's traffic over its next two hops, as a watchdog overhearing the next
      // hop and acknowledgements from the hop after reveal it: its own tail drops, the link, and
      // what the next hop drops or corrupts (corrupted packets are discarded one hop later).
      const p = routes.nextHop[i];
      const nextDrop =
        p < 0
          ? 0
          : state.down[p] || state.quarantineUntil[p] > tick
            ? 1
            : 1 - (1 - state.transitDrop[p]) * (1 - state.corruptFraction[p]) * (1 - this.overflow[p]);
      const loss = 1 - (1 - this.overflow[i]) * (1 - this.hopLoss[i]) * (1 - nextDrop);

      const received = this.ownLoad[i] + this.inbound[i] + this.corruptIn[i];
      let errors = 0.002 + state.errorExtra[i] + (received > 0 ? this.corruptIn[i] / received : 0);
      if (cpuValue >= 95) errors += 0.05;
      if (mem >= 99) errors += 0.3;

      const capacity = state.capacity[i] * state.capacityScale[i] * state.capacityFactor[i];
      const queueMs = (1000 * state.queue[i]) / (capacity * PACKETS_PER_MBIT);
      const l = routes.nextLink[i];
      const hopMs =
        l < 0 ? UPLINK_MS : topology.latency[l] * state.linkLatencyFactor[l] * (1 + 3 * this.hopLoss[i]);
      // p95 of an exponential wait is three times its mean.
      const latency =
        (3 * (queueMs + PROCESSING_MS * (1 + cpuSlowdown + 2 * gcPressure)) + hopMs) * state.latencyFactor[i];

      const busy = Math.min(util, 0.95);
      const queued = state.queue[i] + (busy * busy) / (1 - busy);

      const quality = this.linkQuality.mean(i);

      cpu[i] = clamp(cpuValue + noise * 1.5 * rng.normal(), 0, 100);
      memory[i] = clamp(mem + noise * 0.5 * rng.normal(), 0, 100);
      packetLoss[i] = clamp(loss + noise * 0.002 * rng.normal(), 0, 1);
      latencyP95[i] = Math.max(0, latency * (1 + noise * 0.05 * rng.normal()));
      throughput[i] = Math.max(0, this.delivered[i] * (1 + noise * 0.03 * rng.normal()));
      errorRate[i] = clamp(errors + noise * 0.001 * rng.normal(), 0, 1);
      queueDepth[i] = Math.max(0, queued * (1 + noise * 0.1 * rng.normal()));
      linkQuality[i] = clamp(quality + noise * 0.01 * rng.normal(), 0, 1);
    }
  }
}

function clamp(value: number, min: number, max: number): number {
  return value < min ? min : value > max ? max : value;
}
