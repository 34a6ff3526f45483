/**
 * MeshSimulator: a deterministic mesh, advanced one tick (one simulated second) per call, with
 * fault injection, remediation actions and ground truth. Equal seeds and equal calls give equal
 * frames, on every runtime.
 */
import { ACTIONS } from '../domain/actions.ts';
import { FAULT_SCOPE } from '../domain/faults.ts';
import { checkTarget, type Target, type TargetScope, targetScope } from '../domain/targets.ts';
import { ArgumentError } from '../errors.ts';
import { ACTION_EFFECTS, type ActionTicket, addresses, resolveAction, type SimAction } from './actions.ts';
import {
  activateFault,
  applyFault,
  clearFault,
  createFault,
  type Fault,
  type FaultRecord,
  type FaultSpec,
  resolveTarget,
} from './faults.ts';
import { allocateFrame, type TickFrame } from './frame.ts';
import { Rng } from '../random.ts';
import { computeRoutes, emptyRouteTable, nominalLinkCosts, type RouteTable } from './routing.ts';
import { MeshState } from './state.ts';
import { buildTopology, Topology, type TopologyOptions } from './topology.ts';
import { TrafficModel } from './traffic.ts';
import { truthAt, type TruthSnapshot } from './truth.ts';

/** Route cost added around a rerouted node or link: avoided unless there is no other way. */
const REROUTE_PENALTY = 1e6;
/** Route cost added around a quarantined node: avoided even more strongly than a reroute. */
const QUARANTINE_PENALTY = 1e9;

/** How to build a simulator. */
export interface SimOptions {
  /** Seed of the one PRNG every random draw derives from. */
  readonly seed: number;
  /** A topology to generate (from the same seed) or a prebuilt one. */
  readonly topology: TopologyOptions | Topology;
  /** Scale of measurement noise; 1 (default) is realistic, 0 gives exact model values. */
  readonly noise?: number;
  /** First tick to simulate; default 0 (midnight). Load peaks at 14:00, tick 50,400 mod 86,400. */
  readonly startTick?: number;
}

/** A deterministic simulated mesh with faults, actions and ground truth. */
export class MeshSimulator {
  /** The mesh: nodes, links, radio properties, gateways. */
  readonly topology: Topology;
  private readonly state: MeshState;
  private readonly traffic: TrafficModel;
  private readonly frame: TickFrame;
  private readonly noise: number;
  private readonly loadRng: Rng;
  private readonly noiseRng: Rng;
  private readonly actionRng: Rng;
  private readonly linkCost: Float64Array;
  private readonly linkPenalty: Float64Array;
  private readonly nodePenalty: Float64Array;
  private routeTable: RouteTable;
  private readonly faults: Fault[] = [];
  /** Faults that have not ended yet (including those still to start). */
  private readonly live: Fault[] = [];
  private readonly tickets: ActionTicket[] = [];
  private readonly running: { ticket: ActionTicket; type: TargetScope; index: number }[] = [];
  /** Ticks at which some hold (reroute, quarantine) lapses and routes must be recomputed. */
  private readonly holdExpiries = new Set<number>();
  private nextTick = 0;

  /**
   * A mesh at tick 0, built from `options` (seeded: the same options give the same run); throws an
   * `ArgumentError` naming a bad option.
   */
  constructor(options: SimOptions) {
    if (options === null || typeof options !== 'object')
      throw new ArgumentError('options', 'must be an object');
    const master = new Rng(options.seed);
    const noise = options.noise ?? 1;
    if (typeof noise !== 'number' || !Number.isFinite(noise) || noise < 0)
      throw new ArgumentError('options.noise', `must be a finite number >= 0, got ${String(noise)}`);
    this.noise = noise;
    const startTick = options.startTick ?? 0;
    if (!Number.isInteger(startTick) || startTick < 0)
      throw new ArgumentError(
        'options.startTick',
        `must be a non-negative integer, got ${String(startTick)}`,
      );
    this.nextTick = startTick;
    this.topology =
      options.topology instanceof Topology
        ? options.topology
        : buildTopology(options.topology, master.uint32());
    const stateRng = master.fork();
    this.loadRng = master.fork();
    this.noiseRng = master.fork();
    this.actionRng = master.fork();
    const n = this.topology.nodeCount;
    this.linkCost = nominalLinkCosts(this.topology);
    this.linkPenalty = new Float64Array(this.topology.linkCount);
    this.nodePenalty = new Float64Array(n);
    this.routeTable = computeRoutes(
      this.topology,
      this.linkCost,
      this.linkPenalty,
      this.nodePenalty,
      emptyRouteTable(n),
    );
    this.state = new MeshState(this.topology, this.routeTable, stateRng, startTick);
    this.traffic = new TrafficModel(this.topology);
    this.frame = allocateFrame(this.topology.nodeIds);
  }

  /** The tick the next call to `tick()` will simulate (= ticks simulated so far). */
  get now(): number {
    return this.nextTick;
  }

  /** Current routes; `version` changes whenever they are recomputed. */
  get routes(): RouteTable {
    return this.routeTable;
  }

  /** Node ids from `node` to its gateway along the current routes. */
  path(node: string): string[] {
    const ids = this.topology.nodeIds;
    const hops = [node];
    for (
      let i = this.routeTable.nextHop[this.topology.nodeIndex(node)];
      i >= 0;
      i = this.routeTable.nextHop[i]
    )
      hops.push(ids[i]);
    return hops;
  }

  /**
   * Simulates one second and returns its metrics. The returned frame is reused and overwritten
   * by the next call (copy it with `copyFrame` to keep it).
   */
  tick(): TickFrame {
    const t = this.nextTick;
    if (this.holdExpiries.delete(t)) this.refreshPenalties(t);
    this.completeActions(t);
    this.state.resetOverlays(t);
    // Compact the live list in place: no per-tick allocation.
    let kept = 0;
    for (const fault of this.live) {
      if (fault.end <= t) {
        clearFault(fault, this.state);
        continue;
      }
      this.live[kept++] = fault;
      if (fault.start > t) continue;
      if (fault.start === t) activateFault(fault, this.topology, this.routeTable);
      applyFault(fault, t, this.state);
    }
    this.live.length = kept;
    this.traffic.step(this.state, this.routeTable, t, this.loadRng, this.noiseRng, this.noise, this.frame);
    this.nextTick = t + 1;
    return this.frame;
  }

  /**
   * Schedules a fault (now or later) and returns its ground-truth record as of now. Throws
   * ArgumentError on a bad spec or when it would overlap a fault of the same kind on the same target.
   */
  inject(spec: FaultSpec): FaultRecord {
    const fault = createFault(this.faults.length, spec, this.topology, this.nextTick);
    const clash = this.live.find(
      (f) => f.kind === fault.kind && f.index === fault.index && f.start < fault.end && fault.start < f.end,
    );
    if (clash)
      throw new ArgumentError(
        'fault.start',
        `overlaps fault #${clash.id} (${clash.kind} on the same target)`,
      );
    this.faults.push(fault);
    this.live.push(fault);
    return fault.record();
  }

  /** Checks an action as `apply` would, without issuing it; throws ArgumentError naming what is wrong. */
  check(action: SimAction): void {
    resolveAction(action, this.topology);
  }

  /**
   * Issues an action at the next tick. Its effects land `duration` ticks later, when the ticket
   * turns 'succeeded' or 'failed'; a second action on a target that is still being acted on is
   * 'rejected'. Throws ArgumentError on an unknown kind or target, or a target of the wrong type.
   */
  apply(action: SimAction): ActionTicket {
    const { type, index } = resolveAction(action, this.topology);
    const profile = ACTIONS[action.kind];
    const issued = this.nextTick;
    // Keep a copy of the action, so that a caller reusing its object cannot rewrite history.
    const spec: SimAction = {
      kind: action.kind,
      target: type === 'node' ? this.topology.nodeTarget(index) : this.topology.linkTarget(index),
    };
    const ticket: ActionTicket = {
      id: this.tickets.length,
      action: spec,
      issued,
      completes: issued + profile.duration,
      cost: profile.cost,
      status: 'running',
      healed: [],
    };
    this.tickets.push(ticket);
    if (this.running.some((r) => r.type === type && r.index === index)) {
      ticket.status = 'rejected';
      ticket.reason = 'another action is still running on this target';
      return ticket;
    }
    // A restart takes the service down for its whole duration, whatever it was restarted for.
    if (action.kind === 'restart-service') this.state.restartUntil[index] = ticket.completes;
    this.running.push({ ticket, type, index });
    return ticket;
  }

  /**
   * Undoes the lasting effect of an action on a target at the next tick: lifts a reroute,
   * quarantine or rate limit, or halves/doubles back a scale-up/down. Actions with nothing
   * lasting to undo (a restart, clearing a cache, a failover, a config rollback) cannot be
   * reverted and say so. Throws ArgumentError on an unknown kind or target.
   */
  revert(action: SimAction): { ok: boolean; reason?: string } {
    const { type, index } = resolveAction(action, this.topology);
    const state = this.state;
    const t = this.nextTick;
    switch (action.kind) {
      case 'reroute': {
        const holds = type === 'node' ? state.nodeRerouteUntil : state.linkRerouteUntil;
        if (holds[index] <= t) return { ok: false, reason: 'no reroute in force on this target' };
        holds[index] = t;
        this.refreshPenalties(t);
        return { ok: true };
      }
      case 'quarantine-node':
        if (state.quarantineUntil[index] <= t) return { ok: false, reason: 'node is not quarantined' };
        state.quarantineUntil[index] = t;
        this.refreshPenalties(t);
        return { ok: true };
      case 'rate-limit':
        if (state.rateLimitUntil[index] <= t) return { ok: false, reason: 'no rate limit in force' };
        state.rateLimitUntil[index] = t;
        return { ok: true };
      case 'scale-up':
        state.capacityScale[index] = Math.max(0.25, state.capacityScale[index] / 2);
        return { ok: true };
      case 'scale-down':
        state.capacityScale[index] = Math.min(8, state.capacityScale[index] * 2);
        return { ok: true };
      default:
        return { ok: false, reason: `${action.kind} has no lasting effect to revert` };
    }
  }

  /** Every ticket issued so far, in order. */
  actions(): readonly ActionTicket[] {
    return this.tickets;
  }

  /** Every fault injected so far (past, active and scheduled), as of now. */
  groundTruth(): FaultRecord[] {
    return this.faults.map((fault) => fault.record());
  }

  /** What was faulty at `tick` (default: the last simulated tick). */
  truthAt(tick: number = Math.max(0, this.nextTick - 1)): TruthSnapshot {
    if (!Number.isInteger(tick) || tick < 0)
      throw new ArgumentError('tick', `must be a non-negative integer, got ${String(tick)}`);
    return truthAt(this.faults, tick, this.topology);
  }

  /** Whether `target` is the root cause of a fault active at `tick` (default: the last simulated tick). */
  isFaulty(target: Target, tick: number = Math.max(0, this.nextTick - 1)): boolean {
    const type = targetScope(checkTarget(target));
    const index = resolveTarget(target, type, this.topology, 'target', 'isFaulty');
    return this.faults.some(
      (f) =>
        FAULT_SCOPE[f.kind] === type && (f.index === index || f.cutLinks.includes(index)) && f.activeAt(tick),
    );
  }

  /** Completes the actions due at tick `t`, keeping the others running. */
  private completeActions(t: number): void {
    let kept = 0;
    for (const run of this.running) {
      if (run.ticket.completes === t) this.complete(run.ticket, run.type, run.index, t);
      else this.running[kept++] = run;
    }
    this.running.length = kept;
  }

  /**
   * Lands one action at tick `t`: it fails by its profile's chance or on an unreachable target, else takes
   * effect and heals the active faults it treats on its target.
   */
  private complete(ticket: ActionTicket, type: TargetScope, index: number, t: number): void {
    const { kind } = ticket.action;
    const profile = ACTIONS[kind];
    if (this.actionRng.chance(profile.failureProbability))
      return fail(ticket, 'the action did not take effect');
    if (ACTION_EFFECTS[kind].inBand && this.nodeDown(index, t))
      return fail(ticket, 'target unreachable: the node is down');
    const state = this.state;
    const until = t + profile.holdTicks;
    switch (kind) {
      case 'reroute':
        (type === 'node' ? state.nodeRerouteUntil : state.linkRerouteUntil)[index] = until;
        this.holdExpiries.add(until);
        this.refreshPenalties(t);
        break;
      case 'quarantine-node':
        state.quarantineUntil[index] = until;
        this.holdExpiries.add(until);
        this.refreshPenalties(t);
        break;
      case 'restart-service':
        state.leak[index] = 0;
        state.cache[index] = 0;
        state.queue[index] = 0;
        break;
      case 'clear-cache':
        state.cache[index] = 0;
        break;
      case 'scale-up':
        state.capacityScale[index] = Math.min(8, state.capacityScale[index] * 2);
        break;
      case 'scale-down':
        state.capacityScale[index] = Math.max(0.25, state.capacityScale[index] / 2);
        break;
      case 'rate-limit':
        state.rateLimitUntil[index] = until;
        break;
    }
    // A link taken out of service ends its fault only if traffic really left it.
    if (kind === 'reroute' && type === 'link' && this.routeTable.nextLink.includes(index)) {
      return fail(ticket, 'no alternative path: traffic still crosses the link');
    }
    ticket.status = 'succeeded';
    for (const fault of this.live) {
      if (!fault.activeAt(t) || !addresses(kind, type, index, fault)) continue;
      fault.end = t;
      fault.healedBy = ticket.id;
      ticket.healed.push(fault.id);
      clearFault(fault, state);
    }
  }

  /** Whether node i is crashed or in a restart outage at tick t. */
  private nodeDown(i: number, t: number): boolean {
    return (
      this.state.restartUntil[i] > t ||
      this.live.some((f) => f.kind === 'node-crash' && f.index === i && f.activeAt(t))
    );
  }

  /** Rebuilds route penalties from the holds in force at `t` and recomputes routes. */
  private refreshPenalties(t: number): void {
    const { state } = this;
    for (let i = 0; i < this.nodePenalty.length; i++) {
      this.nodePenalty[i] =
        (state.quarantineUntil[i] > t ? QUARANTINE_PENALTY : 0) +
        (state.nodeRerouteUntil[i] > t ? REROUTE_PENALTY : 0);
    }
    for (let l = 0; l < this.linkPenalty.length; l++)
      this.linkPenalty[l] = state.linkRerouteUntil[l] > t ? REROUTE_PENALTY : 0;
    this.routeTable = computeRoutes(
      this.topology,
      this.linkCost,
      this.linkPenalty,
      this.nodePenalty,
      this.routeTable,
    );
  }
}

function fail(ticket: ActionTicket, reason: string): void {
  ticket.status = 'failed';
  ticket.reason = reason;
}
