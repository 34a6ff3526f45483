/**
 * `serve` keeps what it learnt across a restart (issue 13, section 1): an engine's success rates,
 * detector state with Analyze's normal ranges, and past incidents are registered as model versions
 * and a new engine on the same store starts from them.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryStore } from '../src/knowledge/memory-store.ts';
import { restoreLearning, saveLearning } from '../src/run/learning.ts';
import { ServeEngine } from '../src/serve/engine.ts';
import { CHAIN_CONFIG, chainTopology, T0 } from './serve-chain.ts';

const NODES = ['db:5432', 'api/v1', 'web front'];
const topology = chainTopology(NODES);
const config = CHAIN_CONFIG;

const engines: ServeEngine[] = [];
afterEach(async () => {
  await Promise.all(engines.splice(0).map((engine) => engine.close()));
});

async function start(options: Partial<Parameters<typeof ServeEngine.start>[0]> = {}) {
  const clock = { now: T0 };
  const engine = await ServeEngine.start({ topology, config, clock: () => clock.now, ...options });
  engines.push(engine);
  return { engine, clock };
}

/** `ticks` seconds of normal telemetry from `from`. */
async function feed(engine: ServeEngine, clock: { now: number }, from: number, ticks: number) {
  for (let t = from; t < from + ticks; t++) {
    const wobble = (t * 7) % 10;
    engine.submit(
      NODES.flatMap((source, i) => [
        { ts: T0 + t, source, metric: 'errorRate', value: 0.01 + 0.001 * ((wobble + i) % 10) },
        { ts: T0 + t, source, metric: 'latencyP95', value: 50 + ((wobble + 3 * i) % 10) },
      ]),
    );
    clock.now = T0 + t + 1;
    await engine.settled();
  }
}

describe('serve across a restart', () => {
  it('starts a new engine from the models the last one registered', async () => {
    const store = new MemoryStore();
    const first = await start({ store });
    await feed(first.engine, first.clock, 0, 200);
    const learnt = await first.engine.learnt();
    expect(learnt.detector?.sources).toEqual(NODES);
    expect(learnt.detector?.normal?.count.some((n) => n > 0)).toBe(true);
    // A success rate the planner learnt (here handed in, as a resolved incident would have taught it).
    learnt.successRates = [{ signature: 'errorRate@local', action: 'restart-service', alpha: 7, beta: 2 }];
    await saveLearning(store, learnt);

    const restored = await restoreLearning(store);
    expect(restored.notes).toEqual([]);
    expect(Object.keys(restored.versions).sort()).toEqual(
      Object.keys(learnt)
        .filter((k) => learnt[k as keyof typeof learnt] !== undefined)
        .sort(),
    );
    const second = await start({ store, learning: restored });
    const again = await second.engine.learnt();
    expect(again.successRates).toEqual(learnt.successRates);
    expect(again.detector?.normal).toEqual(learnt.detector?.normal);
    // The restored detectors and normal ranges take the next normal ticks without an alarm.
    await feed(second.engine, second.clock, 200, 30);
    expect(second.engine.stats().openIncidents).toBe(0);
    expect(second.engine.loop.stats().incidentsOpened).toBe(0);
  });
});
