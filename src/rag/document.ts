/**
 * What the RAG analyzer indexes: runbooks and resolved incidents share one document shape so
 * they rank together and filter by the same metadata.
 */

/** Severity levels, most urgent first. */
export const SEVERITIES = ['critical', 'high', 'medium', 'low'] as const;
/** How urgent a runbook's fault or an incident is. */
export type Severity = (typeof SEVERITIES)[number];

/** The fault kinds the engine injects and diagnoses. */
export const FAULT_KINDS = [
  'node-crash',
  'link-degradation',
  'congestion',
  'cpu-exhaustion',
  'memory-leak',
  'partition',
  'misbehaving-node',
  'flapping-link',
  'bad-config',
  'disk-full',
  'dns-failure',
  'cert-expiry',
  'clock-skew',
  'mtu-mismatch',
  'routing-loop',
  'thread-pool-exhaustion',
  'gc-pause',
  'connection-leak',
  'dependency-timeout',
  'ddos',
] as const;

/** Fault kinds that live on a link (their remedy targets the link); every other kind lives on a node. */
export const LINK_FAULTS: ReadonlySet<string> = new Set([
  'link-degradation',
  'flapping-link',
  'partition',
  'mtu-mismatch',
]);

/** Remedies: the engine's action set, then operator actions some fault kinds need. */
export const ACTIONS = [
  'reroute',
  'restart-service',
  'clear-cache',
  'scale-up',
  'scale-down',
  'quarantine-node',
  'failover',
  'rate-limit',
  'rollback-config',
  'renew-certificate',
  'resync-clock',
  'flush-dns',
  'expand-disk',
  'fix-mtu',
] as const;

/** A retrievable document: a runbook or a resolved incident. */
export interface RagDocument {
  /** Unique id (runbook id, or incident id). */
  readonly id: string;
  /** Where it came from. */
  readonly source: 'runbook' | 'incident';
  readonly title: string;
  /** Fault kinds it is about (strings, so users may add their own kinds). */
  readonly faults: readonly string[];
  readonly severity: Severity;
  /** What an operator sees. */
  readonly symptoms: readonly string[];
  /** Metrics that show the fault. */
  readonly metrics: readonly string[];
  /** Remedies, best first (for incidents: the actions that were tried). */
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
