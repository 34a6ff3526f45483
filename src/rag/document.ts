/**
 * What the RAG analyzer indexes: runbooks and resolved incidents share one document shape so
 * they rank together and filter by the same metadata.
 */

/** Severity levels, most urgent first. */
export const SEVERITIES = ['critical', 'high', 'medium', 'low'] as const;
/** How urgent a runbook's fault or an incident is. */
export type Severity = (typeof SEVERITIES)[number];

/** A retrievable document: a runbook or a resolved incident. */
export interface RagDocument {
  /** Unique id (runbook id, or incident id). */
  readonly id: string;
  /** Where it came from. */
  readonly source: 'runbook' | 'incident';
  readonly title: string;
  /** Fault kinds it is about: the domain's FAULT_KINDS, or kinds a user's own runbooks add. */
  readonly faults: readonly string[];
  readonly severity: Severity;
  /** What an operator sees. */
  readonly symptoms: readonly string[];
  /** Metrics that show the fault. */
  readonly metrics: readonly string[];
  /** Remedies, best first (the domain's ACTION_NAMES, or a user's own; for incidents: the actions that were tried). */
  readonly actions: readonly string[];
  /** Free text (runbook body, or incident notes). */
  readonly body: string;
  /** Milliseconds since the epoch (incidents: when it was resolved); filters by time use it. */
  readonly timestamp?: number;
  /** Incidents: the action that healed it, if any. */
  readonly resolvedBy?: string;
}

/** The text both the lexical index and the embedder see for a document. */
export function documentText(doc: RagDocument): string {
  return [
    doc.title,
    doc.faults.join(' '),
    doc.symptoms.join('. '),
    doc.metrics.join(' ').replaceAll('_', ' '),
    doc.body,
  ].join('\n');
}
