/**
 * Shortest-path routing toward the nearest gateway: one multi-source Dijkstra from every
 * gateway yields each node's next hop, so all flows are routed in O(m log n). Costs are nominal
 * (set up when the mesh was surveyed) plus administrative penalties; routes change only when the
 * simulator is told to reroute, as with a statically configured or slow-converging mesh.
 */
import type { Topology } from './topology.ts';

/** Each node's route to its gateway. All arrays are index-aligned with the topology's nodes. */
export interface RouteTable {
  /** Bumped on every recomputation, so a reader can tell that routes changed. */
  readonly version: number;
  /** Next node toward the gateway; -1 at gateways. */
  readonly nextHop: Int32Array;
  /** Link to the next hop; -1 at gateways. */
  readonly nextLink: Int32Array;
  /** The gateway the node's traffic exits through. */
  readonly gateway: Int32Array;
  /** Path cost to the gateway (ETX-weighted milliseconds, plus penalties). */
  readonly cost: Float64Array;
  /** Nodes sorted by decreasing cost: every node comes before its next hop. */
  readonly order: Int32Array;
}

/**
 * Nominal link cost: expected transmission count (1 / (1 - loss)^2, both directions must
 * succeed) times one-hop latency, the ETT metric radio meshes route by.
 */
export function nominalLinkCosts(topology: Topology): Float64Array {
  const cost = new Float64Array(topology.linkCount);
  for (let l = 0; l < cost.length; l++) {
    const delivery = 1 - topology.loss[l];
    cost[l] = topology.latency[l] / (delivery * delivery);
  }
  return cost;
}

/** Allocates an empty table for `nodes` nodes. */
export function emptyRouteTable(nodes: number): RouteTable {
  return {
    version: 0,
    nextHop: new Int32Array(nodes),
    nextLink: new Int32Array(nodes),
    gateway: new Int32Array(nodes),
    cost: new Float64Array(nodes),
    order: new Int32Array(nodes),
  };
}

/**
 * Recomputes `routes` in place. A relay's `nodePenalty` is paid by traffic it forwards for
 * others (its own traffic does not avoid itself); `linkPenalty` by traffic crossing the link.
 * Penalties are finite, so a target with no way around it still carries traffic.
 */
export function computeRoutes(
  topology: Topology,
  linkCost: Float64Array,
  linkPenalty: Float64Array,
  nodePenalty: Float64Array,
  routes: RouteTable,
): RouteTable {
  const n = topology.nodeCount;
  const { nextHop, nextLink, gateway, cost, order } = routes;
  cost.fill(Infinity);
  nextHop.fill(-1);
  nextLink.fill(-1);
  const heap = new MinHeap(n + 2 * topology.linkCount);
  for (const g of topology.gateways) {
    cost[g] = 0;
    gateway[g] = g;
    heap.push(0, g);
  }
  const settled = new Uint8Array(n);
  let remaining = n;
  while (heap.size > 0) {
    const d = heap.peekKey();
    const u = heap.pop();
    if (settled[u] || d > cost[u]) continue;
    settled[u] = 1;
    order[--remaining] = u;
    for (let k = topology.adjStart[u]; k < topology.adjStart[u + 1]; k++) {
      const v = topology.adjNode[k];
      if (settled[v]) continue;
      const l = topology.adjLink[k];
      const through = d + nodePenalty[u] + linkCost[l] + linkPenalty[l];
      if (through < cost[v]) {
        cost[v] = through;
        nextHop[v] = u;
        nextLink[v] = l;
        gateway[v] = gateway[u];
        heap.push(through, v);
      }
    }
  }
  return { ...routes, version: routes.version + 1 };
}

/** Binary min-heap of (key, node) pairs on typed arrays; stale entries are skipped by the caller. */
class MinHeap {
  private readonly keys: Float64Array;
  private readonly values: Int32Array;
  size = 0;

  constructor(capacity: number) {
    this.keys = new Float64Array(capacity);
    this.values = new Int32Array(capacity);
  }

  push(key: number, value: number): void {
    let i = this.size++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this.keys[parent] <= key) break;
      this.keys[i] = this.keys[parent];
      this.values[i] = this.values[parent];
      i = parent;
    }
    this.keys[i] = key;
    this.values[i] = value;
  }

  peekKey(): number {
    return this.keys[0];
  }

  pop(): number {
    const top = this.values[0];
    const key = this.keys[--this.size];
    const value = this.values[this.size];
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= this.size) break;
      if (child + 1 < this.size && this.keys[child + 1] < this.keys[child]) child++;
      if (this.keys[child] >= key) break;
      this.keys[i] = this.keys[child];
      this.values[i] = this.values[child];
      i = child;
    }
    this.keys[i] = key;
    this.values[i] = value;
    return top;
  }
}
