/** The records the knowledge store keeps. Times are in ticks (1 tick = 1 s of telemetry time). */
import type { Target } from '../domain/targets.ts';

/** A ranked root-cause candidate: a node or a link. */
export interface CauseCandidate {
  target: Target;
  score: number;
  /** A link of a partition's cut: the links that went down together and strand a region without a gateway. */
  cut?: boolean;
}

/** An incident: anomalies grouped by time and topology, with its diagnosis and outcome. */
export interface IncidentRecord {
  id: string;
  /** Tick of the first anomaly in the group. */
  openedAt: number;
  /** Tick the incident was resolved or escalated, when it was. */
  closedAt?: number;
  status: 'open' | 'resolved' | 'escalated';
  /** Stable description of the symptom pattern, used to learn which actions work for it. */
  signature: string;
  /** Nodes whose series were anomalous. */
  nodes: string[];
  /** Anomalous metrics, most anomalous first. */
  metrics: string[];
  rootCauses: CauseCandidate[];
  /** Fault kind the diagnosis settled on, when it did. */
  diagnosedKind?: string;
  /** Runbook ids the diagnosis cited. */
  citations: string[];
}

/** One action taken (or dry-run) for an incident, and what came of it. */
export interface ActionRecord {
  id: string;
  incidentId: string;
  action: string;
  target: Target;
  startedAt: number;
  finishedAt?: number;
  outcome: 'pending' | 'healed' | 'not-healed' | 'failed' | 'rolled-back' | 'dry-run';
  /** Expected utility the planner gave it, and why. */
  score: number;
  explanation: string;
}

/** A Beta(alpha, beta) posterior of P(action heals an incident with this signature). */
export interface Posterior {
  signature: string;
  action: string;
  alpha: number;
  beta: number;
}
