/**
 * `serve` with a challenger in the shadow of its planner (#13 §4): the engine's operator loop
 * plans through the ShadowPlanner, reviews it after each tick, registers both models in its
 * store, and its stats carry the shadow's figures; the challenger never changes what the engine
 * does. `serve --shadow-*` without --shadow is a usage error naming the flag.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runServeCommand } from '../src/cli/serve.ts';
import type { Executor } from '../src/execute/executor.ts';
import { MemoryStore } from '../src/knowledge/memory-store.ts';
import { ModelRegistry } from '../src/mlops/registry.ts';
import { ServeEngine } from '../src/serve/engine.ts';
import { CHAIN_CONFIG, chainTopology, T0 } from './serve-chain.ts';
import { quietly } from './quietly.ts';

const NODES = ['db', 'api', 'web'];
const topology = chainTopology(NODES);
const config = CHAIN_CONFIG;

const engines: ServeEngine[] = [];
afterEach(async () => {
  await Promise.all(engines.splice(0).map((engine) => engine.close()));
});

/**
 * An engine fed `ticks` seconds of telemetry in which `db`'s error rate is high from tick 300
 * until the engine's first action is applied (whatever it is: the executor heals).
 */
async function served(options: Partial<Parameters<typeof ServeEngine.start>[0]>, ticks = 600) {
  const clock = { now: T0 };
  let fixed = false;
  const executor: Executor = {
    dryRun: async () => ({ ok: true }),
    apply: async () => {
      fixed = true;
      return { ok: true };
    },
    rollback: async () => ({ ok: true }),
  };
  const engine = await ServeEngine.start({ topology, config, executor, clock: () => clock.now, ...options });
  engines.push(engine);
  for (let t = 0; t < ticks; t++) {
    const wobble = (t * 7) % 10;
    const faulty = t >= 300 && !fixed;
    engine.submit(
      NODES.flatMap((source, i) => [
        {
          ts: T0 + t,
          source,
          metric: 'errorRate',
          value: faulty && source === 'db' ? 0.6 : 0.01 + 0.001 * ((wobble + i) % 10),
        },
        { ts: T0 + t, source, metric: 'latencyP95', value: 50 + ((wobble + 3 * i) % 10) },
      ]),
    );
    clock.now = T0 + t + 1;
    await engine.settled();
  }
  return engine;
}

describe('serve with a shadow', () => {
  it('registers both models, reports the shadow in its stats and acts as without it', async () => {
    const plain = await served({});
    const store = new MemoryStore();
    const shadowed = await served({ store, shadow: { challenger: { discount: 0.5 }, minIncidents: 5 } });
    expect(plain.stats().shadow).toBeUndefined();
    const { shadow } = shadowed.stats();
    expect(shadow).toMatchObject({
      model: 'engine.success-rates',
      versions: { champion: 1, challenger: 2, discounts: { champion: 1, challenger: 0.5 } },
      promotions: 0,
      rollbacks: 0,
      challengerErrors: 0,
      // The incident's one action healed, and both chose it; reviewed after the tick that scored it.
      scored: { incidents: 1, wins: 0, losses: 0 },
      health: 'healthy',
    });
    expect(await new ModelRegistry(store).aliases('engine.success-rates')).toEqual({
      champion: 1,
      challenger: 2,
    });
    expect(plain.stats().actionsBy).toEqual({ healed: 1 });
    expect(shadowed.stats().actionsBy).toEqual(plain.stats().actionsBy);
  }, 60_000);

  it.each([
    ['--shadow-discount', '0.5'],
    ['--shadow-min-incidents', '5'],
    ['--shadow-alpha', '0.1'],
  ])('refuses %s without --shadow (exit 2)', async (flag, value) => {
    const dir = await mkdtemp(join(tmpdir(), 'x0tta-serve-shadow-'));
    try {
      const file = join(dir, 'topology.json');
      await writeFile(file, JSON.stringify({ nodes: NODES.map((id) => ({ id })), links: [], gateways: [] }));
      const result = await quietly(() => runServeCommand(['--topology', file, flag, value]));
      expect(result.code).toBe(2);
      expect(result.out).toContain(`serve: ${flag}: needs --shadow`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
