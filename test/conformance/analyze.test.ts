import { describe, expect, it } from 'vitest';
import { Analyzer } from '../../src/analyze/analyzer.ts';
import { MeshGraph } from '../../src/analyze/graph.ts';
import type { TrackedIncident } from '../../src/analyze/incidents.ts';
import { rankRootCauses } from '../../src/analyze/root-cause.ts';
import { printTarget } from '../../src/domain/targets.ts';
import { ArgumentError } from '../../src/errors.ts';
import { captureBand, recovered } from '../../src/analyze/recovery.ts';
import { describeIncident, type Symptom } from '../../src/analyze/symptoms.ts';
import { SeriesWindows } from '../../src/monitor/ring.ts';

/** A line n0 - n1 - n2 - n3 - n4 with metrics cpu (load), loss and throughput. */
const IDS = ['n0', 'n1', 'n2', 'n3', 'n4'];
const METRICS = ['cpu', 'loss', 'throughput'];
const graph = new MeshGraph(
  IDS,
  IDS.slice(1).map((id, i) => [IDS[i], id] as const),
);

function analyzer(g = graph, extra: { demandMetrics?: string[] } = {}) {
  return new Analyzer({
    ...extra,
    graph: g,
    windows: new SeriesWindows(g.size * METRICS.length, 64),
    metrics: METRICS,
    localMetrics: ['cpu'],
    threshold: 0.5,
    harmful: { cpu: 'up', loss: 'up', throughput: 'down' },
    loadMetrics: ['cpu'],
    lossMetric: 'loss',
    linkMetric: undefined,
    throughputMetric: 'throughput',
  });
}

/** Normal values with a small deterministic wobble, per series. */
const normal = (t: number, s: number) => [50, 0.01, 100][s % 3] * (1 + 0.02 * Math.sin(t * 1.3 + s));

/** Feeds ticks [from, to) where `override(t, s)` may replace a value and `alarm(t, s)` raises the detector score. */
function feed(
  a: Analyzer,
  from: number,
  to: number,
  override: (t: number, s: number) => number | undefined,
  alarm: (t: number, s: number) => boolean,
) {
  const size = IDS.length * METRICS.length;
  const values = new Float64Array(size);
  const scores = new Float64Array(size);
  const anomalous: Array<Set<string>> = [];
  for (let t = from; t < to; t++) {
    for (let s = 0; s < size; s++) {
      values[s] = override(t, s) ?? normal(t, s);
      scores[s] = alarm(t, s) ? 1 : 0;
    }
    anomalous.push(new Set(a.step(t, values, scores).anomalies.map((x) => IDS[x.node])));
  }
  return anomalous;
}

const series = (node: number, metric: string) => node * METRICS.length + METRICS.indexOf(metric);

describe('Analyzer', () => {
  it('keeps a series anomalous after a single alarm for as long as its value stays out of range', () => {
    const a = analyzer();
    feed(
      a,
      0,
      100,
      () => undefined,
      () => false,
    );
    const loss = series(2, 'loss');
    // The detector alarms once at the change (as a NAB-tuned detector does) and then stays quiet.
    const during = feed(
      a,
      100,
      140,
      (t, s) => (s === loss && t < 130 ? 0.3 : undefined),
      (t, s) => s === loss && t === 100,
    );
    expect(during.slice(0, 30).every((nodes) => nodes.has('n2'))).toBe(true);
    expect(during.slice(32).some((nodes) => nodes.has('n2'))).toBe(false);
  });

  it('ignores an alarm while the value is inside its normal range, and a move in the harmless direction', () => {
    const a = analyzer();
    feed(
      a,
      0,
      100,
      () => undefined,
      () => false,
    );
    const throughput = series(1, 'throughput');
    const loss = series(3, 'loss');
    const seen = feed(
      a,
      100,
      120,
      (_t, s) => (s === throughput ? 300 : undefined), // more traffic served: not a fault
      (_t, s) => s === throughput || s === loss, // the loss detector alarms on an unchanged value
    );
    expect(seen.every((nodes) => nodes.size === 0)).toBe(true);
  });

  it('does not flag a node for load alone, but does once another of its metrics moves', () => {
    const a = analyzer();
    feed(
      a,
      0,
      100,
      () => undefined,
      () => false,
    );
    const cpu = series(4, 'cpu');
    const loss = series(4, 'loss');
    const busy = feed(
      a,
      100,
      110,
      (_t, s) => (s === cpu ? 60 : undefined),
      (t, s) => s === cpu && t === 100,
    );
    expect(busy.every((nodes) => nodes.size === 0)).toBe(true);
    const hurt = feed(
      a,
      110,
      115,
      (_t, s) => (s === cpu ? 60 : s === loss ? 0.4 : undefined),
      (t, s) => s === loss && t === 110,
    );
    expect(hurt.every((nodes) => nodes.has('n4'))).toBe(true);
  });

  it('does not flag load that comes back to where it was before a fault elsewhere held it back, but does a surge', () => {
    const cpu = series(4, 'cpu');
    // An hour of normal load, then ten minutes held back (its traffic stranded by a partition
    // nearby): the normal range learns the quiet, the long memory still knows the old load.
    const history = (a: Analyzer) =>
      feed(
        a,
        0,
        4200,
        (t, s) => (s === cpu && t >= 3600 ? 20 * (1 + 0.02 * Math.sin(t)) : undefined),
        () => false,
      );
    const back = analyzer();
    history(back);
    const returned = feed(
      back,
      4200,
      4215,
      (t, s) => (s === cpu ? normal(t, s) : undefined),
      (t, s) => s === cpu && t === 4200,
    );
    expect(returned.every((nodes) => nodes.size === 0)).toBe(true);
    const surged = analyzer();
    history(surged);
    const surge = feed(
      surged,
      4200,
      4215,
      (_t, s) => (s === cpu ? 98 : undefined),
      (t, s) => s === cpu && t === 4200,
    );
    expect(surge.every((nodes) => nodes.has('n4'))).toBe(true);
  });

  it('does not flag a node whose traffic merely falls, when throughput is a demand metric', () => {
    const a = analyzer(graph, { demandMetrics: ['throughput'] });
    feed(
      a,
      0,
      100,
      () => undefined,
      () => false,
    );
    const throughput = series(4, 'throughput');
    const loss = series(4, 'loss');
    const quiet = feed(
      a,
      100,
      110,
      (_t, s) => (s === throughput ? 85 : undefined),
      (t, s) => s === throughput && t === 100,
    );
    expect(quiet.every((nodes) => nodes.size === 0)).toBe(true);
    const hurt = feed(
      a,
      110,
      115,
      (_t, s) => (s === throughput ? 85 : s === loss ? 0.4 : undefined),
      (t, s) => s === loss && t === 110,
    );
    expect(hurt.every((nodes) => nodes.has('n4'))).toBe(true);
  });

  it('opens one incident for a fault and blames the relay its lossy neighbours forward through', () => {
    const a = analyzer();
    feed(
      a,
      0,
      100,
      () => undefined,
      () => false,
    );
    // n2 drops what it forwards: n1 and n3 see loss, n2's throughput falls, n2 itself looks fine otherwise.
    const hit = new Map([
      [series(1, 'loss'), 0.5],
      [series(3, 'loss'), 0.5],
      [series(2, 'throughput'), 20],
    ]);
    feed(
      a,
      100,
      110,
      (_t, s) => hit.get(s),
      (t, s) => hit.has(s) && t === 100,
    );
    expect([...a.incidents()]).toHaveLength(1);
    const [incident] = a.incidents();
    expect(a.summarize(incident).rootCauses[0].target).toEqual({ node: 'n2' });
  });

  it('with the gateways known, blames the next hop towards them of a lone lossy node, a relay that drops quietly', () => {
    // Traffic flows from n0 towards the gateway n4; n2 drops what n1 forwards through it.
    const withGateway = new MeshGraph(
      IDS,
      IDS.slice(1).map((id, i) => [IDS[i], id] as const),
      ['n4'],
    );
    expect(withGateway.upstream(1)).toEqual([2]);
    expect(graph.upstream(1)).toEqual([]);
    const causes = (g: MeshGraph) => {
      const a = analyzer(g);
      feed(
        a,
        0,
        100,
        () => undefined,
        () => false,
      );
      const loss = series(1, 'loss');
      feed(
        a,
        100,
        110,
        (_t, s) => (s === loss ? 0.5 : undefined),
        (t, s) => s === loss && t === 100,
      );
      const [incident] = a.incidents();
      return a.summarize(incident).rootCauses.map((c) => printTarget(c.target));
    };
    expect(causes(withGateway)[0]).toBe('n2');
    // Without them, n1's loss could come from either side: no guess is made about n2.
    expect(causes(graph)).not.toContain('n2');
  });

  it('lets a frozen incident keep its own symptoms but not swallow a new one nearby', () => {
    const a = analyzer();
    feed(
      a,
      0,
      100,
      () => undefined,
      () => false,
    );
    const first = series(1, 'loss');
    feed(
      a,
      100,
      105,
      (_t, s) => (s === first ? 0.5 : undefined),
      (t, s) => s === first && t === 100,
    );
    const [incident] = a.incidents();
    a.freeze(incident);
    const second = series(2, 'loss');
    feed(
      a,
      105,
      110,
      (_t, s) => (s === first || s === second ? 0.5 : undefined),
      (t, s) => s === second && t === 105,
    );
    expect([...a.incidents()]).toHaveLength(2);
    expect([...incident.nodes.keys()]).toEqual([1]);
  });
});

describe('MeshGraph routes', () => {
  it('follows the routing table once set, and names a next hop that is no neighbour', () => {
    const g = new MeshGraph(
      IDS,
      IDS.slice(1).map((id, i) => [IDS[i], id] as const),
      ['n4'],
    );
    g.setRoutes([1, 2, 3, 4, -1]);
    expect(g.upstream(1)).toEqual([2]);
    expect(g.downstream(2)).toEqual([1]);
    expect(g.isGateway(4)).toBe(true);
    expect(() => g.setRoutes([2, 2, 3, 4, -1])).toThrow(/n0.*not a neighbour/);
    expect(() => g.setRoutes([1, 2])).toThrow(ArgumentError);
  });
});

describe('rankRootCauses', () => {
  // A 3x3 grid, gateway n8 in a corner: n0 n1 n2 / n3 n4 n5 / n6 n7 n8, routes along rows then down.
  const ids = Array.from({ length: 9 }, (_, i) => `n${i}`);
  const links: Array<[string, string]> = [];
  for (let i = 0; i < 9; i++) {
    if (i % 3 < 2) links.push([ids[i], ids[i + 1]]);
    if (i < 6) links.push([ids[i], ids[i + 3]]);
  }
  const grid = new MeshGraph(ids, links, ['n8']);
  grid.setRoutes([1, 2, 5, 4, 5, 8, 7, 8, -1]);
  const METRIC = { cpu: 0, queue: 1, loss: 2, linkQuality: 3 };
  const options = {
    localMetrics: new Set([0, 1]),
    loadMetrics: new Set([0, 1]),
    lossMetric: 2,
    linkMetric: 3,
  };
  /** An incident whose nodes show the given metrics (name lists), each from the given onset. */
  const incident = (
    shown: Record<string, { metrics: Array<keyof typeof METRIC>; onset?: number }>,
  ): TrackedIncident => ({
    id: 'i',
    openedAt: 0,
    lastActive: 0,
    bands: new Map(),
    nodes: new Map(
      Object.entries(shown).map(([id, { metrics, onset = 0 }]) => {
        const score = new Float64Array(4);
        for (const m of metrics) score[METRIC[m]] = 1;
        const node = grid.indexOf(id);
        return [node, { node, onset, lastSeen: onset, peak: 1, metricScore: score }];
      }),
    ),
  });
  const top = (shown: Parameters<typeof incident>[0]) => rankRootCauses(incident(shown), grid, options)[0];

  it('follows loss along the route: to the link when link quality fell at both ends, else to the next hop', () => {
    expect(
      top({ n1: { metrics: ['loss', 'linkQuality'] }, n2: { metrics: ['linkQuality'] } }).target,
    ).toEqual({
      link: ['n1', 'n2'],
    });
    // n2 and n4 both forward through n5, which shows nothing itself: it drops what they send it.
    expect(top({ n2: { metrics: ['loss'] }, n4: { metrics: ['loss'] } }).target).toEqual({ node: 'n5' });
  });

  it('names no cause that no evidence points at: a node whose only symptom is the quality of its links', () => {
    // n4's link quality fell, but none of its own metrics moved, no neighbour's link weakened with
    // it and no loss points at it: which of its four links it is, nothing says, and not the node.
    expect(rankRootCauses(incident({ n4: { metrics: ['linkQuality'] } }), grid, options)).toEqual([]);
    // A link between two merely busy nodes is no suspect either; the busy nodes are.
    const busy = rankRootCauses(
      incident({ n1: { metrics: ['cpu'] }, n2: { metrics: ['cpu'] } }),
      grid,
      options,
    );
    expect(busy.map((c) => printTarget(c.target)).sort()).toEqual(['n1', 'n2']);
  });

  it("follows the loss of a node near the incident whose detector kept quiet, when it is far off normal: a relay's corruption", () => {
    // n1 corrupts what it forwards: n2 (its next hop) shows errors, n0 (forwarding through n1)
    // loses traffic but its detector has not alarmed, so n0 is not part of the incident.
    const withErrors = { ...options, localMetrics: new Set([0, 1, 4]) };
    const errors = new Float64Array(5);
    errors[4] = 1;
    const n2 = grid.indexOf('n2');
    const corrupted: TrackedIncident = {
      id: 'i',
      openedAt: 0,
      lastActive: 0,
      bands: new Map(),
      nodes: new Map([[n2, { node: n2, onset: 0, lastSeen: 0, peak: 1, metricScore: errors }]]),
    };
    const lossAtN0 = (deviations: number) => (node: number, metric: number) =>
      node === grid.indexOf('n0') && metric === METRIC.loss ? deviations : 0;
    const far = rankRootCauses(corrupted, grid, { ...withErrors, drift: lossAtN0(80) });
    expect(printTarget(far[0].target)).toBe('n1');
    // Loss a little off normal is noise, not a witness: n2's errors are its own.
    const noise = rankRootCauses(corrupted, grid, { ...withErrors, drift: lossAtN0(10) });
    expect(printTarget(noise[0].target)).toBe('n2');
  });

  it('blames the source of a surge, not the node it overloads upstream', () => {
    const surge = top({
      n1: { metrics: ['cpu', 'queue'], onset: 0 },
      n2: { metrics: ['cpu', 'queue'], onset: 1 },
      n0: { metrics: ['loss'] },
    });
    expect(surge.target).toEqual({ node: 'n1' });
    // The source may not alarm at all, only sit far above its normal load: it is still the suspect.
    const busy = (node: number, metric: number) =>
      node === grid.indexOf('n1') && metric === METRIC.cpu ? 10 : 0;
    const quietSource = rankRootCauses(incident({ n2: { metrics: ['cpu', 'queue'] } }), grid, {
      ...options,
      drift: busy,
    })[0];
    expect(quietSource.target).toEqual({ node: 'n1' });
  });

  it('names the links that strand a region without a gateway as a partition cut', () => {
    // n0 and n3 cut off: links n0-n1, n3-n4 and n3-n6 down, link quality weak at all their ends.
    const causes = rankRootCauses(
      incident(
        Object.fromEntries(['n0', 'n1', 'n3', 'n4', 'n6'].map((n) => [n, { metrics: ['linkQuality'] }])),
      ),
      grid,
      options,
    );
    const cut = causes
      .filter((c) => c.cut)
      .map((c) => printTarget(c.target))
      .sort();
    expect(cut).toEqual(['n0-n1', 'n3-n4', 'n3-n6']);
    expect(causes[0].cut).toBe(true);
  });
});

describe('describeIncident', () => {
  const symptom = (
    node: string,
    metric: string,
    direction: 'up' | 'down',
    atCause: boolean,
    shape: Symptom['shape'] = 'step',
    worst = 0.5,
  ): Symptom => ({
    node,
    metric,
    direction,
    shape,
    atCause,
    strength: 3,
    worst,
  });

  it('names patterns in runbook words: a pegged cpu versus a node busy with more traffic', () => {
    const pegged = describeIncident(
      [symptom('n1', 'cpu', 'up', true), symptom('n1', 'errorRate', 'up', true)],
      [],
      1,
      { isLink: false },
    );
    expect(pegged).toMatch(/runaway process/);
    expect(pegged).not.toMatch(/traffic surge/);
    const busy = describeIncident(
      ['cpu', 'queueDepth', 'latencyP95', 'throughput'].map((m) => symptom('n1', m, 'up', true)),
      [],
      1,
      { isLink: false },
    );
    expect(busy).toMatch(/traffic surge/);
    expect(busy).not.toMatch(/runaway process/);
    // Working harder with no more traffic to show for it.
    expect(describeIncident([symptom('n1', 'cpu', 'up', true)], [], 1, { isLink: false })).toMatch(
      /runaway process/,
    );
  });

  it('describes silence, flapping and a region cut off', () => {
    expect(describeIncident([], ['n3'], 1, { isLink: false })).toMatch(/stopped reporting/);
    expect(
      describeIncident([symptom('n1', 'linkQuality', 'down', true, 'oscillating')], [], 2, { isLink: true }),
    ).toMatch(/flapping/);
    const cut = ['n1', 'n2', 'n3'].map((n) => symptom(n, 'linkQuality', 'down', n === 'n1'));
    expect(describeIncident(cut, [], 3, { isLink: true })).toMatch(/cut off/);
    expect(describeIncident([], [], 3, { isLink: true, cut: true })).toMatch(/cut off/);
  });

  it('tells a link that is down outright from one that only degrades, by how much of the hop is lost', () => {
    const hop = (loss: number) => [
      symptom('n1', 'packetLoss', 'up', true, 'step', loss),
      symptom('n1', 'linkQuality', 'down', true),
      symptom('n2', 'linkQuality', 'down', true),
    ];
    expect(describeIncident(hop(1), [], 2, { isLink: true })).toMatch(/down completely/);
    expect(describeIncident(hop(0.3), [], 2, { isLink: true })).not.toMatch(/down completely/);
    expect(describeIncident(hop(0.3), [], 2, { isLink: true })).toMatch(/one hop degraded/);
  });
});

describe('recovered', () => {
  it('counts an overshoot on the harmless side as recovered only when the metric has a harmful direction', () => {
    // Memory at 50, then a leak to 90 from tick 20, then a cleared cache leaves it at 20.
    const windows = new SeriesWindows(1, 64);
    for (let t = 0; t < 40; t++) windows.push(0, t, t < 20 ? 50 + (t % 3) : t < 30 ? 90 : 20);
    const band = captureBand(windows, 0, 20)!;
    expect(recovered(windows, 0, band, 20, 30, 1)).toBe(true);
    expect(recovered(windows, 0, band, 20, 30, 0)).toBe(false);
    // Still leaking: not recovered whichever way harm is counted.
    windows.push(0, 40, 90);
    windows.push(0, 41, 90);
    windows.push(0, 42, 90);
    expect(recovered(windows, 0, band, 20, 30, 1)).toBe(false);
  });
});
