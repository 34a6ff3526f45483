/**
 * Root-cause ranking over service calls: a callee's fault shows at its callers, so blame follows
 * the calls down to the deepest anomalous callee, and a graph without calls ranks as before.
 */
import { describe, expect, it } from 'vitest';
import { Analyzer } from '../../src/analyze/analyzer.ts';
import { MeshGraph } from '../../src/analyze/graph.ts';
import type { TrackedIncident } from '../../src/analyze/incidents.ts';
import { rankRootCauses } from '../../src/analyze/root-cause.ts';
import { printTarget } from '../../src/domain/targets.ts';
import { ArgumentError } from '../../src/errors.ts';
import { SeriesWindows } from '../../src/monitor/ring.ts';

const METRICS = ['cpu', 'memory', 'errorRate', 'latencyP95', 'throughput'];
const NORMAL = [40, 50, 0.01, 20, 100];
/** What a failing service, and each of its callers, shows: errors and latency up. */
const FAILING = { errorRate: 0.3, latencyP95: 400 } as const;

/** Services without radio links: only their calls relate them. */
const services = (ids: readonly string[], calls: ReadonlyArray<readonly [string, string]>) =>
  new MeshGraph(ids, [], [], calls);

function analyzer(graph: MeshGraph) {
  return new Analyzer({
    graph,
    windows: new SeriesWindows(graph.size * METRICS.length, 64),
    metrics: METRICS,
    localMetrics: ['cpu', 'memory', 'errorRate'],
    threshold: 0.5,
    harmful: { cpu: 'up', memory: 'up', errorRate: 'up', latencyP95: 'up', throughput: 'down' },
    loadMetrics: ['cpu'],
    demandMetrics: ['throughput'],
    throughputMetric: 'throughput',
  });
}

/**
 * Learns normal for 100 ticks, then from tick 100 each node of `faulty` shows its metrics from
 * its onset (its detectors alarm then); returns the incidents' root causes, best first.
 */
function rank(
  graph: MeshGraph,
  faulty: Record<string, { shows: Partial<Record<string, number>>; onset: number }>,
): { incidents: number; nodes: string[]; causes: string[] } {
  const a = analyzer(graph);
  const m = METRICS.length;
  const values = new Float64Array(graph.size * m);
  const scores = new Float64Array(graph.size * m);
  for (let t = 0; t < 112; t++) {
    for (let n = 0; n < graph.size; n++) {
      const fault = faulty[graph.nodeIds[n]];
      for (let j = 0; j < m; j++) {
        const shown = fault && t >= 100 + fault.onset ? fault.shows[METRICS[j]] : undefined;
        values[n * m + j] = shown ?? NORMAL[j] * (1 + 0.02 * Math.sin(t * 1.3 + n * m + j));
        scores[n * m + j] = shown !== undefined && t === 100 + fault.onset ? 1 : 0;
      }
    }
    a.step(t, values, scores);
  }
  const incidents = [...a.incidents()];
  const summary = a.summarize(incidents[0]);
  return {
    incidents: incidents.length,
    nodes: [...summary.nodes].sort(),
    causes: summary.rootCauses.map((c) => printTarget(c.target)),
  };
}

describe('MeshGraph calls', () => {
  it('answers callees and callers, keeps calls in a copy, and names `calls` for an unknown node', () => {
    const g = services(
      ['web', 'api', 'db', 'cache'],
      [
        ['web', 'api'],
        ['api', 'db'],
        ['api', 'cache'],
        ['api', 'db'],
      ],
    );
    const [web, api, db, cache] = [0, 1, 2, 3];
    expect(g.callees(api)).toEqual([db, cache]);
    expect(g.callers(db)).toEqual([api]);
    expect(g.callees(db)).toEqual([]);
    const copy = g.copy();
    expect(copy.callees(web)).toEqual([api]);
    expect(copy.callers(cache)).toEqual([api]);
    // One incident spans the calls, either way, though no link joins the services.
    expect(g.within(web, db, 2)).toBe(true);
    expect(g.within(web, db, 1)).toBe(false);
    expect(g.around(db, 1).sort()).toEqual([api, db]);
    expect(() => services(['web'], [['web', 'nope']])).toThrow(ArgumentError);
    expect(() => services(['web'], [['ghost', 'web']])).toThrow(/^calls: .*"ghost"/);
  });
});

describe('root causes along calls (through the Analyzer)', () => {
  it('blames the database at the end of frontend -> api -> db when all three show errors and latency', () => {
    const g = services(
      ['frontend', 'api', 'db'],
      [
        ['frontend', 'api'],
        ['api', 'db'],
      ],
    );
    // Detection order need not follow the calls: here the callers alarm first.
    const result = rank(g, {
      frontend: { shows: FAILING, onset: 0 },
      api: { shows: FAILING, onset: 1 },
      db: { shows: FAILING, onset: 2 },
    });
    expect(result.incidents).toBe(1);
    expect(result.nodes).toEqual(['api', 'db', 'frontend']);
    expect(result.causes[0]).toBe('db');
  });

  it('blames the api two frontends call when it fails', () => {
    const g = services(
      ['web', 'mobile', 'api', 'db'],
      [
        ['web', 'api'],
        ['mobile', 'api'],
        ['api', 'db'],
      ],
    );
    const result = rank(g, {
      web: { shows: FAILING, onset: 0 },
      mobile: { shows: FAILING, onset: 0 },
      api: { shows: FAILING, onset: 1 },
    });
    expect(result.incidents).toBe(1);
    expect(result.causes[0]).toBe('api');
  });

  it('keeps the blame at a caller whose callees are healthy', () => {
    const g = services(
      ['frontend', 'api', 'db'],
      [
        ['frontend', 'api'],
        ['api', 'db'],
      ],
    );
    const result = rank(g, {
      frontend: { shows: FAILING, onset: 0 },
      api: { shows: { ...FAILING, memory: 95 }, onset: 0 },
    });
    expect(result.causes[0]).toBe('api');
    expect(result.causes).not.toContain('db');
  });
});

describe('rankRootCauses with calls', () => {
  const ERRORS = 0;
  const LATENCY = 1;
  const options = { localMetrics: new Set([ERRORS]) };
  /** An incident of `graph` whose nodes show errors and latency from the given onsets. */
  const incident = (graph: MeshGraph, onsets: Record<string, number>): TrackedIncident => ({
    id: 'i',
    openedAt: 0,
    lastActive: 0,
    bands: new Map(),
    nodes: new Map(
      Object.entries(onsets).map(([id, onset]) => {
        const node = graph.indexOf(id);
        const metricScore = new Float64Array(2);
        metricScore[ERRORS] = metricScore[LATENCY] = 1;
        return [node, { node, onset, lastSeen: onset, peak: 1, metricScore }];
      }),
    ),
  });
  const causes = (graph: MeshGraph, onsets: Record<string, number>, silent: string[] = []) =>
    rankRootCauses(incident(graph, onsets), graph, {
      ...options,
      silent: new Set(silent.map((id) => graph.indexOf(id))),
    }).map((c) => ({ target: printTarget(c.target), score: c.score }));

  it('terminates on a cycle of calls and blames the cycle, not the caller that reaches it', () => {
    const g = services(
      ['frontend', 'a', 'b', 'c'],
      [
        ['frontend', 'a'],
        ['a', 'b'],
        ['b', 'c'],
        ['c', 'a'],
        ['a', 'a'],
      ],
    );
    // The frontend alarms first, yet its symptoms are the cycle's doing.
    const ranked = causes(g, { frontend: 0, a: 1, b: 1, c: 1 });
    expect(ranked).toHaveLength(4);
    expect(ranked.at(-1)!.target).toBe('frontend');
    // The cycle's members share the blame alike.
    expect(ranked[0].score).toBeCloseTo(ranked[2].score, 9);
  });

  it('passes the blame to a silent callee', () => {
    const ids = ['frontend', 'api'];
    const frontend = (g: MeshGraph) =>
      causes(g, { frontend: 0, api: 1 }, ['api']).find((c) => c.target === 'frontend')!.score;
    const called = services(ids, [['frontend', 'api']]);
    expect(causes(called, { frontend: 0, api: 1 }, ['api'])[0].target).toBe('api');
    expect(frontend(called)).toBeLessThan(frontend(services(ids, [])));
  });

  it('ranks a mesh exactly as before when calls name nodes outside the incident, or none are given', () => {
    // A line n0 - n1 - n2 - n3 towards the gateway n3: n1 loses what it forwards through n2.
    const ids = ['n0', 'n1', 'n2', 'n3', 'svc'];
    const links = [
      ['n0', 'n1'],
      ['n1', 'n2'],
      ['n2', 'n3'],
    ] as const;
    const plain = new MeshGraph(ids, links, ['n3']);
    const healthyCallees = new MeshGraph(
      ids,
      links,
      ['n3'],
      [
        ['n1', 'svc'],
        ['svc', 'n3'],
      ],
    );
    const none = new MeshGraph(ids, links, ['n3'], []);
    const lossOptions = { localMetrics: new Set([ERRORS]), lossMetric: LATENCY };
    const ranked = (g: MeshGraph) => rankRootCauses(incident(g, { n0: 0, n1: 1 }), g, lossOptions);
    expect(ranked(healthyCallees)).toEqual(ranked(plain));
    expect(ranked(none)).toEqual(ranked(plain));
    expect(ranked(plain).map((c) => printTarget(c.target))).toEqual(
      ranked(plain.copy()).map((c) => printTarget(c.target)),
    );
    // Once n1 calls n0 and n0 is anomalous, n1's symptoms are n0's doing.
    const calling = new MeshGraph(ids, links, ['n3'], [['n1', 'n0']]);
    const before = ranked(plain).find((c) => printTarget(c.target) === 'n1')!.score;
    const after = ranked(calling).find((c) => printTarget(c.target) === 'n1')!.score;
    expect(after).toBeLessThan(before);
  });
});
