/**
 * Seeded fault schedules for evaluation runs: `perKind` faults of each kind spread over the
 * run, each in its own time slot so that no two faults overlap at all (let alone on the same
 * target), and each on a target where it has something to break (a link that carries traffic,
 * a relay that forwards for others).
 */
import { ArgumentError } from '../errors.ts';
import { FAULT_SCOPE } from '../domain/faults.ts';
import { FAULT_VARIANTS, type FaultSpec, SIM_FAULT_KINDS, type SimFaultKind } from './faults.ts';
import { Rng } from '../random.ts';
import { computeRoutes, emptyRouteTable, nominalLinkCosts } from './routing.ts';
import { Topology } from './topology.ts';

/** What to schedule. */
export interface ScheduleOptions {
  /** Seed of the schedule's PRNG: the same seed gives the same schedule. */
  readonly seed: number;
  /** The mesh the faults will hit (e.g. `simulator.topology`). */
  readonly topology: Topology;
  /** Length of the run in simulated hours; default 24. */
  readonly hours?: number;
  /** Faults of each kind; default 20. */
  readonly perKind?: number;
  /** Kinds to schedule; default all. */
  readonly kinds?: readonly SimFaultKind[];
  /** Fault-free ticks at the start, for detectors to learn the baseline; default 600. */
  readonly warmup?: number;
  /** Shortest and longest fault, ticks; defaults 60 and 600 (capped to fit the slot). */
  readonly minDuration?: number;
  /** Longest fault, ticks. */
  readonly maxDuration?: number;
}

/** Fault-free ticks at the start of a schedule by default (both schedulers'). */
export const DEFAULT_WARMUP = 600;
/** The shortest fault by default, ticks (both schedulers'). */
export const DEFAULT_MIN_DURATION = 60;

/**
 * The most faults of each kind that fit in `hours`: after the warm-up, every fault needs a slot
 * at least twice its shortest duration (the fault and a quiet gap as long). `kinds` is how many
 * kinds are scheduled (default all).
 */
export function maxFaultsPerKind(
  hours: number,
  options: { kinds?: number; warmup?: number; minDuration?: number } = {},
): number {
  const {
    kinds = SIM_FAULT_KINDS.length,
    warmup = DEFAULT_WARMUP,
    minDuration = DEFAULT_MIN_DURATION,
  } = options;
  return Math.max(0, Math.floor((Math.floor(hours * 3600) - warmup) / (kinds * 2 * minDuration)));
}

/** The options `scheduleFaults` and `scheduleArrivals` share, with their defaults filled in. */
export interface FaultWindow {
  /** The mesh the faults will hit. */
  readonly topology: Topology;
  /** Length of the run in simulated hours. */
  readonly hours: number;
  /** Kinds to draw from. */
  readonly kinds: readonly SimFaultKind[];
  /** Fault-free ticks at the start. */
  readonly warmup: number;
  /** Shortest fault, ticks. */
  readonly minDuration: number;
  /** Longest fault, ticks. */
  readonly maxDuration: number;
}

/** Checks the options both schedulers share, alike: throws ArgumentError naming the first bad one. */
export function checkFaultWindow(window: FaultWindow): void {
  const { topology, hours, kinds, warmup, minDuration, maxDuration } = window;
  if (!(topology instanceof Topology))
    throw new ArgumentError('topology', 'must be a Topology (e.g. simulator.topology)');
  if (!(typeof hours === 'number' && hours > 0 && Number.isFinite(hours)))
    throw new ArgumentError('hours', `must be a positive number, got ${String(hours)}`);
  if (!Array.isArray(kinds) || kinds.length === 0)
    throw new ArgumentError('kinds', 'must be a non-empty array of fault kinds');
  for (const kind of kinds)
    if (!(SIM_FAULT_KINDS as readonly string[]).includes(kind))
      throw new ArgumentError('kinds', `unknown fault kind ${JSON.stringify(kind)}`);
  if (!Number.isInteger(warmup) || warmup < 0)
    throw new ArgumentError('warmup', `must be a non-negative integer, got ${String(warmup)}`);
  if (!Number.isInteger(minDuration) || minDuration < 1)
    throw new ArgumentError('minDuration', `must be a positive integer, got ${String(minDuration)}`);
  if (!Number.isInteger(maxDuration) || maxDuration < minDuration)
    throw new ArgumentError('maxDuration', `must be an integer >= minDuration, got ${String(maxDuration)}`);
}

/** A deterministic list of fault specs sorted by start tick, ready for `MeshSimulator.inject`. */
export function scheduleFaults(options: ScheduleOptions): FaultSpec[] {
  if (options === null || typeof options !== 'object')
    throw new ArgumentError('options', 'must be an object');
  const {
    topology,
    hours = 24,
    perKind = 20,
    kinds = SIM_FAULT_KINDS,
    warmup = DEFAULT_WARMUP,
    minDuration = DEFAULT_MIN_DURATION,
    maxDuration = 600,
  } = options;
  const rng = new Rng(options.seed);
  checkFaultWindow({ topology, hours, kinds, warmup, minDuration, maxDuration });
  if (!Number.isInteger(perKind) || perKind < 1)
    throw new ArgumentError('perKind', `must be a positive integer, got ${String(perKind)}`);

  const total = kinds.length * perKind;
  const slot = Math.floor((Math.floor(hours * 3600) - warmup) / total);
  // Each slot holds a fault plus a quiet gap at least as long, so every fault can be told apart.
  if (perKind > maxFaultsPerKind(hours, { kinds: kinds.length, warmup, minDuration })) {
    throw new ArgumentError(
      'perKind',
      `${total} faults of at least ${minDuration} ticks do not fit in ${hours} h after a ${warmup}-tick warm-up`,
    );
  }
  const order: SimFaultKind[] = rng.shuffle(
    (kinds as readonly SimFaultKind[]).flatMap((kind) => Array.from({ length: perKind }, () => kind)),
  );
  const targets = targetPools(topology);
  return order.map((kind, k) => {
    const duration = minDuration + rng.int(Math.min(maxDuration, Math.floor(slot / 2)) - minDuration + 1);
    const start = warmup + k * slot + rng.int(slot - duration - minDuration + 1);
    const pool = targets[poolOf(kind)];
    const index = pool[rng.int(pool.length)];
    const target = FAULT_SCOPE[kind] === 'node' ? topology.nodeTarget(index) : topology.linkTarget(index);
    const variants = FAULT_VARIANTS[kind];
    const severity = Math.round(rng.range(0.3, 1) * 100) / 100;
    const spec: FaultSpec = {
      kind,
      target,
      start,
      duration,
      severity,
      ...(variants ? { variant: variants[rng.int(variants.length)] } : {}),
    };
    return spec;
  });
}

/** A set of candidate targets: any node, relays, links on the routing tree, trunks a partition can cut. */
export type Pool = 'nodes' | 'relays' | 'treeLinks' | 'trunks';

/** The pool a kind's targets are drawn from: where it has something to break. */
export function poolOf(kind: SimFaultKind): Pool {
  if (kind === 'misbehaving-node') return 'relays';
  if (kind === 'partition') return 'trunks';
  return FAULT_SCOPE[kind] === 'node' ? 'nodes' : 'treeLinks';
}

/** Candidate targets: relays forward for others; tree links carry traffic; trunks also have a non-gateway end. */
export function targetPools(topology: Topology): Record<Pool, number[]> {
  const n = topology.nodeCount;
  const zeroLinks = new Float64Array(topology.linkCount);
  const routes = computeRoutes(
    topology,
    nominalLinkCosts(topology),
    zeroLinks,
    new Float64Array(n),
    emptyRouteTable(n),
  );
  const relays = new Set<number>();
  const treeLinks: number[] = [];
  for (let i = 0; i < n; i++) {
    if (routes.nextHop[i] < 0) continue;
    relays.add(routes.nextHop[i]);
    treeLinks.push(routes.nextLink[i]);
  }
  treeLinks.sort((a, b) => a - b);
  const trunks = treeLinks.filter(
    (l) => !(topology.isGateway[topology.linkFrom[l]] && topology.isGateway[topology.linkTo[l]]),
  );
  return {
    nodes: Array.from({ length: n }, (_, i) => i),
    relays: [...relays].sort((a, b) => a - b),
    treeLinks,
    trunks,
  };
}
