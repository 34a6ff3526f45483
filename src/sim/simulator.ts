/**
 * MeshSimulator: a deterministic mesh, advanced one tick (one simulated second) per call, with
 * fault injection, remediation actions and ground truth. Equal seeds and equal calls give equal
 * frames, on every runtime.
 */
import { ACTIONS } from '../domain/actions.ts';
import { FAULT_SCOPE } from '../domain/faults.ts';
import { checkTarget, type Target, type TargetScope, targetScope } from '../domain/targets.ts';
import { ArgumentError } from '../errors.ts';
import {
  ACTION_EFFECTS,
  type ActionTicket,
  addresses,
  resolveAction,
  type SimAction,
  isRootCause,
} from './actions.ts';
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
import { PlannedChange, type PlannedChangeRecord, type PlannedChangeSpec } from './changes.ts';
import { allocateFrame, type TickFrame } from './frame.ts';
import { Rng } from '../random.ts';
import { computeRoutes, emptyRouteTable, nominalLinkCosts, type RouteTable } from './routing.ts';
import { MeshState } from './state.ts';
import { buildTopology, Topology, type TopologyOptions } from './topology.ts';
import { TrafficModel } from './traffic.ts';
import { truthAt, type TruthSnapshot } from './truth.ts';
import { checkWorldChange, type WorldChange } from './world-change.ts';

/** Route cost added around a rerouted node or link: avoided unless there is no other way. */
const REROUTE_PENALTY = 1e6;
/** Route cost added around a quarantined node: avoided even more strongly than a reroute. */
const QUARANTINE_PENALTY = 1e9;

/** Chance that a crash sends enough rerouted traffic to a neighbour to congest it. */
const CRASH_CASCADE_CHANCE = 0.4;
/** Ticks from a crash until its rerouted traffic congests a neighbour: 5..20, as routes time out. */
const REROUTE_DELAY: readonly [number, number] = [5, 20];
/** Ticks a leak holds the node's memory full before the process dies: the node crashes. */
const OOM_TICKS = 30;

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
  /**
   * Faults set off further faults (default false): a crash's rerouted traffic may congest a
   * neighbour until the crash ends, and a leak that fills the memory ends in a crash. The later
   * faults' records name the first (`FaultRecord.cause`).
   */
  readonly cascades?: boolean;
  /**
   * From `atTick` on, one action stops healing one fault kind and another starts to (see
   * src/sim/world-change.ts); the engine is not told. Without it, the healing table never changes.
   */
  readonly worldChange?: WorldChange;
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
  /** Draws of cascades; undefined when faults set off none. */
  private readonly cascadeRng?: Rng;
  private readonly changes: PlannedChange[] = [];
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
  /** The change of the healing table, if any (SimOptions.worldChange). */
  private readonly worldChange?: WorldChange;
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
    if (options.worldChange !== undefined) this.worldChange = checkWorldChange(options.worldChange);
    if (options.cascades === true) this.cascadeRng = master.fork();
    else if (options.cascades !== undefined && options.cascades !== false)
      throw new ArgumentError('options.cascades', `must be a boolean, got ${String(options.cascades)}`);
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
    const spawned: Fault[] = [];
    for (const fault of this.live) {
      if (fault.endsWithCause && fault.parent!.end <= t && fault.end > t) this.endWithCause(fault, t);
      if (fault.end <= t) {
        clearFault(fault, this.state);
        continue;
      }
      this.live[kept++] = fault;
      if (fault.start > t) continue;
      if (fault.start === t) activateFault(fault, this.topology, this.routeTable);
      applyFault(fault, t, this.state);
      if (this.cascadeRng && !fault.cascaded) this.cascade(fault, t, this.cascadeRng, spawned);
    }
    this.live.length = kept;
    for (const fault of spawned) {
      this.faults.push(fault);
      this.live.push(fault);
      activateFault(fault, this.topology, this.routeTable);
      applyFault(fault, t, this.state);
    }
    for (const change of this.changes) change.apply(t, this.state);
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

  /**
   * Schedules a planned change (now or later) and returns its record: a rolling deploy, a
   * maintenance or a traffic shift on `spec.nodes` (see src/sim/changes.ts). It is no fault: the
   * ground truth does not list it. Throws ArgumentError on a bad spec.
   */
  plan(spec: PlannedChangeSpec): PlannedChangeRecord {
    const change = new PlannedChange(this.changes.length, spec, this.topology, this.nextTick);
    this.changes.push(change);
    return change.record();
  }

  /** Every planned change so far (past, under way and to come). */
  plannedChanges(): PlannedChangeRecord[] {
    return this.changes.map((change) => change.record());
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

  /**
   * Whether `node` answers out of band at the last simulated tick (as a ping would): it is not
   * crashed, restarting or down for a planned change, whether or not its telemetry arrives.
   * Throws ArgumentError on an unknown node.
   */
  reachable(node: string): boolean {
    return !this.nodeDown(this.topology.nodeIndex(node, 'node'), Math.max(0, this.nextTick - 1));
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
      if (!fault.activeAt(t) || !this.heals(kind, type, index, fault, t)) continue;
      fault.end = t;
      fault.healedBy = ticket.id;
      ticket.healed.push(fault.id);
      clearFault(fault, state);
    }
  }

  /** Whether an action of `kind` landing on (type, index) at tick `t` heals `fault`, the world's change applied. */
  private heals(kind: SimAction['kind'], type: TargetScope, index: number, fault: Fault, t: number): boolean {
    const change = this.worldChange;
    if (change && t >= change.atTick && fault.kind === change.kind) {
      if (kind === change.stops) return false;
      if (kind === change.starts) return isRootCause(type, index, fault);
    }
    return addresses(kind, type, index, fault);
  }

  /** Whether node i is crashed, in a restart outage or down for a planned change at tick t. */
  private nodeDown(i: number, t: number): boolean {
    return (
      this.state.restartUntil[i] > t ||
      this.live.some((f) => f.kind === 'node-crash' && f.index === i && f.activeAt(t)) ||
      this.changes.some((c) => c.takesDown(i, t))
    );
  }

  /**
   * A fault set off by another ends with it: the congestion of rerouted traffic once the crashed
   * node is back. Healed by the action that healed its cause, if one did.
   */
  private endWithCause(fault: Fault, t: number): void {
    const cause = fault.parent!;
    fault.end = t;
    if (cause.healedBy === undefined) return;
    fault.healedBy = cause.healedBy;
    this.tickets[cause.healedBy].healed.push(fault.id);
  }

  /**
   * Sets off what an active fault may start (see SimOptions.cascades), once per fault: a crash,
   * by chance, congests a non-gateway neighbour some ticks later while it lasts; a leak that has
   * held the memory full for OOM_TICKS crashes its node.
   */
  private cascade(fault: Fault, t: number, rng: Rng, spawned: Fault[]): void {
    const i = fault.index;
    if (fault.kind === 'node-crash') {
      if (fault.cascadeAt === undefined) {
        const neighbours = this.topology.neighbors(i).filter((j) => !this.topology.isGateway[j]);
        if (neighbours.length === 0 || !rng.chance(CRASH_CASCADE_CHANCE)) {
          fault.cascaded = true;
          return;
        }
        fault.cascadeAt = t + REROUTE_DELAY[0] + rng.int(REROUTE_DELAY[1] - REROUTE_DELAY[0] + 1);
        fault.cascadeTarget = neighbours[rng.int(neighbours.length)];
        return;
      }
      if (t < fault.cascadeAt) return;
      fault.cascaded = true;
      const severity = Math.round(rng.range(0.3, 0.7) * 100) / 100;
      const target = this.topology.nodeTarget(fault.cascadeTarget!);
      this.spawn(fault, { kind: 'congestion', target, severity }, t, spawned, true);
    } else if (fault.kind === 'memory-leak') {
      const { baseMemory, cache, leak } = this.state;
      fault.saturatedTicks = baseMemory[i] + cache[i] + leak[i] >= 100 ? fault.saturatedTicks + 1 : 0;
      if (fault.saturatedTicks < OOM_TICKS) return;
      fault.cascaded = true;
      const duration = 60 + rng.int(541);
      const crash = { kind: 'node-crash', target: fault.target, duration, severity: fault.severity } as const;
      this.spawn(fault, crash, t, spawned, false);
    } else fault.cascaded = true;
  }

  /**
   * A fault set off by `cause` at tick t, unless the same kind already strikes its target. A
   * congestion of rerouted traffic lasts as long as its crash (see endWithCause); a crash at the
   * end of a leak outlives it.
   */
  private spawn(cause: Fault, spec: FaultSpec, t: number, spawned: Fault[], endsWithCause: boolean): void {
    const fault = createFault(this.faults.length + spawned.length, { ...spec, start: t }, this.topology, t);
    if (this.live.some((f) => f.kind === fault.kind && f.index === fault.index && f.activeAt(t))) return;
    fault.parent = cause;
    fault.endsWithCause = endsWithCause;
    spawned.push(fault);
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
