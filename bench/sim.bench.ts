/**
 * Simulator throughput: ticks per second for 100, 1,000 and 10,000-node radio meshes, against a
 * baseline measured in the same run: the same simulator recomputing every route on every tick
 * (what caching routes until the topology or link costs change avoids). Also the rate with a
 * full fault schedule running and the cost of building a 10,000-node mesh.
 * Run alone with `npx tsx bench/sim.bench.ts`, or through `npm run bench`.
 */
import { MeshSimulator, scheduleFaults } from '../src/sim/index.ts';
import { computeRoutes, emptyRouteTable, nominalLinkCosts } from '../src/sim/routing.ts';
import type { BenchResult } from './types.ts';
import { runIfMain } from './report.ts';

/** The engine must take 1,000 nodes at >= 100 ticks/s; the simulator feeding it should leave it 10x room. */
const ENGINE_TICKS_PER_S = 100;
/** Rounds per comparison and time per side per round: interleaving keeps a noisy machine fair to both sides. */
const ROUNDS = 5;
const ROUND_SECONDS = 0.15;

/** Ticks per second of `step` over at least `seconds` (and 5 ticks). */
function rate(step: () => void, seconds: number): number {
  let ticks = 0;
  const begin = performance.now();
  let elapsed = 0;
  while (elapsed < seconds * 1000 || ticks < 5) {
    step();
    ticks++;
    elapsed = performance.now() - begin;
  }
  return (ticks * 1000) / elapsed;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1];
}

/** Median rates of `step` and `baseline`, measured in alternating rounds after a warm-up of each. */
function compare(step: () => void, baseline: () => void): { value: number; base: number } {
  rate(step, 0.05);
  rate(baseline, 0.05);
  const values: number[] = [];
  const bases: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    values.push(rate(step, ROUND_SECONDS));
    bases.push(rate(baseline, ROUND_SECONDS));
  }
  return { value: median(values), base: median(bases) };
}

function mesh(nodes: number): MeshSimulator {
  return new MeshSimulator({ seed: 1, topology: { kind: 'geometric', nodes } });
}

/** Runs the simulator benchmark and returns its figures. */
export async function runSimBench(): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  for (const nodes of [100, 1_000, 10_000]) {
    const sim = mesh(nodes);
    const naive = mesh(nodes);
    const { topology } = naive;
    const costs = nominalLinkCosts(topology);
    const noLinkPenalty = new Float64Array(topology.linkCount);
    const noNodePenalty = new Float64Array(nodes);
    const table = emptyRouteTable(nodes);
    const { value: cached, base: rerouting } = compare(
      () => sim.tick(),
      () => {
        computeRoutes(topology, costs, noLinkPenalty, noNodePenalty, table);
        naive.tick();
      },
    );
    const target =
      nodes === 1_000
        ? `>= ${10 * ENGINE_TICKS_PER_S} ticks/s`
        : nodes === 10_000
          ? `>= ${ENGINE_TICKS_PER_S} ticks/s`
          : undefined;
    const floor = nodes === 1_000 ? 10 * ENGINE_TICKS_PER_S : ENGINE_TICKS_PER_S;
    results.push({
      name: `sim tick, ${nodes.toLocaleString('en-US')}-node geometric mesh, 8 metrics`,
      value: cached,
      unit: 'ticks/s',
      baseline: 'routes recomputed every tick',
      ratio: cached / rerouting,
      ...(target ? { target, met: cached >= floor } : {}),
    });
    results.push({
      name: `samples emitted, ${nodes.toLocaleString('en-US')} nodes`,
      value: cached * nodes * 8,
      unit: 'samples/s',
    });
    await Promise.resolve();
  }

  // 180 faults packed into one simulated hour on 1,000 nodes: a fault starts or ends every ~10 ticks.
  const faulted = mesh(1_000);
  const clean = mesh(1_000);
  const specs = scheduleFaults({
    seed: 1,
    topology: faulted.topology,
    hours: 1,
    perKind: 20,
    warmup: 0,
    minDuration: 5,
    maxDuration: 9,
  });
  for (const spec of specs) faulted.inject(spec);
  const { value: withFaults, base: withoutFaults } = compare(
    () => faulted.tick(),
    () => clean.tick(),
  );
  results.push({
    name: 'sim tick, 1,000 nodes, 180 faults in 1 simulated hour',
    value: withFaults,
    unit: 'ticks/s',
    baseline: 'same mesh without faults',
    ratio: withFaults / withoutFaults,
  });

  const begin = performance.now();
  mesh(10_000);
  results.push({
    name: 'build a 10,000-node geometric mesh (topology, routes, state)',
    value: performance.now() - begin,
    unit: 'ms',
  });
  return results;
}

await runIfMain(import.meta.url, runSimBench);
