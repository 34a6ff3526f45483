/**
 * The endurance run behind the throughput and memory checks: the loop over a simulated mesh for
 * 10,000 ticks as fast as it goes, sampling heap and RSS as it runs. Where the runtime lets us
 * (Node: V8's gc through node:vm; Bun: Bun.gc) a collection is forced before each heap sample
 * so the slope measures retained memory, not garbage awaiting collection.
 */
import { MeshLoop } from '../run/mesh-loop.ts';

/** One memory sample. */
export interface MemorySample {
  iteration: number;
  heapUsedMb: number;
  rssMb: number;
}

/** What the endurance run measured. */
export interface EnduranceResult {
  iterations: number;
  nodes: number;
  seconds: number;
  ticksPerSecond: number;
  samples: MemorySample[];
  peakRssMb: number;
  /** How garbage was collected before samples: 'v8', 'bun' or 'none'. */
  gc: 'v8' | 'bun' | 'none';
  incidentsOpened: number;
  actionsStarted: number;
}

/** The runtime's memory figures in bytes, where it exposes them. */
export function memoryUsage(): { heapUsed: number; rss: number } | undefined {
  const g = globalThis as { process?: { memoryUsage?: () => { heapUsed: number; rss: number } } };
  return g.process?.memoryUsage?.();
}

/** Runs the loop over a `nodes`-node mesh for `iterations` ticks, sampling memory `samples` times. */
export async function runEndurance(iterations = 10_000, nodes = 25, samples = 40): Promise<EnduranceResult> {
  if (memoryUsage() === undefined)
    throw new Error('this runtime exposes no memory figures (process.memoryUsage)');
  const collector = await garbageCollector();
  const mesh = await MeshLoop.create({ nodes, hours: Math.ceil(iterations / 3600), faultsPerKind: 3 });
  const every = Math.max(1, Math.floor(iterations / samples));
  const points: MemorySample[] = [];
  let peakRss = 0;
  const sample = (iteration: number) => {
    collector.collect();
    const { heapUsed, rss } = memoryUsage()!;
    peakRss = Math.max(peakRss, rss);
    points.push({ iteration, heapUsedMb: mb(heapUsed), rssMb: mb(rss) });
  };
  const began = performance.now();
  let collecting = 0;
  for (let i = 1; i <= iterations; i++) {
    await mesh.step();
    if (i % every === 0) {
      const t = performance.now();
      sample(i);
      collecting += performance.now() - t;
    }
  }
  // Sampling time (forced collections) is not the loop's: leave it out of the rate.
  const seconds = (performance.now() - began - collecting) / 1000;
  const stats = mesh.loop.stats();
  return {
    iterations,
    nodes,
    seconds,
    ticksPerSecond: iterations / seconds,
    samples: points,
    peakRssMb: mb(peakRss),
    gc: collector.kind,
    incidentsOpened: stats.incidentsOpened,
    actionsStarted: stats.actionsStarted,
  };
}

/** Least-squares slope of y over x. */
export function slope(points: ReadonlyArray<{ x: number; y: number }>): number {
  const n = points.length;
  if (n < 2) return NaN;
  const mx = points.reduce((s, p) => s + p.x, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  let num = 0;
  let den = 0;
  for (const p of points) {
    num += (p.x - mx) * (p.y - my);
    den += (p.x - mx) ** 2;
  }
  return den === 0 ? NaN : num / den;
}

const mb = (bytes: number) => Math.round((bytes / 1048576) * 100) / 100;

async function garbageCollector(): Promise<{ kind: EnduranceResult['gc']; collect(): void }> {
  const g = globalThis as {
    Bun?: { gc(force: boolean): void };
    process?: { versions?: { node?: string } };
    Deno?: unknown;
  };
  if (g.Bun) return { kind: 'bun', collect: () => g.Bun!.gc(true) };
  if (g.process?.versions?.node && !g.Deno) {
    const v8 = await import('node:v8');
    const vm = await import('node:vm');
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as (() => void) | undefined;
    if (typeof gc === 'function') return { kind: 'v8', collect: gc };
  }
  return { kind: 'none', collect: () => {} };
}
