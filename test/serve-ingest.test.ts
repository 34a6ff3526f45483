/**
 * The engine's ingest path under a large tick (issue 12, section 7): the rows of a tick of
 * hundreds of thousands of samples reach the Monitor in slices between which other work runs (a
 * server's requests), every one of them is processed, and a tick of rows that arrived out of
 * order, mixed with a columnar batch, ends in the Monitor as if ingested one sample at a time in
 * time order.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { parseEngineConfig } from '../src/serve/config.ts';
import { ServeEngine } from '../src/serve/engine.ts';
import { parseTopology } from '../src/serve/topology.ts';
import type { Sample } from '../src/monitor/ingest.ts';

const NODES = Array.from({ length: 500 }, (_, i) => `node-${i}`);
const T0 = 1_700_000_000;

const engines: ServeEngine[] = [];
afterEach(async () => {
  await Promise.all(engines.splice(0).map((engine) => engine.close()));
});

async function start(): Promise<ServeEngine> {
  const engine = await ServeEngine.start({
    topology: parseTopology({
      nodes: NODES.map((id) => ({ id })),
      links: NODES.slice(1).map((id, i) => [NODES[Math.floor(i / 2)], id]),
      gateways: [NODES[0]],
    }),
    config: parseEngineConfig({ tickSeconds: 1, latenessSeconds: 0, limits: { queueSamples: 1_000_000 } }),
    clock: () => T0,
  });
  engines.push(engine);
  return engine;
}

/** Every node's metrics at `steps` times within the second after T0, step by step. */
function second(engine: ServeEngine, steps: number): Sample[] {
  const metrics = engine.loop.monitor.metrics;
  const samples: Sample[] = [];
  for (let step = 0; step < steps; step++)
    for (const source of NODES)
      for (const metric of metrics)
        samples.push({ source, metric: metric.name, ts: T0 + step / steps, value: (metric.min ?? 0) + 0.5 });
  return samples;
}

/** Event-loop turns (setImmediate callbacks) while `work` runs. */
async function turnsDuring(work: Promise<void>): Promise<number> {
  let turns = 0;
  let running = true;
  const spin = (): void => {
    if (!running) return;
    turns++;
    setImmediate(spin);
  };
  setImmediate(spin);
  await work;
  running = false;
  return turns;
}

describe('ServeEngine ingest', () => {
  it('ingests a tick of 400,000 samples in slices, letting other work run between them, and processes every one', async () => {
    const engine = await start();
    const samples = second(engine, 100);
    for (let i = 0; i < samples.length; i += 10_000)
      expect(engine.submit(samples.slice(i, i + 10_000)).accepted).toBe(true);
    await engine.settled();
    expect(engine.stats().ticks).toBe(0);
    // A sample of the next second closes the first: its tick runs now.
    expect(engine.submit([{ ...samples[0], ts: T0 + 1 }]).accepted).toBe(true);
    const turns = await turnsDuring(engine.settled());
    const stats = engine.stats();
    expect(stats.ticks).toBe(1);
    expect(stats.samplesProcessed).toBe(samples.length);
    expect(stats.samplesAccepted).toBe(samples.length);
    expect(turns).toBeGreaterThan(1);
  });

  it('ends a tick of rows sent out of order, with a columnar batch sharing its second, as if ingested in time order', async () => {
    const engine = await start();
    const monitor = engine.loop.monitor;
    const samples = second(engine, 4);
    // Later steps first, then the earlier ones: the tick puts them back in time order.
    const half = samples.length / 2;
    engine.submit(samples.slice(half));
    engine.submit(samples.slice(0, half));
    const columns = Object.fromEntries(
      monitor.metrics.map((m) => [m.name, new Float64Array(NODES.length).fill((m.min ?? 0) + 0.25)]),
    );
    engine.submitBatch({ ts: T0 + 0.9, columns });
    engine.submit([{ ...samples[0], ts: T0 + 1 }]);
    await engine.settled();
    const stats = engine.stats();
    expect(stats.ticks).toBe(1);
    expect(stats.samplesAccepted).toBe(samples.length + NODES.length * monitor.metrics.length);
    expect(stats.refusedBy).toEqual({});
    const series = monitor.seriesIndex(NODES[7], monitor.metrics[2].name);
    expect(monitor.windows.last(series).ts).toEqual([0, 0.25, 0.5, 0.75, 0.9].map((t) => T0 + t));
  });
});
