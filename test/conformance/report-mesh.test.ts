import { describe, expect, it } from 'vitest';
import {
  hitTest,
  LINK_COLORS,
  LINK_HEALTH,
  MARK,
  MARK_COLORS,
  meshShapes,
  NODE_COLORS,
  NODE_HEALTH,
  outline,
  placeMesh,
  type Shape,
  shapesSvg,
} from '../../src/report/index.ts';
import { buildTopology } from '../../src/sim/index.ts';

/** Four nodes on a square's corners, one gateway, a ring of links and one diagonal. */
const SQUARE = {
  nodeIds: ['a', 'b', 'c', 'd'],
  x: [0, 1, 1, 0],
  y: [0, 0, 1, 1],
  linkFrom: [0, 1, 2, 3, 0],
  linkTo: [1, 2, 3, 0, 2],
  isGateway: [1, 0, 0, 0],
};

const quiet = {
  nodeHealth: new Uint8Array(4),
  nodeMarks: new Uint8Array(4),
  linkHealth: new Uint8Array(5),
  linkMarks: new Uint8Array(5),
  incidents: [],
};

const ofType = <T extends Shape['type']>(shapes: Shape[], type: T) =>
  shapes.filter((s): s is Extract<Shape, { type: T }> => s.type === type);

describe('mesh drawing', () => {
  it('places the unit square inside the viewport with a margin, and refuses an empty viewport', () => {
    const g = placeMesh(SQUARE, 400, 300);
    expect(g.px[0]).toBeGreaterThan(0);
    expect(g.px[1]).toBeLessThan(400);
    expect(g.py[2]).toBeLessThan(300);
    expect(g.px[1] - g.px[0]).toBeGreaterThan(300);
    expect(() => placeMesh(SQUARE, 0, 300)).toThrow(/viewport/);
  });

  it('finds the node under a point first, then the link, then nothing', () => {
    const g = placeMesh(SQUARE, 400, 300);
    expect(hitTest(g, g.px[2] + 1, g.py[2] - 1)).toEqual({ node: 2 });
    // The middle of the top edge: on link a-b, far from both ends.
    expect(hitTest(g, (g.px[0] + g.px[1]) / 2, g.py[0] + 2)).toEqual({ link: 0 });
    expect(hitTest(g, (g.px[0] + g.px[1]) / 2, (g.py[0] + g.py[3]) / 4)).toBeUndefined();
  });

  it('outlines a group of nodes by its convex hull, an inner node left out', () => {
    const g = placeMesh(
      { ...SQUARE, nodeIds: [...SQUARE.nodeIds, 'e'], x: [...SQUARE.x, 0.5], y: [...SQUARE.y, 0.5] },
      400,
      300,
    );
    const hull = outline(g, [0, 1, 2, 3, 4]);
    expect(hull).toHaveLength(4);
    expect(hull).not.toContainEqual([g.px[4], g.py[4]]);
    expect(outline(g, [2, 2])).toEqual([[g.px[2], g.py[2]]]);
  });

  it('draws health, the ground truth, actions and selections in their colours, worse links on top', () => {
    const g = placeMesh(SQUARE, 400, 300);
    const shapes = meshShapes(g, {
      nodeHealth: Uint8Array.from([0, NODE_HEALTH.indexOf('anomalous'), NODE_HEALTH.indexOf('silent'), 0]),
      nodeMarks: Uint8Array.from([0, MARK.faulty, 0, MARK.selected | MARK.acted]),
      linkHealth: Uint8Array.from([LINK_HEALTH.indexOf('suspect'), 0, 0, 0, LINK_HEALTH.indexOf('strained')]),
      linkMarks: Uint8Array.from([0, MARK.faulty, 0, 0, 0]),
      incidents: [{ label: 'inc-1', nodes: [1, 2], escalated: false }],
    });
    const lines = ofType(shapes, 'line');
    expect(lines.map((l) => l.stroke).slice(0, 5)).toEqual([
      LINK_COLORS.normal,
      LINK_COLORS.normal,
      LINK_COLORS.normal,
      LINK_COLORS.strained,
      LINK_COLORS.suspect,
    ]);
    expect(lines[5]).toMatchObject({ stroke: LINK_COLORS.faulty, dash: [5, 4] });
    const fills = [...ofType(shapes, 'square'), ...ofType(shapes, 'circle')]
      .filter((s) => s.fill)
      .map((s) => s.fill);
    expect(fills).toEqual([
      NODE_COLORS.healthy,
      NODE_COLORS.anomalous,
      NODE_COLORS.silent,
      NODE_COLORS.healthy,
    ]);
    const rings = ofType(shapes, 'circle').filter((c) => !c.fill);
    expect(rings.map((r) => r.stroke)).toEqual([MARK_COLORS.faulty, MARK_COLORS.acted, MARK_COLORS.selected]);
    expect(shapes[0].type).toBe('area');
    expect(ofType(shapes, 'text')[0].text).toBe('inc-1');
  });

  it('marks where each fault struck, a second strike on a node in a wider ring', () => {
    const g = placeMesh(SQUARE, 400, 300);
    const shapes = meshShapes(g, {
      ...quiet,
      strikes: [
        { node: 1, color: '#111111' },
        { node: 1, color: '#222222', hollow: true },
        { link: 2, color: '#333333' },
      ],
    });
    const rings = ofType(shapes, 'circle').filter((c) => !c.fill);
    expect(rings.map((r) => r.stroke)).toEqual(['#111111', '#222222']);
    expect(rings[1].r).toBeGreaterThan(rings[0].r);
    expect(ofType(shapes, 'line').some((l) => l.stroke === '#333333')).toBe(true);
  });

  it('writes the same shapes as one titled SVG, a thousand-node mesh included', () => {
    const topology = buildTopology({ kind: 'geometric', nodes: 1000 }, 5);
    const g = placeMesh(topology, 900, 600);
    const shapes = meshShapes(g, {
      nodeHealth: new Uint8Array(topology.nodeCount),
      nodeMarks: new Uint8Array(topology.nodeCount),
      linkHealth: new Uint8Array(topology.linkCount),
      linkMarks: new Uint8Array(topology.linkCount),
      incidents: [{ label: 'inc-<7>', nodes: [0, 1, 2], escalated: true }],
    });
    const svg = shapesSvg(shapes, 900, 600, 'mesh & faults');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('<title>mesh &#38; faults</title>');
    expect(svg).toContain('inc-&#60;7&#62;');
    expect(svg.match(/<line /g)).toHaveLength(topology.linkCount);
    expect(svg.match(/<(circle|rect) /g)).toHaveLength(topology.nodeCount);
    expect(g.radius).toBeGreaterThanOrEqual(2.5);
  });
});
