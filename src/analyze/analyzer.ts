/**
 * Analyze, per tick: per-series anomaly scores -> anomalous nodes -> incidents; and, per
 * incident, the root-cause ranking and the symptom summary the diagnosis and plan start from.
 * A node that stops reporting altogether is itself a symptom (a crashed node sends nothing).
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
}

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

  constructor(options: AnalyzerOptions) {
    this.#options = options;
    const { graph, metrics } = options;
    this.tracker = new IncidentTracker(graph, metrics.length, options);
    this.#local = new Set(options.localMetrics.map((m) => metrics.indexOf(m)).filter((i) => i >= 0));
    this.#silentFor = new Uint32Array(graph.size);
    this.#reported = new Uint8Array(graph.size);
    this.#metricScores = new Float64Array(graph.size * metrics.length);
    this.#holdUntil = new Float64Array(graph.size).fill(-Infinity);
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
    for (let node = 0; node < graph.size; node++) {
      let reported = false;
      let peak = 0;
      for (let j = 0; j < m; j++) {
        const s = node * m + j;
        if (!Number.isNaN(values[s])) reported = true;
        const score = scores[s] >= threshold ? scores[s] : 0;
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
