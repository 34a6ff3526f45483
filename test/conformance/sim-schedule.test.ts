import { describe, expect, it } from 'vitest';
import { FAULT_SCOPE } from '../../src/domain/faults.ts';
import { targetKey } from '../../src/domain/targets.ts';
import { ArgumentError } from '../../src/errors.ts';
import {
  buildTopology,
  maxFaultsPerKind,
  MeshSimulator,
  scheduleFaults,
  SIM_FAULT_KINDS,
  type FaultSpec,
  type SimFaultKind,
} from '../../src/sim/index.ts';

const topology = buildTopology({ kind: 'geometric', nodes: 50 }, 21);

describe('scheduleFaults', () => {
  const day = scheduleFaults({ seed: 3, topology });

  it('spreads 20 faults of every kind over 24 simulated hours after a warm-up', () => {
    for (const kind of SIM_FAULT_KINDS) expect(day.filter((f) => f.kind === kind).length).toBe(20);
    expect(day.length).toBe(180);
    for (const f of day) {
      expect(f.start).toBeGreaterThanOrEqual(600);
      expect(f.start! + f.duration!).toBeLessThanOrEqual(24 * 3600);
      expect(f.duration).toBeGreaterThanOrEqual(60);
      expect(f.duration).toBeLessThanOrEqual(600);
      expect(f.severity).toBeGreaterThanOrEqual(0.3);
      expect(f.severity).toBeLessThanOrEqual(1);
    }
    // Faults of each kind are spread over the day, not bunched.
    for (const kind of SIM_FAULT_KINDS) {
      const starts = day.filter((f) => f.kind === kind).map((f) => f.start!);
      expect(Math.max(...starts) - Math.min(...starts)).toBeGreaterThan(12 * 3600);
    }
  });

  it('never overlaps two faults, on the same target or anywhere', () => {
    const sorted = [...day].sort((a, b) => a.start! - b.start!);
    expect(sorted).toEqual(day);
    for (let k = 1; k < sorted.length; k++)
      expect(sorted[k].start!).toBeGreaterThanOrEqual(sorted[k - 1].start! + sorted[k - 1].duration!);
    const byTarget = new Map<string, FaultSpec[]>();
    for (const f of day) byTarget.set(targetKey(f.target), [...(byTarget.get(targetKey(f.target)) ?? []), f]);
    expect(byTarget.size).toBeGreaterThan(20);
  });

  it('targets what each kind can break', () => {
    const sim = new MeshSimulator({ seed: 1, topology });
    const { nextHop, nextLink } = sim.routes;
    const used = new Set(nextLink);
    for (const f of day) {
      const type = FAULT_SCOPE[f.kind];
      expect(type === 'node' ? typeof f.target.node : typeof f.target.link?.[0]).toBe('string');
      if (f.kind === 'misbehaving-node')
        expect(Array.from(nextHop)).toContain(topology.nodeIndex(f.target.node!));
      if (type === 'link') expect(used.has(topology.linkIndex(f.target.link!))).toBe(true);
      if (f.kind === 'memory-leak') expect(['heap', 'cache']).toContain(f.variant);
      if (f.kind === 'misbehaving-node') expect(['drop', 'corrupt']).toContain(f.variant);
    }
  });

  it('is deterministic per seed', () => {
    expect(scheduleFaults({ seed: 3, topology })).toEqual(day);
    expect(scheduleFaults({ seed: 4, topology })).not.toEqual(day);
  });

  it('honours kinds, hours and durations', () => {
    const kinds: SimFaultKind[] = ['node-crash', 'partition'];
    const specs = scheduleFaults({
      seed: 1,
      topology,
      hours: 2,
      perKind: 3,
      kinds,
      warmup: 0,
      minDuration: 30,
      maxDuration: 90,
    });
    expect(specs.length).toBe(6);
    for (const f of specs) {
      expect(kinds).toContain(f.kind);
      expect(f.duration).toBeGreaterThanOrEqual(30);
      expect(f.duration).toBeLessThanOrEqual(90);
      expect(f.start! + f.duration!).toBeLessThanOrEqual(7200);
    }
  });

  it('feeds a simulator whose ground truth matches the schedule tick by tick', () => {
    const sim = new MeshSimulator({ seed: 2, topology, noise: 0 });
    const specs = scheduleFaults({
      seed: 2,
      topology,
      hours: 1,
      perKind: 1,
      warmup: 100,
      minDuration: 20,
      maxDuration: 60,
    });
    for (const spec of specs) sim.inject(spec);
    for (let t = 0; t < 3600; t++) sim.tick();
    const truth = sim.groundTruth();
    expect(truth.map((f) => [f.kind, f.start, f.end])).toEqual(
      specs.map((s) => [s.kind, s.start, s.start! + s.duration!]),
    );
    for (const spec of specs) {
      const mid = sim.truthAt(spec.start! + Math.floor(spec.duration! / 2));
      expect(mid.active.map((f) => f.kind)).toEqual([spec.kind]);
      const faulty =
        spec.target.node !== undefined
          ? mid.faultyNodes[topology.nodeIndex(spec.target.node)]
          : mid.faultyLinks[topology.linkIndex(spec.target.link!)];
      expect(faulty).toBe(1);
      const after = sim.truthAt(spec.start! + spec.duration!);
      expect(after.active).toEqual([]);
      expect(after.faultyNodes.every((v) => v === 0) && after.faultyLinks.every((v) => v === 0)).toBe(true);
    }
  });

  it('maxFaultsPerKind is the largest perKind that fits: one more is refused', () => {
    for (const hours of [0.5, 1, 6, 24]) {
      const most = maxFaultsPerKind(hours);
      expect(scheduleFaults({ seed: 1, topology, hours, perKind: most })).toHaveLength(9 * most);
      expect(() => scheduleFaults({ seed: 1, topology, hours, perKind: most + 1 })).toThrow(/do not fit/);
    }
    expect(maxFaultsPerKind(24)).toBe(79);
    expect(maxFaultsPerKind(0.1)).toBe(0);
  });

  it('rejects bad options with the argument named', () => {
    const bad: [object, RegExp][] = [
      [{ seed: 1 }, /topology/],
      [{ seed: 1, topology, hours: 0 }, /hours/],
      [{ seed: 1, topology, perKind: 0 }, /perKind/],
      [{ seed: 1, topology, perKind: 500 }, /perKind/],
      [{ seed: 1, topology, kinds: [] }, /kinds/],
      [{ seed: 1, topology, kinds: ['meteor'] }, /kinds/],
      [{ seed: 1, topology, warmup: -1 }, /warmup/],
      [{ seed: 1, topology, minDuration: 0 }, /minDuration/],
      [{ seed: 1, topology, minDuration: 100, maxDuration: 50 }, /maxDuration/],
      [{ seed: Number.NaN, topology }, /seed/],
    ];
    for (const [options, message] of bad) {
      expect(() => scheduleFaults(options as Parameters<typeof scheduleFaults>[0])).toThrow(ArgumentError);
      expect(() => scheduleFaults(options as Parameters<typeof scheduleFaults>[0])).toThrow(message);
    }
  });
});
