/**
 * Keeps the engine's own doing from looking like faults. When routes change, traffic moves onto
 * new paths; when an action takes a node out of service, the links to it go dark; when an
 * action's effect lapses (or is rolled back), its target returns to its old state. Each time, the
 * nodes whose traffic or links change re-learn their normal for a while (the analyzer's
 * hold-down) instead of raising alarms.
 */
import type { Target } from '../domain/targets.ts';
import { ArgumentError } from '../errors.ts';
import { checkFinite, checkInt } from '../validate.ts';
import { nodesOf } from './evidence.ts';
import type { MeshGraph } from './graph.ts';

/** What settling needs to know of an action (an `ActionSpec` has it). */
export interface ActionEffects {
  /** Takes its target out of service. */
  readonly isolates?: boolean;
  /** Ticks after it completes until its effect lapses by itself, if it does. */
  readonly lapsesAfter?: number;
}

/** Hold-downs for route changes and for the effects of actions, now and when they lapse. */
export class Settling {
  /** Nodes whose action's effect lapses at a tick. */
  #lapses: Array<{ at: number; nodes: readonly number[] }> = [];

  constructor(
    private readonly graph: MeshGraph,
    /** Ignores a node's anomalies until a tick (the analyzer's `holdDown`). */
    private readonly holdDown: (node: number, until: number) => void,
    /** Ticks a hold-down lasts. */
    private readonly ticks: number,
  ) {}

  /**
   * Takes a new routing table at tick `now`. Moved traffic changes the load on the old and the
   * new path of every node whose next hop changed, and what the nodes forwarding into those paths
   * see (a node's loss covers its next hop).
   */
  updateRoutes(nextHop: ArrayLike<number>, now: number): void {
    const before = this.graph.routes;
    this.graph.setRoutes(nextHop);
    if (!before) return;
    const after = this.graph.routes!;
    const moved = new Set<number>();
    const walk = (table: Readonly<Int32Array>, from: number) => {
      for (let hop = from, steps = 0; hop >= 0 && steps <= table.length; hop = table[hop], steps++)
        moved.add(hop);
    };
    for (let i = 0; i < after.length; i++) {
      if (before[i] === after[i]) continue;
      walk(before, i);
      walk(after, i);
    }
    for (const node of [...moved]) for (const d of this.graph.downstream(node)) moved.add(d);
    this.#hold(moved, now + 1);
  }

  /**
   * An action on `target` completed at `now`: if it took the target out of service, the area
   * around it settles now; if its effect lapses by itself, the area settles again then.
   */
  actionDone(target: Target, spec: ActionEffects | undefined, now: number): void {
    if (spec?.isolates) this.#hold(this.#area(target), now);
    if (spec?.lapsesAfter !== undefined)
      this.#lapses.push({ at: now + spec.lapsesAfter, nodes: this.#area(target) });
  }

  /** An action on `target` was undone at `now`, ahead of its lapse: its area settles next tick. */
  actionUndone(target: Target, spec: ActionEffects | undefined, now: number): void {
    if (spec?.lapsesAfter !== undefined) this.#lapses.push({ at: now + 1, nodes: this.#area(target) });
  }

  /**
   * An incident was resolved at `now`: its nodes settle after the fix, and a remedy that moved
   * traffic (a reroute, a quarantine) gives the nodes around its target a new normal too.
   */
  resolved(nodes: Iterable<number>, healedBy: Target | undefined, now: number): void {
    const settling = new Set(nodes);
    if (healedBy)
      for (const node of nodesOf(this.graph, healedBy))
        for (const n of this.graph.around(node, 2)) settling.add(n);
    this.#hold(settling, now);
  }

  /** The action effects still to lapse, as plain JSON (node indices), for {@link restore}. */
  save(): Array<{ at: number; nodes: number[] }> {
    return this.#lapses.map((l) => ({ at: l.at, nodes: [...l.nodes] }));
  }

  /**
   * Takes the lapses another Settling over the same mesh saved (`save`); ArgumentError naming the
   * first that does not fit (a tick that is not finite, a node the mesh lacks), changing nothing.
   */
  restore(lapses: ReadonlyArray<{ at: number; nodes: readonly number[] }>): void {
    if (!Array.isArray(lapses)) throw new ArgumentError('lapses', 'expected an array');
    const checked = lapses.map((l, i) => {
      const nodes: readonly number[] = l?.nodes;
      if (!Array.isArray(nodes)) throw new ArgumentError(`lapses[${i}]`, 'expected { at, nodes }');
      return {
        at: checkFinite(`lapses[${i}].at`, l.at),
        nodes: nodes.map((n, k) => checkInt(`lapses[${i}].nodes[${k}]`, n, 0, this.graph.size - 1)),
      };
    });
    this.#lapses = checked;
  }

  /** Settles whatever lapses at `ts`; call it before each analysis step. */
  step(ts: number): void {
    const due = this.#lapses.filter((l) => l.at <= ts);
    if (due.length === 0) return;
    this.#lapses = this.#lapses.filter((l) => l.at > ts);
    this.#hold(
      due.flatMap((l) => l.nodes),
      ts,
    );
  }

  #hold(nodes: Iterable<number>, from: number): void {
    for (const node of nodes) this.holdDown(node, from + this.ticks);
  }

  /** The target's nodes and the nodes one link or call away (see `MeshGraph.around`). */
  #area(target: Target): number[] {
    return [...new Set([...nodesOf(this.graph, target)].flatMap((node) => this.graph.around(node, 1)))];
  }
}
