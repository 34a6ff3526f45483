/**
 * The minimal incident shape the RAG analyzer needs (the engine adapts its own incidents to it),
 * and how an incident becomes a retrieval query and, once resolved, a retrievable document.
 */
import { ArgumentError } from '../errors.ts';
import { SEVERITIES, type RagDocument, type Severity } from './document.ts';

/** One anomalous metric of an incident. */
export interface IncidentMetric {
  /** Metric name, e.g. 'packet_loss' or 'cpu'. */
  readonly name: string;
  /** Signed anomaly score (z-like): > 0 above normal, < 0 below. */
  readonly deviation: number;
}

/** An open incident as the analyzer sees it. */
export interface IncidentInput {
  /** The incident's id. */
  readonly id: string;
  /** Free-text description (operator notes, alert text). */
  readonly summary?: string;
  /** Observed symptoms in words. */
  readonly symptoms?: readonly string[];
  /** Anomalous metrics, most anomalous first. */
  readonly metrics?: readonly IncidentMetric[];
  /** Topology: affected nodes and links (ids). */
  readonly nodes?: readonly string[];
  /** Links involved, by id. */
  readonly links?: readonly string[];
  /** How urgent it is. */
  readonly severity?: Severity;
  /** Milliseconds since the epoch. */
  readonly openedAt?: number;
}

/** An incident after the loop closed it. */
export interface ResolvedIncident extends IncidentInput {
  /** Diagnosed fault kind. */
  readonly fault: string;
  /** Actions tried, in order. */
  readonly actions: readonly string[];
  /** The action that healed it; absent when it was not healed (escalated). */
  readonly resolvedBy?: string;
  /** Milliseconds since the epoch. */
  readonly resolvedAt: number;
}

/** Validates an incident; errors name the field. */
export function checkIncident(incident: IncidentInput, name = 'incident'): void {
  if (typeof incident !== 'object' || incident === null)
    throw new ArgumentError(name, 'expected an incident object');
  if (typeof incident.id !== 'string' || incident.id === '')
    throw new ArgumentError(`${name}.id`, 'expected a non-empty string');
  if (incident.summary !== undefined && typeof incident.summary !== 'string')
    throw new ArgumentError(`${name}.summary`, 'expected a string');
  for (const key of ['symptoms', 'nodes', 'links'] as const) {
    const list = incident[key];
    if (list !== undefined && !(Array.isArray(list) && list.every((s) => typeof s === 'string'))) {
      throw new ArgumentError(`${name}.${key}`, 'expected an array of strings');
    }
  }
  if (incident.metrics !== undefined) {
    if (!Array.isArray(incident.metrics)) throw new ArgumentError(`${name}.metrics`, 'expected an array');
    incident.metrics.forEach((m, i) => {
      if (typeof m?.name !== 'string' || !Number.isFinite(m.deviation)) {
        throw new ArgumentError(
          `${name}.metrics[${i}]`,
          'expected { name: string, deviation: finite number }',
        );
      }
    });
  }
  if (incident.severity !== undefined && !(SEVERITIES as readonly string[]).includes(incident.severity)) {
    throw new ArgumentError(`${name}.severity`, `expected one of ${SEVERITIES.join(', ')}`);
  }
}

/**
 * Query text for an incident: its words, then each anomalous metric with a direction word
 * ("packet loss high", "throughput low"), then the topology's shape (a link, one node, many
 * nodes), which separates link faults from node faults and partitions.
 */
export function incidentQuery(incident: IncidentInput): string {
  const parts: string[] = [];
  if (incident.summary) parts.push(incident.summary);
  if (incident.symptoms?.length) parts.push(incident.symptoms.join('. '));
  for (const m of incident.metrics ?? []) {
    parts.push(`${m.name.replaceAll('_', ' ')} ${m.deviation >= 0 ? 'high rising' : 'low dropped'}`);
  }
  const nodes = incident.nodes?.length ?? 0;
  if (incident.links?.length) parts.push('link between nodes');
  if (nodes > 3) parts.push('many nodes affected');
  else if (nodes === 1) parts.push('single node');
  return parts.join('. ');
}

/** A resolved incident as a retrievable document (so the system learns its own history). */
export function incidentDocument(incident: ResolvedIncident): RagDocument {
  const outcome = incident.resolvedBy ? `healed by ${incident.resolvedBy}` : 'not healed, escalated';
  return {
    id: `incident:${incident.id}`,
    source: 'incident',
    title: `Past incident ${numberInRun(incident.id)}: ${incident.fault}, ${outcome}`,
    faults: [incident.fault],
    severity: incident.severity ?? 'medium',
    symptoms: [...(incident.symptoms ?? []), ...(incident.summary ? [incident.summary] : [])],
    metrics: (incident.metrics ?? []).map((m) => m.name),
    actions: [...incident.actions],
    body: incidentQuery(incident),
    timestamp: incident.resolvedAt,
    resolvedBy: incident.resolvedBy,
  };
}

/**
 * An incident's name within its run (`inc-4` of `<runId>-inc-4`): the title is searched and
 * embedded, and a random run id there would only add noise that differs from run to run.
 */
function numberInRun(id: string): string {
  const at = id.lastIndexOf('inc-');
  return at < 0 ? id : id.slice(at);
}
