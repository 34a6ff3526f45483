/**
 * The mesh as drawn: node positions scaled into a viewport, and a picture of its health turned
 * into a list of shapes (links, incident outlines, nodes, marks, labels). The playground paints
 * the shapes on a canvas every frame (canvas.ts) and the run report writes them once as SVG
 * (svg.ts): one drawing, two renderers, so both show a mesh alike.
 */
import { ArgumentError } from '../errors.ts';
import { INCIDENT_COLORS, LINK_COLORS, MARK_COLORS, NODE_COLORS, NODE_HEALTH } from './palette.ts';

/**
 * Where the nodes are and how they are linked: the simulator's Topology has this shape, and any
 * topology with positions in the unit square can be drawn.
 */
export interface MeshLayout {
  readonly nodeIds: readonly string[];
  /** Positions in the unit square. */
  readonly x: ArrayLike<number>;
  readonly y: ArrayLike<number>;
  readonly linkFrom: ArrayLike<number>;
  readonly linkTo: ArrayLike<number>;
  /** 1 where the node is a gateway. */
  readonly isGateway: ArrayLike<number>;
}

/** A layout placed in a viewport of `width` x `height` pixels. */
export interface MeshGeometry {
  readonly width: number;
  readonly height: number;
  /** Node centres, pixels. */
  readonly px: Float64Array;
  readonly py: Float64Array;
  readonly linkFrom: ArrayLike<number>;
  readonly linkTo: ArrayLike<number>;
  readonly isGateway: ArrayLike<number>;
  /** Node radius, pixels: smaller as the mesh grows, so a thousand nodes still read. */
  readonly radius: number;
}

/** Bits of a node's or link's marks, beside its health. */
export const MARK = Object.freeze({
  /** The root cause of an injected fault that is active (the ground truth). */
  faulty: 1,
  /** An action of the engine is in flight on it. */
  acted: 2,
  /** Chosen by the user. */
  selected: 4,
});

/** Link health as a small integer: its ends' telemetry, and whether the engine blames it. */
export const LINK_HEALTH = ['normal', 'strained', 'suspect'] as const;

/** An incident to outline around its nodes. */
export interface IncidentOutline {
  label: string;
  nodes: readonly number[];
  escalated: boolean;
}

/** A fault marked where it struck, in its kind's colour (the report marks every fault of a run). */
export interface Strike {
  node?: number;
  link?: number;
  color: string;
  /** Drawn hollow: the fault was never healed by an action. */
  hollow?: boolean;
}

/** What to draw over the layout: health and marks per node and link, incidents, strikes. */
export interface MeshPicture {
  /** Per node: an index into NODE_HEALTH. */
  readonly nodeHealth: ArrayLike<number>;
  /** Per node: MARK bits. */
  readonly nodeMarks: ArrayLike<number>;
  /** Per link: an index into LINK_HEALTH. */
  readonly linkHealth: ArrayLike<number>;
  /** Per link: MARK bits. */
  readonly linkMarks: ArrayLike<number>;
  readonly incidents: readonly IncidentOutline[];
  readonly strikes?: readonly Strike[];
}

/** One shape of a drawing, in pixels. Renderers draw shapes in order. */
export type Shape =
  | {
      type: 'line';
      x1: number;
      y1: number;
      x2: number;
      y2: number;
      stroke: string;
      width: number;
      dash?: readonly number[];
    }
  | {
      type: 'circle';
      x: number;
      y: number;
      r: number;
      fill?: string;
      stroke?: string;
      width?: number;
      dash?: readonly number[];
    }
  | { type: 'square'; x: number; y: number; half: number; fill?: string; stroke?: string; width?: number }
  /** A hull grown by `pad` (round joins): a tinted area with a border. */
  | {
      type: 'area';
      points: ReadonlyArray<readonly [number, number]>;
      pad: number;
      fill: string;
      border: string;
    }
  | { type: 'text'; x: number; y: number; text: string; color: string; size: number };

/** Places `layout` in a `width` x `height` viewport with a margin for outlines and labels. */
export function placeMesh(layout: MeshLayout, width: number, height: number): MeshGeometry {
  if (!(width > 0 && height > 0))
    throw new ArgumentError('width, height', `expected a viewport larger than 0, got ${width} x ${height}`);
  const n = layout.nodeIds.length;
  const radius = Math.max(2.5, Math.min(9, 90 / Math.sqrt(Math.max(1, n))));
  const margin = radius * 3 + 16;
  const px = new Float64Array(n);
  const py = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    px[i] = margin + layout.x[i] * (width - 2 * margin);
    py[i] = margin + layout.y[i] * (height - 2 * margin);
  }
  return {
    width,
    height,
    px,
    py,
    linkFrom: layout.linkFrom,
    linkTo: layout.linkTo,
    isGateway: layout.isGateway,
    radius,
  };
}

/** The shapes of `picture` over `geometry`, back to front. */
export function meshShapes(geometry: MeshGeometry, picture: MeshPicture): Shape[] {
  const { px, py, linkFrom, linkTo, radius } = geometry;
  const shapes: Shape[] = [];
  const pad = radius + 7;
  for (const incident of picture.incidents) {
    const color = incident.escalated ? INCIDENT_COLORS.escalated : INCIDENT_COLORS.open;
    shapes.push({
      type: 'area',
      points: outline(geometry, incident.nodes),
      pad,
      fill: `${color}22`,
      border: color,
    });
  }
  const line = (l: number, stroke: string, width: number, dash?: readonly number[]): Shape => ({
    type: 'line',
    x1: px[linkFrom[l]],
    y1: py[linkFrom[l]],
    x2: px[linkTo[l]],
    y2: py[linkTo[l]],
    stroke,
    width,
    ...(dash ? { dash } : {}),
  });
  // Links by health, the worse on top; then the ground truth dashed over them.
  const thin = Math.max(0.75, radius / 5);
  for (const [health, stroke, width] of [
    [0, LINK_COLORS.normal, thin],
    [1, LINK_COLORS.strained, thin * 2],
    [2, LINK_COLORS.suspect, thin * 3.5],
  ] as const) {
    for (let l = 0; l < linkFrom.length; l++)
      if (picture.linkHealth[l] === health) shapes.push(line(l, stroke, width));
  }
  for (let l = 0; l < linkFrom.length; l++) {
    const marks = picture.linkMarks[l];
    if (marks & MARK.acted) shapes.push(line(l, MARK_COLORS.acted, thin * 2.5));
    if (marks & MARK.faulty) shapes.push(line(l, LINK_COLORS.faulty, thin * 2, [5, 4]));
    if (marks & MARK.selected) shapes.push(line(l, MARK_COLORS.selected, thin * 3, [3, 2]));
  }
  for (const strike of picture.strikes ?? []) {
    if (strike.link === undefined) continue;
    shapes.push(
      line(
        strike.link,
        strike.color,
        strike.hollow ? thin * 2 : thin * 4,
        strike.hollow ? [4, 3] : undefined,
      ),
    );
  }
  for (let i = 0; i < px.length; i++) {
    const fill = NODE_COLORS[NODE_HEALTH[picture.nodeHealth[i]] ?? 'healthy'];
    shapes.push(
      geometry.isGateway[i]
        ? { type: 'square', x: px[i], y: py[i], half: radius * 1.15, fill, stroke: '#ffffff', width: 1 }
        : { type: 'circle', x: px[i], y: py[i], r: radius, fill, stroke: '#ffffff', width: 1 },
    );
  }
  // Rings: the ground truth innermost, then an action in flight, then the selection.
  const ring = Math.max(1.5, radius / 3.5);
  const around = (i: number, gap: number, stroke: string, width = ring, dash?: readonly number[]): Shape => ({
    type: 'circle',
    x: px[i],
    y: py[i],
    r: radius + gap * ring,
    stroke,
    width,
    ...(dash ? { dash } : {}),
  });
  for (let i = 0; i < px.length; i++) {
    const marks = picture.nodeMarks[i];
    if (marks & MARK.faulty) shapes.push(around(i, 1, MARK_COLORS.faulty));
    if (marks & MARK.acted) shapes.push(around(i, 2.5, MARK_COLORS.acted));
    if (marks & MARK.selected) shapes.push(around(i, 4, MARK_COLORS.selected, ring, [3, 2]));
  }
  const struck = new Map<number, number>();
  for (const strike of picture.strikes ?? []) {
    if (strike.node === undefined) continue;
    const nth = struck.get(strike.node) ?? 0;
    struck.set(strike.node, nth + 1);
    shapes.push(around(strike.node, 1.4 + 1.1 * nth, strike.color, strike.hollow ? ring * 0.35 : ring * 0.7));
  }
  for (const incident of picture.incidents) {
    if (incident.nodes.length === 0) continue;
    const top = incident.nodes.reduce((a, b) => (py[b] < py[a] ? b : a));
    shapes.push({
      type: 'text',
      x: px[top],
      y: Math.max(11, py[top] - pad - 4),
      text: incident.label,
      color: incident.escalated ? INCIDENT_COLORS.escalated : INCIDENT_COLORS.open,
      size: 11,
    });
  }
  return shapes;
}

/** What lies under a point: a node (preferred within its reach), else a link, else nothing. */
export type Hit = { node: number } | { link: number } | undefined;

/** The node or link under (x, y) in the geometry's pixels, with a few pixels of slack for fingers. */
export function hitTest(geometry: MeshGeometry, x: number, y: number): Hit {
  const { px, py, linkFrom, linkTo } = geometry;
  const reach = geometry.radius + 5;
  let best = -1;
  let bestDistance = reach * reach;
  for (let i = 0; i < px.length; i++) {
    const d = (px[i] - x) ** 2 + (py[i] - y) ** 2;
    if (d <= bestDistance) [best, bestDistance] = [i, d];
  }
  if (best >= 0) return { node: best };
  let link = -1;
  let linkDistance = 5 * 5;
  for (let l = 0; l < linkFrom.length; l++) {
    const d = segmentDistance2(x, y, px[linkFrom[l]], py[linkFrom[l]], px[linkTo[l]], py[linkTo[l]]);
    if (d <= linkDistance) [link, linkDistance] = [l, d];
  }
  return link >= 0 ? { link } : undefined;
}

/** Squared distance from (x, y) to the segment (ax, ay)-(bx, by). */
function segmentDistance2(x: number, y: number, ax: number, ay: number, bx: number, by: number): number {
  const dx = bx - ax;
  const dy = by - ay;
  const length2 = dx * dx + dy * dy;
  const t = length2 > 0 ? Math.max(0, Math.min(1, ((x - ax) * dx + (y - ay) * dy) / length2)) : 0;
  return (x - ax - t * dx) ** 2 + (y - ay - t * dy) ** 2;
}

/**
 * The convex hull of some nodes' centres, counter-clockwise (Andrew's monotone chain); fewer
 * than three distinct points come back as they are (an area of one point is a disc, of two a
 * capsule).
 */
export function outline(geometry: MeshGeometry, nodes: readonly number[]): Array<[number, number]> {
  const points = [...new Set(nodes)]
    .map((i): [number, number] => [geometry.px[i], geometry.py[i]])
    .sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  if (points.length <= 2) return points;
  const cross = (o: readonly number[], a: readonly number[], b: readonly number[]) =>
    (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
  const half = (list: Array<[number, number]>) => {
    const hull: Array<[number, number]> = [];
    for (const p of list) {
      while (hull.length >= 2 && cross(hull[hull.length - 2], hull[hull.length - 1], p) <= 0) hull.pop();
      hull.push(p);
    }
    return hull.slice(0, -1);
  };
  return [...half(points), ...half([...points].reverse())];
}
