import { describe, expect, it } from 'vitest';
import {
  AnomalyDetectionSystem,
  DecisionEngine,
  MLEnhancedMAPEK,
  Policy,
  PolicyPriority,
  PolicyRanker,
} from '../../src/compat/index.ts';
import { studentTwoSidedTail } from '../../src/compat/student-t.ts';
import { ArgumentError, DimensionError } from '../../src/errors.ts';
import { MemoryStore } from '../../src/knowledge/memory-store.ts';
import type { KnowledgeStore } from '../../src/knowledge/store.ts';
import { Rng } from '../../src/random.ts';

/** Standard normal draws by Box-Muller from a seeded generator: true tails, unlike a table. */
function gaussian(rng: Rng): () => number {
  return () => Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
}

function vectors(count: number, dims: number, draw: () => number, mean = 0, sd = 1): number[][] {
  return Array.from({ length: count }, () => Array.from({ length: dims }, () => mean + sd * draw()));
}

describe('compat: the five modules', () => {
  it('are created with empty, real state', () => {
    const mapek = new MLEnhancedMAPEK();
    const anomalies = new AnomalyDetectionSystem();
    const engine = new DecisionEngine();
    const policy = new Policy('scale_up', 'Scale up', 'Add replicas', PolicyPriority.HIGH);
    expect(mapek.getMlStatistics()).toMatchObject({
      iterations: 0,
      anomalies: 0,
      decisions: 0,
      outcomes: 0,
      successRates: [],
    });
    expect(anomalies.components.size).toBe(0);
    expect(engine.ranker.policies.size).toBe(0);
    expect(engine.getDecisionStats()).toMatchObject({
      totalDecisions: 0,
      avgConfidence: null,
      totalOutcomes: 0,
    });
    expect(policy).toMatchObject({
      id: 'scale_up',
      name: 'Scale up',
      priority: PolicyPriority.HIGH,
      cost: 0.1,
      risk: 0.1,
    });
    expect(PolicyPriority.CRITICAL).toBeGreaterThan(PolicyPriority.LOW);
  });

  it('reject bad construction arguments with errors naming them', () => {
    expect(() => new Policy('')).toThrow(/^id:/);
    expect(() => new Policy('p', 'p', '', PolicyPriority.LOW, { cost: 2 })).toThrow(ArgumentError);
    expect(() => new AnomalyDetectionSystem({ threshold: 0 })).toThrow(/config\.threshold/);
    expect(() => new AnomalyDetectionSystem({ minSamples: 1 })).toThrow(/config\.minSamples/);
    expect(() => new MLEnhancedMAPEK({ metrics: [] })).toThrow(/options\.metrics/);
    expect(() => new PolicyRanker().registerPolicy({ id: 'x' } as Policy)).toThrow(/^policy:/);
  });
});

describe('compat: Student t tails', () => {
  it('match closed forms and tables', () => {
    for (const t of [0.5, 1, 3, 20]) {
      expect(studentTwoSidedTail(t, 1)).toBeCloseTo(1 - (2 / Math.PI) * Math.atan(t), 12);
      expect(studentTwoSidedTail(t, 2)).toBeCloseTo(1 - t / Math.sqrt(2 + t * t), 12);
    }
    expect(studentTwoSidedTail(2.228, 10)).toBeCloseTo(0.05, 4);
    expect(studentTwoSidedTail(2.75, 30)).toBeCloseTo(0.01, 4);
    expect(studentTwoSidedTail(0, 7)).toBe(1);
    expect(studentTwoSidedTail(Infinity, 7)).toBe(0);
  });
});

describe('compat: AnomalyDetectionSystem', () => {
  it('returns a numeric score for a trained component and flags a gross outlier', async () => {
    const draw = gaussian(new Rng(1));
    const system = new AnomalyDetectionSystem();
    system.registerComponent('monitor', 4);
    const trained = await system.trainOnComponent('monitor', vectors(100, 4, draw, 0.5, 0.1));
    expect(trained).toEqual({ component: 'monitor', samplesUsed: 100, baselineSamples: 100, trained: true });
    const [none, low] = await system.checkComponent('monitor', [0.5, 0.52, 0.48, 0.5]);
    expect(none).toBeNull();
    expect(low).toBeGreaterThanOrEqual(0);
    expect(low).toBeLessThan(system.threshold);
    const [anomaly, high] = await system.checkComponent('monitor', [3, 3, 3, 3]);
    expect(high).toBe(1);
    expect(anomaly).toMatchObject({ component: 'monitor', value: 3, severity: 'high', score: 1 });
    expect(anomaly!.baseline).toBeCloseTo(0.5, 1);
  });

  it('scores 0 before a component has its baseline', async () => {
    const system = new AnomalyDetectionSystem({ minSamples: 50 });
    system.registerComponent('test', 16);
    expect(await system.checkComponent('test', new Array(16).fill(100))).toEqual([null, 0]);
    await system.trainOnComponent('test', vectors(49, 16, gaussian(new Rng(2))));
    expect(system.components.get('test')!.trained).toBe(false);
    expect((await system.checkComponent('test', new Array(16).fill(100)))[1]).toBe(0);
    await system.trainOnComponent('test', vectors(1, 16, gaussian(new Rng(3))));
    expect((await system.checkComponent('test', new Array(16).fill(100)))[1]).toBe(1);
  });

  it('finds every injected fault and names the metric that moved', async () => {
    const rng = new Rng(7);
    const draw = gaussian(rng);
    const system = new AnomalyDetectionSystem();
    const names = Array.from({ length: 16 }, (_, i) => `m${i}`);
    system.registerComponent('svc', 16, names);
    await system.trainOnComponent('svc', vectors(200, 16, draw));
    for (let k = 0; k < 50; k++) {
      const [sample] = vectors(1, 16, draw);
      const dim = rng.int(16);
      sample[dim] += rng.chance(0.5) ? 8 : -8;
      const [anomaly, score] = await system.checkComponent('svc', sample);
      expect(anomaly?.metric).toBe(names[dim]);
      expect(score).toBeGreaterThanOrEqual(system.threshold);
    }
    expect(system.getStats()).toMatchObject({ totalAnomalies: 50, detections: 50 });
  });

  it('leaves normal data from the training distribution alone (false alarms near the nominal 1e-4)', async () => {
    const draw = gaussian(new Rng(11));
    const system = new AnomalyDetectionSystem();
    system.registerComponent('svc', 16);
    await system.trainOnComponent('svc', vectors(200, 16, draw, 10, 2));
    let flagged = 0;
    for (const sample of vectors(5000, 16, draw, 10, 2))
      if ((await system.checkComponent('svc', sample))[0]) flagged++;
    expect(flagged).toBeLessThanOrEqual(3);
    expect(system.getStats()).toMatchObject({ totalAnomalies: flagged, detections: 5000 });
  });

  it('runs concurrent checks on several components', async () => {
    const draw = gaussian(new Rng(5));
    const system = new AnomalyDetectionSystem();
    const components = ['analyzer', 'planner', 'executor'];
    for (const c of components) {
      system.registerComponent(c, 16);
      await system.trainOnComponent(c, vectors(100, 16, draw));
    }
    const results = await Promise.all(
      components.flatMap((c) => vectors(5, 16, draw).map((v) => system.checkComponent(c, v))),
    );
    expect(results).toHaveLength(15);
    for (const [, score] of results) expect(score).toBeGreaterThanOrEqual(0);
    expect(system.getStats()).toMatchObject({ components: 3, detections: 15, componentsTrained: components });
  });

  it('rejects bad input with typed errors naming the argument', async () => {
    const system = new AnomalyDetectionSystem();
    system.registerComponent('c', 3);
    await expect(system.checkComponent('nope', [1, 2, 3])).rejects.toThrow(/^component:/);
    await expect(system.checkComponent('c', [1, 2])).rejects.toThrow(DimensionError);
    await expect(system.checkComponent('c', [1, NaN, 3])).rejects.toThrow(/^metrics\[1\]:/);
    await expect(system.trainOnComponent('c', [])).rejects.toThrow(/^samples:/);
    await expect(
      system.trainOnComponent('c', [
        [1, 2, 3],
        [1, 2, Infinity],
      ]),
    ).rejects.toThrow(/^samples\[1\]\[2\]:/);
    expect(() => system.registerComponent('d', 0)).toThrow(/^inputDim:/);
  });
});

function engineWith(...policies: Policy[]): DecisionEngine {
  const engine = new DecisionEngine();
  for (const p of policies) engine.ranker.registerPolicy(p);
  return engine;
}

describe('compat: DecisionEngine', () => {
  const scale = new Policy('scale', 'Scale Up', 'Add replicas', PolicyPriority.LOW);
  const optimize = new Policy('optimize', 'Optimize', 'Tune config', PolicyPriority.MEDIUM);
  const restart = new Policy('restart', 'Restart', 'Restart service', PolicyPriority.CRITICAL);

  it('registers policies and returns a ranked decision among the available ones', async () => {
    const engine = engineWith(scale, optimize, restart);
    expect([...engine.ranker.policies.keys()]).toEqual(['scale', 'optimize', 'restart']);
    const decision = await engine.decideOnAction(['scale', 'optimize', 'restart'], { cpu: 0.85 });
    // Nothing learned yet: priority breaks the tie.
    expect(decision).toMatchObject({
      status: 'success',
      selectedPolicy: 'restart',
      policyName: 'Restart',
      signature: 'any',
    });
    expect(decision.rankedCandidates.map((c) => c.id)).toEqual(['restart', 'optimize', 'scale']);
    expect(decision.confidence).toBeGreaterThan(0);
    expect(decision.confidence).toBeLessThanOrEqual(1);
    expect(decision.reasoning).toMatch(/expected-gain/);
    const limited = await engine.decideOnAction(['scale', 'optimize']);
    expect(limited.selectedPolicy).toBe('optimize');
    expect(limited.rankedCandidates.map((c) => c.id).sort()).toEqual(['optimize', 'scale']);
  });

  it('picks the only policy, even after it failed', async () => {
    const engine = engineWith(new Policy('only_one', 'Only Policy', 'Test'));
    for (let i = 0; i < 5; i++) await engine.evaluateDecision('only_one', false, 0, 50);
    const decision = await engine.decideOnAction(['only_one'], {});
    expect(decision.selectedPolicy).toBe('only_one');
    expect(decision.confidence).toBe(1);
  });

  it('changes its ranking with outcomes: a failing top policy gives way to one that works', async () => {
    const engine = engineWith(scale, restart);
    expect((await engine.decideOnAction(['scale', 'restart'])).selectedPolicy).toBe('restart');
    for (let i = 0; i < 6; i++) {
      await engine.evaluateDecision('restart', false, 0, 40);
      await engine.evaluateDecision('scale', true, 0.9, 60);
    }
    const after = await engine.decideOnAction(['scale', 'restart']);
    expect(after.selectedPolicy).toBe('scale');
    const stats = engine.getDecisionStats();
    expect(stats).toMatchObject({ totalDecisions: 2, uniquePolicies: 2, totalOutcomes: 12 });
    expect(stats.policies.restart).toMatchObject({
      selected: 1,
      outcomes: 6,
      successes: 0,
      failures: 6,
      meanReward: 0,
      meanDurationMs: 40,
    });
    expect(stats.policies.scale.meanReward).toBeCloseTo(0.9, 12);
    const rates = Object.fromEntries(stats.successRates.map((r) => [r.policy, r]));
    expect(rates.restart).toMatchObject({ signature: 'any', alpha: 1, beta: 7 });
    expect(rates.scale).toMatchObject({ signature: 'any', alpha: 7, beta: 1 });
  });

  it('learns per kind of problem', async () => {
    const engine = engineWith(scale, restart);
    for (let i = 0; i < 6; i++)
      await engine.evaluateDecision('restart', false, 0, 0, { kind: 'memory-leak' });
    const rates = engine.getDecisionStats().successRates;
    expect(rates).toEqual([{ signature: 'memory-leak', policy: 'restart', alpha: 1, beta: 7, mean: 1 / 8 }]);
    expect((await engine.decideOnAction(['scale', 'restart'], { kind: 'memory-leak' })).selectedPolicy).toBe(
      'scale',
    );
    expect((await engine.decideOnAction(['scale', 'restart'], { kind: 'memory-leak' })).signature).toBe(
      'memory-leak',
    );
  });

  it('takes policies registered after the first decision into account', async () => {
    const engine = engineWith(scale);
    expect((await engine.decideOnAction(['scale'])).selectedPolicy).toBe('scale');
    engine.ranker.registerPolicy(restart);
    expect((await engine.decideOnAction(['scale', 'restart'])).selectedPolicy).toBe('restart');
    engine.ranker.unregisterPolicy('restart');
    await expect(engine.decideOnAction(['restart'])).rejects.toThrow(/availablePolicies/);
  });

  it('makes 10 concurrent decisions', async () => {
    const engine = engineWith(scale, optimize, restart);
    const decisions = await Promise.all(
      Array.from({ length: 10 }, () => engine.decideOnAction(['scale', 'optimize', 'restart'])),
    );
    expect(decisions.map((d) => d.selectedPolicy)).toEqual(new Array(10).fill('restart'));
    expect(engine.getDecisionStats()).toMatchObject({ totalDecisions: 10, uniquePolicies: 1 });
  });

  it('rejects bad input with typed errors naming the argument', async () => {
    const engine = engineWith(scale);
    await expect(engine.decideOnAction([])).rejects.toThrow(/^availablePolicies:/);
    await expect(engine.decideOnAction(['nonexistent'])).rejects.toThrow(
      /^availablePolicies: unknown policy "nonexistent"/,
    );
    await expect(engine.decideOnAction(['scale'], { severity: 2 })).rejects.toThrow(/^context\.severity:/);
    await expect(engine.evaluateDecision('nope', true)).rejects.toThrow(/^policyId:/);
    await expect(engine.evaluateDecision('scale', 'yes' as unknown as boolean)).rejects.toThrow(/^success:/);
    await expect(engine.evaluateDecision('scale', true, NaN)).rejects.toThrow(/^reward:/);
    expect(engine.getDecisionStats().totalOutcomes).toBe(0);
  });
});

describe('compat: MLEnhancedMAPEK', () => {
  const actions = ['scale_up', 'optimize_config', 'restart_component'];

  it('runs one loop iteration and reports every phase', async () => {
    const mapek = new MLEnhancedMAPEK();
    const result = await mapek.autonomicLoopIteration(
      { cpu: 0.5, memory: 0.6, latency_ms: 45, request_count: 1000 },
      actions,
    );
    expect(Object.keys(result).sort()).toEqual([
      'analysis',
      'execution',
      'knowledgeUpdate',
      'monitoring',
      'overallSuccess',
      'planning',
      'tick',
    ]);
    expect(result).toMatchObject({
      tick: 0,
      overallSuccess: true,
      monitoring: { accepted: 4, rejected: [] },
      planning: [],
    });
    expect(mapek.getMlStatistics()).toMatchObject({ iterations: 1, samplesAccepted: 4, samplesRejected: 0 });
  });

  it('rejects bad arguments, and counts samples outside the schema', async () => {
    const mapek = new MLEnhancedMAPEK();
    await expect(mapek.autonomicLoopIteration({}, [])).rejects.toThrow(/^metrics:/);
    await expect(mapek.autonomicLoopIteration({ cpu: 0.5 }, [])).rejects.toThrow(/^actions:/);
    await expect(
      mapek.autonomicLoopIteration({ cpu: 0.5 }, [{ name: 'x', apply: 1 } as never]),
    ).rejects.toThrow(/^actions\[0\]\.apply:/);
    await mapek.autonomicLoopIteration({ cpu: 0.5, memory: 0.5 }, ['scale_up']);
    await expect(mapek.autonomicLoopIteration({ cpu: 0.5 }, ['nonexistent_action'])).rejects.toThrow(
      /^actions:.*catalogue/,
    );
    const result = await mapek.autonomicLoopIteration({ cpu: 0.5, memory: NaN, latency: 10000 }, [
      'scale_up',
    ]);
    expect(result.monitoring.accepted).toBe(1);
    expect(result.monitoring.rejected.map((r) => `${r.reason} ${r.metric}`).sort()).toEqual([
      'non-finite memory',
      'unknown-series latency',
    ]);
    expect(mapek.getMlStatistics()).toMatchObject({ iterations: 2, samplesAccepted: 3, samplesRejected: 2 });
  });

  it('runs 10 concurrent iterations one after another, in call order', async () => {
    const mapek = new MLEnhancedMAPEK();
    const draw = gaussian(new Rng(21));
    const results = await Promise.all(
      Array.from({ length: 10 }, () =>
        mapek.autonomicLoopIteration({ cpu: 0.45 + 0.05 * draw(), memory: 0.5 + 0.05 * draw() }, [
          'scale_up',
          'optimize',
        ]),
      ),
    );
    expect(results.map((r) => r.tick)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(mapek.getMlStatistics()).toMatchObject({
      iterations: 10,
      samplesAccepted: 20,
      samplesRejected: 0,
    });
  });

  it('stays stable and bounded over repeated iterations of normal data', async () => {
    const mapek = new MLEnhancedMAPEK();
    const draw = gaussian(new Rng(31));
    let healthy = 0;
    for (let i = 0; i < 300; i++) {
      const result = await mapek.autonomicLoopIteration(
        { cpu: 0.5 + 0.05 * draw(), memory: 0.55 + 0.05 * draw() },
        actions,
      );
      if (result.overallSuccess) healthy++;
      if (i === 49) expect(mapek.getMlStatistics()).toMatchObject({ iterations: 50, samplesAccepted: 100 });
    }
    const stats = mapek.getMlStatistics();
    expect(stats).toMatchObject({
      iterations: 300,
      samplesAccepted: 600,
      samplesRejected: 0,
      actionsFailed: 0,
    });
    expect(stats.anomalies).toBeLessThanOrEqual(2);
    expect(healthy).toBeGreaterThanOrEqual(290);
    expect(stats.openIncidents).toBeLessThanOrEqual(1);
    const windows = mapek.loop!.monitor.windows;
    expect(windows.size(0)).toBe(windows.capacity);
    expect(stats.anomalySystem).toMatchObject({ components: 1, componentsTrained: ['system'] });
  });

  it('finds a fault, acts, verifies, learns, and picks the remedy that worked the next time', async () => {
    const draw = gaussian(new Rng(41));
    let faulty = false;
    let restarts = 0;
    let scaleUps = 0;
    const offered = [
      { name: 'restart', priority: PolicyPriority.CRITICAL, apply: () => void restarts++ },
      {
        name: 'scale_up',
        priority: PolicyPriority.LOW,
        apply: () => {
          scaleUps++;
          faulty = false;
        },
      },
    ];
    const mapek = new MLEnhancedMAPEK({ rails: { cooldown: 1 } });
    const tick = () =>
      mapek.autonomicLoopIteration(
        { cpu: (faulty ? 0.9 : 0.4) + 0.02 * draw(), memory: 0.5 + 0.02 * draw(), latency: 40 + 2 * draw() },
        offered,
      );

    for (let i = 0; i < 100; i++) await tick();
    expect(mapek.getMlStatistics().anomalies).toBe(0);

    faulty = true;
    const first = await tick();
    expect(first.analysis.anomaly?.metrics).toEqual(['cpu']);
    expect(first.overallSuccess).toBe(false);
    for (let i = 0; i < 200 && faulty; i++) await tick();
    expect(faulty).toBe(false);
    // The higher-priority restart was tried first, did not heal, and scale_up did.
    expect(restarts).toBe(1);
    expect(scaleUps).toBe(1);
    let resolved = 0;
    for (let i = 0; i < 60; i++) resolved += (await tick()).knowledgeUpdate.resolved.length;
    expect(resolved).toBe(1);
    const learned = mapek.getMlStatistics();
    expect(learned).toMatchObject({
      incidentsOpened: 1,
      incidentsResolved: 1,
      openIncidents: 0,
      decisions: 2,
      actionsStarted: 2,
      actionsHealed: 1,
      actionsNotHealed: 1,
      outcomes: 2,
    });
    const rates = Object.fromEntries(learned.successRates.map((r) => [r.action, r]));
    expect(rates.restart).toMatchObject({ alpha: 1, beta: 2 });
    expect(rates.scale_up).toMatchObject({ alpha: 2, beta: 1 });

    faulty = true;
    for (let i = 0; i < 100 && faulty; i++) await tick();
    expect(faulty).toBe(false);
    expect(restarts).toBe(1);
    expect(scaleUps).toBe(2);
  });

  it('reports knowledge-store failures and keeps the writes until the store is back', async () => {
    const draw = gaussian(new Rng(61));
    const memory = new MemoryStore();
    let down = true;
    const store: KnowledgeStore = {
      putIncident: (incident) =>
        down ? Promise.reject(new Error('disk full')) : memory.putIncident(incident),
      putAction: (action) => memory.putAction(action),
      putPosterior: (posterior) => memory.putPosterior(posterior),
      putValue: (key, value) => memory.putValue(key, value),
      getValue: (key) => memory.getValue(key),
      listIncidents: () => memory.listIncidents(),
      listActions: (incidentId) => memory.listActions(incidentId),
      listPosteriors: () => memory.listPosteriors(),
      close: () => memory.close(),
    };
    const mapek = new MLEnhancedMAPEK({ store });
    const faults: string[] = [];
    for (let i = 0; i < 110; i++) {
      const result = await mapek.autonomicLoopIteration({ cpu: (i >= 100 ? 0.9 : 0.4) + 0.02 * draw() }, [
        'scale_up',
      ]);
      faults.push(...result.knowledgeUpdate.storeFaults);
    }
    expect(faults[0]).toBe('disk full');
    const stats = mapek.getMlStatistics();
    expect(stats.storeFailures).toBeGreaterThanOrEqual(1);
    expect(stats.storePending).toBeGreaterThanOrEqual(1);
    expect(stats.incidentsOpened).toBe(1);
    down = false;
    await mapek.loop!.flush();
    expect(mapek.getMlStatistics().storePending).toBe(0);
    expect((await memory.listIncidents()).map((i) => i.id)).toEqual([
      expect.stringMatching(/^[0-9A-Z]{26}-inc-1$/),
    ]);
  });

  it('fails an action that has no handler instead of pretending it ran', async () => {
    const draw = gaussian(new Rng(51));
    const mapek = new MLEnhancedMAPEK();
    let level = 0.4;
    let failed: string | undefined;
    for (let i = 0; i < 140 && !failed; i++) {
      if (i === 100) level = 0.9;
      const result = await mapek.autonomicLoopIteration({ cpu: level + 0.02 * draw() }, ['scale_up']);
      failed = result.execution.finished.find((a) => a.outcome === 'failed')?.action;
    }
    expect(failed).toBe('scale_up');
    expect(mapek.getMlStatistics()).toMatchObject({ actionsFailed: 1, actionsHealed: 0, outcomes: 0 });
  });
});
