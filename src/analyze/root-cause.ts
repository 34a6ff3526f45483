/**
 * Root-cause ranking by explanation: every candidate (a node, a link, a partition's cut) scores
 * by how much of the incident's evidence its failure would explain, given how faults show in a
 * mesh:
 * - a node's own metrics (cpu, memory, errors, queue) move only when something is wrong at it;
 * - a node's loss counts what its own queue, its link to its next hop and that next hop drop, so
 *   loss points along the route: at a silent next hop; at the link when the node's link quality
 *   fell too, or when others forward through the same next hop without loss; else at the next
 *   hop itself (a relay that drops or corrupts forwarded traffic shows nothing of its own; only
 *   the nodes that forward through it see it);
 * - a link's fault weakens the link quality at both of its ends;
 * - overload travels with the traffic towards the gateways: an overloaded node whose downstream
 *   neighbour (one that forwards through it) is overloaded too is a victim of that node's surge
 *   (which is a suspect even if it looks merely busy), and so is a node whose only symptom is
 *   errors on the traffic a blamed relay corrupts;
 * - links that weakened together and cut a region without a gateway off the mesh are one cause,
 *   a partition, ranked as its links;
 * - a service's fault shows at the services that call it (their errors, latency and loss rise),
 *   and at theirs in turn: a node with an anomalous (or silent) callee is a victim of it, and
 *   points down the calls at the deepest anomalous nodes it reaches, those whose own callees are
 *   healthy (or, in a cycle of calls, the cycle's members), as lossy nodes point at a next hop;
 *   a node whose callees are all healthy keeps its own blame.
 * A metric far off its normal counts as moved even when its detector has not (or no longer)
 * alarmed. Routes come from the graph's routing table (or, without one, from hops to the gateways).
 * Earlier onset breaks near-ties. A node or link that none of these cues points at (a node whose
 * only symptom is the quality of its links, a link between two merely busy nodes) is no candidate:
 * its onset alone is no evidence, and as the only candidate it would take all the confidence.
 * Scores become confidences with a softmax.
 */
import { linkTarget, nodeTarget, printTarget } from '../domain/targets.ts';
import type { CauseCandidate } from '../knowledge/records.ts';
import type { MeshGraph } from './graph.ts';
import type { TrackedIncident } from './incidents.ts';

/** What root-cause ranking needs to know of the metrics. */
export interface RootCauseOptions {
  /** Metric indices that describe the node itself; the rest describe its network. */
  localMetrics: ReadonlySet<number>;
  /** Local metric indices that rise with demand (cpu, queue): what an overload moves. */
  loadMetrics?: ReadonlySet<number>;
  /** Index of the metric that measures loss on the way through a node's next hop, if any. */
  lossMetric?: number;
  /** Index of the metric of a node's links' quality, if any. */
  linkMetric?: number;
  /** Index of the throughput metric, if any (without routes, a fall marks a lossy node's next hop). */
  throughputMetric?: number;
  /** Nodes that went silent. */
  silent?: ReadonlySet<number>;
  /** How far (node, metric) is now from normal in its harmful direction, in deviations; sees symptoms too small to alarm. */
  drift?: (node: number, metric: number) => number;
  /** Ticks over which an onset advantage decays (default 3). */
  onsetScale?: number;
  /** Softmax temperature of the confidences (default 0.25). */
  temperature?: number;
}

/** Weights of the cues: what a cause's own metrics, the loss pointing at it, silence and onset are worth. */
const WEIGHTS = { own: 1.0, blame: 1.2, silent: 1.5, link: 0.6, cut: 2.5, onset: 0.3 } as const;
/** Deviations from normal at which a node's link quality counts as fallen, and its loss as risen, without an alarm. */
const WEAK_LINK_DRIFT = 3;
const LOSS_DRIFT = 6;
/**
 * Deviations at which the loss of a node near the incident that is not part of it counts: its
 * detector may be holding back after an earlier alarm, but a jump this far is no noise.
 */
const FAR_LOSS_DRIFT = 24;
/** Deviations at which a node's own metric counts as moved without an alarm. */
const OWN_DRIFT = 6;
/** Ticks by which an overloaded upstream node may be seen before the node whose surge it carries. */
const OVERLOAD_LAG = 3;
/** What is left of a victim's own evidence (an overloaded upstream node, a witness of corruption). */
const VICTIM = 0.3;

/** Ranks nodes and links of an incident as its likely cause, best first, with confidences. */
export function rankRootCauses(
  incident: TrackedIncident,
  graph: MeshGraph,
  options: RootCauseOptions,
): CauseCandidate[] {
  const evidence = [...incident.nodes.values()];
  if (evidence.length === 0) return [];
  const view = new View(incident, graph, options);
  const first = Math.min(...evidence.map((e) => e.onset));
  const early = (onset: number) => WEIGHTS.onset * Math.exp(-(onset - first) / (options.onsetScale ?? 3));
  const blame = blameLoss(view);
  const share = (weight: number | undefined) => (blame.lossy ? (weight ?? 0) / blame.lossy : 0);
  const calls = blameCalls(view);
  const callShare = (node: number) =>
    calls.victims.size ? (calls.nodes.get(node)?.weight ?? 0) / calls.victims.size : 0;
  const raw: CauseCandidate[] = [];

  const widest = Math.max(1, ...evidence.map((e) => view.ownBreadth(e.node)));
  // A surge's source may look merely busy: the overloaded nodes forwarding into an overloaded one are suspects too.
  const sources = evidence
    .filter((e) => view.overloaded(e.node))
    .flatMap((e) => graph.downstream(e.node).filter((d) => view.overloaded(d)));
  for (const node of new Set([
    ...incident.nodes.keys(),
    ...blame.nodes.keys(),
    ...sources,
    ...calls.nodes.keys(),
  ])) {
    const e = incident.nodes.get(node);
    const victim =
      view.overloadVictim(node) || view.corruptionWitness(node, blame.nodes) || calls.victims.has(node);
    const evidence =
      (victim ? VICTIM : 1) *
        (WEIGHTS.own * (view.ownBreadth(node) / widest) +
          WEIGHTS.blame * share(blame.nodes.get(node)?.weight)) +
      WEIGHTS.blame * callShare(node) +
      WEIGHTS.silent * (view.silent(node) ? 1 : 0);
    if (evidence === 0) continue;
    const score =
      evidence + early(e?.onset ?? blame.nodes.get(node)?.onset ?? calls.nodes.get(node)?.onset ?? first);
    raw.push({ target: nodeTarget(graph.nodeIds[node]), score });
  }

  const cut = partitionCut(view);
  const links = new Set([...blame.links.keys(), ...cut]);
  // Links between incident nodes, and links whose far end's quality fell too, even if too little to alarm on.
  for (const e of evidence) {
    for (const n of graph.neighbors(e.node)) {
      if (incident.nodes.has(n) || (view.weakLinks(e.node) && view.weakLinks(n)))
        links.add(graph.linkBetween(e.node, n));
    }
  }
  for (const link of links) {
    const [a, b] = graph.links[link];
    // A link to a silent node is dead because the node is: the node explains it.
    if (view.silent(a) || view.silent(b)) continue;
    const weakEnds = (view.weakLinks(a) ? 1 : 0) + (view.weakLinks(b) ? 1 : 0);
    const onset = Math.min(...[a, b].map((n) => incident.nodes.get(n)?.onset ?? Infinity));
    const evidence =
      WEIGHTS.link * (weakEnds / 2) +
      WEIGHTS.blame * share(blame.links.get(link)) +
      (cut.has(link) ? WEIGHTS.cut : 0);
    if (evidence === 0) continue;
    const score = evidence + early(onset);
    raw.push({
      target: linkTarget(graph.nodeIds[a], graph.nodeIds[b]),
      score,
      ...(cut.has(link) ? { cut: true } : {}),
    });
  }
  return softmaxRank(raw, options.temperature ?? 0.25);
}

/** The incident's evidence as questions about one node. */
class View {
  readonly #load: ReadonlySet<number>;

  constructor(
    readonly incident: TrackedIncident,
    readonly graph: MeshGraph,
    readonly options: RootCauseOptions,
  ) {
    this.#load = options.loadMetrics ?? new Set();
  }

  moved(node: number, metric: number | undefined): boolean {
    return metric !== undefined && (this.incident.nodes.get(node)?.metricScore[metric] ?? 0) > 0;
  }

  silent(node: number): boolean {
    return this.options.silent?.has(node) ?? false;
  }

  /** Flagged, or now at least `drift` deviations out in its harmful direction. */
  #off(node: number, metric: number | undefined, drift: number): boolean {
    return (
      this.moved(node, metric) || (metric !== undefined && (this.options.drift?.(node, metric) ?? 0) >= drift)
    );
  }

  /** Its loss rose (a detector that has just alarmed on it may be quiet for a while, so far out counts too). */
  lossy(node: number): boolean {
    return this.#off(node, this.options.lossMetric, LOSS_DRIFT);
  }

  /** Its link quality fell: flagged, or (too little to alarm on when one of several links weakens) clearly below normal. */
  weakLinks(node: number): boolean {
    return this.#off(node, this.options.linkMetric, WEAK_LINK_DRIFT);
  }

  /**
   * Whether `node` is the only one losing traffic through `hop` although others forward through
   * it too: a relay drops what it forwards from everyone alike, so the loss is on this one link.
   */
  onlyLossyThrough(node: number, hop: number): boolean {
    const others = this.graph.downstream(hop).filter((n) => n !== node);
    return others.length > 0 && others.every((n) => !this.lossy(n));
  }

  /** How many of the node's own metrics moved. */
  ownBreadth(node: number): number {
    let moved = 0;
    for (const m of this.options.localMetrics) if (this.#off(node, m, OWN_DRIFT)) moved++;
    return moved;
  }

  overloaded(node: number): boolean {
    for (const m of this.#load) if (this.#off(node, m, OWN_DRIFT)) return true;
    return false;
  }

  /**
   * Overloaded together with a node that forwards through it: the surge came from there (a node
   * that itself loses capacity drops what it is sent and leaves its senders unloaded). Detection
   * order says little here, as the upstream node may be closer to its limit.
   */
  overloadVictim(node: number): boolean {
    const e = this.incident.nodes.get(node);
    if (!e || !this.overloaded(node)) return false;
    return this.graph
      .downstream(node)
      .some(
        (d) =>
          this.overloaded(d) && (this.incident.nodes.get(d)?.onset ?? -Infinity) <= e.onset + OVERLOAD_LAG,
      );
  }

  /** Its only own symptom is errors, and a node forwarding through it is blamed for lossy forwarding. */
  corruptionWitness(node: number, blamed: ReadonlyMap<number, unknown>): boolean {
    if (this.ownBreadth(node) !== 1 || this.overloaded(node)) return false;
    return this.graph.downstream(node).some((d) => blamed.has(d) && this.ownBreadth(d) === 0);
  }
}

/**
 * Follows each lossy node's loss along its route (see the module comment): blame per node (with
 * the onset of the first node pointing at it) and per link, and how many lossy nodes there are.
 * A node whose own queue overflows explains its loss itself. Nodes within the incident's reach
 * whose loss is far off its normal (FAR_LOSS_DRIFT) without an alarm count too, from the
 * incident's last tick: a relay that corrupts what it forwards shows first as errors at its next
 * hop, and the loss of the nodes forwarding through it is what points at it.
 */
function blameLoss(view: View) {
  const nodes = new Map<number, { weight: number; onset: number }>();
  const links = new Map<number, number>();
  let lossy = 0;
  const { graph, incident } = view;
  const near = new Set<number>();
  if (view.options.lossMetric !== undefined && view.options.drift)
    for (const e of incident.nodes.values())
      for (const n of graph.around(e.node, 2))
        if (
          !incident.nodes.has(n) &&
          !view.silent(n) &&
          view.options.drift(n, view.options.lossMetric) >= FAR_LOSS_DRIFT
        )
          near.add(n);
  const lossyNodes = [
    ...[...incident.nodes.values()].filter((e) => view.lossy(e.node)),
    ...[...near].map((node) => ({ node, onset: incident.lastActive })),
  ];
  for (const e of lossyNodes) {
    if (view.overloaded(e.node)) continue;
    lossy++;
    const hops = nextHops(view, e.node);
    for (const hop of hops) {
      const share = 1 / hops.length;
      const link = graph.linkBetween(e.node, hop);
      if (link >= 0 && !view.silent(hop) && (view.weakLinks(e.node) || view.onlyLossyThrough(e.node, hop))) {
        links.set(link, (links.get(link) ?? 0) + share);
      } else {
        const b = nodes.get(hop) ?? { weight: 0, onset: Infinity };
        nodes.set(hop, { weight: b.weight + share, onset: Math.min(b.onset, e.onset) });
      }
    }
  }
  return { nodes, links, lossy };
}

/**
 * Follows symptoms down the calls (see the module comment): the nodes that are victims of a
 * callee, and the blame they pass (with the onset of the first victim pointing at each). A victim
 * passes its blame in equal shares to the ends of its anomalous call chains: the anomalous nodes
 * it reaches that reach back every anomalous node they reach themselves (a node with no anomalous
 * callee, or the members of a cycle of them). A node in such a cycle is no victim of the others,
 * and a silent node none of its callees (a callee's fault does not stop it reporting).
 */
function blameCalls(view: View) {
  const nodes = new Map<number, { weight: number; onset: number }>();
  const victims = new Set<number>();
  const { graph, incident } = view;
  const anomalous = (n: number) => incident.nodes.has(n) || view.silent(n);
  // Anomalous nodes reachable from a node through anomalous callees, itself included (visited once each, so cycles end).
  const reached = new Map<number, Set<number>>();
  const reach = (from: number): Set<number> => {
    let seen = reached.get(from);
    if (seen) return seen;
    seen = new Set([from]);
    const stack = [from];
    while (stack.length) {
      for (const callee of graph.callees(stack.pop()!)) {
        if (!seen.has(callee) && anomalous(callee)) {
          seen.add(callee);
          stack.push(callee);
        }
      }
    }
    reached.set(from, seen);
    return seen;
  };
  const isEnd = (n: number) => [...reach(n)].every((m) => reach(m).has(n));
  for (const e of incident.nodes.values()) {
    const ends = [...reach(e.node)].filter(isEnd);
    if (ends.includes(e.node) || view.silent(e.node)) continue;
    victims.add(e.node);
    for (const end of ends) {
      const b = nodes.get(end) ?? { weight: 0, onset: Infinity };
      nodes.set(end, { weight: b.weight + 1 / ends.length, onset: Math.min(b.onset, e.onset) });
    }
  }
  return { nodes, victims };
}

/**
 * Where a node's traffic goes next: its route when the routing table is known; otherwise the
 * neighbours nearer a gateway (or, with no gateways known, any neighbour), narrowed to those that
 * lost throughput or went silent (they lost the traffic the node used to hand them).
 */
function nextHops(view: View, node: number): readonly number[] {
  const { graph } = view;
  const upstream = graph.upstream(node);
  if (graph.routes || upstream.length === 1) return upstream;
  const starved = (upstream.length ? upstream : graph.neighbors(node)).filter(
    (n) => view.moved(n, view.options.throughputMetric) || view.silent(n),
  );
  return starved.length ? starved : upstream;
}

/**
 * The links of a partition's cut, if the incident shows one: links whose ends both lost link
 * quality and which, taken out together, leave a region without a gateway. Empty otherwise (or
 * when no gateways are known).
 */
function partitionCut(view: View): Set<number> {
  const { graph, incident } = view;
  const dead = new Set<number>();
  for (const e of incident.nodes.values()) {
    if (!view.weakLinks(e.node) || view.silent(e.node)) continue;
    for (const n of graph.neighbors(e.node))
      if (view.weakLinks(n) && !view.silent(n)) dead.add(graph.linkBetween(e.node, n));
  }
  const cut = new Set<number>();
  if (dead.size < 2) return cut;
  // Every node that only those links connect to a gateway, in one region (links inside it are not part of the cut).
  const region = new Set<number>();
  const reached = new Set<number>();
  for (const start of new Set([...dead].flatMap((l) => graph.links[l]))) {
    if (reached.has(start)) continue;
    const component = componentWithout(graph, start, dead);
    component.forEach((n) => reached.add(n));
    if (![...component].some((n) => graph.isGateway(n))) component.forEach((n) => region.add(n));
  }
  for (const l of dead) if (region.has(graph.links[l][0]) !== region.has(graph.links[l][1])) cut.add(l);
  return cut;
}

/** Nodes reachable from `start` without crossing `removed` links. */
function componentWithout(graph: MeshGraph, start: number, removed: ReadonlySet<number>): Set<number> {
  const seen = new Set([start]);
  const stack = [start];
  while (stack.length) {
    const u = stack.pop()!;
    for (const v of graph.neighbors(u)) {
      if (!seen.has(v) && !removed.has(graph.linkBetween(u, v))) {
        seen.add(v);
        stack.push(v);
      }
    }
  }
  return seen;
}

function softmaxRank(raw: readonly CauseCandidate[], temperature: number): CauseCandidate[] {
  const max = Math.max(...raw.map((r) => r.score));
  const weights = raw.map((r) => Math.exp((r.score - max) / temperature));
  const sum = weights.reduce((a, b) => a + b, 0);
  return raw
    .map((r, i) => ({ ...r, score: weights[i] / sum }))
    .sort((a, b) => b.score - a.score || (printTarget(a.target) < printTarget(b.target) ? -1 : 1));
}
