import { describe, expect, it } from 'vitest';
import type { ActionRecord, IncidentRecord } from '../../src/knowledge/records.ts';
import { LoopEvents } from '../../src/loop/events.ts';
import {
  distributionSvg,
  KIND_COLORS,
  meets,
  quantile,
  runReportHtml,
  shareBar,
  swimlanesSvg,
  TARGETS,
} from '../../src/report/index.ts';
import { Evaluator } from '../../src/run/evaluate.ts';
import { MeshSimulator } from '../../src/sim/index.ts';

/** Incident `i1` as the loop reports it, with `fields` set. */
function incident(fields: Partial<IncidentRecord>): IncidentRecord {
  const base = { id: 'i1', openedAt: 0, status: 'open' as const, signature: '', metrics: [], citations: [] };
  return { ...base, nodes: [], rootCauses: [], ...fields };
}

/** The failover of incident `i1` on `node`, started at tick 4. */
function failover(node: string, outcome: ActionRecord['outcome']): ActionRecord {
  const fields = { id: 'a1', incidentId: 'i1', action: 'failover', startedAt: 4, score: 2, explanation: '' };
  return { ...fields, target: { node }, outcome };
}

/** A run of two faults: a node crash detected, diagnosed, acted on and healed; a congestion missed. */
function smallRun() {
  const sim = new MeshSimulator({ seed: 3, topology: { kind: 'geometric', nodes: 20 }, noise: 0 });
  const events = new LoopEvents();
  const evaluator = new Evaluator(sim, events);
  const relay = sim.path(sim.topology.nodeIds.find((id) => sim.path(id).length > 2)!)[1];
  const other = sim.topology.nodeIds.find(
    (id) => id !== relay && !sim.topology.isGateway[sim.topology.nodeIndex(id)],
  )!;
  sim.inject({ kind: 'node-crash', target: { node: relay }, start: 2 });
  // Later than the only incident opens, so nothing detects it.
  sim.inject({ kind: 'congestion', target: { node: other }, start: 20, duration: 20 });
  for (let t = 0; t < 4; t++) sim.tick();
  events.emit({ type: 'incident-opened', ts: 3, incident: incident({ nodes: [relay] }) });
  events.emit({
    type: 'diagnosis',
    ts: 4,
    incident: incident({
      nodes: [relay],
      rootCauses: [{ target: { node: relay }, score: 0.9 }],
      diagnosedKind: 'node-crash',
    }),
  });
  const ticket = sim.apply({ kind: 'failover', target: { node: relay } });
  events.emit({
    type: 'action-started',
    ts: 4,
    action: failover(relay, 'pending'),
  });
  while (ticket.status === 'running') sim.tick();
  events.emit({
    type: 'action-result',
    ts: ticket.completes,
    action: failover(relay, 'healed'),
  });
  for (let t = 0; t < 50; t++) sim.tick();
  return { report: evaluator.report({ seed: 3, hours: 1 }), topology: sim.topology, relay, other };
}

describe('the HTML run report', () => {
  it('is one page with nothing to fetch and no script', () => {
    const { report, topology } = smallRun();
    const html = runReportHtml({ ...report, status: 'finished', runId: '01ABC' }, topology);
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).not.toMatch(/<script|<link |<img |src=|url\(/i);
    // Every http(s) reference is an SVG namespace, never something to load.
    expect([...html.matchAll(/https?:\/\/[^"'\s)]+/g)].map((m) => m[0])).toEqual(
      expect.arrayContaining(['http://www.w3.org/2000/svg']),
    );
    expect(new Set([...html.matchAll(/https?:\/\/[^"'\s)]+/g)].map((m) => m[0]))).toEqual(
      new Set(['http://www.w3.org/2000/svg']),
    );
    expect(html).toContain('status finished');
    expect(html).toContain('run 01ABC');
  });

  it('holds the figures against their targets, the mesh with the faults where they struck, and a lane per fault', () => {
    const { report, topology, relay, other } = smallRun();
    const html = runReportHtml(report, topology);
    expect(report.faults.map((f) => f.kind)).toEqual(['node-crash', 'congestion']);
    // Half the faults detected: that card misses its target; the one detected was found at once.
    expect(html).toMatch(
      /<li class="missed"><span class="label">faults detected<\/span><strong>50%<\/strong>/,
    );
    expect(html).toMatch(
      /<li class="met"><span class="label">median time to detect<\/span><strong>1 tick<\/strong>/,
    );
    // The mesh: every node drawn, a solid ring where the healed crash struck, a hollow one for the congestion.
    expect(
      html.match(/<circle cx="[^"]+" cy="[^"]+" r="[^"]+" fill="#3a9d5d"/g)?.length ?? 0,
    ).toBeGreaterThan(0);
    expect(html).toContain(`stroke="${KIND_COLORS['node-crash']}"`);
    expect(html).toContain(`stroke="${KIND_COLORS.congestion}"`);
    // The lanes name each fault, its target and when it struck.
    expect(html).toContain(`#0 ${relay} at t=2`);
    expect(html).toContain(`#1 ${other} at t=20`);
    expect(html).toContain('healed by failover after');
    expect(html).toMatch(/<tr><th scope="row">.*node-crash<small>1 injected<\/small>/);
  });

  it('draws bars green or red by their target and times as histograms with their quantiles', () => {
    expect(shareBar(0.96, TARGETS.detectionRate)).toContain('fill="#3a9d5d"');
    expect(shareBar(0.5, TARGETS.detectionRate)).toContain('fill="#d1362f"');
    expect(shareBar(null, TARGETS.healedRate)).toContain('n/a');
    expect(meets(TARGETS.mttrMedian, 10)).toBe(true);
    expect(meets(TARGETS.mttrMedian, 11)).toBe(false);
    expect(meets(TARGETS.mttdMedian, null)).toBe(false);
    expect(quantile([5, 1, 3, 2, 4], 0.5)).toBe(3);
    expect(quantile([5, 1, 3, 2, 4], 0.95)).toBe(5);
    expect(quantile([], 0.5)).toBeNull();
    const svg = distributionSvg({
      title: 'ttd',
      values: [1, 1, 2, 30],
      target: TARGETS.mttdMedian,
      color: '#000',
    });
    expect(svg).toContain('median 1');
    expect(svg).toContain('target &#60;= 3 ticks');
    expect(distributionSvg({ title: 'none', values: [], color: '#000' })).toContain('0 faults');
    expect(swimlanesSvg([], { kinds: [] })).toContain('Swimlanes of 0 injected faults');
  });
});
