/**
 * Seeded schedules of a messy day: faults arriving as a Poisson process (a rate per node per
 * hour), so they overlap in time and sometimes in place, and planned changes (rolling deploys,
 * maintenance, traffic shifts) about evenly spread over the run. Unlike `scheduleFaults`, nothing
 * keeps faults apart: two may strike the same node at once (never the same kind on the same
 * target, which would be one fault). Cascades are the simulator's (`SimOptions.cascades`).
 */
import { FAULT_SCOPE } from '../domain/faults.ts';
import { ArgumentError } from '../errors.ts';
import { Rng } from '../random.ts';
import { PLANNED_CHANGE_KINDS, type PlannedChangeSpec } from './changes.ts';
import { FAULT_VARIANTS, type FaultSpec, SIM_FAULT_KINDS, type SimFaultKind } from './faults.ts';
import { checkFaultWindow, DEFAULT_MIN_DURATION, DEFAULT_WARMUP, poolOf, targetPools } from './schedule.ts';
import type { Topology } from './topology.ts';

/** What to schedule. */
export interface ArrivalOptions {
  /** Seed of the schedule's PRNG: the same seed gives the same schedule. */
  readonly seed: number;
  /** The mesh the faults will hit (e.g. `simulator.topology`). */
  readonly topology: Topology;
  /** Length of the run in simulated hours; default 24. */
  readonly hours?: number;
  /**
   * Faults per node per hour; default {@link DEFAULT_FAULT_RATE}. With the default durations a
   * fault lasts 330 ticks on average, so about `rate * nodes * 0.09` faults are active at a time.
   */
  readonly rate?: number;
  /** Planned changes per hour; default 0. */
  readonly changesPerHour?: number;
  /** Kinds to draw from, uniformly; default all. */
  readonly kinds?: readonly SimFaultKind[];
  /** Fault-free ticks at the start, for detectors to learn the baseline; default 600. */
  readonly warmup?: number;
  /** Shortest fault, ticks; default 60. */
  readonly minDuration?: number;
  /** Longest fault, ticks; default 600. */
  readonly maxDuration?: number;
}

/** A messy day's schedule: faults by start tick and planned changes by start tick. */
export interface ArrivalSchedule {
  /** Faults to inject (`MeshSimulator.inject`). */
  readonly faults: FaultSpec[];
  /** Changes to carry out (`MeshSimulator.plan`) and announce to the engine. */
  readonly changes: PlannedChangeSpec[];
}

/** Faults per node per hour by default: about three active at a time on 100 nodes. */
export const DEFAULT_FAULT_RATE = 0.1;

/** Redraws of a target before an arrival whose kind already strikes every drawn target is dropped. */
const TARGET_DRAWS = 8;

/** A deterministic messy schedule (see the module comment); throws ArgumentError naming a bad option. */
export function scheduleArrivals(options: ArrivalOptions): ArrivalSchedule {
  if (options === null || typeof options !== 'object')
    throw new ArgumentError('options', 'must be an object');
  const {
    topology,
    hours = 24,
    rate = DEFAULT_FAULT_RATE,
    changesPerHour = 0,
    kinds = SIM_FAULT_KINDS,
    warmup = DEFAULT_WARMUP,
    minDuration = DEFAULT_MIN_DURATION,
    maxDuration = 600,
  } = options;
  checkFaultWindow({ topology, hours, kinds, warmup, minDuration, maxDuration });
  if (!(typeof rate === 'number' && rate >= 0 && Number.isFinite(rate)))
    throw new ArgumentError('rate', `must be a finite number >= 0, got ${String(rate)}`);
  if (!(typeof changesPerHour === 'number' && changesPerHour >= 0 && Number.isFinite(changesPerHour)))
    throw new ArgumentError('changesPerHour', `must be a finite number >= 0, got ${String(changesPerHour)}`);

  const rng = new Rng(options.seed);
  const changeRng = rng.fork();
  const end = Math.floor(hours * 3600);
  const pools = targetPools(topology);
  // Per kind and target, the end of the latest fault there: the same kind may not strike twice at once.
  const busyUntil = new Map<string, number>();
  const faults: FaultSpec[] = [];
  const meanGap = rate > 0 ? 3600 / (rate * topology.nodeCount) : Infinity;
  for (let t = warmup + rng.exponential(meanGap); t < end - minDuration; t += rng.exponential(meanGap)) {
    const start = Math.floor(t);
    const kind = kinds[rng.int(kinds.length)] as SimFaultKind;
    const duration = minDuration + rng.int(Math.min(maxDuration, end - start) - minDuration + 1);
    const severity = Math.round(rng.range(0.3, 1) * 100) / 100;
    const variants = FAULT_VARIANTS[kind];
    const variant = variants ? variants[rng.int(variants.length)] : undefined;
    const pool = pools[poolOf(kind)];
    if (pool.length === 0) continue;
    for (let draw = 0; draw < TARGET_DRAWS; draw++) {
      const index = pool[rng.int(pool.length)];
      const key = `${kind}:${index}`;
      if ((busyUntil.get(key) ?? -1) > start) continue;
      busyUntil.set(key, start + duration);
      const target = FAULT_SCOPE[kind] === 'node' ? topology.nodeTarget(index) : topology.linkTarget(index);
      faults.push({ kind, target, start, duration, severity, ...(variant ? { variant } : {}) });
      break;
    }
  }
  return { faults, changes: scheduleChanges(changeRng, topology, warmup, end, changesPerHour) };
}

/**
 * About `perHour` changes an hour after the warm-up, each at a random point of its own slot:
 * kinds in turn from a random first one, on nodes that are not gateways.
 */
function scheduleChanges(
  rng: Rng,
  topology: Topology,
  warmup: number,
  end: number,
  perHour: number,
): PlannedChangeSpec[] {
  if (perHour === 0) return [];
  const slot = Math.floor(3600 / perHour);
  const candidates = Array.from({ length: topology.nodeCount }, (_, i) => i).filter(
    (i) => !topology.isGateway[i],
  );
  if (candidates.length === 0) return [];
  const changes: PlannedChangeSpec[] = [];
  const first = rng.int(PLANNED_CHANGE_KINDS.length);
  for (let k = 0, from = warmup; from + slot <= end; k++, from += slot) {
    const kind = PLANNED_CHANGE_KINDS[(first + k) % PLANNED_CHANGE_KINDS.length];
    const duration =
      kind === 'maintenance' ? 300 + rng.int(601) : kind === 'traffic-shift' ? 900 + rng.int(901) : 0;
    const size = kind === 'rolling-deploy' ? 4 + rng.int(5) : 1;
    const nodes = rng
      .shuffle([...candidates])
      .slice(0, size)
      .map((i) => topology.nodeIds[i]);
    // A rolling deploy restarts one node a minute.
    const length = kind === 'rolling-deploy' ? 60 * nodes.length : Math.min(duration, slot - 1);
    const start = from + rng.int(Math.max(1, slot - length));
    changes.push({ kind, nodes, start, duration: length });
  }
  return changes;
}
