// `serve` with its detectors in worker threads (issue 16, section 1): ServeEngine passes
// `detectorWorkers` down to the engine's parts, which open a DetectorPool, and the engine
// then detects and learns exactly as with its detectors on the main thread.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DetectorPool } from '../src/kernels/detector/pool.ts';
import { ServeEngine } from '../src/serve/engine.ts';
import { CHAIN_CONFIG, chainTopology, T0 } from './serve-chain.ts';

const NODES = ['db', 'api', 'web'];
const topology = chainTopology(NODES);
const config = CHAIN_CONFIG;

afterEach(() => {
  vi.restoreAllMocks();
});

/** Feeds 400 s of telemetry with a latency fault on db from 300 s; returns what the engine saw. */
async function serveWith(detectorWorkers: number | 'auto') {
  const clock = { now: T0 };
  const engine = await ServeEngine.start({ topology, config, clock: () => clock.now, detectorWorkers });
  try {
    for (let t = 0; t < 400; t++) {
      const wobble = (t * 7) % 10;
      engine.submit(
        NODES.flatMap((source, i) => [
          { ts: T0 + t, source, metric: 'errorRate', value: 0.01 + 0.001 * ((wobble + i) % 10) },
          {
            ts: T0 + t,
            source,
            metric: 'latencyP95',
            value: 50 + ((wobble + 3 * i) % 10) + (source === 'db' && t >= 300 ? 400 : 0),
          },
        ]),
      );
      clock.now = T0 + t + 1;
      await engine.settled();
    }
    const { detector } = await engine.learnt();
    const { tickLatencyMs: _latency, ...stats } = engine.stats();
    return { stats, incidents: engine.openIncidents().map((i) => i.nodes ?? i), detector };
  } finally {
    await engine.close();
  }
}

describe('serve --workers', () => {
  it('scores in a DetectorPool and sees what the main thread sees', async () => {
    const open = vi.spyOn(DetectorPool, 'open');
    const main = await serveWith(0);
    expect(open).not.toHaveBeenCalled();
    const pooled = await serveWith(2);
    expect(open).toHaveBeenCalledTimes(1);
    expect(open.mock.calls[0][0]).toBe(NODES.length * 2);
    expect(main.stats.ticks).toBeGreaterThan(300);
    expect(main.stats.timeToDetectSeconds.count + main.incidents.length).toBeGreaterThan(0);
    expect(pooled).toEqual(main);
  });

  it("'auto' keeps a topology this small on the main thread", async () => {
    const open = vi.spyOn(DetectorPool, 'open');
    await serveWith('auto');
    expect(open).not.toHaveBeenCalled();
  });
});
