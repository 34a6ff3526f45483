// LoRAConfig (src/plan/lora.ts) and the planner's adapters it configures: the original system's
// defaults and custom values, target modules, scaling, refusal of weights learnt under another
// configuration, and the compat DecisionEngine keeping learnt weights over a policy-set change.
import { describe, expect, it } from 'vitest';
import { DecisionEngine } from '../../src/compat/decision.ts';
import { LoRAConfig as CompatLoRAConfig } from '../../src/compat/index.ts';
import { Policy, PolicyPriority } from '../../src/compat/policy.ts';
import { nodeTarget } from '../../src/domain/targets.ts';
import { ArgumentError } from '../../src/errors.ts';
import { type Diagnosis, FEATURES, UtilityPlanner } from '../../src/plan/decision.ts';
import { LORA_TARGET_MODULES, LoRAConfig } from '../../src/plan/lora.ts';
import { SuccessRates } from '../../src/plan/posteriors.ts';

const diagnosis: Diagnosis = {
  incidentId: 'i-1',
  signature: 'cpu',
  kind: 'cpu-exhaustion',
  scope: 'node',
  severity: 0.8,
  metrics: ['cpu'],
  rootCauses: [{ target: nodeTarget('n1'), score: 0.9 }],
  recommended: [],
};

/** Plans, then learns that the first candidate of each plan healed (or not), `rounds` times. */
function train(planner: UtilityPlanner, rounds: number): void {
  for (let i = 0; i < rounds; i++) {
    const chosen = planner.plan(diagnosis).chosen;
    if (!chosen) throw new Error('no candidate');
    planner.learn(diagnosis, chosen, i % 3 !== 0);
  }
}

const f = FEATURES.length;

describe('LoRAConfig', () => {
  it("has the original system's defaults: r = 8, alpha = 16, scale 2, both modules, no dropout", () => {
    const config = new LoRAConfig();
    expect(config.toJSON()).toEqual({
      r: 8,
      alpha: 16,
      dropout: 0,
      targetModules: ['feature-projection', 'action-head'],
      useRslora: false,
      initialisation: 'kaiming-uniform',
      seed: 1,
    });
    expect(config.scale).toBe(2);
    expect(CompatLoRAConfig).toBe(LoRAConfig);
    expect(String(config)).toBe('r 8, alpha 16, scale 2, feature-projection + action-head');
  });

  it('takes custom values, round-trips through JSON and refuses bad ones naming the field', () => {
    const config = new LoRAConfig({ r: 4, alpha: 8, dropout: 0.1, initialisation: 'gaussian', seed: 7 });
    expect([config.r, config.alpha, config.dropout, config.initialisation, config.seed]).toEqual([
      4,
      8,
      0.1,
      'gaussian',
      7,
    ]);
    const again = LoRAConfig.fromJSON(JSON.parse(JSON.stringify(config)));
    expect(again.equals(config)).toBe(true);
    expect(again.equals(new LoRAConfig({ r: 4, alpha: 8 }))).toBe(false);
    const bad: Array<[object, string]> = [
      [{ r: 0 }, 'r'],
      [{ r: 257 }, 'r'],
      [{ r: 1.5 }, 'r'],
      [{ alpha: 0 }, 'alpha'],
      [{ alpha: Infinity }, 'alpha'],
      [{ dropout: -0.1 }, 'dropout'],
      [{ dropout: 1 }, 'dropout'],
      [{ targetModules: [] }, 'targetModules'],
      [{ targetModules: ['q_proj'] }, 'targetModules'],
      [{ useRslora: 1 }, 'useRslora'],
      [{ initialisation: 'zeros-and-ones' }, 'initialisation'],
      [{ seed: -1 }, 'seed'],
    ];
    for (const [options, field] of bad) {
      expect(() => new LoRAConfig(options)).toThrow(ArgumentError);
      expect(() => new LoRAConfig(options)).toThrow(new RegExp(`^${field}: `));
    }
    expect(() => LoRAConfig.fromJSON([8])).toThrow(/^settings: /);
  });

  it('scales by alpha / r, or alpha / sqrt(r) when rank-stabilised', () => {
    expect(new LoRAConfig({ r: 16, alpha: 16 }).scale).toBe(1);
    expect(new LoRAConfig({ r: 16, alpha: 16, useRslora: true }).scale).toBe(4);
    expect(new LoRAConfig({ r: 8, useRslora: true }).scale).toBeCloseTo(16 / Math.sqrt(8), 12);
    expect(String(new LoRAConfig({ r: 4, useRslora: true }))).toContain('scale 8 (rsLoRA)');
  });

  it('targets the modules by name, in a fixed order, duplicates merged', () => {
    expect(LORA_TARGET_MODULES).toEqual(['feature-projection', 'action-head']);
    const config = new LoRAConfig({ targetModules: ['action-head', 'feature-projection', 'action-head'] });
    expect(config.targetModules).toEqual(['feature-projection', 'action-head']);
    expect(new LoRAConfig({ targetModules: ['action-head'] }).targets('feature-projection')).toBe(false);
    expect(() => new LoRAConfig({ targetModules: ['decision-scorer'] })).toThrow(
      /no module "decision-scorer"; expected some of feature-projection, action-head/,
    );
  });
});

for (const backend of ['wasm', 'ts'] as const) {
  describe(`the planner's adapters under a LoRAConfig (${backend})`, () => {
    it('defaults to r = 8 on both modules: one row of the head per action', async () => {
      const planner = await UtilityPlanner.create({ backend });
      const adapter = planner.adapter();
      expect(adapter.config).toEqual(new LoRAConfig().toJSON());
      expect(adapter.a).toHaveLength(f * 8);
      expect(adapter.b).toEqual(new Array(8).fill(0));
      expect(adapter.headA).toHaveLength(f * 8);
      expect(adapter.actions).toEqual(planner.actions.map((a) => a.name));
      expect(adapter.headB).toHaveLength(planner.actions.length * 8);
    });

    it('learns only in the targeted modules, and each action only in its own row', async () => {
      const head = await UtilityPlanner.create({
        backend,
        lora: new LoRAConfig({ r: 4, targetModules: ['action-head'] }),
      });
      train(head, 12);
      const learnt = head.adapter();
      expect([learnt.a, learnt.b]).toEqual([[], []]);
      const moved = learnt.actions.filter((_, i) =>
        learnt.headB.slice(i * 4, i * 4 + 4).some((v) => v !== 0),
      );
      expect(moved.length).toBeGreaterThan(0);
      expect(moved.length).toBeLessThan(learnt.actions.length);

      const projection = await UtilityPlanner.create({
        backend,
        lora: new LoRAConfig({ r: 4, targetModules: ['feature-projection'] }),
      });
      train(projection, 12);
      const p = projection.adapter();
      expect([p.actions, p.headA, p.headB]).toEqual([[], [], []]);
      expect(p.b.some((v) => v !== 0)).toBe(true);
    });

    it('restores weights learnt under the same configuration, rank-stabilised included', async () => {
      const lora = new LoRAConfig({ r: 4, alpha: 8, useRslora: true });
      const planner = await UtilityPlanner.create({ backend, lora });
      train(planner, 10);
      const rates = () => new SuccessRates(planner.successRates.all());
      const restored = await UtilityPlanner.create({ backend, lora, adapter: planner.adapter() }, rates());
      expect(restored.adapter()).toEqual(planner.adapter());
      const scores = (p: UtilityPlanner) => p.plan(diagnosis).candidates.map((c) => c.score);
      expect(scores(restored)).toEqual(scores(planner));
      expect(scores(restored)).not.toEqual(scores(await UtilityPlanner.create({ backend, lora }, rates())));
    });

    it('refuses weights learnt under another configuration, naming it', async () => {
      const planner = await UtilityPlanner.create({ backend, lora: new LoRAConfig({ r: 4 }) });
      train(planner, 4);
      const adapter = planner.adapter();
      await expect(UtilityPlanner.create({ backend, adapter })).rejects.toThrow(
        /^options\.adapter\.config: learnt under LoRA \(r 4, alpha 16, scale 4, .*\), not this planner's \(r 8, alpha 16, scale 2, /,
      );
      await expect(
        UtilityPlanner.create({
          backend,
          lora: new LoRAConfig({ r: 4 }),
          adapter: { ...adapter, headB: [1] },
        }),
      ).rejects.toThrow(/^options\.adapter\.headB: /);
      await expect(
        UtilityPlanner.create({ backend, adapter: { ...adapter, config: undefined } as never }),
      ).rejects.toThrow(/^options\.adapter\.config: is no LoRA configuration/);
    });

    it('keeps the rows of actions it still offers, and starts new ones at zero', async () => {
      const lora = new LoRAConfig({ r: 2 });
      const planner = await UtilityPlanner.create({ backend, lora });
      train(planner, 10);
      const learnt = planner.adapter();
      const row = (a: typeof learnt, name: string) => {
        const i = a.actions.indexOf(name);
        return a.headB.slice(i * 2, i * 2 + 2);
      };
      const [kept, ...rest] = planner.actions;
      const added = { ...kept, name: 'new-action' };
      const next = await UtilityPlanner.create({ backend, lora, adapter: learnt, actions: [added, kept] });
      const after = next.adapter();
      expect(after.actions).toEqual(['new-action', kept.name]);
      expect(row(after, kept.name)).toEqual(row(learnt, kept.name));
      expect(row(after, 'new-action')).toEqual([0, 0]);
      expect([after.a, after.b, after.headA]).toEqual([learnt.a, learnt.b, learnt.headA]);
      expect(rest.length).toBeGreaterThan(0);
    });
  });
}

describe('the compat DecisionEngine over a policy-set change', () => {
  it('keeps what its adapter learnt for the policies that survive', async () => {
    const engine = new DecisionEngine(undefined, { backend: 'ts' });
    engine.ranker.registerPolicy(new Policy('restart', 'Restart', '', PolicyPriority.HIGH));
    engine.ranker.registerPolicy(new Policy('scale', 'Scale', '', PolicyPriority.LOW));
    const context = { kind: 'cpu' };
    for (let i = 0; i < 20; i++)
      await engine.evaluateDecision(i % 2 ? 'restart' : 'scale', i % 4 !== 0, 1, 0, context);
    const before = await engine.decideOnAction(['restart', 'scale'], context);
    expect(before.rankedCandidates.every((c) => /learned [+-]/.test(c.explanation))).toBe(true);

    engine.ranker.registerPolicy(new Policy('drain', 'Drain', '', PolicyPriority.MEDIUM));
    engine.ranker.unregisterPolicy('scale');
    const after = await engine.decideOnAction(['restart', 'drain'], context);
    const score = (d: typeof before, id: string) => d.rankedCandidates.find((c) => c.id === id)?.score;
    expect(score(after, 'restart')).toBeCloseTo(score(before, 'restart') ?? NaN, 5);
    expect(after.rankedCandidates.find((c) => c.id === 'restart')?.explanation).toMatch(/learned [+-]/);
  });
});
