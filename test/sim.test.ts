// Node-only: a longer run than the conformance budget allows on four runtimes.
import { describe, expect, it } from 'vitest';
import { MeshSimulator, METRIC_NAMES, scheduleFaults, type MetricName } from '../src/sim/index.ts';

/** Measurement noise of each metric at noise 1 (see src/sim/traffic.ts), as a function of the true value. */
const NOISE: Record<MetricName, (value: number) => number> = {
  cpu: () => 1.5,
  memory: () => 0.5,
  packetLoss: () => 0.002,
  latencyP95: (v) => 0.05 * v,
  throughput: (v) => 0.03 * v + 1e-3,
  errorRate: () => 0.001,
  queueDepth: (v) => 0.1 * v + 1e-3,
  linkQuality: () => 0.01,
};

describe('scheduled faults on a 50-node mesh', () => {
  it('are all observable within 4 ticks of their start: a metric in their footprint moves >= 5 sigma, or a node goes silent', () => {
    const options = { seed: 1, topology: { kind: 'geometric' as const, nodes: 50 }, noise: 0 };
    const baseline = new MeshSimulator(options);
    const sim = new MeshSimulator(options);
    const specs = scheduleFaults({ seed: 1, topology: sim.topology, hours: 6, perKind: 5 });
    for (const spec of specs) sim.inject(spec);
    const strongest = new Map<number, number>();
    for (let t = 0; t < 6 * 3600; t++) {
      const expected = baseline.tick();
      const actual = sim.tick();
      for (const fault of sim.truthAt(t).active) {
        if (t - fault.start > 3) continue;
        let z = strongest.get(fault.id) ?? 0;
        for (const id of fault.affectedNodes) {
          const i = sim.topology.nodeIndex(id);
          if (expected.reporting[i] && !actual.reporting[i]) z = Infinity;
          else
            for (const name of METRIC_NAMES)
              z = Math.max(
                z,
                Math.abs(actual.metrics[name][i] - expected.metrics[name][i]) /
                  NOISE[name](expected.metrics[name][i]),
              );
        }
        strongest.set(fault.id, z);
      }
    }
    expect(strongest.size).toBe(specs.length);
    const weak = sim
      .groundTruth()
      .filter((f) => strongest.get(f.id)! < 5)
      .map((f) => `${f.kind} #${f.id}`);
    expect(weak).toEqual([]);
  });
});
