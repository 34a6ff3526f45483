import { describe, expect, it } from 'vitest';
import { linkTarget, nodeTarget as node } from '../../src/domain/targets.ts';
import { attemptKey, UtilityPlanner, type Diagnosis } from '../../src/plan/decision.ts';
import { PolicyPriority } from '../../src/plan/policy.ts';

const link = linkTarget;

const base: Diagnosis = {
  incidentId: 'i1',
  signature: 'node-crash',
  kind: 'node-crash',
  scope: 'node',
  severity: 0.8,
  metrics: ['cpu'],
  rootCauses: [
    { target: node('n1'), score: 0.9 },
    { target: link('n1', 'n2'), score: 0.1 },
  ],
  recommended: [
    { action: 'failover', support: 1 },
    { action: 'restart-service', support: 1 },
  ],
};

describe('UtilityPlanner', () => {
  it('prefers the faster of two equally supported remedies', async () => {
    const engine = await UtilityPlanner.create({ backend: 'ts' });
    const plan = engine.plan(base);
    // failover takes 5 ticks, a restart 15: the outage costs more than the failover's extra spend.
    expect(plan.chosen).toMatchObject({ action: 'failover', target: node('n1') });
    expect(plan.chosen!.explanation).toMatch(/expected-gain/);
  });

  it('falls back to the other target type when the diagnosed scope has no candidate', async () => {
    const engine = await UtilityPlanner.create({ backend: 'ts' });
    const plan = engine.plan({
      ...base,
      scope: 'link',
      rootCauses: [{ target: node('n1'), score: 1 }],
      recommended: [{ action: 'reroute', support: 1 }],
    });
    expect(plan.chosen).toMatchObject({ action: 'reroute', target: node('n1') });
    const linkOnly = engine.plan({
      ...base,
      scope: 'link',
      recommended: [{ action: 'reroute', support: 1 }],
    });
    expect(linkOnly.candidates.map((c) => c.target)).toEqual([link('n1', 'n2')]);
  });

  it('leaves out targets far less likely than the best one', async () => {
    const engine = await UtilityPlanner.create({ backend: 'ts' });
    const targets = (scores: number[]) =>
      new Set(
        engine
          .plan({ ...base, rootCauses: scores.map((score, i) => ({ target: node(`n${i + 1}`), score })) })
          .candidates.map((c) => c.target.node),
      );
    expect(targets([0.7, 0.2, 0.1])).toEqual(new Set(['n1']));
    expect(targets([0.5, 0.4, 0.1])).toEqual(new Set(['n1', 'n2']));
  });

  it('learns from outcomes: a remedy that keeps failing for a signature loses its place', async () => {
    const engine = await UtilityPlanner.create({ backend: 'ts' });
    const first = engine.plan(base).chosen!;
    for (let i = 0; i < 4; i++) engine.learn(base, first, false);
    const next = engine.plan(base).chosen!;
    expect(next.action).not.toBe(first.action);
    expect(engine.successRates.get(base.signature, first.action).beta).toBe(5);
  });

  it('plans a stopgap (rerouting around a node) only once no remedy is left for the target', async () => {
    const engine = await UtilityPlanner.create({ backend: 'ts' });
    const diagnosis = {
      ...base,
      rootCauses: [{ target: node('n1'), score: 1 }],
      recommended: [
        { action: 'reroute', support: 1 },
        { action: 'quarantine-node', support: 0.5 },
      ],
    };
    const plan = engine.plan(diagnosis);
    expect(plan.chosen).toMatchObject({ action: 'quarantine-node', target: node('n1') });
    expect(plan.candidates.find((c) => c.action === 'reroute')!.excluded).toMatch(/stopgap/);
    expect(engine.plan(diagnosis, new Set([attemptKey('quarantine-node', node('n1'))])).chosen).toMatchObject(
      { action: 'reroute', target: node('n1') },
    );
  });

  it('does not try to route around a partition cut: there is no other path', async () => {
    const engine = await UtilityPlanner.create({ backend: 'ts' });
    const cut = {
      ...base,
      kind: 'partition',
      scope: 'link' as const,
      rootCauses: [
        { target: link('n1', 'n2'), score: 0.5, cut: true },
        { target: link('n1', 'n3'), score: 0.5, cut: true },
      ],
      recommended: [
        { action: 'reroute', support: 1 },
        { action: 'failover', support: 0.5 },
      ],
    };
    const plan = engine.plan(cut);
    expect(plan.chosen?.action).toBe('failover');
    expect(plan.candidates.filter((c) => c.action === 'reroute').map((c) => c.excluded)).toEqual([
      'no way around a partition cut',
      'no way around a partition cut',
    ]);
    // A link that is not part of a cut can be routed around.
    expect(engine.plan({ ...cut, rootCauses: [{ target: link('n1', 'n2'), score: 1 }] }).chosen?.action).toBe(
      'reroute',
    );
  });

  it('excludes tried pairs and targets a policy forbids', async () => {
    const engine = await UtilityPlanner.create({ backend: 'ts' });
    engine.policies.register({
      name: 'no-failover-n1',
      action: 'failover',
      priority: PolicyPriority.HIGH,
      forbiddenTargets: [node('n1')],
    });
    const plan = engine.plan(base, new Set([attemptKey('restart-service', node('n1'))]));
    expect(plan.chosen).toBeUndefined();
    expect(plan.candidates.map((c) => c.excluded).sort()).toEqual([
      'already tried for this incident',
      'forbidden by policy',
    ]);
  });

  it('plans for a node named edge-1 as a node, and for a link by its typed ends', async () => {
    const engine = await UtilityPlanner.create({ backend: 'ts' });
    const plan = engine.plan({
      ...base,
      rootCauses: [
        { target: node('edge-1'), score: 0.6 },
        { target: link('edge-1', 'edge-2'), score: 0.4 },
      ],
      recommended: [
        { action: 'restart-service', support: 1 },
        { action: 'reroute', support: 0.5 },
      ],
      scope: undefined,
    });
    const pairs = plan.candidates.map((c) => `${c.action} ${c.target.node ?? c.target.link?.join('~')}`);
    expect(pairs.sort()).toEqual(['reroute edge-1', 'reroute edge-1~edge-2', 'restart-service edge-1']);
    expect(plan.chosen).toMatchObject({ action: 'restart-service', target: node('edge-1') });
  });

  it("keys attempts so that a node and a link never share a key, and a link's ends are unordered", () => {
    expect(attemptKey('reroute', node('a-b'))).not.toBe(attemptKey('reroute', link('a', 'b')));
    expect(attemptKey('reroute', link('a', 'b'))).toBe(attemptKey('reroute', link('b', 'a')));
  });
});
