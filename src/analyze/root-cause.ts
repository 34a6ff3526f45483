/**
 * Root-cause ranking over an incident's evidence. Faults spread outwards from their cause, so the
 * cause tends to be (1) among the first to turn anomalous, (2) at the centre of the anomalous
 * region, and (3) anomalous in metrics that describe itself (cpu, memory, errors) rather than
 * in metrics that describe its network (loss, latency, link quality), which neighbours inherit.
 * A link is a candidate when both of its ends are anomalous mostly in network metrics. The
 * three cues are combined as a weighted sum and turned into confidences with a softmax.
 */
import type { CauseCandidate } from '../knowledge/records.ts';
import type { MeshGraph } from './graph.ts';
import type { NodeEvidence, TrackedIncident } from './incidents.ts';

export interface RootCauseOptions {
  /** Metric indices that describe the node itself; the rest describe its network. */
  localMetrics: ReadonlySet<number>;
  /** Ticks over which an onset advantage decays (default 3). */
  onsetScale?: number;
  /** Softmax temperature of the confidences (default 0.25). */
  temperature?: number;
}

/** Weights of the cues; chosen by reasoning about propagation, then checked on the simulator. */
const WEIGHTS = { onset: 1.0, centrality: 0.8, locality: 0.9, peak: 0.3 } as const;

/** Ranks nodes and links of an incident as its likely cause, best first, with confidences. */
export function rankRootCauses(
  incident: TrackedIncident,
  graph: MeshGraph,
  options: RootCauseOptions,
): CauseCandidate[] {
  const evidence = [...incident.nodes.values()];
  if (evidence.length === 0) return [];
  const first = Math.min(...evidence.map((e) => e.onset));
  const onsetScale = options.onsetScale ?? 3;
  const raw: Array<{ target: string; score: number }> = [];

  for (const e of evidence) {
    const neighbors = graph.neighbors(e.node);
    const anomalousNeighbors = neighbors.filter((n) => incident.nodes.has(n)).length;
    const centrality = neighbors.length ? anomalousNeighbors / neighbors.length : 0;
    const score =
      WEIGHTS.onset * Math.exp(-(e.onset - first) / onsetScale) +
      WEIGHTS.centrality * centrality +
      WEIGHTS.locality * locality(e, options.localMetrics) +
      WEIGHTS.peak * e.peak;
    raw.push({ target: graph.nodeIds[e.node], score });
  }

  for (const e of evidence) {
    for (const n of graph.neighbors(e.node)) {
      const other = incident.nodes.get(n);
      if (!other || n < e.node) continue;
      const link = graph.linkBetween(e.node, n);
      if (link < 0) continue;
      // Both ends show network symptoms and started together: a link looks like the cause.
      const networkShare = 2 - locality(e, options.localMetrics) - locality(other, options.localMetrics);
      const together = Math.exp(-Math.abs(e.onset - other.onset) / onsetScale);
      const score =
        WEIGHTS.onset * Math.exp(-(Math.min(e.onset, other.onset) - first) / onsetScale) +
        WEIGHTS.locality * (networkShare / 2) * together +
        WEIGHTS.peak * Math.min(e.peak, other.peak);
      raw.push({ target: graph.linkIds[link], score });
    }
  }

  return softmaxRank(raw, options.temperature ?? 0.25);
}

/** Share of a node's anomaly that is in its own (local) metrics, 0..1. */
function locality(e: NodeEvidence, local: ReadonlySet<number>): number {
  let mine = 0;
  let total = 0;
  for (let m = 0; m < e.metricScore.length; m++) {
    total += e.metricScore[m];
    if (local.has(m)) mine += e.metricScore[m];
  }
  return total > 0 ? mine / total : 0;
}

function softmaxRank(raw: Array<{ target: string; score: number }>, temperature: number): CauseCandidate[] {
  const max = Math.max(...raw.map((r) => r.score));
  const weights = raw.map((r) => Math.exp((r.score - max) / temperature));
  const sum = weights.reduce((a, b) => a + b, 0);
  return raw
    .map((r, i) => ({ target: r.target, score: weights[i] / sum }))
    .sort((a, b) => b.score - a.score || (a.target < b.target ? -1 : 1));
}
