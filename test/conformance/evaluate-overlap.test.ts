import { describe, expect, it } from 'vitest';
import { printTarget, type Target } from '../../src/domain/targets.ts';
import type { ActionRecord, IncidentRecord } from '../../src/knowledge/records.ts';
import { LoopEvents } from '../../src/loop/events.ts';
import { CHANGE_GRACE_TICKS } from '../../src/loop/loop.ts';
import { Evaluator } from '../../src/run/evaluate.ts';
import { MeshSimulator } from '../../src/sim/index.ts';

const incident = (id: string, fields: Partial<IncidentRecord>): IncidentRecord => ({
  id,
  openedAt: 0,
  status: 'open',
  signature: '',
  nodes: [],
  metrics: [],
  rootCauses: [],
  citations: [],
  ...fields,
});

const action = (target: Target, incidentId = 'i1'): ActionRecord => ({
  id: `a-${printTarget(target)}`,
  incidentId,
  action: 'restart-service',
  target,
  startedAt: 0,
  outcome: 'pending',
  score: 1,
  explanation: '',
});

/** Two non-gateway neighbours a and b, and a third non-gateway node c far from both. */
function places(sim: MeshSimulator): { a: string; b: string; c: string } {
  const t = sim.topology;
  const ids = t.nodeIds;
  const ai = ids.findIndex((_, i) => !t.isGateway[i] && t.neighbors(i).some((j) => !t.isGateway[j]));
  const bi = t.neighbors(ai).find((j) => !t.isGateway[j])!;
  const near = new Set([ai, bi, ...t.neighbors(ai), ...t.neighbors(bi)]);
  const ci = ids.findIndex((_, i) => !t.isGateway[i] && !near.has(i));
  return { a: ids[ai], b: ids[bi], c: ids[ci] };
}

/** Opens incident `id` at `ts` on `nodes` and diagnoses it with `causes`, best first. */
function open(events: LoopEvents, id: string, ts: number, nodes: string[], causes: Target[]): void {
  events.emit({ type: 'incident-opened', ts, incident: incident(id, { nodes }) });
  events.emit({
    type: 'diagnosis',
    ts,
    incident: incident(id, { nodes, rootCauses: causes.map((target) => ({ target, score: 0.5 })) }),
  });
}

describe('Evaluator with overlapping faults', () => {
  const OPTIONS = { seed: 11, topology: { kind: 'geometric' as const, nodes: 40 }, noise: 0 };

  it('counts an incident that merged two faults for both when it names both causes', () => {
    const sim = new MeshSimulator(OPTIONS);
    const { a, b } = places(sim);
    sim.inject({ kind: 'bad-config', target: { node: a }, start: 2 });
    sim.inject({ kind: 'cpu-exhaustion', target: { node: b }, start: 3 });
    for (let t = 0; t < 6; t++) sim.tick();
    const events = new LoopEvents();
    const evaluator = new Evaluator(sim, events);
    open(events, 'i1', 4, [a, b], [{ node: b }, { node: a }]);
    const [first, second] = evaluator.faultOutcomes();
    expect(first).toMatchObject({ incident: 'i1', rootCauseRank: 1, detectedAt: 4 });
    expect(second).toMatchObject({ incident: 'i1', rootCauseRank: 1, detectedAt: 4 });
    expect(evaluator.report({ seed: 11, hours: 1 }).overall).toMatchObject({ detected: 2, rootCauseTop1: 1 });
  });

  it('does not count a merged incident for a fault whose cause it does not name', () => {
    const sim = new MeshSimulator(OPTIONS);
    const { a, b } = places(sim);
    sim.inject({ kind: 'bad-config', target: { node: a }, start: 2 });
    sim.inject({ kind: 'cpu-exhaustion', target: { node: b }, start: 3 });
    for (let t = 0; t < 6; t++) sim.tick();
    const events = new LoopEvents();
    const evaluator = new Evaluator(sim, events);
    open(events, 'i1', 4, [a, b], [{ node: b }]);
    const [first, second] = evaluator.faultOutcomes();
    expect(first.incident).toBeUndefined();
    expect(first.rootCauseRank).toBeNull();
    expect(second).toMatchObject({ incident: 'i1', rootCauseRank: 1 });
    expect(evaluator.report({ seed: 11, hours: 1 }).overall).toMatchObject({ injected: 2, detected: 1 });
  });

  it("matches each of two faults far apart to its own incident, and a cascade to its first fault's", () => {
    // Seed 15: the crash congests a neighbour (a 40% chance per crash).
    const sim = new MeshSimulator({ ...OPTIONS, seed: 15, cascades: true });
    const { a, c } = places(sim);
    sim.inject({ kind: 'node-crash', target: { node: a }, start: 2 });
    sim.inject({ kind: 'bad-config', target: { node: c }, start: 2 });
    for (let t = 0; t < 40; t++) sim.tick();
    const truth = sim.groundTruth();
    const child = truth.find((f) => f.cause === 0)!;
    expect(child.kind).toBe('congestion');
    const events = new LoopEvents();
    const evaluator = new Evaluator(sim, events);
    open(events, 'i1', 3, [a], [{ node: a }]);
    open(events, 'i2', 3, [c], [{ node: c }]);
    const outcomes = evaluator.faultOutcomes();
    expect(outcomes[0]).toMatchObject({ incident: 'i1', rootCauseRank: 1 });
    expect(outcomes[1]).toMatchObject({ incident: 'i2', rootCauseRank: 1 });
    // Detected by its crash's incident, opened before it began, with the crash's node as its cause.
    expect(outcomes[child.id]).toMatchObject({ incident: 'i1', rootCauseRank: 1, detectedAt: child.start });
  });

  it('counts actions against a planned change, but not on a faulty target under one', () => {
    const sim = new MeshSimulator(OPTIONS);
    const { a, b, c } = places(sim);
    sim.plan({ kind: 'maintenance', nodes: [a, b], start: 5, duration: 20 });
    sim.inject({ kind: 'bad-config', target: { node: b }, start: 5 });
    for (let t = 0; t < 30; t++) sim.tick();
    const events = new LoopEvents();
    const evaluator = new Evaluator(sim, events);
    open(events, 'i1', 6, [a, b], [{ node: a }]);
    events.emit({ type: 'action-started', ts: 6, action: action({ node: a }) });
    events.emit({ type: 'action-started', ts: 7, action: action({ node: b }) });
    events.emit({ type: 'action-started', ts: 8, action: action({ node: c }) });
    // Within the grace after the change, still against it.
    events.emit({ type: 'action-started', ts: 25 + CHANGE_GRACE_TICKS - 1, action: action({ node: a }) });
    const { overall } = evaluator.report({ seed: 11, hours: 1 });
    expect(overall).toMatchObject({ actions: 4, actionsOnHealthy: 3, actionsOnPlannedChanges: 2 });
  });
});
