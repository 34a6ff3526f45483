import { describe, expect, it } from 'vitest';
import { type LinkTarget, printTarget, sameTarget, type Target } from '../../src/domain/targets.ts';
import type { ActionRecord, IncidentRecord } from '../../src/knowledge/records.ts';
import { LoopEvents } from '../../src/loop/events.ts';
import { Evaluator } from '../../src/run/evaluate.ts';
import { MeshSimulator } from '../../src/sim/index.ts';

const OPTIONS = { seed: 7, topology: { kind: 'geometric' as const, nodes: 50 }, noise: 0 };

/** A relay's uplink: a tree link with two non-gateway ends, where a partition cuts a region off. */
function trunk(sim: MeshSimulator): LinkTarget {
  const { topology, routes } = sim;
  const relay = Array.from(topology.nodeIds.keys()).find(
    (i) => !topology.isGateway[i] && routes.nextHop[i] >= 0 && !topology.isGateway[routes.nextHop[i]],
  )!;
  return topology.linkTarget(routes.nextLink[relay]);
}

const incident = (fields: Partial<IncidentRecord>): IncidentRecord => ({
  id: 'i1',
  openedAt: 0,
  status: 'open',
  signature: '',
  nodes: [],
  metrics: [],
  rootCauses: [],
  citations: [],
  ...fields,
});
const action = (target: Target): ActionRecord => ({
  id: `a-${printTarget(target)}`,
  incidentId: 'i1',
  action: 'failover',
  target,
  startedAt: 0,
  outcome: 'pending',
  score: 1,
  explanation: '',
});

describe('Evaluator', () => {
  it("counts any link of a partition's cut as its root cause, and the first cited runbook's kind", () => {
    const sim = new MeshSimulator(OPTIONS);
    const events = new LoopEvents();
    const evaluator = new Evaluator(sim, events, (id) =>
      id === 'rb-cut' ? ['partition'] : id === 'rb-link' ? ['link-degradation'] : undefined,
    );
    const fault = sim.inject({ kind: 'partition', target: trunk(sim), start: 2 });
    for (let t = 0; t < 5; t++) sim.tick();
    const { cut, affectedNodes } = sim.groundTruth()[fault.id];
    const other = cut.find((l) => !sameTarget(l, trunk(sim)))!;
    const healthyLink = sim.topology.linkIds
      .map((_, l) => sim.topology.linkTarget(l))
      .find((l) => !cut.some((c) => sameTarget(c, l)))!;

    events.emit({ type: 'incident-opened', ts: 3, incident: incident({ nodes: [affectedNodes[0]] }) });
    events.emit({
      type: 'diagnosis',
      ts: 3,
      incident: incident({
        nodes: [affectedNodes[0]],
        rootCauses: [{ target: other, score: 1 }],
        diagnosedKind: 'partition',
        citations: ['incident:old', 'rb-cut'],
      }),
    });
    events.emit({ type: 'action-started', ts: 3, action: action(other) });
    events.emit({ type: 'action-started', ts: 4, action: action(healthyLink) });

    const report = evaluator.report({ seed: 7, hours: 1 });
    expect(report.byKind.partition).toMatchObject({
      detected: 1,
      rootCauseTop1: 1,
      diagnosisAccuracy: 1,
      topRunbookRight: 1,
    });
    // The failover on a link of the cut is on a faulty target; the one elsewhere is not.
    expect(report.overall).toMatchObject({ actions: 2, actionsOnHealthy: 1 });
  });

  it('does not count a runbook about another kind, or a diagnosis that cites none', () => {
    const sim = new MeshSimulator(OPTIONS);
    const events = new LoopEvents();
    const evaluator = new Evaluator(sim, events, (id) =>
      id === 'rb-link' ? ['link-degradation'] : undefined,
    );
    const fault = sim.inject({ kind: 'partition', target: trunk(sim), start: 2 });
    for (let t = 0; t < 5; t++) sim.tick();
    const node = sim.groundTruth()[fault.id].affectedNodes[0];
    events.emit({ type: 'incident-opened', ts: 3, incident: incident({ nodes: [node] }) });
    events.emit({
      type: 'diagnosis',
      ts: 3,
      incident: incident({
        nodes: [node],
        rootCauses: [{ target: trunk(sim), score: 1 }],
        diagnosedKind: 'link-degradation',
        citations: ['rb-link'],
      }),
    });
    expect(evaluator.report({ seed: 7, hours: 1 }).byKind.partition).toMatchObject({
      rootCauseTop1: 1,
      diagnosisAccuracy: 0,
      topRunbookRight: 0,
    });
  });

  it('tells per fault when it was detected, diagnosed, acted on and healed, and where its cause ranked', () => {
    const sim = new MeshSimulator(OPTIONS);
    const events = new LoopEvents();
    const evaluator = new Evaluator(sim, events);
    const relay = sim.path(sim.topology.nodeIds.find((id) => sim.path(id).length > 2)!)[1];
    const neighbour = sim.topology.nodeIds[sim.topology.neighbors(sim.topology.nodeIndex(relay))[0]];
    const fault = sim.inject({ kind: 'bad-config', target: { node: relay }, start: 2 });
    const lasting = sim.inject({ kind: 'node-crash', target: { node: neighbour }, start: 2 });
    for (let t = 0; t < 4; t++) sim.tick();
    const rollback = { ...action({ node: relay }), id: 'a2', action: 'rollback-config' };
    events.emit({ type: 'incident-opened', ts: 3, incident: incident({ nodes: [relay] }) });
    events.emit({
      type: 'diagnosis',
      ts: 5,
      incident: incident({
        nodes: [relay],
        rootCauses: [
          { target: { node: neighbour }, score: 0.6 },
          { target: { node: relay }, score: 0.4 },
        ],
        diagnosedKind: 'bad-config',
        citations: ['rb-config'],
      }),
    });
    events.emit({ type: 'action-started', ts: 5, action: action({ node: neighbour }) });
    events.emit({
      type: 'action-result',
      ts: 9,
      action: { ...action({ node: neighbour }), outcome: 'failed' },
    });
    const ticket = sim.apply({ kind: 'rollback-config', target: { node: relay } });
    events.emit({ type: 'action-started', ts: 10, action: rollback });
    while (ticket.status === 'running') sim.tick();

    const [row, other] = evaluator.faultOutcomes();
    expect(row).toMatchObject({
      id: fault.id,
      kind: 'bad-config',
      target: { node: relay },
      injectedAt: 2,
      endedAt: ticket.completes,
      incident: 'i1',
      detectedAt: 3,
      diagnosedAt: 5,
      // The incident merged both faults and names both causes: each ranks first among the other's.
      rootCauseRank: 1,
      diagnosedKind: 'bad-config',
      citations: ['rb-config'],
      healedAt: ticket.completes,
      healedBy: 'rollback-config',
    });
    expect(row.actions.map((a) => [a.action, a.startedAt, a.outcome])).toEqual([
      ['failover', 5, 'failed'],
      ['rollback-config', 10, 'pending'],
    ]);
    // A fault no action ended lasts: no end, nothing healed it.
    expect(other).toMatchObject({ id: lasting.id, endedAt: null });
    expect(other.healedAt).toBeUndefined();
    expect(JSON.parse(JSON.stringify(row))).toEqual(row);
  });
});
