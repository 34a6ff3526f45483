import { describe, expect, it } from 'vitest';
import { ArgumentError } from '../../src/errors.ts';
import fc from 'fast-check';
import { FAULT_SCOPE } from '../../src/domain/faults.ts';
import type { Target } from '../../src/domain/targets.ts';
import {
  copyFrame,
  MeshSimulator,
  METRIC_NAMES,
  SIM_FAULT_KINDS,
  type FaultSpec,
  type TickFrame,
} from '../../src/sim/index.ts';

// A 50-node radio mesh without measurement noise: any difference from the fault-free twin run
// is the fault's doing.
const OPTIONS = { seed: 7, topology: { kind: 'geometric' as const, nodes: 50 }, noise: 0 };
const START = 10;

const probe = new MeshSimulator(OPTIONS);
const { topology, routes } = probe;
const childrenOf = (i: number): number[] =>
  Array.from(routes.nextHop.keys()).filter((c) => routes.nextHop[c] === i);
/** A relay: not a gateway, forwarding for at least two nodes, its next hop not a gateway either. */
const relay = Array.from(topology.nodeIds.keys()).find(
  (i) => !topology.isGateway[i] && childrenOf(i).length >= 2 && !topology.isGateway[routes.nextHop[i]],
)!;
const children = childrenOf(relay);
const nextHop = routes.nextHop[relay];
const uplink = topology.linkTarget(routes.nextLink[relay]).link;
const relayId = topology.nodeIds[relay];

/** Runs the fault-free twin and the faulted mesh side by side for `ticks` ticks. */
function twinRun(
  fault: Omit<FaultSpec, 'start'>,
  ticks = 60,
): { base: TickFrame[]; hit: TickFrame[]; sim: MeshSimulator } {
  const baseline = new MeshSimulator(OPTIONS);
  const sim = new MeshSimulator(OPTIONS);
  sim.inject({ ...fault, start: START });
  const base: TickFrame[] = [];
  const hit: TickFrame[] = [];
  for (let t = 0; t < ticks; t++) {
    base.push(copyFrame(baseline.tick()));
    hit.push(copyFrame(sim.tick()));
  }
  return { base, hit, sim };
}

/** Nodes outside the fault's ground-truth footprint report exactly what the fault-free twin does. */
function expectContained(base: TickFrame[], hit: TickFrame[], sim: MeshSimulator): void {
  const affected = sim.truthAt(hit.length - 1).affectedNodes;
  const differing: string[] = [];
  for (let t = 0; t < hit.length; t++) {
    for (let i = 0; i < topology.nodeCount; i++) {
      if (affected[i] && t >= START) continue;
      for (const name of METRIC_NAMES)
        if (!Object.is(hit[t].metrics[name][i], base[t].metrics[name][i]))
          differing.push(`${name} of n${i} at ${t}`);
    }
  }
  expect(differing).toEqual([]);
}

const last = <T>(xs: T[]): T => xs[xs.length - 1];

describe('fault injection', () => {
  it('node-crash: the node goes silent, the nodes forwarding into it lose everything', () => {
    const { base, hit, sim } = twinRun({ kind: 'node-crash', target: { node: relayId } });
    expect(hit[START - 1].reporting[relay]).toBe(1);
    expect(hit[START].reporting[relay]).toBe(0);
    expect(Number.isNaN(hit[START].metrics.cpu[relay])).toBe(true);
    for (const c of children) {
      expect(last(hit).metrics.packetLoss[c]).toBeGreaterThan(0.99);
      expect(last(base).metrics.packetLoss[c]).toBeLessThan(0.3);
      expect(last(hit).metrics.linkQuality[c]).toBeLessThan(last(base).metrics.linkQuality[c]);
    }
    expect(last(hit).metrics.throughput[nextHop]).toBeLessThan(last(base).metrics.throughput[nextHop]);
    expectContained(base, hit, sim);
  });

  it('link-degradation: loss and latency at the sender, quality at both ends', () => {
    const { base, hit, sim } = twinRun({ kind: 'link-degradation', target: { link: uplink }, severity: 0.8 });
    expect(last(hit).metrics.packetLoss[relay]).toBeGreaterThan(last(base).metrics.packetLoss[relay] + 0.2);
    expect(last(hit).metrics.latencyP95[relay]).toBeGreaterThan(1.5 * last(base).metrics.latencyP95[relay]);
    for (const end of [relay, nextHop])
      expect(last(hit).metrics.linkQuality[end]).toBeLessThan(last(base).metrics.linkQuality[end]);
    expect(last(hit).metrics.cpu[relay]).toBeCloseTo(last(base).metrics.cpu[relay], 0);
    expectContained(base, hit, sim);
  });

  it('congestion: the queue fills and latency soars at the node, its feeders see drops', () => {
    const { base, hit, sim } = twinRun({ kind: 'congestion', target: { node: relayId } });
    expect(last(hit).metrics.queueDepth[relay]).toBeGreaterThan(500);
    expect(last(hit).metrics.latencyP95[relay]).toBeGreaterThan(10 * last(base).metrics.latencyP95[relay]);
    expect(last(hit).metrics.cpu[relay]).toBeGreaterThan(last(base).metrics.cpu[relay] + 30);
    for (const c of children)
      expect(last(hit).metrics.packetLoss[c]).toBeGreaterThan(last(base).metrics.packetLoss[c] + 0.05);
    expectContained(base, hit, sim);
  });

  it('cpu-exhaustion: CPU pegs at the node and its service slows', () => {
    const { base, hit, sim } = twinRun({ kind: 'cpu-exhaustion', target: { node: relayId } });
    expect(last(hit).metrics.cpu[relay]).toBeGreaterThan(95);
    expect(last(hit).metrics.latencyP95[relay]).toBeGreaterThan(last(base).metrics.latencyP95[relay] + 3);
    expect(last(hit).metrics.errorRate[relay]).toBeGreaterThan(last(base).metrics.errorRate[relay]);
    expectContained(base, hit, sim);
  });

  it('memory-leak: memory climbs every tick, then GC pressure and OOM errors', () => {
    const { base, hit, sim } = twinRun({ kind: 'memory-leak', target: { node: relayId }, severity: 0.8 });
    for (let t = START + 1; t < START + 30; t++)
      expect(hit[t].metrics.memory[relay]).toBeGreaterThan(hit[t - 1].metrics.memory[relay]);
    expect(last(hit).metrics.memory[relay]).toBeGreaterThan(95);
    expect(last(hit).metrics.errorRate[relay]).toBeGreaterThan(0.2);
    expect(last(hit).metrics.cpu[relay]).toBeGreaterThan(last(base).metrics.cpu[relay] + 10);
    expectContained(base, hit, sim);
  });

  it('partition: a region is cut off; its traffic vanishes and the rim loses link quality', () => {
    const { base, hit, sim } = twinRun({ kind: 'partition', target: { link: uplink } });
    expect(last(hit).metrics.packetLoss[relay]).toBeGreaterThan(0.99);
    expect(last(hit).metrics.throughput[relay]).toBe(0);
    expect(last(hit).metrics.linkQuality[relay]).toBeLessThan(0.5 * last(base).metrics.linkQuality[relay]);
    expect(last(hit).metrics.throughput[nextHop]).toBeLessThan(last(base).metrics.throughput[nextHop]);
    // The cause is a link and the cut has several: more than its two ends are hit.
    expect(sim.truthAt().affectedNodes.reduce((a, b) => a + b, 0)).toBeGreaterThan(4);
    expectContained(base, hit, sim);
  });

  it('misbehaving-node (drop): its feeders see loss, the node itself looks healthy', () => {
    const { base, hit, sim } = twinRun({
      kind: 'misbehaving-node',
      target: { node: relayId },
      variant: 'drop',
    });
    for (const c of children)
      expect(last(hit).metrics.packetLoss[c]).toBeGreaterThan(last(base).metrics.packetLoss[c] + 0.3);
    expect(last(hit).metrics.packetLoss[relay]).toBe(last(base).metrics.packetLoss[relay]);
    expect(last(hit).metrics.errorRate[relay]).toBe(last(base).metrics.errorRate[relay]);
    expect(last(hit).metrics.throughput[nextHop]).toBeLessThan(last(base).metrics.throughput[nextHop]);
    expectContained(base, hit, sim);
  });

  it('misbehaving-node (corrupt): integrity errors at its next hop, lost traffic for its feeders, nothing at the node', () => {
    const { base, hit, sim } = twinRun({
      kind: 'misbehaving-node',
      target: { node: relayId },
      variant: 'corrupt',
    });
    expect(last(hit).metrics.errorRate[nextHop]).toBeGreaterThan(
      last(base).metrics.errorRate[nextHop] + 0.02,
    );
    expect(last(hit).metrics.errorRate[relay]).toBe(last(base).metrics.errorRate[relay]);
    expect(last(hit).metrics.packetLoss[relay]).toBe(last(base).metrics.packetLoss[relay]);
    for (const c of children)
      expect(last(hit).metrics.packetLoss[c]).toBeGreaterThan(last(base).metrics.packetLoss[c] + 0.2);
    expectContained(base, hit, sim);
  });

  it('flapping-link: the sender alternates between total loss and normal delivery', () => {
    const { base, hit, sim } = twinRun({ kind: 'flapping-link', target: { link: uplink } });
    const window = hit.slice(START);
    const downTicks = window.filter((f) => f.metrics.packetLoss[relay] > 0.99).length;
    const upTicks = window.filter(
      (f, k) => f.metrics.packetLoss[relay] === base[START + k].metrics.packetLoss[relay],
    ).length;
    expect(downTicks).toBeGreaterThan(10);
    expect(upTicks).toBeGreaterThan(10);
    expect(downTicks + upTicks).toBe(window.length);
    expectContained(base, hit, sim);
  });

  it('bad-config: errors and slower responses at the node, its feeders unaffected', () => {
    const { base, hit, sim } = twinRun({ kind: 'bad-config', target: { node: relayId } });
    expect(last(hit).metrics.errorRate[relay]).toBeGreaterThan(0.3);
    expect(last(hit).metrics.latencyP95[relay]).toBeGreaterThan(1.3 * last(base).metrics.latencyP95[relay]);
    for (const c of children) expect(last(hit).metrics.packetLoss[c]).toBe(last(base).metrics.packetLoss[c]);
    expectContained(base, hit, sim);
  });

  it('records ground truth: kind, root cause, start, natural end, and who is faulty at a tick', () => {
    const sim = new MeshSimulator(OPTIONS);
    const crash = sim.inject({ kind: 'node-crash', target: { node: relayId }, start: 5, duration: 10 });
    const link = sim.inject({ kind: 'link-degradation', target: { link: uplink }, start: 8 });
    expect(crash).toMatchObject({
      id: 0,
      kind: 'node-crash',
      target: { node: relayId },
      start: 5,
      end: 15,
      severity: 0.5,
    });
    expect(link.end).toBe(Infinity);
    for (let t = 0; t < 20; t++) sim.tick();
    expect(sim.truthAt(4).active).toEqual([]);
    const during = sim.truthAt(9);
    expect(during.active.map((f) => f.kind)).toEqual(['node-crash', 'link-degradation']);
    expect(during.faultyNodes[relay]).toBe(1);
    expect(during.faultyLinks[topology.linkIndex(uplink)]).toBe(1);
    expect(during.faultyNodes.reduce((a, b) => a + b, 0)).toBe(1);
    for (const c of children) expect(during.affectedNodes[c]).toBe(1);
    const after = sim.truthAt(15);
    expect(after.faultyNodes[relay]).toBe(0);
    expect(after.active.map((f) => f.kind)).toEqual(['link-degradation']);
    expect(sim.groundTruth().map((f) => f.affectedNodes.length > 0)).toEqual([true, true]);
  });

  it('ends a fault at its natural end: the node comes back and memory is released', () => {
    const sim = new MeshSimulator(OPTIONS);
    sim.inject({ kind: 'node-crash', target: { node: relayId }, start: 2, duration: 5 });
    sim.inject({ kind: 'memory-leak', target: { node: topology.nodeIds[nextHop] }, start: 2, duration: 40 });
    let frame = sim.tick();
    for (let t = 1; t < 41; t++) frame = sim.tick();
    const leaked = frame.metrics.memory[nextHop];
    frame = sim.tick();
    expect(frame.tick).toBe(41);
    expect(frame.reporting[relay]).toBe(1);
    expect(frame.metrics.memory[nextHop]).toBeGreaterThan(leaked - 1);
    frame = sim.tick();
    expect(frame.metrics.memory[nextHop]).toBeLessThan(leaked - 20);
  });

  it('rejects bad fault specs with the field named', () => {
    const sim = new MeshSimulator(OPTIONS);
    sim.tick();
    const node = { node: relayId };
    const bad: [unknown, RegExp][] = [
      [null, /fault/],
      [{ kind: 'meteor', target: node }, /fault.kind/],
      [{ kind: 'node-crash', target: { link: uplink } }, /fault.target/],
      [{ kind: 'link-degradation', target: node }, /fault.target/],
      [{ kind: 'node-crash', target: { node: 'n999' } }, /fault.target.node/],
      [{ kind: 'node-crash', target: node, start: 0 }, /fault.start/],
      [{ kind: 'node-crash', target: node, start: 2.5 }, /fault.start/],
      [{ kind: 'node-crash', target: node, duration: 0 }, /fault.duration/],
      [{ kind: 'node-crash', target: node, severity: 0 }, /fault.severity/],
      [{ kind: 'node-crash', target: node, severity: 1.5 }, /fault.severity/],
      [{ kind: 'node-crash', target: node, variant: 'heap' }, /fault.variant/],
      [{ kind: 'memory-leak', target: node, variant: 'drop' }, /fault.variant/],
    ];
    for (const [spec, message] of bad) {
      expect(() => sim.inject(spec as FaultSpec)).toThrow(ArgumentError);
      expect(() => sim.inject(spec as FaultSpec)).toThrow(message);
    }
    sim.inject({ kind: 'congestion', target: node, start: 5, duration: 10 });
    expect(() => sim.inject({ kind: 'congestion', target: node, start: 14 })).toThrow(/overlaps/);
    expect(() => sim.inject({ kind: 'cpu-exhaustion', target: node, start: 14 })).not.toThrow();
    expect(sim.groundTruth().length).toBe(2);
  });

  it('keeps every fault inside its ground-truth footprint, on any mesh and target', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1e6 }),
        fc.constantFrom(...SIM_FAULT_KINDS),
        fc.constantFrom('geometric' as const, 'scale-free' as const, 'grid' as const),
        fc.double({ min: 0.05, max: 1, noNaN: true }),
        fc.nat(),
        (seed, kind, shape, severity, pick) => {
          const options = { seed, topology: { kind: shape, nodes: 30 }, noise: 0 };
          const baseline = new MeshSimulator(options);
          const sim = new MeshSimulator(options);
          const t = sim.topology;
          const bothGateways = (l: number): boolean =>
            t.isGateway[t.linkFrom[l]] === 1 && t.isGateway[t.linkTo[l]] === 1;
          const usable: Target[] =
            FAULT_SCOPE[kind] === 'node'
              ? t.nodeIds.map((node) => ({ node }))
              : t.linkIds
                  .map((_, l) => l)
                  .filter((l) => kind !== 'partition' || !bothGateways(l))
                  .map((l) => t.linkTarget(l));
          sim.inject({ kind, target: usable[pick % usable.length], start: 2, severity });
          let affected: Uint8Array = new Uint8Array(0);
          for (let tick = 0; tick < 25; tick++) {
            const expected = baseline.tick();
            const actual = sim.tick();
            if (tick === 2) affected = sim.truthAt(2).affectedNodes;
            for (let i = 0; i < t.nodeCount; i++) {
              if (affected[i]) continue;
              for (const name of METRIC_NAMES)
                if (!Object.is(actual.metrics[name][i], expected.metrics[name][i])) return false;
            }
          }
          return true;
        },
      ),
      { numRuns: 60 },
    );
  });

  it('covers every fault kind', () => {
    expect([...SIM_FAULT_KINDS].sort()).toEqual(
      [
        'bad-config',
        'congestion',
        'cpu-exhaustion',
        'flapping-link',
        'link-degradation',
        'memory-leak',
        'misbehaving-node',
        'node-crash',
        'partition',
      ].sort(),
    );
  });
});
