/**
 * Root-cause ranking over an incident's evidence. Faults spread outwards from their cause, so the
 * cause tends to be (1) among the first to turn anomalous, (2) at the centre of the anomalous
 * region, and (3) anomalous in metrics that describe itself (cpu, memory, errors) rather than
 * in metrics that describe its network (loss, latency, link quality), which neighbours inherit.
 * A link is a candidate when both of its ends are anomalous mostly in network metrics. (4) Loss
 * points downstream: a node's loss metric counts what its link and its next hop drop. Its next
 * hop is the neighbour whose throughput fell (it lost the traffic it used to receive), or failing
 * that any anomalous neighbour. When the lossy node's link quality fell too, the link to that
 * next hop is blamed; otherwise the next hop itself (a relay that silently drops forwarded
 * traffic is anomalous only in its neighbours' telemetry), and a silent next hop always (a dead
 * node explains both the loss and the dead link). Traffic flows towards the gateways, so when
 * they are known the next hop is sought among the neighbours nearer one. A node whose link
 * quality fell without loss blames its other links. A node that shows nothing but loss or weak
 * links is a witness, not a cause, and scores lower. The cues are combined as a weighted sum and
 * turned into confidences with a softmax. (5) The cause tends to show the broadest anomaly:
 * a congested node moves in cpu, memory, queue and latency, its busier neighbour in its queue
 * (a link counts the mean breadth of its ends).
 */
import type { CauseCandidate } from '../knowledge/records.ts';
import type { MeshGraph } from './graph.ts';
import type { NodeEvidence, TrackedIncident } from './incidents.ts';

export interface RootCauseOptions {
  /** Metric indices that describe the node itself; the rest describe its network. */
  localMetrics: ReadonlySet<number>;
  /** Index of the metric that measures loss on the way through a node's next hop, if any. */
  lossMetric?: number;
  /** Index of the metric of a node's links' quality, if any. */
  linkMetric?: number;
  /** Index of the throughput metric, if any (a fall marks the next hop of a lossy node). */
  throughputMetric?: number;
  /** Nodes that went silent. */
  silent?: ReadonlySet<number>;
  /** Ticks over which an onset advantage decays (default 3). */
  onsetScale?: number;
  /** Softmax temperature of the confidences (default 0.25). */
  temperature?: number;
}

/** Weights of the cues; chosen by reasoning about propagation, then checked on the simulator. */
const WEIGHTS = { onset: 1.0, centrality: 0.8, locality: 0.9, peak: 0.3, blame: 1.0, breadth: 0.5 } as const;

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

  const { nodeBlame, linkBlame, lossy } = blameDownstream(incident, graph, options);
  const blameOf = (node: number) => (lossy ? (nodeBlame.get(node)?.weight ?? 0) / lossy : 0);

  const widest = Math.max(...evidence.map(breadth));
  for (const e of evidence) {
    // A lossy node, or one whose links weakened, that shows nothing of its own is a witness:
    // what it sees points elsewhere.
    const witness =
      locality(e, options.localMetrics) === 0 &&
      [options.lossMetric, options.linkMetric].some((m) => m !== undefined && e.metricScore[m] > 0);
    const neighbors = graph.neighbors(e.node);
    const anomalousNeighbors = neighbors.filter((n) => incident.nodes.has(n)).length;
    const centrality = neighbors.length ? anomalousNeighbors / neighbors.length : 0;
    const score =
      WEIGHTS.onset * Math.exp(-(e.onset - first) / onsetScale) +
      WEIGHTS.centrality * centrality +
      WEIGHTS.locality * locality(e, options.localMetrics) +
      WEIGHTS.peak * e.peak +
      WEIGHTS.blame * blameOf(e.node) +
      WEIGHTS.breadth * (breadth(e) / widest) -
      (witness ? WEIGHTS.blame : 0);
    raw.push({ target: graph.nodeIds[e.node], score });
  }
  // A node outside the incident that its lossy neighbours forward through: it shows nothing
  // itself, only their loss gives it away. Blamed by a single node that shares its blame with
  // other suspects, it is just a guess.
  for (const [node, b] of nodeBlame) {
    if (incident.nodes.has(node) || (b.count < 2 && b.weight < 1)) continue;
    const score = WEIGHTS.onset * Math.exp(-(b.onset - first) / onsetScale) + WEIGHTS.blame * blameOf(node) + WEIGHTS.centrality * (b.count / graph.neighbors(node).length);
    raw.push({ target: graph.nodeIds[node], score });
  }

  const links = new Set(linkBlame.keys());
  for (const e of evidence) {
    for (const n of graph.neighbors(e.node)) {
      const link = graph.linkBetween(e.node, n);
      if (link >= 0 && incident.nodes.has(n)) links.add(link);
    }
  }
  for (const link of links) {
    const [a, b] = graph.links[link];
    const ea = incident.nodes.get(a);
    const eb = incident.nodes.get(b);
    const ends = [ea, eb].filter((e) => e !== undefined);
    // Both ends show network symptoms and started together: a link looks like the cause.
    const network = ea && eb ? (2 - locality(ea, options.localMetrics) - locality(eb, options.localMetrics)) / 2 : 0;
    const together = ea && eb ? Math.exp(-Math.abs(ea.onset - eb.onset) / onsetScale) : 0;
    const onset = Math.min(...ends.map((e) => e.onset));
    const score =
      WEIGHTS.onset * Math.exp(-(onset - first) / onsetScale) +
      WEIGHTS.locality * network * together +
      WEIGHTS.peak * Math.min(...ends.map((e) => e.peak)) * (ends.length / 2) +
      WEIGHTS.blame * (lossy ? (linkBlame.get(link) ?? 0) / lossy : 0) +
      WEIGHTS.breadth * (ends.reduce((sum, e) => sum + breadth(e), 0) / 2 / widest);
    raw.push({ target: graph.linkIds[link], score });
  }

  return softmaxRank(raw, options.temperature ?? 0.25);
}

/**
 * Follows each lossy node's loss to its next hop (see the module comment): blame per node (with
 * how many lossy nodes point at it and from when) and per link, and how many lossy nodes there are.
 */
function blameDownstream(incident: TrackedIncident, graph: MeshGraph, options: RootCauseOptions) {
  const nodeBlame = new Map<number, { weight: number; count: number; onset: number }>();
  const linkBlame = new Map<number, number>();
  const { lossMetric, linkMetric, throughputMetric, silent } = options;
  let lossy = 0;
  if (lossMetric === undefined) return { nodeBlame, linkBlame, lossy };
  const moved = (node: number, metric: number | undefined) => metric !== undefined && (incident.nodes.get(node)?.metricScore[metric] ?? 0) > 0;
  for (const e of incident.nodes.values()) {
    const lossyNode = e.metricScore[lossMetric] > 0;
    // Loss with the node's link quality intact is dropped beyond the link, at the next hop.
    const linkTrouble = moved(e.node, linkMetric);
    if (!lossyNode && !linkTrouble) continue;
    lossy++;
    const neighbors = graph.neighbors(e.node);
    const anomalous = neighbors.filter((n) => incident.nodes.has(n));
    const starved = anomalous.filter((n) => moved(n, throughputMetric) || silent?.has(n));
    // Traffic flows towards a gateway: a lossy node's suspects are its neighbours nearer one;
    // a node whose link quality fell without loss still sends fine, so the bad link is another.
    const upstream = new Set(graph.upstream(e.node));
    const toward = (xs: readonly number[]) => {
      const picked = xs.filter((n) => upstream.has(n) === lossyNode);
      return picked.length ? picked : xs;
    };
    const hops = toward(starved.length ? starved : anomalous.length ? anomalous : neighbors);
    const nodeTrouble = lossyNode && !linkTrouble;
    for (const hop of hops) {
      const share = 1 / hops.length;
      const link = graph.linkBetween(e.node, hop);
      if (linkTrouble && !silent?.has(hop) && link >= 0) linkBlame.set(link, (linkBlame.get(link) ?? 0) + share);
      if (nodeTrouble || silent?.has(hop)) {
        const b = nodeBlame.get(hop) ?? { weight: 0, count: 0, onset: Infinity };
        nodeBlame.set(hop, { weight: b.weight + share, count: b.count + 1, onset: Math.min(b.onset, e.onset) });
      }
    }
  }
  return { nodeBlame, linkBlame, lossy };
}

/** How many of a node's metrics moved. */
function breadth(e: NodeEvidence): number {
  let moved = 0;
  for (let m = 0; m < e.metricScore.length; m++) if (e.metricScore[m] > 0) moved++;
  return moved;
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
