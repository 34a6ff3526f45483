/**
 * What one `MLEnhancedMAPEK` iteration reports: the loop's events since the previous iteration,
 * sorted into the Python result's phases (monitoring, analysis, planning, execution, knowledge
 * update).
 */
import type { ActionRecord, IncidentRecord, Posterior } from '../knowledge/records.ts';
import type { LoopEvent, LoopEventType } from '../loop/events.ts';
import type { Rejection } from '../monitor/ingest.ts';
import type { Plan } from '../plan/decision.ts';
import { mean } from '../plan/posteriors.ts';

/** A learned success posterior with its mean. */
export interface LearnedRate {
  /** The symptom pattern. */
  signature: string;
  /** The action's name. */
  action: string;
  /** Pseudo-count of heals. */
  alpha: number;
  /** Pseudo-count of failures. */
  beta: number;
  /** alpha / (alpha + beta): the learned chance it heals. */
  mean: number;
}

/** What one iteration (one tick) saw and did, phase by phase; events are those since the last iteration. */
export interface IterationResult {
  /** The tick this iteration ran as (0, 1, 2, ...): the loop's clock. */
  tick: number;
  /** Samples accepted, and those refused with the reason. */
  monitoring: { accepted: number; rejected: Rejection[] };
  /** What Analyze found: the anomaly, incidents opened and diagnosed, and how many are open. */
  analysis: {
    /** The component's anomaly this tick, if any: its peak score and anomalous metrics. */
    anomaly: { score: number; metrics: string[] } | null;
    incidentsOpened: IncidentRecord[];
    diagnoses: IncidentRecord[];
    openIncidents: number;
  };
  /** Plans whose chosen action was started. */
  planning: Plan[];
  /** Actions started and finished, and incidents handed to a human. */
  execution: {
    started: ActionRecord[];
    /** Actions that finished: healed, not healed (then rolled back) or failed. */
    finished: ActionRecord[];
    escalations: Array<{ incident: IncidentRecord; reason: string }>;
  };
  /** What the knowledge learnt: success rates updated, and incidents resolved. */
  knowledgeUpdate: {
    /** Success posteriors updated by the finished actions that completed. */
    learned: LearnedRate[];
    resolved: IncidentRecord[];
    /** Knowledge-store writes that failed (the loop queues and retries them). */
    storeFaults: string[];
  };
  /** No anomaly this tick and no incident open. */
  overallSuccess: boolean;
}

/** What the report needs besides the events. */
export interface ReportContext {
  tick: number;
  /** Samples accepted this iteration. */
  accepted: number;
  openIncidents: number;
  /** The learned posterior of (incident's signature, action), if the incident was diagnosed. */
  posteriorOf(action: ActionRecord): Posterior | undefined;
}

/** Sorts one iteration's loop events into its report. */
export function iterationReport(events: readonly LoopEvent[], context: ReportContext): IterationResult {
  const of = <T extends LoopEventType>(type: T) =>
    events.filter((e): e is Extract<LoopEvent, { type: T }> => e.type === type);
  const anomaly = of('anomaly').find((e) => e.ts === context.tick);
  const finished = of('action-result').map((e) => e.action);
  const learned = finished
    .filter((a) => a.outcome === 'healed' || a.outcome === 'not-healed')
    .map((a) => context.posteriorOf(a))
    .filter((p) => p !== undefined)
    .map(learnedRate);
  return {
    tick: context.tick,
    monitoring: { accepted: context.accepted, rejected: of('sample-rejected').map((e) => e.rejection) },
    analysis: {
      anomaly: anomaly ? { score: anomaly.score, metrics: anomaly.metrics } : null,
      incidentsOpened: of('incident-opened').map((e) => e.incident),
      diagnoses: of('diagnosis').map((e) => e.incident),
      openIncidents: context.openIncidents,
    },
    planning: of('plan').map((e) => e.plan),
    execution: {
      started: of('action-started').map((e) => e.action),
      finished,
      escalations: of('escalation').map((e) => ({ incident: e.incident, reason: e.reason })),
    },
    knowledgeUpdate: {
      learned,
      resolved: of('incident-resolved').map((e) => e.incident),
      storeFaults: of('store-fault').map((e) => e.error),
    },
    overallSuccess: !anomaly && context.openIncidents === 0,
  };
}

/** A posterior with its mean. */
export function learnedRate(p: Posterior): LearnedRate {
  return { signature: p.signature, action: p.action, alpha: p.alpha, beta: p.beta, mean: mean(p) };
}
