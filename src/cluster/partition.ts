/**
 * Topology regions for many engines: the mesh's nodes split into `regions` balanced parts so that
 * few links cross from one part to another. Each region is one telemetry subject and one unit of
 * ownership, so a crossing link is where two engines may see one fault: the fewer, the fewer
 * incidents need electing an owner (lease.ts) and the fewer diagnoses see half a picture.
 *
 * The split is deterministic (the same graph gives the same regions on every engine, so they
 * agree without talking): seeds spread by farthest-point sampling on hop distance, regions grown
 * from them breadth-first in turns (the smallest region claims next, so they stay balanced), then
 * a boundary refinement in the manner of Kernighan-Lin / Fiduccia-Mattheyses: a boundary node
 * moves to the neighbouring region holding more of its links when sizes stay within the balance
 * tolerance, and two boundary nodes swap regions when that cuts links and a single move would not
 * keep the balance. Pure TypeScript over index arrays: it runs on every runtime.
 */
import { ArgumentError } from '../errors.ts';

/** A graph to split: `nodes` nodes numbered from 0 and undirected links between them. */
export interface PartitionGraph {
  /** Node count. */
  readonly nodes: number;
  /** Undirected links as node-index pairs. */
  readonly links: ReadonlyArray<readonly [number, number]>;
}

/** Options of {@link partitionGraph}. */
export interface PartitionOptions {
  /**
   * How far a region may grow past the even share, as a fraction of it (default 0.1): room for
   * the refinement to follow the graph's shape instead of a size.
   */
  readonly imbalance?: number;
  /** Refinement passes at most (default 8); a pass that improves nothing ends it earlier. */
  readonly passes?: number;
}

/** Regions of a graph, as {@link partitionGraph} draws them. */
export interface Partitioning {
  /** Region count. */
  readonly regions: number;
  /** Each node's region, 0..regions-1. */
  readonly regionOf: Int32Array;
  /** Each region's nodes, ascending. */
  readonly members: readonly (readonly number[])[];
  /** Links whose ends lie in different regions. */
  readonly crossingLinks: number;
}

/**
 * Splits `graph` into `regions` balanced regions with few crossing links (see the module's
 * comment). Throws an ArgumentError for a region count outside 1..nodes, a link naming an
 * unknown node, or an imbalance or pass count out of range.
 */
export function partitionGraph(
  graph: PartitionGraph,
  regions: number,
  options: PartitionOptions = {},
): Partitioning {
  const n = graph.nodes;
  if (!Number.isInteger(n) || n < 1)
    throw new ArgumentError('graph.nodes', `expected an integer >= 1, got ${String(n)}`);
  if (!Number.isInteger(regions) || regions < 1 || regions > n)
    throw new ArgumentError('regions', `expected an integer in 1..${n}, got ${String(regions)}`);
  const imbalance = options.imbalance ?? 0.1;
  if (!(imbalance >= 0 && imbalance <= 1))
    throw new ArgumentError('options.imbalance', `expected a number in [0, 1], got ${String(imbalance)}`);
  const passes = options.passes ?? 8;
  if (!Number.isInteger(passes) || passes < 0)
    throw new ArgumentError('options.passes', `expected an integer >= 0, got ${String(passes)}`);
  const neighbours = adjacency(graph);
  const regionOf = growRegions(neighbours, regions);
  const share = n / regions;
  const bounds = { min: Math.floor(share * (1 - imbalance)), max: Math.ceil(share * (1 + imbalance)) };
  refine(neighbours, regionOf, regions, bounds, passes);
  const members: number[][] = Array.from({ length: regions }, () => []);
  for (let v = 0; v < n; v++) members[regionOf[v]].push(v);
  return { regions, regionOf, members, crossingLinks: crossingLinks(graph, regionOf) };
}

/** Links of `graph` whose ends `regionOf` puts in different regions. */
export function crossingLinks(graph: PartitionGraph, regionOf: ArrayLike<number>): number {
  let crossing = 0;
  for (const [a, b] of graph.links) if (regionOf[a] !== regionOf[b]) crossing++;
  return crossing;
}

/** Each node's distinct neighbours, ascending; throws for a link naming an unknown node. */
function adjacency(graph: PartitionGraph): number[][] {
  const sets: Set<number>[] = Array.from({ length: graph.nodes }, () => new Set());
  graph.links.forEach(([a, b], l) => {
    for (const end of [a, b])
      if (!Number.isInteger(end) || end < 0 || end >= graph.nodes)
        throw new ArgumentError(`graph.links[${l}]`, `names node ${String(end)} of ${graph.nodes}`);
    if (a !== b) {
      sets[a].add(b);
      sets[b].add(a);
    }
  });
  return sets.map((s) => [...s].sort((x, y) => x - y));
}

/** Hop distances from `sources` (Infinity where unreachable). */
function hopsFrom(neighbours: readonly number[][], sources: readonly number[]): Float64Array {
  const hops = new Float64Array(neighbours.length).fill(Infinity);
  const queue: number[] = [];
  for (const s of sources) {
    hops[s] = 0;
    queue.push(s);
  }
  for (let head = 0; head < queue.length; head++) {
    const v = queue[head];
    for (const w of neighbours[v])
      if (hops[w] === Infinity) {
        hops[w] = hops[v] + 1;
        queue.push(w);
      }
  }
  return hops;
}

/**
 * Seeds by farthest-point sampling (each next seed the node farthest from every seed so far,
 * unreachable nodes first so every component gets one; ties to the lowest index), then regions
 * grown breadth-first in turns, the smallest region claiming next.
 */
function growRegions(neighbours: readonly number[][], regions: number): Int32Array {
  const n = neighbours.length;
  // The first seed is the node farthest from node 0: an end of the graph, not its middle.
  const fromZero = hopsFrom(neighbours, [0]);
  const seeds = [argMax(fromZero)];
  while (seeds.length < regions) seeds.push(argMax(hopsFrom(neighbours, seeds), seeds));
  const regionOf = new Int32Array(n).fill(-1);
  const frontiers: number[][] = seeds.map((s, r) => {
    regionOf[s] = r;
    return [s];
  });
  const heads = new Array<number>(regions).fill(0);
  const sizes = new Array<number>(regions).fill(1);
  let assigned = regions;
  while (assigned < n) {
    // The smallest region whose frontier still reaches an unclaimed node claims one.
    let grower = -1;
    for (let r = 0; r < regions; r++) {
      while (heads[r] < frontiers[r].length && !hasFree(neighbours[frontiers[r][heads[r]]], regionOf))
        heads[r]++;
      if (heads[r] < frontiers[r].length && (grower < 0 || sizes[r] < sizes[grower])) grower = r;
    }
    if (grower < 0) {
      // What no region reaches (another component): the smallest region takes it.
      const smallest = sizes.indexOf(Math.min(...sizes));
      const v = regionOf.indexOf(-1);
      regionOf[v] = smallest;
      sizes[smallest]++;
      frontiers[smallest].push(v);
      assigned++;
      continue;
    }
    const from = frontiers[grower][heads[grower]];
    const v = neighbours[from].find((w) => regionOf[w] < 0)!;
    regionOf[v] = grower;
    sizes[grower]++;
    frontiers[grower].push(v);
    assigned++;
  }
  return regionOf;
}

function hasFree(list: readonly number[], regionOf: Int32Array): boolean {
  for (const w of list) if (regionOf[w] < 0) return true;
  return false;
}

/** The index of the largest value not in `exclude` (Infinity counts largest; ties to the lowest index). */
function argMax(values: Float64Array, exclude: readonly number[] = []): number {
  let best = -1;
  for (let i = 0; i < values.length; i++) {
    if (exclude.includes(i)) continue;
    if (best < 0 || values[i] > values[best]) best = i;
  }
  return best;
}

/** Links from `v` into each region. */
function linksByRegion(
  neighbours: readonly number[][],
  regionOf: Int32Array,
  v: number,
): Map<number, number> {
  const counts = new Map<number, number>();
  for (const w of neighbours[v]) counts.set(regionOf[w], (counts.get(regionOf[w]) ?? 0) + 1);
  return counts;
}

/** Boundary refinement: single moves within the size bounds, then swaps (see the module's comment). */
function refine(
  neighbours: readonly number[][],
  regionOf: Int32Array,
  regions: number,
  bounds: { min: number; max: number },
  passes: number,
): void {
  const n = neighbours.length;
  const sizes = new Array<number>(regions).fill(0);
  for (let v = 0; v < n; v++) sizes[regionOf[v]]++;
  for (let pass = 0; pass < passes; pass++) {
    let improved = false;
    // A candidate move per boundary node: its best other region and what the move gains.
    const moves: Array<{ v: number; to: number; gain: number }> = [];
    for (let v = 0; v < n; v++) {
      const counts = linksByRegion(neighbours, regionOf, v);
      const own = counts.get(regionOf[v]) ?? 0;
      let to = -1;
      let most = -1;
      for (const [r, c] of counts)
        if (r !== regionOf[v] && (c > most || (c === most && r < to))) {
          to = r;
          most = c;
        }
      if (to >= 0) moves.push({ v, to, gain: most - own });
    }
    moves.sort((a, b) => b.gain - a.gain || a.v - b.v);
    const deferred: typeof moves = [];
    for (const move of moves) {
      const from = regionOf[move.v];
      // Gains change as neighbours move: recompute before acting.
      const counts = linksByRegion(neighbours, regionOf, move.v);
      const gain = (counts.get(move.to) ?? 0) - (counts.get(from) ?? 0);
      if (gain <= 0 && !(gain === 0 && sizes[from] > sizes[move.to] + 1)) {
        if (gain >= 0 || gain === -1) deferred.push({ ...move, gain });
        continue;
      }
      if (sizes[from] - 1 < bounds.min || sizes[move.to] + 1 > bounds.max) {
        deferred.push({ ...move, gain });
        continue;
      }
      regionOf[move.v] = move.to;
      sizes[from]--;
      sizes[move.to]++;
      if (gain > 0) improved = true;
    }
    // Swaps: a node moving from A to B with one moving from B to A keeps both sizes.
    for (let i = 0; i < deferred.length; i++) {
      const a = deferred[i];
      const ra = regionOf[a.v];
      if (ra === a.to) continue;
      for (let j = i + 1; j < deferred.length; j++) {
        const b = deferred[j];
        if (regionOf[b.v] !== a.to || b.to !== ra) continue;
        const gainA = gainOf(neighbours, regionOf, a.v, a.to);
        const gainB = gainOf(neighbours, regionOf, b.v, ra);
        const linked = neighbours[a.v].includes(b.v) ? 2 : 0;
        if (gainA + gainB - linked <= 0) continue;
        regionOf[a.v] = a.to;
        regionOf[b.v] = ra;
        improved = true;
        break;
      }
    }
    if (!improved) break;
  }
}

function gainOf(neighbours: readonly number[][], regionOf: Int32Array, v: number, to: number): number {
  const counts = linksByRegion(neighbours, regionOf, v);
  return (counts.get(to) ?? 0) - (counts.get(regionOf[v]) ?? 0);
}
