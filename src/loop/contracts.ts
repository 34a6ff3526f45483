/** What the loop needs from parts that live outside it: a detector, a diagnoser, an audit sink. */
import type { Target } from '../domain/targets.ts';
import type { IncidentRecord } from '../knowledge/records.ts';
import type { IncidentSummary } from '../analyze/analyzer.ts';
import type { Symptom } from '../analyze/symptoms.ts';

/** Scores many series at once: one value in, one anomaly score in [0, 1] out, per series. */
export interface BatchScorer {
  /** Number of series. */
  readonly series: number;
  /** Writes a score per series into `scores`; a NaN value (no sample) must score 0 and leave state alone. */
  update(ts: number, values: Float64Array, scores: Float64Array): void | Promise<void>;
}

/** What Analyze knows of an incident when it asks for a diagnosis. */
export interface DiagnosisContext extends IncidentSummary {
  symptoms: Symptom[];
  /** The symptoms written out as an operator would describe them (the retrieval query). */
  description: string;
}

/** Names the fault kind of an incident and cites what supports it (e.g. the RAG analyzer). */
export interface Diagnoser {
  diagnose(incident: IncidentRecord, context: DiagnosisContext): Promise<DiagnoserResult> | DiagnoserResult;
  /** Called when an incident is resolved, so its story can inform later diagnoses. */
  learn?(
    incident: IncidentRecord,
    healedBy: { action: string; target: Target } | undefined,
  ): Promise<void> | void;
}

export interface DiagnoserResult {
  kind?: string;
  /** Whether that kind of fault lives on a node or a link: remedies then target only that. */
  scope?: 'node' | 'link';
  /** Runbook (and past incident) ids that support the diagnosis, best first. */
  citations: string[];
  /** Actions the cited runbooks recommend, with rank-weighted support in 0..1. */
  recommended: Array<{ action: string; support: number }>;
}

/** One record of what the engine decided or did. */
export interface AuditRecord {
  type: 'plan' | 'action' | 'result' | 'rollback' | 'escalation' | 'resolution';
  ts: number;
  incidentId: string;
  detail: Record<string, unknown>;
}

/** Where the loop writes its audit trail (e.g. the ML-DSA signed audit log). */
export interface AuditSink {
  record(entry: AuditRecord): void | Promise<void>;
}
