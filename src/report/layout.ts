/**
 * Where to draw an operator's topology (a topology file: nodes, links, gateways): its own
 * coordinates scaled into the unit square when every node has them, else a force-directed layout
 * of its links, the same for the same file every time. The simulator's meshes carry their
 * coordinates; an operator's systems often do not, and a report on a replay still draws them.
 */
import type { MeshLayout } from './mesh.ts';

/** What a layout needs of a topology: a topology file as `parseTopology` reads it has this shape. */
export interface DrawableTopology {
  /** Every node, in order, with its coordinates when the file gives them (any unit). */
  readonly nodes: ReadonlyArray<{ readonly id: string; readonly x?: number; readonly y?: number }>;
  /** Undirected links between two nodes' ids. */
  readonly links: ReadonlyArray<readonly [string, string]>;
  /** The ids of the nodes drawn as gateways. */
  readonly gateways: readonly string[];
}

/**
 * The layout of `topology`: its coordinates (aspect kept, centred in the unit square) when every
 * node has finite ones, else a force-directed layout. Links naming unknown nodes are left out.
 */
export function topologyLayout(topology: DrawableTopology): MeshLayout {
  const nodeIds = topology.nodes.map((n) => n.id);
  const index = new Map(nodeIds.map((id, i) => [id, i]));
  const linkFrom: number[] = [];
  const linkTo: number[] = [];
  for (const [a, b] of topology.links) {
    const from = index.get(a);
    const to = index.get(b);
    if (from === undefined || to === undefined) continue;
    linkFrom.push(from);
    linkTo.push(to);
  }
  const gateways = new Set(topology.gateways);
  const placed = topology.nodes.every((n) => Number.isFinite(n.x) && Number.isFinite(n.y));
  const [x, y] = placed
    ? [Float64Array.from(topology.nodes, (n) => n.x!), Float64Array.from(topology.nodes, (n) => n.y!)]
    : forceLayout(nodeIds.length, linkFrom, linkTo);
  fitUnitSquare(x, y);
  return {
    nodeIds,
    x,
    y,
    linkFrom: Int32Array.from(linkFrom),
    linkTo: Int32Array.from(linkTo),
    isGateway: Uint8Array.from(nodeIds, (id) => (gateways.has(id) ? 1 : 0)),
  };
}

/** Scales and centres the points into [0, 1] x [0, 1], the same scale on both axes. */
function fitUnitSquare(x: Float64Array, y: Float64Array): void {
  if (x.length === 0) return;
  let [minX, maxX, minY, maxY] = [Infinity, -Infinity, Infinity, -Infinity];
  for (let i = 0; i < x.length; i++) {
    minX = Math.min(minX, x[i]);
    maxX = Math.max(maxX, x[i]);
    minY = Math.min(minY, y[i]);
    maxY = Math.max(maxY, y[i]);
  }
  const span = Math.max(maxX - minX, maxY - minY);
  // A single point, or all at one place: the middle.
  const scale = span > 0 ? 1 / span : 0;
  const offX = (1 - (maxX - minX) * scale) / 2;
  const offY = (1 - (maxY - minY) * scale) / 2;
  for (let i = 0; i < x.length; i++) {
    x[i] = offX + (x[i] - minX) * scale;
    y[i] = offY + (y[i] - minY) * scale;
  }
}

/** How strongly every node is pulled to the middle, against the repulsion of the others. */
const GRAVITY = 0.5;

/**
 * Fruchterman and Reingold's layout: linked nodes attract, all nodes repel, and the moves cool
 * down. It starts from a sunflower spiral (no randomness, so a file always draws the same) and
 * runs fewer rounds as the mesh grows, since each round costs n² (some 3·10⁷ pair visits in all).
 */
function forceLayout(
  n: number,
  linkFrom: readonly number[],
  linkTo: readonly number[],
): [Float64Array, Float64Array] {
  const x = new Float64Array(n);
  const y = new Float64Array(n);
  const golden = Math.PI * (3 - Math.sqrt(5));
  for (let i = 0; i < n; i++) {
    const radius = Math.sqrt((i + 0.5) / n);
    x[i] = radius * Math.cos(i * golden);
    y[i] = radius * Math.sin(i * golden);
  }
  if (n < 2) return [x, y];
  const k = Math.sqrt(Math.PI / n);
  const rounds = Math.max(15, Math.min(200, Math.floor(3e7 / (n * n))));
  const dx = new Float64Array(n);
  const dy = new Float64Array(n);
  for (let round = 0; round < rounds; round++) {
    dx.fill(0);
    dy.fill(0);
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) {
        const ex = x[i] - x[j];
        const ey = y[i] - y[j];
        const d2 = Math.max(ex * ex + ey * ey, 1e-9);
        const push = (k * k) / d2;
        dx[i] += ex * push;
        dy[i] += ey * push;
        dx[j] -= ex * push;
        dy[j] -= ey * push;
      }
    }
    for (let l = 0; l < linkFrom.length; l++) {
      const a = linkFrom[l];
      const b = linkTo[l];
      const ex = x[a] - x[b];
      const ey = y[a] - y[b];
      const pull = Math.sqrt(ex * ex + ey * ey) / k;
      dx[a] -= ex * pull;
      dy[a] -= ey * pull;
      dx[b] += ex * pull;
      dy[b] += ey * pull;
    }
    const limit = 0.1 * (1 - round / rounds) + 0.002;
    for (let i = 0; i < n; i++) {
      // A pull to the middle, so parts of the mesh that no link joins stay in view.
      dx[i] -= (x[i] * GRAVITY) / k;
      dy[i] -= (y[i] * GRAVITY) / k;
      const move = Math.sqrt(dx[i] * dx[i] + dy[i] * dy[i]);
      if (move === 0) continue;
      const step = Math.min(move, limit) / move;
      x[i] += dx[i] * step;
      y[i] += dy[i] * step;
    }
  }
  return [x, y];
}
