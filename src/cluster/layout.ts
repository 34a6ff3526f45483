/**
 * The cluster's layout: the mesh (as the operator's topology file describes it) and the region of
 * every node, written once by whoever publishes the telemetry and read by every engine, so they
 * all agree on what a region holds. A region's engine reasons on the region's nodes and their
 * neighbours one hop out (its halo): a fault just across the border (a neighbour's crash, a
 * crossing link) can be named as a root cause, while only the region's own nodes report to it.
 */
import { ArgumentError } from '../errors.ts';
import type { Topology } from '../serve/topology.ts';
import { partitionGraph } from './partition.ts';

/** The mesh and its regions. */
export interface ClusterLayout {
  /** Region count. */
  regions: number;
  /** Each node's region, in `topology.nodes` order. */
  regionOf: number[];
  /** The mesh. */
  topology: Topology;
}

/** A region's view: its topology (region and halo), and where its nodes sit in the layout. */
export interface RegionView {
  /** The region. */
  region: number;
  /** The region's nodes and their neighbours one hop out, with the links among them. */
  topology: Topology;
  /** Layout index of each node of `topology`, in its order (the region's own nodes first). */
  layoutIndex: number[];
  /** The region's own nodes (the first ones of `topology.nodes`). */
  own: number;
}

/** Draws `regions` regions on `topology` (partitionGraph) and returns the layout. */
export function layoutOf(topology: Topology, regions: number): ClusterLayout {
  const index = new Map(topology.nodes.map((n, i) => [n.id, i]));
  const links = topology.links.map(([a, b]) => [index.get(a)!, index.get(b)!] as const);
  const parts = partitionGraph({ nodes: topology.nodes.length, links }, regions);
  return { regions, regionOf: [...parts.regionOf], topology };
}

/** Checks a layout read from the state bucket; throws an ArgumentError naming what is wrong. */
export function checkLayout(value: unknown): ClusterLayout {
  const layout = value as ClusterLayout;
  if (typeof layout !== 'object' || layout === null || !Array.isArray(layout.topology?.nodes))
    throw new ArgumentError('layout', 'expected { regions, regionOf, topology }');
  const n = layout.topology.nodes.length;
  if (!Number.isInteger(layout.regions) || layout.regions < 1 || layout.regions > n)
    throw new ArgumentError(
      'layout.regions',
      `expected an integer in 1..${n}, got ${String(layout.regions)}`,
    );
  if (
    !Array.isArray(layout.regionOf) ||
    layout.regionOf.length !== n ||
    layout.regionOf.some((r) => !Number.isInteger(r) || r < 0 || r >= layout.regions)
  )
    throw new ArgumentError('layout.regionOf', `expected ${n} region numbers in 0..${layout.regions - 1}`);
  return layout;
}

/** Region `region`'s view of `layout` (see RegionView). */
export function regionView(layout: ClusterLayout, region: number): RegionView {
  if (!Number.isInteger(region) || region < 0 || region >= layout.regions)
    throw new ArgumentError(
      'region',
      `expected an integer in 0..${layout.regions - 1}, got ${String(region)}`,
    );
  const { topology } = layout;
  const index = new Map(topology.nodes.map((n, i) => [n.id, i]));
  const own = layout.regionOf.flatMap((r, i) => (r === region ? [i] : []));
  const inView = new Set(own);
  for (const [a, b] of topology.links) {
    const ia = index.get(a)!;
    const ib = index.get(b)!;
    if (layout.regionOf[ia] === region) inView.add(ib);
    if (layout.regionOf[ib] === region) inView.add(ia);
  }
  const halo = [...inView].filter((i) => layout.regionOf[i] !== region).sort((x, y) => x - y);
  const layoutIndex = [...own, ...halo];
  const ids = new Set(layoutIndex.map((i) => topology.nodes[i].id));
  const both = ([a, b]: readonly [string, string]) => ids.has(a) && ids.has(b);
  return {
    region,
    own: own.length,
    layoutIndex,
    topology: {
      nodes: layoutIndex.map((i) => topology.nodes[i]),
      links: topology.links.filter(both),
      calls: topology.calls.filter(both),
      gateways: topology.gateways.filter((g) => ids.has(g)),
    },
  };
}
