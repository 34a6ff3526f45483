/**
 * Shadow evaluation (src/mlops/shadow.ts): the challenger never acts, it is promoted only past the
 * minimum incidents and the significance level, never when it decides as the champion does, and
 * the champion is rolled back when its health turns failing; every change is an audited
 * registry operation. The incidents here are driven by hand over a two-remedy world; the last
 * case runs the engine over the simulator with and without a challenger.
 */
import { describe, expect, it } from 'vitest';
import { ACTION_KINDS } from '../src/domain/actions.ts';
import { MemoryStore } from '../src/knowledge/memory-store.ts';
import type { Posterior } from '../src/knowledge/records.ts';
import { ModelRegistry } from '../src/mlops/registry.ts';
import {
  DiscountedSuccessRates,
  ShadowPlanner,
  type ShadowOptions,
  signTestPValue,
} from '../src/mlops/shadow.ts';
import { MeshLoop, type MeshLoopOptions } from '../src/run/mesh-loop.ts';
import { SIM_FAULT_KINDS } from '../src/sim/index.ts';
import { diagnosis, incident } from './shadow-incidents.ts';

const MODEL = 'engine.success-rates';

/**
 * The planners' adapters are held still (a learning rate of 1e-9 on an adapter that starts at
 * zero), so the success posteriors, which the shadow evaluates, decide.
 */
const POSTERIORS_DECIDE = { learningRate: 1e-9 };

/** A champion that has seen rollback-config heal bad-config many times. */
const SEASONED: Posterior[] = [{ signature: 'bad-config', action: 'rollback-config', alpha: 30, beta: 1 }];

async function shadowOver(options: Partial<ShadowOptions> = {}) {
  const store = new MemoryStore();
  const audit: Array<{ kind: string; data: Record<string, unknown> }> = [];
  const shadow = await ShadowPlanner.create({
    store,
    audit: { append: async (event) => void audit.push(event as (typeof audit)[number]) },
    planner: POSTERIORS_DECIDE,
    champion: { discount: 1, successRates: SEASONED },
    challenger: { discount: 0.5 },
    minIncidents: 10,
    ...options,
  });
  return { shadow, store, audit, registry: new ModelRegistry(store) };
}

/** The world after the change: rollback-config no longer heals bad-config, failover does. */
const changed = (action: string) => action === 'failover';

describe('signTestPValue', () => {
  it('is the one-sided binomial tail', () => {
    expect(signTestPValue(0, 0)).toBe(1);
    expect(signTestPValue(5, 0)).toBeCloseTo(1 / 32, 12);
    expect(signTestPValue(3, 3)).toBeCloseTo(42 / 64, 12);
    expect(signTestPValue(9, 1)).toBeCloseTo(11 / 1024, 12);
    expect(() => signTestPValue(-1, 2)).toThrow(/wins/);
  });
});

describe('DiscountedSuccessRates', () => {
  it('forgets old outcomes towards Beta(1, 1)', () => {
    const rates = new DiscountedSuccessRates(0.5, SEASONED);
    const p = rates.observe('bad-config', 'rollback-config', false);
    expect(p.alpha).toBeCloseTo(1 + 0.5 * 29, 12);
    expect(p.beta).toBeCloseTo(2, 12);
    expect(() => new DiscountedSuccessRates(0)).toThrow(/discount/);
  });
});

describe('ShadowPlanner', () => {
  it('returns the champion’s plan and registers both models at the start', async () => {
    const { shadow, registry, audit } = await shadowOver();
    const plan = shadow.plan(diagnosis(1));
    expect(plan).toEqual(shadow.champion.plan(diagnosis(1), new Set()));
    expect(await registry.aliases(MODEL)).toEqual({ champion: 1, challenger: 2 });
    expect(audit.map((e) => e.kind)).toEqual([
      'model.register',
      'model.promote',
      'model.register',
      'model.promote',
    ]);
    expect((await registry.get(`${MODEL}@2`)).lineage.parameters).toEqual({ discount: 0.5 });
  });

  it('promotes only once the minimum incidents are scored and the sign test is significant', async () => {
    const { shadow, registry, audit } = await shadowOver();
    let significantTooEarly = false;
    let promotedAt: { incidents: number; wins: number; losses: number } | undefined;
    for (let n = 1; n <= 20 && !promotedAt; n++) {
      const before = shadow.evidence;
      await incident(shadow, n, changed);
      const after = shadow.evidence;
      if (shadow.transitions.length > 0) {
        // The evidence starts afresh once the challenger takes office; the tally that promoted it is the last one.
        promotedAt = { incidents: before.incidents + 1, wins: before.wins + 1, losses: before.losses };
        break;
      }
      expect(after.incidents < 10 || after.pValue > 0.05).toBe(true);
      if (after.incidents < 10 && after.pValue <= 0.05) significantTooEarly = true;
    }
    expect(significantTooEarly).toBe(true);
    expect(promotedAt).toBeDefined();
    expect(promotedAt!.incidents).toBeGreaterThanOrEqual(10);
    expect(signTestPValue(promotedAt!.wins, promotedAt!.losses)).toBeLessThanOrEqual(0.05);
    const [promotion] = shadow.transitions;
    expect(promotion).toMatchObject({ action: 'promote', from: 1, discount: 0.5 });
    expect(promotion.reason).toMatch(/one-sided exact sign test p = /);
    // Checkpoint of the outgoing champion (3), the challenger's state promoted (4), the checkpoint as challenger.
    expect(await registry.aliases(MODEL)).toEqual({ champion: 4, challenger: 3 });
    expect((await registry.get(`${MODEL}@4`)).lineage.parameters).toEqual({ discount: 0.5 });
    expect(audit.filter((e) => e.kind === 'model.promote').map((e) => e.data.to)).toEqual([1, 2, 3, 4, 3]);
    // The promoted model now acts: failover first.
    expect(await incident(shadow, 100, changed)).toEqual(['failover']);
  });

  it('never promotes a challenger that decides as the champion does', async () => {
    const { shadow, registry } = await shadowOver({ challenger: { discount: 1 } });
    for (let n = 1; n <= 40; n++) await incident(shadow, n, changed);
    expect(shadow.evidence).toMatchObject({ incidents: 40, wins: 0, losses: 0 });
    expect(shadow.transitions).toEqual([]);
    expect(await registry.aliases(MODEL)).toEqual({ champion: 1, challenger: 2 });
  });

  it('scores a choice it never saw executed as a failure', async () => {
    const { shadow } = await shadowOver({
      challenger: {
        discount: 1,
        successRates: [
          { signature: 'bad-config', action: 'failover', alpha: 90, beta: 1 },
          { signature: 'bad-config', action: 'rollback-config', alpha: 1, beta: 90 },
        ],
      },
    });
    // rollback-config heals: the champion heals at once, the challenger's failover is never tried.
    await incident(shadow, 1, (action) => action === 'rollback-config');
    expect(shadow.outcomes.at(-1)).toMatchObject({
      champion: 'rollback-config@"n1"',
      challenger: 'failover@"n1"',
      championHealed: true,
      challengerHealed: false,
      imputed: true,
    });
    // failover heals: the champion fails, the loop then tries failover, so the challenger's outcome is seen.
    await incident(shadow, 2, changed);
    expect(shadow.outcomes.at(-1)).toMatchObject({
      championHealed: false,
      challengerHealed: true,
      imputed: false,
    });
    expect(shadow.evidence).toMatchObject({ incidents: 2, wins: 1, losses: 1 });
  });

  it('rolls the champion back to the previous version when its health turns failing', async () => {
    const { shadow, registry, audit } = await shadowOver();
    for (let n = 1; shadow.transitions.length === 0 && n <= 30; n++) await incident(shadow, n, changed);
    expect(shadow.transitions).toHaveLength(1);
    const checkpoint = (await registry.aliases(MODEL)).challenger;
    // Nothing heals any more: the promoted champion's decisions fail.
    for (let n = 200; shadow.transitions.length === 1 && n < 230; n++) await incident(shadow, n, () => false);
    expect(shadow.transitions).toHaveLength(2);
    const rollback = shadow.transitions[1];
    expect(rollback).toMatchObject({ action: 'rollback', from: 4, to: checkpoint, discount: 1 });
    expect(rollback.reason).toMatch(/health failing: decisionSuccessRate/);
    const aliases = await registry.aliases(MODEL);
    expect(aliases.champion).toBe(checkpoint);
    // The demoted model's state is registered and stays on as the challenger.
    expect(aliases.challenger).toBe(5);
    expect(audit.some((e) => e.kind === 'model.rollback' && e.data.to === checkpoint)).toBe(true);
    // The champion acts with the checkpoint's posteriors.
    const restored = (await registry.get(`${MODEL}@${checkpoint}`)).artefact as Posterior[];
    expect(shadow.champion.successRates.all()).toEqual(restored);
  });

  it('keeps acting when failing health has no earlier version to return to', async () => {
    const { shadow, registry } = await shadowOver({ challenger: { discount: 1 } });
    for (let n = 1; n <= 12; n++) await incident(shadow, n, () => false);
    expect(shadow.health).toBe('failing');
    expect(shadow.transitions).toEqual([]);
    expect(shadow.registryFailures).toEqual([]);
    expect((await registry.aliases(MODEL)).champion).toBe(1);
  });

  it('refuses bad options by name', async () => {
    const store = new MemoryStore();
    await expect(
      ShadowPlanner.create({ store, challenger: { discount: 0.5 }, minIncidents: 0 }),
    ).rejects.toThrow(/options\.minIncidents/);
    await expect(ShadowPlanner.create({ store, challenger: { discount: 0.5 }, alpha: 1 })).rejects.toThrow(
      /options\.alpha/,
    );
    await expect(ShadowPlanner.create({ store, challenger: { discount: 2 } })).rejects.toThrow(
      /options\.challenger\.discount/,
    );
  });
});

describe('a challenger beside the engine', () => {
  /** The simulator's tickets (every action the executor carried out) of a one-hour run. */
  async function tickets(shadow?: MeshLoopOptions['shadow']) {
    const mesh = await MeshLoop.create({ seed: 3, hours: 1, ...(shadow ? { shadow } : {}) });
    for (let t = 0; t < 3600; t++) await mesh.step();
    await mesh.loop.close();
    return {
      actions: mesh.sim.actions().map((t) => ({ ...t.action, issued: t.issued })),
      shadow: mesh.shadow,
    };
  }

  it('never acts: the executor receives exactly what it receives without one', async () => {
    // A challenger that believes in failover alone for every kind, and is never promoted.
    const believer = SIM_FAULT_KINDS.flatMap((kind) =>
      ACTION_KINDS.map((action) =>
        action === 'failover'
          ? { signature: kind, action, alpha: 90, beta: 1 }
          : { signature: kind, action, alpha: 1, beta: 90 },
      ),
    );
    const plain = await tickets();
    const shadowed = await tickets({
      challenger: { discount: 1, successRates: believer },
      minIncidents: 10_000,
    });
    expect(plain.actions.length).toBeGreaterThan(5);
    expect(shadowed.actions).toEqual(plain.actions);
    const disagreements = shadowed.shadow!.outcomes.filter((o) => o.challenger !== o.champion);
    expect(disagreements.length).toBeGreaterThan(0);
    expect(shadowed.shadow!.transitions).toEqual([]);
  }, 120_000);
});
