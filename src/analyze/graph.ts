/**
 * The mesh as Analyze sees it: node ids, undirected links and, when known, which nodes are
 * gateways (where traffic leaves the mesh) and each node's current next hop towards one (the
 * routing table a mesh protocol such as BATMAN, OLSR or Babel keeps on every node), and the
 * directed calls between services (which service depends on which), nothing about how it was
 * built. The simulator, a service registry or an operator's inventory can all produce one.
 */
import { ArgumentError } from '../errors.ts';

/** Nodes, links and (optionally) gateways and calls of a mesh, with bounded hop queries. */
export class MeshGraph {
  /** Node ids; a node's index in this array is its index everywhere else. */
  readonly nodeIds: readonly string[];
  /** Links as node-index pairs, and their ids "a-b". */
  readonly links: ReadonlyArray<readonly [number, number]>;
  /** The id of each link of `links`, `${a}-${b}` in the order given. */
  readonly linkIds: readonly string[];
  readonly #index = new Map<string, number>();
  readonly #neighbors: number[][];
  readonly #linkByPair = new Map<number, number>();
  /** Hops from each node to its nearest gateway (Infinity when none is known or reachable). */
  readonly #hops: Float64Array;
  /** Each node's next hop from the routing table, -1 for none; absent until `setRoutes`. */
  #nextHop?: Int32Array;
  /** Per node, the nodes it calls and the nodes that call it. */
  readonly #callees: number[][];
  readonly #callers: number[][];
  /** Per node, its neighbours and then the nodes it calls or is called by: what one incident spans. */
  readonly #near: number[][];

  /**
   * A mesh with hop counts to its gateways; throws an `ArgumentError` for a link, gateway or call
   * naming an unknown node.
   * @param links pairs of node ids; the link id is `${a}-${b}` in the order given
   * @param gateways ids of the nodes where traffic leaves the mesh, if known
   * @param calls directed dependencies, `[caller, callee]`: a callee's fault shows at its callers
   */
  constructor(
    nodeIds: readonly string[],
    links: ReadonlyArray<readonly [string, string]>,
    gateways: readonly string[] = [],
    calls: ReadonlyArray<readonly [caller: string, callee: string]> = [],
  ) {
    this.nodeIds = [...nodeIds];
    this.nodeIds.forEach((id, i) => this.#index.set(id, i));
    this.#neighbors = this.nodeIds.map(() => []);
    const pairs: Array<readonly [number, number]> = [];
    const ids: string[] = [];
    for (const [a, b] of links) {
      const i = this.indexOf(a, 'links');
      const j = this.indexOf(b, 'links');
      this.#neighbors[i].push(j);
      this.#neighbors[j].push(i);
      this.#linkByPair.set(this.#pairKey(i, j), pairs.length);
      pairs.push([i, j]);
      ids.push(`${a}-${b}`);
    }
    this.links = pairs;
    this.linkIds = ids;
    this.#hops = new Float64Array(this.nodeIds.length).fill(Infinity);
    let frontier = gateways.map((id) => this.indexOf(id, 'gateways'));
    for (const g of frontier) this.#hops[g] = 0;
    for (let h = 1; frontier.length; h++) {
      const next: number[] = [];
      for (const u of frontier)
        for (const v of this.#neighbors[u]) if (this.#hops[v] === Infinity) (this.#hops[v] = h), next.push(v);
      frontier = next;
    }
    this.#callees = this.nodeIds.map(() => []);
    this.#callers = this.nodeIds.map(() => []);
    for (const [caller, callee] of calls) {
      const i = this.indexOf(caller, 'calls');
      const j = this.indexOf(callee, 'calls');
      // A call listed twice is one dependency.
      if (this.#callees[i].includes(j)) continue;
      this.#callees[i].push(j);
      this.#callers[j].push(i);
    }
    this.#near = this.#neighbors.map((neighbors, i) => {
      const partners = [...this.#callees[i], ...this.#callers[i]].filter(
        (j, k, all) => j !== i && !neighbors.includes(j) && all.indexOf(j) === k,
      );
      return partners.length ? [...neighbors, ...partners] : neighbors;
    });
  }

  /** Number of nodes. */
  get size(): number {
    return this.nodeIds.length;
  }

  /** Index of a node id; throws an ArgumentError naming `argument` when unknown. */
  indexOf(id: string, argument = 'node'): number {
    const i = this.#index.get(id);
    if (i === undefined) throw new ArgumentError(argument, `unknown node "${id}"`);
    return i;
  }

  /** Indices of the nodes one link away from node index `i`. */
  neighbors(i: number): readonly number[] {
    return this.#neighbors[i];
  }

  /**
   * Records the routing table: `nextHop[i]` is the node index node i forwards through, -1 at a
   * gateway or where no route exists. Call again whenever routes change.
   */
  setRoutes(nextHop: ArrayLike<number>): void {
    if (nextHop?.length !== this.size)
      throw new ArgumentError('nextHop', `expected ${this.size} next hops, got ${nextHop?.length}`);
    const table = Int32Array.from(nextHop);
    table.forEach((hop, i) => {
      if (hop !== -1 && this.linkBetween(i, hop) < 0)
        throw new ArgumentError(
          'nextHop',
          `node "${this.nodeIds[i]}" routes through ${hop}, which is not a neighbour`,
        );
    });
    this.#nextHop = table;
  }

  /** The same mesh with a routing table of its own: `setRoutes` on the copy leaves this graph as it is. */
  copy(): MeshGraph {
    const ids = this.nodeIds;
    const copy = new MeshGraph(
      ids,
      this.links.map(([a, b]) => [ids[a], ids[b]] as const),
      ids.filter((_, i) => this.isGateway(i)),
      this.#callees.flatMap((callees, i) => callees.map((j) => [ids[i], ids[j]] as const)),
    );
    copy.#nextHop = this.#nextHop?.slice();
    return copy;
  }

  /** The routing table last set, if any (read-only view). */
  get routes(): Readonly<Int32Array> | undefined {
    return this.#nextHop;
  }

  /**
   * Where `i`'s traffic goes next: its next hop when routes are known, else its neighbours one
   * hop nearer a gateway (routes follow link costs, which mostly track hops); empty when neither
   * is known.
   */
  upstream(i: number): number[] {
    if (this.#nextHop) return this.#nextHop[i] >= 0 ? [this.#nextHop[i]] : [];
    return this.#neighbors[i].filter((j) => this.#hops[j] < this.#hops[i]);
  }

  /** Nodes whose traffic goes through `i` next: those routing through it, or (without routes) its neighbours one hop farther from a gateway. */
  downstream(i: number): number[] {
    const next = this.#nextHop;
    if (next) return this.#neighbors[i].filter((j) => next[j] === i);
    return this.#neighbors[i].filter((j) => this.#hops[j] > this.#hops[i] && this.#hops[i] !== Infinity);
  }

  /** Indices of the nodes node `i` calls, in the order the calls were given (empty when no calls are known). */
  callees(i: number): readonly number[] {
    return this.#callees[i];
  }

  /** Indices of the nodes that call node `i`, in the order the calls were given (empty when no calls are known). */
  callers(i: number): readonly number[] {
    return this.#callers[i];
  }

  /** Whether node `i` is a gateway (false for every node when none are known). */
  isGateway(i: number): boolean {
    return this.#hops[i] === 0;
  }

  /** Link index between two nodes, or -1. */
  linkBetween(i: number, j: number): number {
    return this.#linkByPair.get(this.#pairKey(i, j)) ?? -1;
  }

  /**
   * Whether `j` is within `hops` of `i` (breadth-first, bounded), a hop being a link or a call
   * either way: a fault shows at the nodes it is linked to and at the callers of its services.
   */
  within(i: number, j: number, hops: number): boolean {
    if (i === j) return true;
    let frontier = [i];
    const seen = new Set(frontier);
    for (let h = 0; h < hops; h++) {
      const next: number[] = [];
      for (const u of frontier) {
        for (const v of this.#near[u]) {
          if (v === j) return true;
          if (!seen.has(v)) {
            seen.add(v);
            next.push(v);
          }
        }
      }
      frontier = next;
    }
    return false;
  }

  /** Nodes within `hops` of node `i` (itself included), breadth-first, over links and calls as in `within`. */
  around(i: number, hops: number): number[] {
    const seen = new Set([i]);
    let frontier = [i];
    for (let h = 0; h < hops && frontier.length; h++) {
      const next: number[] = [];
      for (const u of frontier) for (const v of this.#near[u]) if (!seen.has(v)) seen.add(v), next.push(v);
      frontier = next;
    }
    return [...seen];
  }

  #pairKey(i: number, j: number): number {
    return i < j ? i * this.nodeIds.length + j : j * this.nodeIds.length + i;
  }
}
