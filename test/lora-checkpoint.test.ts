// The scoring adapter as registry versions: each run's version records its LoRAConfig, the
// next start restores the champion's weights, `models rollback engine.scoring-adapter` makes
// the next start use the previous weights, and weights learnt under another configuration are
// not restored (a note says why, and the planner starts a fresh adapter).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runModelsCommand } from '../src/cli/models.ts';
import { runCommand } from '../src/cli/run.ts';
import { MemoryStore } from '../src/knowledge/memory-store.ts';
import { openStoreForReading } from '../src/knowledge/store-directory.ts';
import { ModelRegistry } from '../src/mlops/registry.ts';
import { FEATURES, type PlannerAdapter, UtilityPlanner } from '../src/plan/decision.ts';
import { LoRAConfig } from '../src/plan/lora.ts';
import { LEARNT_MODELS, plannerOptions, restoreLearning, saveLearning } from '../src/run/learning.ts';
import { quietly } from './quietly.ts';

const NAME = LEARNT_MODELS.adapter;

describe('the scoring adapter, checkpointed and rolled back', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lora-checkpoint-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** The versions of the adapter in the store, with what the next start would restore. */
  async function inspect(store: string) {
    const opened = await openStoreForReading(store);
    try {
      const versions = await new ModelRegistry(opened.knowledge).versions(NAME);
      const restored = await restoreLearning(opened.knowledge);
      const planner = await UtilityPlanner.create(plannerOptions(restored, { backend: 'ts' }));
      return { versions, restored, started: planner.adapter() };
    } finally {
      await opened.close();
    }
  }

  it('records the config per version; rollback makes the next start use the previous weights', async () => {
    const store = join(dir, 'store');
    const run = async () => {
      const args = [
        '--hours',
        '1',
        '--faults',
        '2',
        '--quiet',
        '--store',
        store,
        '--out',
        join(dir, 'r.json'),
      ];
      expect((await quietly(() => runCommand(args))).code).toBe(0);
    };
    await run();
    await run();
    const two = await inspect(store);
    expect(two.versions.map((v) => v.version)).toEqual([1, 2]);
    for (const v of two.versions) {
      expect(v.lineage.parameters.lora).toEqual(new LoRAConfig().toJSON());
      expect((v.artefact as PlannerAdapter).config).toEqual(new LoRAConfig().toJSON());
    }
    const [v1, v2] = two.versions.map((v) => v.artefact as PlannerAdapter);
    expect(v2).not.toEqual(v1); // the second run learnt on from the first
    expect(two.restored.versions.adapter).toBe(2);
    expect(two.started).toEqual(v2);

    const rolled = await quietly(() =>
      runModelsCommand(['rollback', NAME, '--store', store, '--reason', 'test']),
    );
    expect(rolled.code).toBe(0);
    const back = await inspect(store);
    expect(back.restored.versions.adapter).toBe(1);
    expect(back.started).toEqual(v1);

    // The next run starts from version 1: its new version's parent says so.
    await run();
    const three = await inspect(store);
    expect(three.versions.map((v) => [v.version, v.lineage.parent])).toEqual([
      [1, null],
      [2, 1],
      [3, 1],
    ]);
  }, 120_000);

  it('does not restore weights learnt under another LoRA configuration, and says why', async () => {
    const store = new MemoryStore();
    const r4 = new LoRAConfig({ r: 4, alpha: 8 });
    const adapter = (await UtilityPlanner.create({ backend: 'ts', lora: r4 })).adapter();
    await saveLearning(store, { successRates: [], adapter });
    const restored = await restoreLearning(store);
    expect(restored.adapter).toBeUndefined();
    expect(restored.notes).toEqual([
      `${NAME}@1 was learnt under LoRA (r 4, alpha 8, scale 2, feature-projection + action-head), not this planner's (r 8, alpha 16, scale 2, feature-projection + action-head) (a fresh adapter starts): not restored`,
    ]);
    // The planner the engine builds from it starts afresh, under the engine's configuration.
    const planner = await UtilityPlanner.create(plannerOptions(restored, { backend: 'ts' }));
    expect(planner.adapter().config).toEqual(new LoRAConfig().toJSON());
    expect(planner.adapter().b.every((v) => v === 0)).toBe(true);
    // An engine that runs the same configuration restores it.
    const same = await restoreLearning(store, { lora: r4 });
    expect(same.adapter).toEqual(adapter);
    expect(same.notes).toEqual([]);
  });

  it('does not restore an adapter saved before LoRAConfig (no config recorded)', async () => {
    const store = new MemoryStore();
    const registry = new ModelRegistry(store);
    const legacy = { features: [...FEATURES], rank: 4, a: new Array(36).fill(0), b: [0, 0, 0, 0] };
    const record = await registry.register({ name: NAME, kind: 'scoring-adapter', artefact: legacy });
    await registry.promote(NAME, record.version, { reason: 'legacy' });
    const restored = await restoreLearning(store);
    expect(restored.adapter).toBeUndefined();
    expect(restored.notes).toEqual([
      `${NAME}@1 records no LoRA configuration it was learnt under: not restored`,
    ]);
  });
});
