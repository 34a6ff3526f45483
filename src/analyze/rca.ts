/**
 * Root causes of one incident window after the fact (`x0tta6bl4 rca`), from recorded telemetry
 * that may be coarse and short: a dozen 5-minute points after a long normal baseline. There is
 * no detector history to lean on, so each series' normal is learned robustly from the baseline
 * (its median, and its spread as the median absolute deviation, or the mean one where more than
 * half the values are equal, floored so a flat series does not make every wiggle infinite), and
 * each point of the window is judged by how far it lies from that normal in the metric's harmful
 * direction, in the same units as the live analyzer's normal range (mean absolute deviations).
 * A series has moved when at least two of its points (one, in a window of one or two points) lie
 * past the live normal width; a node is anomalous on the same terms as live (load and demand
 * metrics alone are no symptom unless far out), or when it went silent. Anomalous nodes within
 * two hops of each other form one incident, and the incident is ranked by the engine's own
 * root-cause ranking (root-cause.ts) with the window's evidence and drift, so live and offline
 * answers agree on the same evidence.
 */
import { printTarget, type Target } from '../domain/targets.ts';
import { ArgumentError } from '../errors.ts';
import type { Sample } from '../monitor/ingest.ts';
import type { MeshGraph } from './graph.ts';
import type { NodeEvidence, TrackedIncident } from './incidents.ts';
import { rankRootCauses } from './root-cause.ts';

/** What rca knows of the metrics: their order, ranges, harmful directions and roles. */
export interface RcaMetrics {
  /** The metrics, in series order. */
  names: readonly string[];
  /** Per metric, its smallest and largest possible values, where known (they floor its spread). */
  ranges?: Readonly<Record<string, { min?: number; max?: number }>>;
  /** Which way each metric goes when something is wrong; both ways when absent. */
  harmful?: Readonly<Record<string, 'up' | 'down'>>;
  /** Metrics that describe a node itself. */
  localMetrics?: readonly string[];
  /** Metrics that rise with demand. */
  loadMetrics?: readonly string[];
  /** Metrics that follow demand either way. */
  demandMetrics?: readonly string[];
  /** The metric counting loss through a node's next hop. */
  lossMetric?: string;
  /** The metric of a node's links' quality. */
  linkMetric?: string;
  /** The throughput metric. */
  throughputMetric?: string;
}

/** Each series' normal, learned from a baseline. */
export interface NormalModel {
  /** The graph the series' nodes belong to. */
  readonly graph: MeshGraph;
  /** The metrics, in series order. */
  readonly metrics: RcaMetrics;
  /** Per series (node * metrics + metric): the baseline's median; NaN without baseline samples. */
  readonly level: Float64Array;
  /** Per series: one deviation, in the live analyzer's units (mean absolute deviations). */
  readonly unit: Float64Array;
  /** Per node: whether it reported in the baseline (a node that never did cannot go silent). */
  readonly reported: Uint8Array;
  /** Baseline samples naming a node or metric the model does not know. */
  readonly unknown: number;
}

/** Half-width of the normal range in deviations: the live analyzer's default normal width. */
export const NORMAL_WIDTH = 6;
/** How many normal widths out a load or demand metric must be to count as a symptom on its own (as live). */
const LOAD_ALONE = 4;
/** Median absolute deviation to mean absolute deviation, for normally distributed values. */
const MAD_TO_MEAN_ABS = 1.4826 * Math.sqrt(2 / Math.PI);
/** Floors of a deviation: a share of the level and of the metric's range. */
const LEVEL_FLOOR = 1e-3;
const RANGE_FLOOR = 1e-3;

/**
 * Learns each series' normal from `baseline` (any order). Samples naming a node of no graph
 * node or an unknown metric are counted (`unknown`), not used. Throws an ArgumentError for an
 * empty metric list.
 */
export function learnNormal(graph: MeshGraph, metrics: RcaMetrics, baseline: readonly Sample[]): NormalModel {
  const m = metrics.names.length;
  if (m === 0) throw new ArgumentError('metrics.names', 'expected at least one metric');
  const series = graph.size * m;
  const lookup = indexer(graph, metrics);
  // Two passes: count per series, then fill one flat array (no per-series arrays to grow).
  const counts = new Uint32Array(series + 1);
  const where = new Int32Array(baseline.length);
  let unknown = 0;
  for (let i = 0; i < baseline.length; i++) {
    const s = baseline[i];
    const k = Number.isFinite(s.value) ? lookup(s.source, s.metric) : -1;
    where[i] = k;
    if (k < 0) unknown++;
    else counts[k + 1]++;
  }
  for (let k = 0; k < series; k++) counts[k + 1] += counts[k];
  const values = new Float64Array(counts[series]);
  const fill = counts.slice(0, series);
  for (let i = 0; i < baseline.length; i++) if (where[i] >= 0) values[fill[where[i]]++] = baseline[i].value;

  const level = new Float64Array(series).fill(Number.NaN);
  const unit = new Float64Array(series).fill(Number.NaN);
  const reported = new Uint8Array(graph.size);
  let longest = 0;
  for (let k = 0; k < series; k++) longest = Math.max(longest, counts[k + 1] - counts[k]);
  const scratch = new Float64Array(longest);
  for (let k = 0; k < series; k++) {
    const part = values.subarray(counts[k], counts[k + 1]);
    if (part.length === 0) continue;
    reported[Math.floor(k / m)] = 1;
    const med = medianInPlace(part);
    const deviations = scratch.subarray(0, part.length);
    let total = 0;
    for (let i = 0; i < part.length; i++) total += deviations[i] = Math.abs(part[i] - med);
    const mad = medianInPlace(deviations);
    const range = metrics.ranges?.[metrics.names[k % m]];
    const span = range?.min !== undefined && range.max !== undefined ? range.max - range.min : 0;
    const floor = Math.max(LEVEL_FLOOR * Math.abs(med), RANGE_FLOOR * span, Number.MIN_VALUE);
    level[k] = med;
    unit[k] = Math.max(mad > 0 ? mad * MAD_TO_MEAN_ABS : total / part.length, floor);
  }
  return { graph, metrics, level, unit, reported, unknown };
}

/** One series' part in the answer: how far out it went in the window. */
export interface SeriesEvidence {
  /** The node. */
  node: string;
  /** The metric. */
  metric: string;
  /** Its normal (the baseline's median). */
  normal: number;
  /** Its value farthest out in the window, in the harmful direction. */
  worst: number;
  /** How far out that was, in deviations. */
  deviations: number;
  /** Time of its first point past the normal width. */
  since: number;
}

/** A ranked candidate with the evidence that speaks for it. */
export interface RankedCause {
  /** The node or link. */
  target: Target;
  /** Its confidence, 0..1 (the ranking's softmax). */
  score: number;
  /** A link of a partition's cut. */
  cut?: boolean;
  /** Its own moved series (both ends' for a link), or, when it shows none, its anomalous neighbours'. */
  evidence: SeriesEvidence[];
  /** Whether it went silent in the window. */
  silent?: boolean;
}

/** What {@link rankCauses} found. */
export interface RcaResult {
  /** The window judged: its first and last sample times and the seconds per point. */
  window: { from: number; to: number; interval: number; points: number };
  /** Every anomalous node of the window, with its moved series; silent nodes too. */
  anomalous: Array<{ node: string; silent: boolean; series: SeriesEvidence[] }>;
  /** The nodes of the incident ranked (the group of the target, or the strongest group). */
  incident: string[];
  /** Other groups of anomalous nodes, too far from the incident to be part of it. */
  otherGroups: string[][];
  /** The ranked candidates, best first. */
  causes: RankedCause[];
  /** With a target: how far out it went (undefined when it has no samples in the window). */
  target?: { node: string; metric: string; moved: boolean; deviations?: number };
  /** Window samples naming an unknown node or metric. */
  unknown: number;
}

/** Options of {@link rankCauses}. */
export interface RankCausesOptions {
  /** Seconds between points; default the median spacing of the window's timestamps. */
  interval?: number;
  /** The series the operator asks about: the incident ranked is the one around its node. */
  target?: { node: string; metric: string };
}

/**
 * Ranks the root causes of the window's incident (see the module comment). Samples in `window`
 * may come in any order. Throws an ArgumentError for a target naming an unknown node or metric.
 */
export function rankCauses(
  model: NormalModel,
  window: readonly Sample[],
  options: RankCausesOptions = {},
): RcaResult {
  const { graph, metrics } = model;
  const names = metrics.names;
  const m = names.length;
  const target = options.target;
  let targetNode = -1;
  if (target) {
    if (!names.includes(target.metric))
      throw new ArgumentError(
        'target',
        `unknown metric ${JSON.stringify(target.metric)} (known: ${names.join(', ')})`,
      );
    targetNode = graph.indexOf(target.node, 'target');
  }
  const lookup = indexer(graph, metrics);
  const points = new Map<number, Array<{ ts: number; value: number }>>();
  let unknown = 0;
  let from = Number.POSITIVE_INFINITY;
  let to = Number.NEGATIVE_INFINITY;
  const lastSeen = new Float64Array(graph.size).fill(Number.NEGATIVE_INFINITY);
  for (const s of window) {
    const k = Number.isFinite(s.value) && Number.isFinite(s.ts) ? lookup(s.source, s.metric) : -1;
    if (k < 0) {
      unknown++;
      continue;
    }
    let list = points.get(k);
    if (!list) points.set(k, (list = []));
    list.push({ ts: s.ts, value: s.value });
    if (s.ts < from) from = s.ts;
    if (s.ts > to) to = s.ts;
    const node = Math.floor(k / m);
    if (s.ts > lastSeen[node]) lastSeen[node] = s.ts;
  }
  const interval = options.interval ?? spacing(points) ?? 1;
  if (!Number.isFinite(from))
    return {
      window: { from: Number.NaN, to: Number.NaN, interval, points: 0 },
      anomalous: [],
      incident: [],
      otherGroups: [],
      causes: [],
      unknown,
    };
  const tickOf = (ts: number) => Math.round((ts - from) / interval);
  const harm = names.map((n) =>
    metrics.harmful?.[n] === 'up' ? 1 : metrics.harmful?.[n] === 'down' ? -1 : 0,
  );
  const quiet = new Set([...(metrics.loadMetrics ?? []), ...(metrics.demandMetrics ?? [])]);

  // Per series: every point's harmful deviation; moved when enough lie past the normal width.
  const drift = new Float64Array(graph.size * m);
  const evidence = new Map<number, NodeEvidence>();
  const moved = new Map<number, SeriesEvidence[]>();
  const symptom = new Uint8Array(graph.size);
  for (const [k, list] of points) {
    if (Number.isNaN(model.level[k])) continue;
    list.sort((a, b) => a.ts - b.ts);
    const j = k % m;
    const node = Math.floor(k / m);
    const deviations = list.map(({ value }) => harmful(value - model.level[k], harm[j]) / model.unit[k]);
    // Drift is where the series stands now: the median of its last three points.
    drift[k] = medianOf(deviations.slice(-3));
    const out = deviations.map((d, i) => ({ d, i })).filter(({ d }) => d >= NORMAL_WIDTH);
    if (out.length < Math.min(2, list.length)) continue;
    const worst = out.reduce((a, b) => (b.d > a.d ? b : a));
    (moved.get(node) ?? moved.set(node, []).get(node)!).push({
      node: graph.nodeIds[node],
      metric: names[j],
      normal: model.level[k],
      worst: list[worst.i].value,
      deviations: worst.d,
      since: list[out[0].i].ts,
    });
    if (!quiet.has(names[j]) || worst.d >= LOAD_ALONE * NORMAL_WIDTH) symptom[node] = 1;
    let e = evidence.get(node);
    if (!e) {
      e = { node, onset: Number.POSITIVE_INFINITY, lastSeen: 0, peak: 0, metricScore: new Float64Array(m) };
      evidence.set(node, e);
    }
    e.onset = Math.min(e.onset, tickOf(list[out[0].i].ts));
    e.lastSeen = Math.max(e.lastSeen, tickOf(list[out[out.length - 1].i].ts));
    e.peak = Math.max(e.peak, worst.d);
    for (const { d } of out) e.metricScore[j] += d;
  }
  // Silent: reported in the baseline, and nothing in the window's last two intervals.
  const silent = new Set<number>();
  for (let node = 0; node < graph.size; node++) {
    if (!model.reported[node] || lastSeen[node] >= to - 2 * interval + interval / 2) continue;
    silent.add(node);
    const onset = Number.isFinite(lastSeen[node]) ? tickOf(lastSeen[node]) + 1 : 0;
    const e = evidence.get(node);
    if (e) e.onset = Math.min(e.onset, onset);
    else evidence.set(node, { node, onset, lastSeen: tickOf(to), peak: 1, metricScore: new Float64Array(m) });
  }
  for (const node of [...evidence.keys()]) if (!symptom[node] && !silent.has(node)) evidence.delete(node);

  const groups = groupsOf(graph, [...evidence.keys()]);
  const chosen = chooseGroup(graph, groups, evidence, targetNode);
  const incident: TrackedIncident = {
    id: 'rca',
    openedAt: 0,
    lastActive: tickOf(to),
    nodes: new Map(chosen.map((n) => [n, evidence.get(n)!])),
    bands: new Map(),
  };
  const index = (name: string | undefined) => (name === undefined ? -1 : names.indexOf(name));
  const indices = (list: readonly string[] | undefined) =>
    new Set((list ?? []).map((n) => names.indexOf(n)).filter((j) => j >= 0));
  const optional = (name: string | undefined) => (index(name) >= 0 ? index(name) : undefined);
  const ranked = rankRootCauses(incident, graph, {
    localMetrics: indices(metrics.localMetrics),
    loadMetrics: indices(metrics.loadMetrics),
    lossMetric: optional(metrics.lossMetric),
    linkMetric: optional(metrics.linkMetric),
    throughputMetric: optional(metrics.throughputMetric),
    silent: new Set(chosen.filter((n) => silent.has(n))),
    drift: (node, j) => drift[node * m + j],
  });
  const members = new Set(chosen);
  const causes = ranked.map((c): RankedCause => {
    const own =
      c.target.node !== undefined
        ? [graph.indexOf(c.target.node)]
        : c.target.link.map((id) => graph.indexOf(id));
    const mine = own.flatMap((n) => moved.get(n) ?? []);
    const near =
      mine.length || c.target.node === undefined
        ? mine
        : graph.neighbors(own[0]).flatMap((n) => (members.has(n) ? (moved.get(n) ?? []) : []));
    return {
      ...c,
      evidence: near,
      ...(own.some((n) => silent.has(n)) ? { silent: true } : {}),
    };
  });
  const targetK = targetNode >= 0 ? targetNode * m + names.indexOf(target!.metric) : -1;
  return {
    window: { from, to, interval, points: Number.isFinite(from) ? tickOf(to) + 1 : 0 },
    anomalous: [...evidence.keys()].map((node) => ({
      node: graph.nodeIds[node],
      silent: silent.has(node),
      series: moved.get(node) ?? [],
    })),
    incident: chosen.map((n) => graph.nodeIds[n]),
    otherGroups: groups.filter((g) => g !== chosen).map((g) => g.map((n) => graph.nodeIds[n])),
    causes,
    ...(target
      ? {
          target: {
            ...target,
            moved: (moved.get(targetNode) ?? []).some((s) => s.metric === target.metric),
            ...(points.has(targetK) ? { deviations: drift[targetK] } : {}),
          },
        }
      : {}),
    unknown,
  };
}

/** A cause as one line: `n3 (0.82): n3 errorRate +41.2, latencyP95 +12.0`. */
export function describeRankedCause(cause: RankedCause): string {
  const evidence = cause.evidence.map((e) => `${e.node} ${e.metric} ${e.deviations.toFixed(1)}`).join(', ');
  const notes = [cause.cut ? 'cut' : '', cause.silent ? 'silent' : ''].filter(Boolean).join(', ');
  return `${printTarget(cause.target)} (${cause.score.toFixed(2)})${notes ? ` [${notes}]` : ''}${evidence ? `: ${evidence}` : ''}`;
}

/** Maps (node id, metric) to a series index, -1 when either is unknown. */
function indexer(graph: MeshGraph, metrics: RcaMetrics): (node: string, metric: string) => number {
  const nodes = new Map(graph.nodeIds.map((id, i) => [id, i]));
  const names = new Map(metrics.names.map((name, j) => [name, j]));
  const m = metrics.names.length;
  // Recordings come grouped by node (a scrape, an agent's report): one lookup per run of a node.
  let lastNode: string | undefined;
  let lastIndex: number | undefined;
  return (node, metric) => {
    if (node !== lastNode) {
      lastNode = node;
      lastIndex = nodes.get(node);
    }
    const j = names.get(metric);
    return lastIndex === undefined || j === undefined ? -1 : lastIndex * m + j;
  };
}

/** How far `delta` goes in the harmful direction (+1 up, -1 down, 0 either way); 0 when the other way. */
function harmful(delta: number, direction: number): number {
  if (direction === 0) return Math.abs(delta);
  return Math.max(0, delta * direction);
}

/** The median spacing of the window's series' timestamps, or undefined with no series of two points. */
function spacing(points: ReadonlyMap<number, ReadonlyArray<{ ts: number }>>): number | undefined {
  const gaps: number[] = [];
  for (const list of points.values()) {
    const times = [...new Set(list.map((p) => p.ts))].sort((a, b) => a - b);
    if (times.length > 1) gaps.push(medianOf(times.slice(1).map((t, i) => t - times[i])));
  }
  return gaps.length ? medianOf(gaps) : undefined;
}

/** Anomalous nodes in groups: nodes within two hops (links or calls) of each other are one incident. */
function groupsOf(graph: MeshGraph, nodes: readonly number[]): number[][] {
  const left = new Set(nodes);
  const groups: number[][] = [];
  for (const start of nodes) {
    if (!left.has(start)) continue;
    left.delete(start);
    const group = [start];
    for (let i = 0; i < group.length; i++)
      for (const n of graph.around(group[i], 2))
        if (left.has(n)) {
          left.delete(n);
          group.push(n);
        }
    groups.push(group.sort((a, b) => a - b));
  }
  return groups;
}

/** The target's group (or the one within two hops of it); without a target, the one with the most evidence. */
function chooseGroup(
  graph: MeshGraph,
  groups: readonly number[][],
  evidence: ReadonlyMap<number, NodeEvidence>,
  target: number,
): number[] {
  if (target >= 0) {
    const near = new Set(graph.around(target, 2));
    return groups.find((g) => g.includes(target)) ?? groups.find((g) => g.some((n) => near.has(n))) ?? [];
  }
  const weight = (g: readonly number[]) =>
    g.reduce((sum, n) => sum + evidence.get(n)!.metricScore.reduce((a, b) => a + b, 0) + 1, 0);
  return groups.reduce<number[]>((best, g) => (weight(g) > weight(best) ? g : best), []);
}

/**
 * The median of `xs`, reordering it (quickselect: linear time, where sorting a day of 15-second
 * points per series would dominate the answer).
 */
function medianInPlace(xs: Float64Array): number {
  const n = xs.length;
  const upper = select(xs, n >> 1);
  if (n % 2) return upper;
  // The lower middle is the largest value left of the upper one.
  let lower = xs[0];
  for (let i = 1; i < n >> 1; i++) if (xs[i] > lower) lower = xs[i];
  return (lower + upper) / 2;
}

/** Puts the k-th smallest value of `xs` at index k, smaller ones before it, larger after; returns it. */
function select(xs: Float64Array, k: number): number {
  let left = 0;
  let right = xs.length - 1;
  while (right > left) {
    // Median of three as the pivot: sorted or constant runs stay linear.
    const mid = (left + right) >> 1;
    if (xs[mid] < xs[left]) swap(xs, mid, left);
    if (xs[right] < xs[left]) swap(xs, right, left);
    if (xs[right] < xs[mid]) swap(xs, right, mid);
    const pivot = xs[mid];
    let i = left;
    let j = right;
    while (i <= j) {
      while (xs[i] < pivot) i++;
      while (xs[j] > pivot) j--;
      if (i <= j) swap(xs, i++, j--);
    }
    if (k <= j) right = j;
    else if (k >= i) left = i;
    else break;
  }
  return xs[k];
}

function swap(xs: Float64Array, i: number, j: number): void {
  const t = xs[i];
  xs[i] = xs[j];
  xs[j] = t;
}

function medianOfSorted(sorted: Float64Array): number {
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function medianOf(xs: readonly number[]): number {
  return medianOfSorted(Float64Array.from(xs).sort());
}
