import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ArgumentError } from '../../src/errors.ts';
import {
  buildTopology,
  copyFrame,
  MeshSimulator,
  METRIC_NAMES,
  Rng,
  scheduleFaults,
  type TickFrame,
  type Topology,
  type TopologyKind,
} from '../../src/sim/index.ts';

const KINDS: TopologyKind[] = ['geometric', 'scale-free', 'grid'];
/** Checksum of the golden run below, the same on Node, Deno, Bun and Chromium; update it when the model changes on purpose. */
const GOLDEN_HASH = -164102864;

function run(sim: MeshSimulator, ticks: number): TickFrame[] {
  const frames: TickFrame[] = [];
  for (let t = 0; t < ticks; t++) frames.push(copyFrame(sim.tick()));
  return frames;
}

function connected(topology: Topology): boolean {
  const seen = new Uint8Array(topology.nodeCount);
  const stack = [0];
  seen[0] = 1;
  let count = 1;
  while (stack.length > 0) {
    for (const v of topology.neighbors(stack.pop()!)) {
      if (!seen[v]) {
        seen[v] = 1;
        count++;
        stack.push(v);
      }
    }
  }
  return count === topology.nodeCount;
}

function mean(values: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i];
  return sum / values.length;
}

describe('Rng', () => {
  it('repeats its stream for a seed and differs across seeds', () => {
    const draw = (seed: number): number[] => {
      const rng = new Rng(seed);
      return Array.from({ length: 8 }, () => rng.uint32());
    };
    expect(draw(42)).toEqual(draw(42));
    expect(draw(42)).not.toEqual(draw(43));
  });

  it('draws uniforms in [0, 1) and integers in range', () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: 1, max: 1000 }), (seed, n) => {
        const rng = new Rng(seed);
        for (let k = 0; k < 50; k++) {
          const u = rng.next();
          const i = rng.int(n);
          if (!(u >= 0 && u < 1) || !Number.isInteger(i) || i < 0 || i >= n) return false;
        }
        return true;
      }),
    );
  });

  it('draws standard normals', () => {
    const rng = new Rng(1);
    const xs = Array.from({ length: 20000 }, () => rng.normal());
    const m = mean(xs);
    const variance = mean(xs.map((x) => (x - m) ** 2));
    expect(Math.abs(m)).toBeLessThan(0.03);
    expect(Math.abs(variance - 1)).toBeLessThan(0.05);
    expect(xs.filter((x) => Math.abs(x) > 1.96).length / xs.length).toBeCloseTo(0.05, 1);
  });

  it('rejects a non-finite seed', () => {
    expect(() => new Rng(Number.NaN)).toThrow(ArgumentError);
  });
});

describe('topologies', () => {
  for (const kind of KINDS) {
    it(`${kind}: connected, sized, with gateways and sane radio links`, () => {
      for (const nodes of [5, 50, 400]) {
        const topology = buildTopology({ kind, nodes }, 3);
        expect(topology.nodeCount).toBe(nodes);
        expect(connected(topology)).toBe(true);
        expect(topology.gateways.length).toBe(Math.max(1, Math.round(nodes / 25)));
        for (let l = 0; l < topology.linkCount; l++) {
          expect(topology.linkFrom[l]).toBeLessThan(topology.linkTo[l]);
          expect(topology.snr[l]).toBeCloseTo(topology.rssi[l] + 95, 9);
          expect(topology.loss[l]).toBeGreaterThan(0);
          expect(topology.loss[l]).toBeLessThan(0.31);
          expect(topology.bandwidth[l]).toBeGreaterThanOrEqual(1);
          expect(topology.bandwidth[l]).toBeLessThanOrEqual(300);
          expect(topology.latency[l]).toBeGreaterThan(0);
        }
      }
    });
  }

  it('builds the largest supported mesh', () => {
    const topology = buildTopology({ kind: 'grid', nodes: 10_000 }, 1);
    expect(topology.nodeCount).toBe(10_000);
    expect(connected(topology)).toBe(true);
  });

  it('gives scale-free meshes hubs and grids a bounded degree', () => {
    const degrees = (t: Topology): number[] =>
      Array.from({ length: t.nodeCount }, (_, i) => t.adjStart[i + 1] - t.adjStart[i]);
    expect(Math.max(...degrees(buildTopology({ kind: 'scale-free', nodes: 400 }, 2)))).toBeGreaterThan(20);
    expect(Math.max(...degrees(buildTopology({ kind: 'grid', nodes: 400 }, 2)))).toBe(4);
  });

  it('is deterministic per seed', () => {
    const a = buildTopology({ kind: 'geometric', nodes: 60 }, 9);
    const b = buildTopology({ kind: 'geometric', nodes: 60 }, 9);
    const c = buildTopology({ kind: 'geometric', nodes: 60 }, 10);
    expect(Array.from(a.linkFrom)).toEqual(Array.from(b.linkFrom));
    expect(Array.from(a.snr)).toEqual(Array.from(b.snr));
    expect(Array.from(a.x)).not.toEqual(Array.from(c.x));
  });

  it('resolves ids and rejects unknown ones', () => {
    const topology = buildTopology({ kind: 'grid', nodes: 9 }, 1);
    expect(topology.nodeIndex('n4')).toBe(4);
    const l = topology.linkBetween(0, 1);
    expect(topology.linkTarget(l)).toEqual({ link: ['n0', 'n1'] });
    expect(topology.linkIds[l]).toBe('n0-n1');
    expect(topology.linkIndex(['n0', 'n1'])).toBe(l);
    expect(topology.linkIndex(['n1', 'n0'])).toBe(l);
    expect(topology.linkBetween(0, 8)).toBe(-1);
    expect(() => topology.nodeIndex('n99')).toThrow(ArgumentError);
    expect(() => topology.linkIndex(['n0', 'n8'])).toThrow(/unknown link/);
    expect(() => topology.linkIndex(['n0', 'n99'])).toThrow(/unknown node/);
  });

  it('takes node names of its own, distinct and non-empty, for the same mesh', () => {
    const t = buildTopology({ kind: 'grid', nodes: 9 }, 1);
    const rename = (ids: readonly string[]) => t.withNodeIds(ids);
    const named = rename(t.nodeIds.map((_, i) => `edge-${i}`));
    expect(named.nodeIndex('edge-4')).toBe(4);
    expect(named.linkIds[named.linkBetween(0, 1)]).toBe('edge-0-edge-1');
    expect(named.linkIndex(['edge-1', 'edge-0'])).toBe(named.linkBetween(0, 1));
    expect(() => rename(t.nodeIds.slice(1))).toThrow(/nodeIds: expected 9 node ids/);
    expect(() => rename(t.nodeIds.map((id, i) => (i === 3 ? 'n0' : id)))).toThrow(/distinct/);
    expect(() => rename(t.nodeIds.map((id, i) => (i === 3 ? '' : id)))).toThrow(/non-empty/);
  });

  it('rejects bad options with the argument named', () => {
    expect(() => buildTopology({ kind: 'ring' as TopologyKind, nodes: 10 }, 1)).toThrow(/topology.kind/);
    expect(() => buildTopology({ kind: 'grid', nodes: 4 }, 1)).toThrow(/topology.nodes/);
    expect(() => buildTopology({ kind: 'grid', nodes: 10_001 }, 1)).toThrow(/topology.nodes/);
    expect(() => buildTopology({ kind: 'grid', nodes: 7.5 }, 1)).toThrow(ArgumentError);
    expect(() => buildTopology({ kind: 'grid', nodes: 10, gateways: 10 }, 1)).toThrow(/topology.gateways/);
  });
});

describe('MeshSimulator', () => {
  it('gives identical frames for the same seed and different ones for another', () => {
    const options = { topology: { kind: 'geometric' as const, nodes: 40 } };
    const a = run(new MeshSimulator({ seed: 5, ...options }), 30);
    const b = run(new MeshSimulator({ seed: 5, ...options }), 30);
    const c = run(new MeshSimulator({ seed: 6, ...options }), 30);
    for (let t = 0; t < 30; t++) {
      for (const name of METRIC_NAMES)
        expect(Array.from(b[t].metrics[name])).toEqual(Array.from(a[t].metrics[name]));
    }
    expect(Array.from(c[29].metrics.cpu)).not.toEqual(Array.from(a[29].metrics.cpu));
  });

  it('replays identically with faults and actions for the same seed and calls', () => {
    const session = (): TickFrame[] => {
      const sim = new MeshSimulator({ seed: 9, topology: { kind: 'scale-free', nodes: 30 } });
      sim.inject({ kind: 'node-crash', target: { node: 'n5' }, start: 3 });
      sim.inject({ kind: 'memory-leak', target: { node: 'n7' }, start: 4, duration: 20 });
      const frames = run(sim, 8);
      sim.apply({ kind: 'restart-service', target: { node: 'n5' } });
      sim.apply({ kind: 'reroute', target: sim.topology.linkTarget(0) });
      return [...frames, ...run(sim, 30)];
    };
    const a = session();
    const b = session();
    for (let t = 0; t < a.length; t++) {
      expect(Array.from(b[t].reporting)).toEqual(Array.from(a[t].reporting));
      for (const name of METRIC_NAMES)
        expect(Array.from(b[t].metrics[name])).toEqual(Array.from(a[t].metrics[name]));
    }
  });

  it('gives the same frames on every runtime (golden checksum of an hour with faults)', () => {
    const sim = new MeshSimulator({ seed: 12, topology: { kind: 'geometric', nodes: 40 } });
    for (const spec of scheduleFaults({
      seed: 12,
      topology: sim.topology,
      hours: 1,
      perKind: 1,
      warmup: 10,
      minDuration: 20,
      maxDuration: 40,
    }))
      sim.inject(spec);
    let hash = 0;
    for (let t = 0; t < 3600; t++) {
      const frame = sim.tick();
      for (const name of METRIC_NAMES) {
        // Rounded to 1e-6 so that a last-bit difference in a runtime's Math.exp cannot matter.
        for (const v of frame.metrics[name])
          hash = (Math.imul(hash, 31) + (Number.isNaN(v) ? 7 : Math.round(v * 1e6))) | 0;
      }
    }
    expect(hash).toBe(GOLDEN_HASH);
  });

  it('emits eight columnar metrics per node, in range, reusing one frame', () => {
    const sim = new MeshSimulator({ seed: 1, topology: { kind: 'scale-free', nodes: 30 } });
    const first = sim.tick();
    const second = sim.tick();
    expect(second).toBe(first);
    expect(second.tick).toBe(1);
    expect(second.nodeIds).toEqual(sim.topology.nodeIds);
    for (const name of METRIC_NAMES) {
      const column = second.metrics[name];
      expect(column).toBeInstanceOf(Float64Array);
      expect(column.length).toBe(30);
      for (const v of column) expect(Number.isFinite(v) && v >= 0).toBe(true);
    }
    for (const name of ['cpu', 'memory'] as const)
      for (const v of second.metrics[name]) expect(v).toBeLessThanOrEqual(100);
    for (const name of ['packetLoss', 'errorRate', 'linkQuality'] as const)
      for (const v of second.metrics[name]) expect(v).toBeLessThanOrEqual(1);
    expect(Array.from(second.reporting).every((r) => r === 1)).toBe(true);
  });

  it('adds measurement noise scaled by the noise option', () => {
    const frames = (noise: number): TickFrame[] =>
      run(new MeshSimulator({ seed: 2, topology: { kind: 'grid', nodes: 16 }, noise }), 20);
    const quiet = frames(0);
    const noisy = frames(1);
    const jitter = (fs: TickFrame[]): number =>
      mean(fs.slice(1).map((f, t) => Math.abs(f.metrics.cpu[3] - fs[t].metrics.cpu[3])));
    expect(jitter(noisy)).toBeGreaterThan(5 * jitter(quiet));
    expect(
      Math.abs(mean(noisy.map((f) => f.metrics.cpu[3])) - mean(quiet.map((f) => f.metrics.cpu[3]))),
    ).toBeLessThan(1.5);
  });

  it('follows a daily cycle: more traffic at 14:00 than at 02:00', () => {
    const throughputAt = (hour: number): number => {
      const sim = new MeshSimulator({
        seed: 3,
        topology: { kind: 'grid', nodes: 25 },
        noise: 0,
        startTick: hour * 3600,
      });
      return mean(run(sim, 30).map((f) => mean(f.metrics.throughput)));
    };
    expect(throughputAt(14)).toBeGreaterThan(1.3 * throughputAt(2));
  });

  it('drifts load without faults (benign changes), staying below capacity', () => {
    const sim = new MeshSimulator({ seed: 4, topology: { kind: 'grid', nodes: 9 }, noise: 0 });
    const totals: number[] = [];
    let maxQueue = 0;
    for (let t = 0; t < 3000; t++) {
      const frame = sim.tick();
      totals.push(mean(frame.metrics.throughput));
      maxQueue = Math.max(maxQueue, ...frame.metrics.queueDepth);
    }
    const min = Math.min(...totals);
    const max = Math.max(...totals);
    expect(max / min).toBeGreaterThan(1.05);
    expect(maxQueue).toBeLessThan(5);
    expect(sim.groundTruth()).toEqual([]);
  });

  it('routes every node to a gateway along links, following next hops', () => {
    const sim = new MeshSimulator({ seed: 8, topology: { kind: 'geometric', nodes: 80 } });
    const { topology, routes } = sim;
    for (let i = 0; i < topology.nodeCount; i++) {
      const path = sim.path(topology.nodeIds[i]);
      const last = topology.nodeIndex(path[path.length - 1]);
      expect(topology.isGateway[last]).toBe(1);
      expect(last).toBe(routes.gateway[i]);
      for (let k = 1; k < path.length; k++)
        expect(
          topology.linkBetween(topology.nodeIndex(path[k - 1]), topology.nodeIndex(path[k])),
        ).toBeGreaterThanOrEqual(0);
    }
  });

  it('rejects bad options and arguments with typed errors', () => {
    const topology = { kind: 'grid' as const, nodes: 9 };
    expect(() => new MeshSimulator({ seed: Number.NaN, topology })).toThrow(/seed/);
    expect(() => new MeshSimulator({ seed: 1, topology, noise: -1 })).toThrow(/options.noise/);
    expect(() => new MeshSimulator({ seed: 1, topology, startTick: -5 })).toThrow(/options.startTick/);
    expect(() => new MeshSimulator({ seed: 1, topology: { kind: 'grid', nodes: 3 } })).toThrow(ArgumentError);
    const sim = new MeshSimulator({ seed: 1, topology });
    expect(() => sim.path('nope')).toThrow(ArgumentError);
    expect(() => sim.truthAt(-1)).toThrow(/tick/);
  });
});
