/** The records the knowledge store keeps. Times are in ticks (1 tick = 1 s of telemetry time). */
import type { Target } from '../domain/targets.ts';

/** A ranked root-cause candidate: a node or a link. */
export interface CauseCandidate {
  /** The suspected node or link. */
  target: Target;
  /** How strongly the evidence points at it, 0..1. */
  score: number;
  /** A link of a partition's cut: the links that went down together and strand a region without a gateway. */
  cut?: boolean;
}

/** An incident: anomalies grouped by time and topology, with its diagnosis and outcome. */
export interface IncidentRecord {
  /** The incident's id, `<runId>-inc-<n>`. */
  id: string;
  /** Tick of the first anomaly in the group. */
  openedAt: number;
  /** Tick the incident was resolved or escalated, when it was. */
  closedAt?: number;
  /** 'resolved' | 'escalated';|Open, healed, or handed to a human. */
  status: 'open' | 'resolved' | 'escalated';
  /** Stable description of the symptom pattern, used to learn which actions work for it. */
  signature: string;
  /** Nodes whose series were anomalous. */
  nodes: string[];
  /** Anomalous metrics, most anomalous first. */
  metrics: string[];
  /** Suspected causes, most likely first. */
  rootCauses: CauseCandidate[];
  /** Fault kind the diagnosis settled on, when it did. */
  diagnosedKind?: string;
  /** Runbook ids the diagnosis cited. */
  citations: string[];
}

/** One action taken (or dry-run) for an incident, and what came of it. */
export interface ActionRecord {
  /** The action's id, `<runId>-act-<n>`. */
  id: string;
  /** The incident it was taken for. */
  incidentId: string;
  /** The action's name, e.g. `restart-node`. */
  action: string;
  /** The node or link it acted on. */
  target: Target;
  /** Tick it was issued. */
  startedAt: number;
  /** Tick its outcome was known, once it was. */
  finishedAt?: number;
  /**
   * 'healed' | 'not-healed' | 'failed' | 'rolled-back' | 'dry-run';|What came of it: still running, healed,
   * ran without healing, failed, undone, or only dry-run.
   */
  outcome: 'pending' | 'healed' | 'not-healed' | 'failed' | 'rolled-back' | 'dry-run';
  /** Expected utility the planner gave it, and why. */
  score: number;
  /** The features that moved its score most. */
  explanation: string;
}

/** A Beta(alpha, beta) posterior of P(action heals an incident with this signature). */
export interface Posterior {
  /** The symptom pattern. */
  signature: string;
  /** The action's name. */
  action: string;
  /** Pseudo-count of heals: 1, plus any prior support, plus each time it healed. */
  alpha: number;
  /** Pseudo-count of failures: 1, plus each time it did not heal. */
  beta: number;
}
