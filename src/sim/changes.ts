/**
 * Planned changes: work an operator does on the mesh on purpose, which moves telemetry as a fault
 * would but is no fault. A rolling deploy restarts a group of nodes one after another; a
 * maintenance takes nodes out for a while; a traffic shift moves extra demand onto nodes. They
 * are announced (MapeKLoop.announceChange), so an engine that acts against one acts against the
 * operator's own work: the evaluator counts such actions.
 */
import { ArgumentError } from '../errors.ts';
import type { MeshState } from './state.ts';
import type { Topology } from './topology.ts';

/** The kinds of planned change the simulator carries out. */
export const PLANNED_CHANGE_KINDS = ['rolling-deploy', 'maintenance', 'traffic-shift'] as const;

/** One of PLANNED_CHANGE_KINDS. */
export type PlannedChangeKind = (typeof PLANNED_CHANGE_KINDS)[number];

/** A planned change to carry out. */
export interface PlannedChangeSpec {
  /** What is done. */
  readonly kind: PlannedChangeKind;
  /** The nodes it touches (a rolling deploy restarts them in this order). */
  readonly nodes: readonly string[];
  /** First tick of the change. */
  readonly start: number;
  /** Ticks it lasts (a rolling deploy spreads its restarts evenly over them). */
  readonly duration: number;
}

/** A planned change as the simulator carries it out. */
export interface PlannedChangeRecord extends PlannedChangeSpec {
  /** The change's id, in planning order from 0. */
  readonly id: number;
  /** First tick after the change. */
  readonly end: number;
}

/** Longest restart outage of one node in a rolling deploy, ticks. */
const DEPLOY_OUTAGE = 30;
/** Extra demand of a traffic shift, as a share of the node's provisioned capacity (within its headroom). */
const SHIFT_LOAD = 0.35;

/** A change checked against the topology and the current tick; throws ArgumentError naming the field. */
export class PlannedChange implements PlannedChangeRecord {
  readonly kind: PlannedChangeKind;
  readonly nodes: readonly string[];
  readonly start: number;
  readonly duration: number;
  readonly end: number;
  /** Node indices of `nodes`. */
  readonly #indices: Int32Array;

  constructor(
    readonly id: number,
    spec: PlannedChangeSpec,
    topology: Topology,
    now: number,
  ) {
    if (spec === null || typeof spec !== 'object') throw new ArgumentError('change', 'must be an object');
    if (!(PLANNED_CHANGE_KINDS as readonly string[]).includes(spec.kind))
      throw new ArgumentError(
        'change.kind',
        `must be one of ${PLANNED_CHANGE_KINDS.join(', ')}, got ${JSON.stringify(spec.kind)}`,
      );
    if (!Array.isArray(spec.nodes) || spec.nodes.length === 0)
      throw new ArgumentError('change.nodes', 'must be a non-empty array of node ids');
    if (!Number.isInteger(spec.start) || spec.start < now)
      throw new ArgumentError('change.start', `must be an integer tick >= ${now}, got ${String(spec.start)}`);
    if (!Number.isInteger(spec.duration) || spec.duration < 1)
      throw new ArgumentError('change.duration', `must be a positive integer, got ${String(spec.duration)}`);
    this.#indices = Int32Array.from(spec.nodes, (id, k) => topology.nodeIndex(id, `change.nodes[${k}]`));
    this.kind = spec.kind;
    this.nodes = [...spec.nodes];
    this.start = spec.start;
    this.duration = spec.duration;
    this.end = spec.start + spec.duration;
  }

  /** Writes the change's effect at `tick` into the overlays; nothing outside its window. */
  apply(tick: number, state: MeshState): void {
    if (tick < this.start || tick >= this.end) return;
    if (this.kind === 'traffic-shift')
      for (const i of this.#indices) state.extraLoad[i] += state.capacity[i] * SHIFT_LOAD;
    else for (const i of this.#indices) if (this.takesDown(i, tick)) state.down[i] = 1;
  }

  /** Whether the change takes node `i` down at `tick`. */
  takesDown(i: number, tick: number): boolean {
    if (this.kind === 'traffic-shift' || tick < this.start || tick >= this.end) return false;
    const k = this.#indices.indexOf(i);
    if (k < 0) return false;
    if (this.kind === 'maintenance') return true;
    const step = Math.max(1, Math.floor(this.duration / this.#indices.length));
    const into = tick - this.start - k * step;
    return into >= 0 && into < Math.min(DEPLOY_OUTAGE, Math.ceil(step / 2));
  }

  /** The record, detached from the simulator. */
  record(): PlannedChangeRecord {
    const { id, kind, nodes, start, duration, end } = this;
    return { id, kind, nodes, start, duration, end };
  }
}
