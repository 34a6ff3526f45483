// Node-only: regions drawn on the simulator's meshes, crossing links counted against naive splits.
import { describe, expect, it } from 'vitest';
import { crossingLinks, partitionGraph } from '../src/cluster/partition.ts';
import { ArgumentError } from '../src/errors.ts';
import { buildTopology, type TopologyKind } from '../src/sim/index.ts';

function meshGraph(kind: TopologyKind, nodes: number, seed = 1) {
  const t = buildTopology({ kind, nodes }, seed);
  return { nodes, links: Array.from(t.linkFrom, (a, l) => [a, t.linkTo[l]] as const) };
}

/** Contiguous index ranges: what splitting the node list in order gives. */
const byRange = (n: number, k: number) => Array.from({ length: n }, (_, i) => Math.floor((i * k) / n));
/** Node index modulo k: what hashing node ids onto subjects gives. */
const byModulo = (n: number, k: number) => Array.from({ length: n }, (_, i) => i % k);

describe('partitionGraph', () => {
  it.each([3, 6, 10])(
    'cuts a 300-node geometric mesh into %i regions with under a fifth of a naive split’s crossing links',
    (k) => {
      const graph = meshGraph('geometric', 300);
      const parts = partitionGraph(graph, k);
      expect(parts.crossingLinks).toBe(crossingLinks(graph, parts.regionOf));
      expect(parts.crossingLinks).toBeLessThan(0.2 * crossingLinks(graph, byRange(300, k)));
      expect(parts.crossingLinks).toBeLessThan(0.2 * crossingLinks(graph, byModulo(300, k)));
    },
  );

  it.each([3, 6, 10])(
    'cuts a 1,000-node grid into %i regions no worse than row strips and far below hashing',
    (k) => {
      const graph = meshGraph('grid', 1000);
      const parts = partitionGraph(graph, k);
      // Row-major strips are near optimal on a grid for few regions; the regions must match them.
      expect(parts.crossingLinks).toBeLessThanOrEqual(1.2 * crossingLinks(graph, byRange(1000, k)));
      expect(parts.crossingLinks).toBeLessThan(0.15 * crossingLinks(graph, byModulo(1000, k)));
    },
  );

  it('keeps regions balanced within the tolerance and covers every node once', () => {
    const graph = meshGraph('geometric', 1000, 7);
    const parts = partitionGraph(graph, 6, { imbalance: 0.1 });
    const sizes = parts.members.map((m) => m.length);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(1000);
    for (const size of sizes) {
      expect(size).toBeGreaterThanOrEqual(Math.floor((1000 / 6) * 0.9));
      expect(size).toBeLessThanOrEqual(Math.ceil((1000 / 6) * 1.1));
    }
    parts.members.forEach((members, r) => {
      for (const v of members) expect(parts.regionOf[v]).toBe(r);
    });
  });

  it('is deterministic: the same graph gives the same regions', () => {
    const graph = meshGraph('scale-free', 300, 3);
    expect([...partitionGraph(graph, 5).regionOf]).toEqual([...partitionGraph(graph, 5).regionOf]);
  });

  it('places nodes no region reaches (another component) and handles one region', () => {
    const graph = {
      nodes: 6,
      links: [
        [0, 1],
        [1, 2],
        [3, 4],
      ] as const,
    };
    const parts = partitionGraph(graph, 2);
    expect(parts.members.flat().sort()).toEqual([0, 1, 2, 3, 4, 5]);
    expect(partitionGraph(graph, 1).crossingLinks).toBe(0);
  });

  it('refuses a region count outside 1..nodes and links naming unknown nodes', () => {
    expect(() => partitionGraph({ nodes: 3, links: [] }, 4)).toThrow(ArgumentError);
    expect(() => partitionGraph({ nodes: 3, links: [] }, 0)).toThrow(/regions/);
    expect(() => partitionGraph({ nodes: 3, links: [[0, 5]] }, 2)).toThrow(/graph.links\[0\]/);
    expect(() => partitionGraph({ nodes: 3, links: [] }, 2, { imbalance: 2 })).toThrow(/imbalance/);
  });
});
