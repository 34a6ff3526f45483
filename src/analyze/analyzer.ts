/**
 * Analyze, per tick: per-series anomaly scores -> anomalous nodes -> incidents; and, per
 * incident, the root-cause ranking and the symptom summary the diagnosis and plan start from.
 * A node that stops reporting altogether is itself a symptom (a crashed node sends nothing).
 *
 * Streaming detectors flag change, and a return to normal after a fault ends is a change too.
 * So a detector's alarm only counts when the value is also outside the series' normal range:
 * a slow EWMA of level and absolute deviation, learnt only from samples that raised no alarm on
 * nodes outside any open incident.
 */
import type { CauseCandidate } from '../knowledge/records.ts';
import type { MeshGraph } from './graph.ts';
import { IncidentTracker, type IncidentOptions, type NodeAnomaly, type TrackedIncident } from './incidents.ts';
import { rankRootCauses } from './root-cause.ts';

export interface AnalyzerOptions extends IncidentOptions {
  graph: MeshGraph;
  /** Metric names, in series order (series = node * metrics + metric). */
  metrics: readonly string[];
  /** Metrics that describe a node itself rather than its network. */
  localMetrics: readonly string[];
  /** Score at or above which a series counts as anomalous. */
  threshold: number;
  /** Consecutive silent ticks after which a node that used to report counts as anomalous (default 2). */
  silenceTicks?: number;
  /** Half-width of the normal range, in mean absolute deviations (default 6, about 4.8 sigma). */
  normalWidth?: number;
}

/** Smoothing of the normal range (about a 100-sample memory) and the samples it needs first. */
const NORMAL_ALPHA = 0.01;
const NORMAL_WARMUP = 60;

/** What Analyze concluded about an incident. */
export interface IncidentSummary {
  rootCauses: CauseCandidate[];
  /** Metric names ranked by accumulated anomaly, strongest first. */
  metrics: string[];
  /** 0..1: share of the mesh involved, blended with the peak anomaly. */
  severity: number;
  /** Nodes involved, by id. */
  nodes: string[];
  /** Nodes that went silent. */
  silentNodes: string[];
}

export class Analyzer {
  readonly tracker: IncidentTracker;
  readonly #options: AnalyzerOptions;
  readonly #local: Set<number>;
  readonly #silentFor: Uint32Array;
  readonly #reported: Uint8Array;
  readonly #metricScores: Float64Array;
  /** Tick until which a node's anomalies are ignored (recovery transients after a fix). */
  readonly #holdUntil: Float64Array;
  readonly #normalLevel: Float64Array;
  readonly #normalSpread: Float64Array;
  readonly #normalCount: Uint32Array;

  constructor(options: AnalyzerOptions) {
    this.#options = options;
    const { graph, metrics } = options;
    this.tracker = new IncidentTracker(graph, metrics.length, options);
    this.#local = new Set(options.localMetrics.map((m) => metrics.indexOf(m)).filter((i) => i >= 0));
    this.#silentFor = new Uint32Array(graph.size);
    this.#reported = new Uint8Array(graph.size);
    this.#metricScores = new Float64Array(graph.size * metrics.length);
    this.#holdUntil = new Float64Array(graph.size).fill(-Infinity);
    this.#normalLevel = new Float64Array(graph.size * metrics.length);
    this.#normalSpread = new Float64Array(graph.size * metrics.length);
    this.#normalCount = new Uint32Array(graph.size * metrics.length);
  }

  /** Ignores `node`'s anomalies until tick `until`: its metrics are settling after a fix. */
  holdDown(node: number, until: number): void {
    this.#holdUntil[node] = Math.max(this.#holdUntil[node], until);
  }

  /** Folds one tick of values and scores into incidents; returns this tick's anomalies and new incidents. */
  step(ts: number, values: Float64Array, scores: Float64Array): { anomalies: NodeAnomaly[]; opened: TrackedIncident[] } {
    const { graph, metrics, threshold } = this.#options;
    const m = metrics.length;
    const silenceTicks = this.#options.silenceTicks ?? 2;
    const anomalies: NodeAnomaly[] = [];
    // Nodes inside an open incident do not teach the normal range: their values are suspect.
    const involved = new Set<number>();
    for (const incident of this.tracker.open.values()) for (const n of incident.nodes.keys()) involved.add(n);
    for (let node = 0; node < graph.size; node++) {
      const learning = !involved.has(node);
      let reported = false;
      let peak = 0;
      for (let j = 0; j < m; j++) {
        const s = node * m + j;
        const x = values[s];
        if (Number.isNaN(x)) {
          this.#metricScores[s] = 0;
          continue;
        }
        reported = true;
        const alarm = scores[s] >= threshold;
        const score = alarm && !this.#withinNormal(s, x) ? scores[s] : 0;
        if (!alarm && learning) this.#learnNormal(s, x);
        this.#metricScores[s] = score;
        if (score > peak) peak = score;
      }
      if (reported) {
        this.#reported[node] = 1;
        this.#silentFor[node] = 0;
      } else if (this.#reported[node] && ++this.#silentFor[node] >= silenceTicks) {
        // Silence shows up as a maximal anomaly of the node's own metrics.
        for (const j of this.#local) this.#metricScores[node * m + j] = 1;
        peak = 1;
      }
      if (peak > 0 && ts >= this.#holdUntil[node]) {
        anomalies.push({ node, score: peak, metricScores: this.#metricScores.subarray(node * m, node * m + m) });
      }
    }
    return { anomalies, opened: this.tracker.observe(ts, anomalies) };
  }

  /** Whether x lies inside series s's learnt normal range (never, before it has one). */
  #withinNormal(s: number, x: number): boolean {
    if (this.#normalCount[s] < NORMAL_WARMUP) return false;
    const width = (this.#options.normalWidth ?? 6) * this.#normalSpread[s];
    return Math.abs(x - this.#normalLevel[s]) <= Math.max(width, 1e-9);
  }

  #learnNormal(s: number, x: number): void {
    const n = ++this.#normalCount[s];
    const alpha = Math.max(NORMAL_ALPHA, 1 / n);
    const deviation = Math.abs(x - this.#normalLevel[s]);
    this.#normalLevel[s] += alpha * (x - this.#normalLevel[s]);
    this.#normalSpread[s] += alpha * (deviation - this.#normalSpread[s]);
  }

  /** Whether `node` is silent now (stopped reporting for at least `silenceTicks`). */
  isSilent(node: number): boolean {
    return this.#silentFor[node] >= (this.#options.silenceTicks ?? 2);
  }

  /** Root causes, ranked metrics and severity of an incident as it stands. */
  summarize(incident: TrackedIncident): IncidentSummary {
    const { graph, metrics } = this.#options;
    const totals = new Float64Array(metrics.length);
    let peak = 0;
    for (const e of incident.nodes.values()) {
      peak = Math.max(peak, e.peak);
      for (let j = 0; j < metrics.length; j++) totals[j] += e.metricScore[j];
    }
    const ranked = metrics
      .map((name, j) => ({ name, total: totals[j] }))
      .filter((x) => x.total > 0)
      .sort((a, b) => b.total - a.total)
      .map((x) => x.name);
    const nodes = [...incident.nodes.keys()];
    const share = Math.min(1, nodes.length / Math.max(1, graph.size * 0.2));
    return {
      rootCauses: rankRootCauses(incident, graph, { localMetrics: this.#local }),
      metrics: ranked,
      severity: Math.min(1, 0.5 * peak + 0.5 * share),
      nodes: nodes.map((n) => graph.nodeIds[n]),
      silentNodes: nodes.filter((n) => this.isSilent(n)).map((n) => graph.nodeIds[n]),
    };
  }
}
