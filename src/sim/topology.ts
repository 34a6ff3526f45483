/**
 * Mesh topologies: random geometric (radio mesh), scale-free (Barabasi-Albert) and grid, from 5
 * to 10,000 nodes, always connected. Links carry a radio model (RSSI, SNR) from which their
 * latency, base loss and bandwidth follow; gateways (traffic sinks) are spread farthest-first.
 */
import { type LinkTarget, linkTarget, type NodeTarget, printTarget } from '../domain/targets.ts';
import { ArgumentError } from '../errors.ts';
import { Rng } from '../random.ts';

/** The three generators. */
export type TopologyKind = 'geometric' | 'scale-free' | 'grid';

/** Which topology to build. */
export interface TopologyOptions {
  /** Which generator builds the mesh. */
  readonly kind: TopologyKind;
  /** Node count, 5..10,000. */
  readonly nodes: number;
  /** Gateway (sink) count; default one per 25 nodes, at least 1. */
  readonly gateways?: number;
}

/** Smallest and largest supported mesh. */
export const MIN_NODES = 5;
/** Largest supported mesh, in nodes (`MIN_NODES` is the smallest). */
export const MAX_NODES = 10_000;

const TX_POWER_DBM = 20;
const PATH_LOSS_1M_DB = 40;
const PATH_LOSS_EXPONENT = 3;
const NOISE_FLOOR_DBM = -95;
const CHANNEL_MHZ = 20;
/** Radius (metres) that the connection radius of the geometric generator maps to. */
const RADIO_RANGE_M = 150;

/**
 * An immutable, connected, undirected mesh. Nodes and links are addressed by index in every
 * typed array and by typed target (`{ node: 'n17' }`, `{ link: ['n3', 'n17'] }`) in the public API.
 */
export class Topology {
  /** Node ids, index-aligned with every per-node array: `n0`, `n1`... unless named otherwise. */
  readonly nodeIds: readonly string[];
  /** Links' printed ids `a-b` (a's index below b's), for display: look links up by their ends. */
  readonly linkIds: readonly string[];
  /** Adjacency in compressed form: neighbours of i are adjNode[adjStart[i]..adjStart[i+1]). */
  readonly adjStart: Int32Array;
  /** The neighbour at each adjacency slot. */
  readonly adjNode: Int32Array;
  /** The link to that neighbour, per adjacency slot. */
  readonly adjLink: Int32Array;
  /** 1 where the node is a gateway. */
  readonly isGateway: Uint8Array;
  private readonly nodeIndexById: Map<string, number>;

  /**
   * A mesh from its arrays (`buildTopology` generates one); throws an `ArgumentError` unless the
   * node ids are distinct non-empty strings, one per node.
   */
  constructor(
    readonly kind: TopologyKind,
    /** Positions in the unit square (for layout and the geometric radio model). */
    readonly x: Float64Array,
    readonly y: Float64Array,
    readonly linkFrom: Int32Array,
    readonly linkTo: Int32Array,
    /** Received signal strength, dBm. */
    readonly rssi: Float64Array,
    /** Signal-to-noise ratio, dB. */
    readonly snr: Float64Array,
    /** One-hop latency, ms. */
    readonly latency: Float64Array,
    /** Base frame loss, 0..1. */
    readonly loss: Float64Array,
    /** Radio rate, Mbit/s. */
    readonly bandwidth: Float64Array,
    /** Gateway node indices. */
    readonly gateways: Int32Array,
    /** Node ids (distinct, non-empty); default `n0`, `n1`... */
    nodeIds?: readonly string[],
  ) {
    const n = x.length;
    const m = linkFrom.length;
    if (nodeIds !== undefined) {
      if (!Array.isArray(nodeIds) || nodeIds.length !== n)
        throw new ArgumentError('nodeIds', `expected ${n} node ids, got ${String(nodeIds?.length)}`);
      for (const id of nodeIds)
        if (typeof id !== 'string' || id === '')
          throw new ArgumentError('nodeIds', `expected non-empty strings, got ${JSON.stringify(id)}`);
    }
    this.nodeIds = nodeIds ? [...nodeIds] : Array.from({ length: n }, (_, i) => `n${i}`);
    this.nodeIndexById = new Map(this.nodeIds.map((id, i) => [id, i]));
    if (this.nodeIndexById.size !== n) throw new ArgumentError('nodeIds', 'node ids must be distinct');
    this.linkIds = Array.from({ length: m }, (_, l) => printTarget(this.linkTarget(l)));
    this.adjStart = new Int32Array(n + 1);
    for (let l = 0; l < m; l++) {
      this.adjStart[linkFrom[l] + 1]++;
      this.adjStart[linkTo[l] + 1]++;
    }
    for (let i = 0; i < n; i++) this.adjStart[i + 1] += this.adjStart[i];
    this.adjNode = new Int32Array(2 * m);
    this.adjLink = new Int32Array(2 * m);
    const fill = this.adjStart.slice(0, n);
    for (let l = 0; l < m; l++) {
      const a = linkFrom[l];
      const b = linkTo[l];
      this.adjNode[fill[a]] = b;
      this.adjLink[fill[a]++] = l;
      this.adjNode[fill[b]] = a;
      this.adjLink[fill[b]++] = l;
    }
    this.isGateway = new Uint8Array(n);
    for (const g of gateways) this.isGateway[g] = 1;
  }

  /** The same mesh with its nodes named `nodeIds` (index-aligned), as an operator's inventory names them. */
  withNodeIds(nodeIds: readonly string[]): Topology {
    const { kind, x, y, linkFrom, linkTo, rssi, snr, latency, loss, bandwidth, gateways } = this;
    return new Topology(kind, x, y, linkFrom, linkTo, rssi, snr, latency, loss, bandwidth, gateways, nodeIds);
  }

  /** Number of nodes. */
  get nodeCount(): number {
    return this.x.length;
  }

  /** Number of links. */
  get linkCount(): number {
    return this.linkFrom.length;
  }

  /** Index of node `id`; throws ArgumentError naming `argument` when unknown. */
  nodeIndex(id: string, argument = 'node'): number {
    const i = this.nodeIndexById.get(id);
    if (i === undefined) throw new ArgumentError(argument, `unknown node id ${JSON.stringify(id)}`);
    return i;
  }

  /**
   * Index of the link between nodes `ends` (in either order); throws ArgumentError naming
   * `argument` when a node is unknown or the two are not neighbours.
   */
  linkIndex(ends: LinkTarget['link'], argument = 'link'): number {
    if (!Array.isArray(ends) || ends.length !== 2)
      throw new ArgumentError(argument, `expected two node ids [a, b], got ${JSON.stringify(ends)}`);
    const l = this.linkBetween(this.nodeIndex(ends[0], argument), this.nodeIndex(ends[1], argument));
    if (l < 0)
      throw new ArgumentError(argument, `unknown link: ${ends[0]} and ${ends[1]} are not neighbours`);
    return l;
  }

  /** Node i as a target. */
  nodeTarget(i: number): NodeTarget {
    return { node: this.nodeIds[i] };
  }

  /** Link l as a target, its lower-index end first. */
  linkTarget(l: number): LinkTarget {
    return linkTarget(this.nodeIds[this.linkFrom[l]], this.nodeIds[this.linkTo[l]]);
  }

  /** Index of the link joining nodes a and b, or -1. */
  linkBetween(a: number, b: number): number {
    for (let k = this.adjStart[a]; k < this.adjStart[a + 1]; k++)
      if (this.adjNode[k] === b) return this.adjLink[k];
    return -1;
  }

  /** Neighbour node indices of node i (a fresh array; not for hot paths). */
  neighbors(i: number): number[] {
    return Array.from(this.adjNode.subarray(this.adjStart[i], this.adjStart[i + 1]));
  }
}

/** Builds a connected topology of the requested kind and size; equal seeds give equal meshes. */
export function buildTopology(options: TopologyOptions, seed: number): Topology {
  const rng = new Rng(seed);
  if (options === null || typeof options !== 'object')
    throw new ArgumentError('topology', 'must be an object');
  const { kind, nodes } = options;
  if (!Number.isInteger(nodes) || nodes < MIN_NODES || nodes > MAX_NODES) {
    throw new ArgumentError(
      'topology.nodes',
      `must be an integer in ${MIN_NODES}..${MAX_NODES}, got ${String(nodes)}`,
    );
  }
  const gatewayCount = options.gateways ?? Math.max(1, Math.round(nodes / 25));
  if (!Number.isInteger(gatewayCount) || gatewayCount < 1 || gatewayCount >= nodes) {
    throw new ArgumentError(
      'topology.gateways',
      `must be an integer in 1..${nodes - 1}, got ${String(options.gateways)}`,
    );
  }
  const x = new Float64Array(nodes);
  const y = new Float64Array(nodes);
  for (let i = 0; i < nodes; i++) {
    x[i] = rng.next();
    y[i] = rng.next();
  }
  let edges: Edge[];
  if (kind === 'geometric') edges = geometricEdges(x, y);
  else if (kind === 'scale-free') edges = scaleFreeEdges(nodes, rng);
  else if (kind === 'grid') edges = gridEdges(nodes, x, y);
  else
    throw new ArgumentError(
      'topology.kind',
      `must be 'geometric', 'scale-free' or 'grid', got ${JSON.stringify(kind)}`,
    );

  const m = edges.length;
  const from = new Int32Array(m);
  const to = new Int32Array(m);
  const rssi = new Float64Array(m);
  const snr = new Float64Array(m);
  const latency = new Float64Array(m);
  const loss = new Float64Array(m);
  const bandwidth = new Float64Array(m);
  edges.sort((p, q) => p.a - q.a || p.b - q.b);
  edges.forEach((e, l) => {
    from[l] = e.a;
    to[l] = e.b;
    // Log-distance path loss with log-normal shadowing.
    rssi[l] =
      TX_POWER_DBM -
      PATH_LOSS_1M_DB -
      10 * PATH_LOSS_EXPONENT * Math.log10(Math.max(1, e.metres)) +
      3 * rng.normal();
    snr[l] = rssi[l] - NOISE_FLOOR_DBM;
    // Shannon rate at half efficiency, capped like a real radio's top modulation.
    bandwidth[l] = Math.min(300, Math.max(1, 0.5 * CHANNEL_MHZ * Math.log2(1 + 10 ** (snr[l] / 10))));
    loss[l] = 0.001 + 0.3 / (1 + Math.exp((snr[l] - 8) / 1.5));
    latency[l] = 0.5 + 100 / bandwidth[l] + e.metres / 300_000;
  });
  const topology = new Topology(kind, x, y, from, to, rssi, snr, latency, loss, bandwidth, new Int32Array(0));
  const gateways = spreadGateways(topology, gatewayCount);
  return new Topology(kind, x, y, from, to, rssi, snr, latency, loss, bandwidth, gateways);
}

interface Edge {
  a: number;
  b: number;
  metres: number;
}

function edge(i: number, j: number, metres: number): Edge {
  return i < j ? { a: i, b: j, metres } : { a: j, b: i, metres };
}

/** Unit-disk graph at ~1.8 ln(n) mean degree; stray components joined by their nearest pair. */
function geometricEdges(x: Float64Array, y: Float64Array): Edge[] {
  const n = x.length;
  const radius = Math.min(0.6, Math.sqrt((1.8 * Math.log(n)) / (Math.PI * n)));
  const metres = (d: number): number => (d / radius) * RADIO_RANGE_M;
  const cells = Math.max(1, Math.floor(1 / radius));
  const bucket: number[][] = Array.from({ length: cells * cells }, () => []);
  const cellOf = (v: number): number => Math.min(cells - 1, Math.floor(v * cells));
  for (let i = 0; i < n; i++) bucket[cellOf(y[i]) * cells + cellOf(x[i])].push(i);
  const edges: Edge[] = [];
  for (let i = 0; i < n; i++) {
    const cx = cellOf(x[i]);
    const cy = cellOf(y[i]);
    for (let gy = Math.max(0, cy - 1); gy <= Math.min(cells - 1, cy + 1); gy++) {
      for (let gx = Math.max(0, cx - 1); gx <= Math.min(cells - 1, cx + 1); gx++) {
        for (const j of bucket[gy * cells + gx]) {
          if (j <= i) continue;
          const d = Math.hypot(x[i] - x[j], y[i] - y[j]);
          if (d <= radius) edges.push(edge(i, j, metres(d)));
        }
      }
    }
  }
  joinComponents(n, edges, (i, j) => metres(Math.hypot(x[i] - x[j], y[i] - y[j])));
  return edges;
}

/** Adds the shortest bridging edge from the smallest component until the graph is connected. */
function joinComponents(n: number, edges: Edge[], distance: (i: number, j: number) => number): void {
  for (;;) {
    const parent = Int32Array.from({ length: n }, (_, i) => i);
    const find = (i: number): number => {
      while (parent[i] !== i) i = parent[i] = parent[parent[i]];
      return i;
    };
    for (const e of edges) parent[find(e.a)] = find(e.b);
    const members = new Map<number, number[]>();
    for (let i = 0; i < n; i++) {
      const root = find(i);
      const list = members.get(root);
      if (list) list.push(i);
      else members.set(root, [i]);
    }
    if (members.size === 1) return;
    const smallest = [...members.values()].reduce((p, q) => (q.length < p.length ? q : p));
    const root = find(smallest[0]);
    let best = { i: -1, j: -1, d: Infinity };
    for (const i of smallest) {
      for (let j = 0; j < n; j++) {
        if (find(j) === root) continue;
        const d = distance(i, j);
        if (d < best.d) best = { i, j, d };
      }
    }
    edges.push(edge(best.i, best.j, best.d));
  }
}

/** Barabasi-Albert preferential attachment, two links per new node, from a triangle. */
function scaleFreeEdges(n: number, rng: Rng): Edge[] {
  const edges: Edge[] = [];
  const ends: number[] = [];
  const add = (i: number, j: number): void => {
    edges.push(edge(i, j, rng.range(20, 150)));
    ends.push(i, j);
  };
  add(0, 1);
  add(1, 2);
  add(0, 2);
  for (let v = 3; v < n; v++) {
    const first = ends[rng.int(ends.length)];
    let second = first;
    while (second === first) second = ends[rng.int(ends.length)];
    add(v, first);
    add(v, second);
  }
  return edges;
}

/** Near-square lattice with 4-neighbour links; a partial last row stays attached above. */
function gridEdges(n: number, x: Float64Array, y: Float64Array): Edge[] {
  const cols = Math.ceil(Math.sqrt(n));
  const rows = Math.ceil(n / cols);
  const edges: Edge[] = [];
  for (let i = 0; i < n; i++) {
    const r = Math.floor(i / cols);
    const c = i % cols;
    x[i] = (c + 0.5) / cols;
    y[i] = (r + 0.5) / rows;
    // Spacing varies a little so links differ in quality, as real deployments do.
    const spacing = 60 + 40 * (((i * 2654435761) >>> 0) / 4294967296);
    if (c + 1 < cols && i + 1 < n) edges.push(edge(i, i + 1, spacing));
    if (i + cols < n) edges.push(edge(i, i + cols, spacing));
  }
  return edges;
}

/** First gateway at the best-connected node, each next one at the node farthest (in hops) from all. */
function spreadGateways(topology: Topology, count: number): Int32Array {
  const n = topology.nodeCount;
  const hops = new Int32Array(n).fill(0x7fffffff);
  const queue = new Int32Array(n);
  const gateways = new Int32Array(count);
  const degree = (k: number): number => topology.adjStart[k + 1] - topology.adjStart[k];
  let next = 0;
  for (let i = 1; i < n; i++) if (degree(i) > degree(next)) next = i;
  for (let g = 0; g < count; g++) {
    gateways[g] = next;
    hops[next] = 0;
    let head = 0;
    let tail = 0;
    queue[tail++] = next;
    while (head < tail) {
      const u = queue[head++];
      for (let k = topology.adjStart[u]; k < topology.adjStart[u + 1]; k++) {
        const v = topology.adjNode[k];
        if (hops[u] + 1 < hops[v]) {
          hops[v] = hops[u] + 1;
          queue[tail++] = v;
        }
      }
    }
    for (let i = 0; i < n; i++) if (hops[i] > hops[next]) next = i;
  }
  return gateways;
}
