/**
 * A user's ONNX model shadow-evaluated like any other decision model (#13 §6): an OnnxPlanner,
 * its linear model built with onnx-proto here, is the ShadowPlanner's challenger. Its plans come
 * asynchronously from onnxruntime-web and the loop awaits them; beside the engine over a short
 * healing run its choices are recorded and never executed; over a changed world it is promoted
 * by the sign test and then acts, and a failing champion is rolled back past it.
 */
import { onnx } from 'onnx-proto';
import { describe, expect, it } from 'vitest';
import { ACTION_KINDS } from '../src/domain/actions.ts';
import { MemoryStore } from '../src/knowledge/memory-store.ts';
import type { Posterior } from '../src/knowledge/records.ts';
import { ModelRegistry } from '../src/mlops/registry.ts';
import { ShadowPlanner } from '../src/mlops/shadow.ts';
import { OnnxPlanner, OnnxScorer } from '../src/onnx/index.ts';
import { FEATURES, UtilityPlanner } from '../src/plan/decision.ts';
import { SuccessRates } from '../src/plan/posteriors.ts';
import { MeshLoop } from '../src/run/mesh-loop.ts';
import { SIM_FAULT_KINDS } from '../src/sim/index.ts';
import { diagnosis, incident } from './shadow-incidents.ts';

const MODEL = 'engine.success-rates';
const FLOAT = onnx.TensorProto.DataType.FLOAT;

/** Adapters held still, so the success posteriors and the ONNX model decide. */
const STILL = { learningRate: 1e-9 };

/** A linear scorer over the planner's features (score = weights · features), built by onnx-proto. */
function linearModel(weights: Partial<Record<(typeof FEATURES)[number], number>>): Uint8Array {
  const w = new Float32Array(FEATURES.map((name) => weights[name] ?? 0));
  const value = (name: string, dims: (number | string)[]) =>
    onnx.ValueInfoProto.create({
      name,
      type: {
        tensorType: {
          elemType: FLOAT,
          shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
        },
      },
    });
  const tensor = (name: string, dims: number[], values: Float32Array) =>
    onnx.TensorProto.create({ name, dataType: FLOAT, dims, rawData: new Uint8Array(values.buffer.slice(0)) });
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'x0tta6bl4-test',
    opsetImport: [{ domain: '', version: 17 }],
    graph: onnx.GraphProto.create({
      name: 'shadow-challenger',
      node: [
        onnx.NodeProto.create({
          opType: 'MatMul',
          input: ['candidates', 'w'],
          output: ['product'],
          name: 'm',
        }),
        onnx.NodeProto.create({ opType: 'Add', input: ['product', 'b'], output: ['score'], name: 'a' }),
      ],
      initializer: [tensor('w', [FEATURES.length, 1], w), tensor('b', [1], new Float32Array(1))],
      input: [value('candidates', ['n', FEATURES.length])],
      output: [value('score', ['n', 1])],
    }),
  });
  return onnx.ModelProto.encode(model).finish();
}

/** An OnnxPlanner ranking by `weights`, over a base planner holding `successRates`. */
async function onnxPlanner(
  weights: Partial<Record<(typeof FEATURES)[number], number>>,
  successRates: readonly Posterior[] = [],
): Promise<OnnxPlanner> {
  const scorer = await OnnxScorer.create({ model: linearModel(weights) });
  const base = await UtilityPlanner.create(STILL, new SuccessRates(successRates));
  return OnnxPlanner.create({ scorer, planner: base });
}

describe('an ONNX planner as the challenger', () => {
  it('is promoted when its model is better, then acts; a failing champion is rolled back past it', async () => {
    const store = new MemoryStore();
    // The model ranks by success probability alone, over posteriors that believe in failover.
    const challenger = await onnxPlanner({ 'success-probability': 1 }, [
      { signature: 'bad-config', action: 'failover', alpha: 30, beta: 1 },
    ]);
    const shadow = await ShadowPlanner.create({
      store,
      planner: STILL,
      champion: {
        discount: 1,
        successRates: [{ signature: 'bad-config', action: 'rollback-config', alpha: 30, beta: 1 }],
      },
      challenger: { discount: 1, planner: challenger },
      minIncidents: 10,
    });
    const registry = new ModelRegistry(store);
    const registered = await registry.get(`${MODEL}@2`);
    expect(registered.lineage.parameters).toEqual({ discount: 1, own: 1 });
    expect(registered.tags).toContain('planner');
    // The champion's plan is returned once the model has answered; the challenger's is recorded.
    const pending = shadow.plan(diagnosis(0), new Set());
    expect(pending).toBeInstanceOf(Promise);
    expect((await pending).chosen?.action).toBe('rollback-config');
    shadow.incidentClosed('inc-0');

    // The world where failover heals bad-config and rollback-config does not.
    const changed = (action: string) => action === 'failover';
    for (let n = 1; n <= 30 && shadow.transitions.length === 0; n++) await incident(shadow, n, changed);
    expect(shadow.transitions).toHaveLength(1);
    expect(shadow.transitions[0]).toMatchObject({ action: 'promote', from: 1 });
    expect(shadow.champion).toBe(challenger);
    expect(shadow.summary()).toMatchObject({ promotions: 1, rollbacks: 0, challengerErrors: 0 });
    // The ONNX model now decides: failover first.
    expect(await incident(shadow, 100, changed)).toEqual(['failover']);

    // Nothing heals any more: the ONNX champion fails and the checkpoint before it returns.
    for (let n = 200; n < 240 && shadow.transitions.length === 1; n++) await incident(shadow, n, () => false);
    expect(shadow.transitions[1]).toMatchObject({ action: 'rollback', from: shadow.transitions[0].to });
    expect(shadow.champion).toBeInstanceOf(UtilityPlanner);
    expect(shadow.challenger).toBe(challenger);
    const summary = shadow.summary();
    expect(summary).toMatchObject({ promotions: 1, rollbacks: 1 });
    expect(summary.scored.incidents).toBeGreaterThanOrEqual(summary.scored.wins + summary.scored.losses);
    expect(summary.scored.wins).toBeGreaterThanOrEqual(10);
  });

  it('beside a short healing run: its choices are recorded, never executed', async () => {
    // The model prefers the costliest action; the engine's champion does not.
    const believer = SIM_FAULT_KINDS.flatMap((kind) =>
      ACTION_KINDS.map((action) => ({ signature: kind, action, alpha: 2, beta: 2 })),
    );
    const run = async (withChallenger: boolean) => {
      const store = new MemoryStore();
      const mesh = await MeshLoop.create({
        seed: 3,
        nodes: 12,
        hours: 1,
        faultsPerKind: 1,
        store,
        ...(withChallenger
          ? {
              shadow: {
                challenger: { discount: 1, planner: await onnxPlanner({ cost: 1 }, believer) },
                minIncidents: 10_000,
              },
            }
          : {}),
      });
      for (let t = 0; t < 3600; t++) await mesh.step();
      await mesh.loop.close();
      return { mesh, store, actions: mesh.sim.actions().map((t) => ({ ...t.action, issued: t.issued })) };
    };
    const plain = await run(false);
    const shadowed = await run(true);
    expect(plain.actions.length).toBeGreaterThan(3);
    expect(shadowed.actions).toEqual(plain.actions);
    const shadow = shadowed.mesh.shadow!;
    expect(shadow.outcomes.length).toBeGreaterThan(0);
    expect(shadow.challengerErrors).toBe(0);
    const unexecuted = shadow.outcomes.filter((o) => o.challenger !== o.champion && o.imputed);
    expect(unexecuted.length).toBeGreaterThan(0);
    expect(shadow.summary().scored.incidents).toBe(shadow.outcomes.length);
    expect(shadow.transitions).toEqual([]);
    expect(await new ModelRegistry(shadowed.store).aliases(MODEL)).toMatchObject({
      champion: 1,
      challenger: 2,
    });
    // The engine's planner (what it learns and registers) is the champion.
    expect(shadowed.mesh.planner).toBe(shadow.champion);
  }, 180_000);
});
