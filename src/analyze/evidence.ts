/**
 * An incident's telemetry beyond the detector's scores: the normal band of each series captured
 * when it joined the incident, the symptoms in operator terms for the diagnoser, and whether the
 * telemetry has recovered (judged from raw values, since a return to normal is itself a change
 * that detectors flag). The Analyzer offers these as methods over its own view of the mesh.
 */
import { type Target, targetNodes } from '../domain/targets.ts';
import type { SeriesWindows } from '../monitor/ring.ts';
import type { IncidentSummary } from './analyzer.ts';
import type { MeshGraph } from './graph.ts';
import type { TrackedIncident } from './incidents.ts';
import { captureBand, recovered } from './recovery.ts';
import { describeIncident, describeSeries, type Symptom } from './symptoms.ts';

/** What Analyze knows of an incident when it asks for a diagnosis. */
export interface DiagnosisContext extends IncidentSummary {
  /** How each involved metric of each node moved, as `describeIncident` found it. */
  symptoms: Symptom[];
  /** The symptoms written out as an operator would describe them (the retrieval query). */
  description: string;
}

/** The view of the mesh and its telemetry that these helpers read. */
export interface EvidenceSource {
  windows: SeriesWindows;
  /** Metric names, in series order (series = node * metrics + metric). */
  metrics: readonly string[];
  graph: MeshGraph;
  /** Per metric: +1 when only a rise is harmful, -1 when only a fall is, 0 when both are. */
  harm: ArrayLike<number>;
  /** Indices of the metrics that describe a node itself. */
  local: ReadonlySet<number>;
  isSilent(node: number): boolean;
}

/** Ticks without an anomaly that count as recovered when no series has a baseline. */
const QUIET_TICKS = 5;

/** Captures the normal band of each anomalous series when it first joins the incident. */
export function captureBands(source: EvidenceSource, incident: TrackedIncident): void {
  const m = source.metrics.length;
  for (const evidence of incident.nodes.values()) {
    for (let j = 0; j < m; j++) {
      const s = evidence.node * m + j;
      if (evidence.metricScore[j] > 0 && !incident.bands.has(s)) {
        incident.bands.set(s, captureBand(source.windows, s, evidence.onset) ?? null);
      }
    }
  }
}

/** Symptoms of the incident in operator terms, for the diagnoser. */
export function diagnosisContext(
  source: EvidenceSource,
  incident: TrackedIncident,
  summary: IncidentSummary,
): DiagnosisContext {
  const m = source.metrics.length;
  const cause = summary.rootCauses[0]?.target;
  const causeNodes = cause ? nodesOf(source.graph, cause) : new Set<number>();
  const symptoms: Symptom[] = [];
  // Every metric of the suspect, not only those that turned anomalous: at the start of an
  // incident the telling ones (a traffic surge, a fall in throughput) may still be in range
  // of the detector but already away from their baseline.
  const series = new Map(incident.bands);
  for (const node of causeNodes) {
    const evidence = incident.nodes.get(node);
    for (let j = 0; evidence && j < m; j++) {
      const s = node * m + j;
      if (!series.has(s)) series.set(s, captureBand(source.windows, s, evidence.onset) ?? null);
    }
  }
  for (const [s, band] of series) {
    const node = Math.floor(s / m);
    const evidence = incident.nodes.get(node);
    if (!band || !evidence) continue;
    const shape = describeSeries(source.windows, s, band, evidence.onset);
    if (!shape) continue;
    symptoms.push({
      node: source.graph.nodeIds[node],
      metric: source.metrics[s % m],
      atCause: causeNodes.has(node),
      ...shape,
    });
  }
  const top = summary.rootCauses[0];
  const description = describeIncident(symptoms, summary.silentNodes, summary.nodes.length, {
    isLink: cause?.link !== undefined,
    cut: !!top?.cut,
  });
  return { ...summary, symptoms, description };
}

/**
 * Whether the incident's telemetry has recovered since `since` (as of `now`): every silent node
 * reports again, and most anomalous series of the `focus` nodes (default, or when none of theirs
 * moved: all of the incident's) are back to normal; only when no series has a baseline to judge
 * by, the nodes must have been free of anomalies for a few ticks.
 */
export function hasRecovered(
  source: EvidenceSource,
  incident: TrackedIncident,
  since: number,
  now: number,
  focus?: ReadonlySet<number>,
): boolean {
  for (const node of incident.nodes.keys()) if (source.isSilent(node)) return false;
  const m = source.metrics.length;
  let judged = 0;
  let ok = 0;
  for (const [s, band] of incident.bands) {
    const node = Math.floor(s / m);
    const evidence = incident.nodes.get(node);
    if (!band || !evidence || (focus && !focus.has(node))) continue;
    judged++;
    if (recovered(source.windows, s, band, evidence.onset, since, source.harm[s % m])) ok++;
  }
  if (judged > 0) return ok / judged >= 0.8;
  // Nothing of the focus moved (a quiet relay that drops forwarded traffic): judge by the incident.
  if (focus) return hasRecovered(source, incident, since, now);
  return isQuiet(incident, since, now);
}

/**
 * Whether an action on `action.target`, done at `doneAt`, shows its effect as of `now`: its
 * target's telemetry is back to normal; or, for an action that takes its target out of service to
 * stop the harm it does to others (its traffic then takes new routes, with a new normal on them),
 * the nodes around it that showed that harm before it was taken out have stopped raising
 * anomalies. Isolation cures nothing wrong with the target itself and hides its own symptoms (a
 * node without traffic has no queue), so it never counts as curing a target that showed symptoms
 * of its own, or that harmed no one.
 */
export function tookEffect(
  source: EvidenceSource,
  incident: TrackedIncident,
  action: { readonly target: Target; readonly startedAt: number },
  doneAt: number,
  now: number,
  isolates: boolean,
): boolean {
  const target = nodesOf(source.graph, action.target);
  if (!isolates) return hasRecovered(source, incident, doneAt, now, target);
  const evidence = [...incident.nodes.values()];
  const around = new Set(
    evidence.filter((e) => !target.has(e.node) && e.onset < action.startedAt).map((e) => e.node),
  );
  const ownSymptoms = evidence.some(
    (e) => target.has(e.node) && [...source.local].some((j) => e.metricScore[j] > 0),
  );
  return around.size > 0 && !ownSymptoms && isQuiet(incident, doneAt, now, around);
}

/** Whether the incident's nodes (or the `focus` among them) have shown no anomaly for a few ticks since `since`. */
export function isQuiet(
  incident: TrackedIncident,
  since: number,
  now: number,
  focus?: ReadonlySet<number>,
): boolean {
  const quietSince = Math.max(
    since,
    ...[...incident.nodes.values()].filter((e) => !focus || focus.has(e.node)).map((e) => e.lastSeen),
  );
  return now - quietSince >= QUIET_TICKS;
}

/** Node indices of a target: the node, or both ends of a link. */
export function nodesOf(graph: MeshGraph, target: Target): Set<number> {
  return new Set(targetNodes(target).map((id) => graph.indexOf(id, 'target')));
}

/**
 * Signature = diagnosed kind, and whether nodes went silent: what success rates are learned per.
 * Coarse on purpose: finer keys (say, the strongest metrics) split the few outcomes of a kind
 * over many keys, and the engine would learn almost nothing from each.
 */
export function signatureOf(kind: string | undefined, summary: IncidentSummary): string {
  return `${kind ?? 'unknown'}${summary.silentNodes.length ? '|silent' : ''}`;
}
