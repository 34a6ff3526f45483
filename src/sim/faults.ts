/**
 * Fault kinds, their validation, and what each does to the mesh while active. A fault writes
 * only into the per-tick overlays of MeshState (plus leaked memory, which accumulates), so its
 * effect on metrics follows from the traffic model: a crashed relay shows up as packet loss at
 * the nodes that forward into it, a corrupting relay as errors at its next hop.
 */
import { FAULT_SCOPE, type FaultKind } from '../domain/faults.ts';
import { checkTarget, type LinkTarget, type Target, type TargetScope } from '../domain/targets.ts';
import { ArgumentError } from '../errors.ts';
import type { RouteTable } from './routing.ts';
import type { MeshState } from './state.ts';
import type { Topology } from './topology.ts';

/**
 * The fault kinds the simulator injects, a subset of the domain's FAULT_KINDS (the others, such
 * as disk-full or cert-expiry, have runbooks but no model here). A partition is injected at a
 * trunk link, but every link between the region it cuts off and the rest goes down with it (as
 * when a site's backhaul fails), so its root cause is that whole cut: telemetry cannot tell one
 * of its links from another, naming any of them locates it, and failing any of them over
 * reconnects the region.
 */
export const SIM_FAULT_KINDS = [
  'node-crash',
  'link-degradation',
  'congestion',
  'cpu-exhaustion',
  'memory-leak',
  'partition',
  'misbehaving-node',
  'flapping-link',
  'bad-config',
] as const satisfies readonly FaultKind[];

/** One of SIM_FAULT_KINDS. */
export type SimFaultKind = (typeof SIM_FAULT_KINDS)[number];

/** Sub-kinds: a leak in the heap or in an unbounded cache; a relay that drops or corrupts. */
export type FaultVariant = 'heap' | 'cache' | 'drop' | 'corrupt';

/** The variants each kind takes, the first being its default. */
export const FAULT_VARIANTS: Readonly<Partial<Record<SimFaultKind, readonly FaultVariant[]>>> = {
  'memory-leak': ['heap', 'cache'],
  'misbehaving-node': ['drop', 'corrupt'],
};

/** A fault to inject. */
export interface FaultSpec {
  /** What goes wrong. */
  readonly kind: SimFaultKind;
  /** The node or link it hits (a partition: a trunk link, whose whole cut goes down). */
  readonly target: Target;
  /** First tick of the fault; default: the next tick. */
  readonly start?: number;
  /** Ticks until it clears by itself; default: never (until an action heals it). */
  readonly duration?: number;
  /** 0 < severity <= 1; default 0.5. */
  readonly severity?: number;
  /** For memory-leak ('heap' default, 'cache') and misbehaving-node ('drop' default, 'corrupt'). */
  readonly variant?: FaultVariant;
}

/** Ground truth of one fault. */
export interface FaultRecord {
  /** The fault's id, in injection order from 0. */
  readonly id: number;
  /** What went wrong. */
  readonly kind: SimFaultKind;
  /** The root cause. */
  readonly target: Target;
  /** First tick of the fault. */
  readonly start: number;
  /** First tick without the fault: its natural end, the tick an action healed it, or Infinity. */
  readonly end: number;
  /** How hard it hit, 0 < severity <= 1. */
  readonly severity: number;
  /** Its variant, for the kinds that have one. */
  readonly variant?: FaultVariant;
  /** Id of the action ticket that healed it, if one did. */
  readonly healedBy?: number;
  /**
   * Nodes whose metrics the fault perturbs directly: the cause, its neighbours (or a partition's
   * cut-off region and its rim) and the route downstream to the gateway. Empty until it starts.
   */
  readonly affectedNodes: readonly string[];
  /** A partition's cut (every link of it counts as its root cause); empty for other kinds. */
  readonly cut: readonly LinkTarget[];
  /**
   * Id of the fault that set this one off, for a cascade's later faults (a neighbour congested by
   * a crash's rerouted traffic, a crash at the end of a memory leak); absent for a fault injected
   * on its own. A cascade's root cause is its first fault's target.
   */
  readonly cause?: number;
}

/** The simulator's mutable view of a fault. */
export class Fault implements FaultRecord {
  end: number;
  healedBy?: number;
  affectedNodes: readonly string[] = [];
  /** Node indices in affectedNodes. */
  affected: Int32Array = new Int32Array(0);
  cut: readonly LinkTarget[] = [];
  /** Link indices in `cut`. */
  cutLinks: Int32Array = new Int32Array(0);
  readonly variant?: FaultVariant;
  /** The fault that set this one off (see FaultRecord.cause). */
  parent?: Fault;
  /** Whether it ends when its cause does (rerouted traffic goes back once the crashed node is up). */
  endsWithCause = false;
  /** Whether this fault has already set off the cascade it can start. */
  cascaded = false;
  /** Ticks a leak has held the node's memory full. */
  saturatedTicks = 0;
  /** When and where a crash's rerouted traffic congests a neighbour, once drawn. */
  cascadeAt?: number;
  cascadeTarget?: number;

  constructor(
    readonly id: number,
    readonly kind: SimFaultKind,
    readonly target: Target,
    /** Node or link index of the root cause. */
    readonly index: number,
    readonly start: number,
    end: number,
    readonly severity: number,
    variant: FaultVariant | undefined,
  ) {
    this.end = end;
    if (variant !== undefined) this.variant = variant;
  }

  /** Active at `tick`. */
  activeAt(tick: number): boolean {
    return this.start <= tick && tick < this.end;
  }

  /** The ground-truth record, detached from later mutation. */
  record(): FaultRecord {
    const { id, kind, target, start, end, severity, variant, healedBy, affectedNodes, cut, parent } = this;
    return {
      id,
      kind,
      target,
      start,
      end,
      severity,
      affectedNodes,
      cut,
      ...(variant ? { variant } : {}),
      ...(healedBy !== undefined ? { healedBy } : {}),
      ...(parent ? { cause: parent.id } : {}),
    };
  }
}

/** Checks a spec against the topology and the current tick; throws ArgumentError naming the field. */
export function createFault(id: number, spec: FaultSpec, topology: Topology, now: number): Fault {
  if (spec === null || typeof spec !== 'object') throw new ArgumentError('fault', 'must be an object');
  const { kind } = spec;
  if (!(SIM_FAULT_KINDS as readonly string[]).includes(kind)) {
    throw new ArgumentError(
      'fault.kind',
      `must be one of ${SIM_FAULT_KINDS.join(', ')}, got ${JSON.stringify(kind)}`,
    );
  }
  const type = FAULT_SCOPE[kind];
  const index = resolveTarget(spec.target, type, topology, 'fault.target', kind);
  const start = spec.start ?? now;
  if (!Number.isInteger(start) || start < now)
    throw new ArgumentError('fault.start', `must be an integer tick >= ${now}, got ${String(spec.start)}`);
  if (spec.duration !== undefined && (!Number.isInteger(spec.duration) || spec.duration < 1)) {
    throw new ArgumentError(
      'fault.duration',
      `must be a positive integer number of ticks, got ${String(spec.duration)}`,
    );
  }
  const severity = spec.severity ?? 0.5;
  if (typeof severity !== 'number' || !(severity > 0 && severity <= 1))
    throw new ArgumentError('fault.severity', `must be in (0, 1], got ${String(spec.severity)}`);
  const allowed = FAULT_VARIANTS[kind];
  if (spec.variant !== undefined && !allowed?.includes(spec.variant)) {
    throw new ArgumentError(
      'fault.variant',
      allowed
        ? `${kind} takes ${allowed.join(' or ')}, got ${JSON.stringify(spec.variant)}`
        : `${kind} takes no variant`,
    );
  }
  if (
    kind === 'partition' &&
    topology.isGateway[topology.linkFrom[index]] &&
    topology.isGateway[topology.linkTo[index]]
  ) {
    throw new ArgumentError('fault.target', 'a partition needs a link with at least one non-gateway end');
  }
  const target = type === 'node' ? topology.nodeTarget(index) : topology.linkTarget(index);
  const end = spec.duration === undefined ? Infinity : start + spec.duration;
  return new Fault(id, kind, target, index, start, end, severity, spec.variant ?? allowed?.[0]);
}

/** Index of a node or link target of the expected type; throws ArgumentError naming `argument`. */
export function resolveTarget(
  target: Target,
  type: TargetScope,
  topology: Topology,
  argument: string,
  what: string,
): number {
  checkTarget(target, argument);
  if (type === 'node') {
    if (target.node === undefined)
      throw new ArgumentError(argument, `${what} targets a node: pass { node: id }`);
    return topology.nodeIndex(target.node, `${argument}.node`);
  }
  if (target.link === undefined)
    throw new ArgumentError(argument, `${what} targets a link: pass { link: [a, b] }`);
  return topology.linkIndex(target.link, `${argument}.link`);
}

/** Fixes what the fault touches once it starts, with the routes in force at that moment. */
export function activateFault(fault: Fault, topology: Topology, routes: RouteTable): void {
  const touched = new Set<number>();
  const withNeighbours = (i: number): void => {
    touched.add(i);
    for (const j of topology.neighbors(i)) touched.add(j);
  };
  const downstream = (i: number): void => {
    for (let hop = routes.nextHop[i]; hop >= 0; hop = routes.nextHop[hop]) touched.add(hop);
  };
  if (FAULT_SCOPE[fault.kind] === 'node') {
    withNeighbours(fault.index);
    downstream(fault.index);
  } else if (fault.kind === 'partition') {
    const region = partitionRegion(fault, topology);
    const cut: number[] = [];
    for (let l = 0; l < topology.linkCount; l++) {
      if (region.has(topology.linkFrom[l]) !== region.has(topology.linkTo[l])) cut.push(l);
    }
    fault.cutLinks = Int32Array.from(cut);
    fault.cut = cut.map((l) => topology.linkTarget(l));
    for (const i of region) withNeighbours(i);
    for (const i of [...touched]) downstream(i);
  } else {
    const a = topology.linkFrom[fault.index];
    const b = topology.linkTo[fault.index];
    touched.add(a).add(b);
    downstream(a);
    downstream(b);
  }
  // Traffic that crosses the fault's hops or the path below it shares their queues and losses,
  // so every node whose route reaches one of those hops is perturbed too.
  const core = new Set<number>();
  if (FAULT_SCOPE[fault.kind] === 'node') core.add(fault.index);
  else if (fault.kind !== 'partition')
    core.add(topology.linkFrom[fault.index]).add(topology.linkTo[fault.index]);
  else for (const i of touched) core.add(i);
  for (const i of [...core])
    for (let hop = routes.nextHop[i]; hop >= 0; hop = routes.nextHop[hop]) core.add(hop);
  for (let j = 0; j < topology.nodeCount; j++) {
    for (let hop = j; hop >= 0; hop = routes.nextHop[hop]) {
      if (core.has(hop)) {
        touched.add(j);
        break;
      }
    }
  }
  fault.affected = Int32Array.from([...touched].sort((p, q) => p - q));
  fault.affectedNodes = Array.from(fault.affected, (i) => topology.nodeIds[i]);
}

/**
 * The cut-off region: the trunk link's non-gateway end plus up to 1..4 more non-gateway nodes
 * around it (more with severity), never the trunk's other end. It holds no gateway, so all of its
 * traffic has to cross the cut.
 */
function partitionRegion(fault: Fault, topology: Topology): Set<number> {
  let inside = topology.linkFrom[fault.index];
  let outside = topology.linkTo[fault.index];
  if (topology.isGateway[inside]) [inside, outside] = [outside, inside];
  const size = 2 + Math.round(3 * fault.severity);
  const region = new Set<number>([inside]);
  const queue = [inside];
  while (queue.length > 0 && region.size < size) {
    const u = queue.shift()!;
    for (const v of topology.neighbors(u)) {
      if (region.size >= size) break;
      if (v === outside || region.has(v) || topology.isGateway[v]) continue;
      region.add(v);
      queue.push(v);
    }
  }
  return region;
}

/** Writes the fault's effect at `tick` into the overlays (and grows leaked memory). */
export function applyFault(fault: Fault, tick: number, state: MeshState): void {
  const i = fault.index;
  const s = fault.severity;
  switch (fault.kind) {
    case 'node-crash':
      state.down[i] = 1;
      break;
    case 'congestion':
      // A surge of 0.6..1.4x the node's capacity on top of its normal load.
      state.extraLoad[i] += state.capacity[i] * state.capacityScale[i] * (0.6 + 0.8 * s);
      break;
    case 'cpu-exhaustion':
      // A runaway process: the CPU pegs and the service keeps 10..50% of its capacity.
      state.cpuExtra[i] += 60 + 40 * s;
      state.capacityFactor[i] *= 0.5 - 0.4 * s;
      break;
    case 'memory-leak':
      state.leak[i] = Math.min(100, state.leak[i] + 0.4 + 1.2 * s);
      break;
    case 'misbehaving-node':
      if (fault.variant === 'corrupt')
        state.corruptFraction[i] = Math.max(state.corruptFraction[i], 0.2 + 0.6 * s);
      else state.transitDrop[i] = Math.max(state.transitDrop[i], 0.3 + 0.6 * s);
      break;
    case 'bad-config':
      state.errorExtra[i] += 0.15 + 0.45 * s;
      state.ownReject[i] = Math.max(state.ownReject[i], 0.15 + 0.45 * s);
      state.latencyFactor[i] *= 1.5;
      break;
    case 'link-degradation':
      state.touchLink(i);
      state.linkExtraLoss[i] = 1 - (1 - state.linkExtraLoss[i]) * (0.9 - 0.4 * s);
      state.linkSnrDrop[i] += 8 + 12 * s;
      state.linkLatencyFactor[i] *= 1 + 2 * s;
      break;
    case 'flapping-link': {
      // Down for the first half of every period; harsher flaps are faster (6..20 ticks).
      const period = Math.round(20 - 14 * s);
      if ((tick - fault.start) % period < period / 2) {
        state.linkDown[i] = 1;
        state.touchLink(i);
      }
      break;
    }
    case 'partition':
      for (const l of fault.cutLinks) {
        state.linkDown[l] = 1;
        state.touchLink(l);
      }
      break;
  }
}

/** Undoes the fault's persistent damage once it ends (healed or cleared by itself). */
export function clearFault(fault: Fault, state: MeshState): void {
  if (fault.kind !== 'memory-leak') return;
  state.leak[fault.index] = 0;
  if (fault.variant === 'cache') state.cache[fault.index] = 0;
}
