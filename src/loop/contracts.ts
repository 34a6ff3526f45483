/**
 * What the loop needs from parts that live outside it: a detector, a planner, a diagnoser, an
 * audit sink (and an Executor, src/execute/executor.ts). Each is an interface that the engine's
 * own parts satisfy structurally (DetectorBank and DetectorPool, UtilityPlanner, RagDiagnoser,
 * AuditLogSink), so a caller can put its own in their place.
 */
import type { DiagnosisContext } from '../analyze/evidence.ts';
import type { Target } from '../domain/targets.ts';
import type { IncidentRecord, Posterior } from '../knowledge/records.ts';
import type { ActionSpec } from '../plan/actions.ts';
import type { Candidate, Diagnosis, Plan } from '../plan/decision.ts';

/** Scores many series at once: one value in, one anomaly score in [0, 1] out, per series. */
export interface BatchScorer {
  /** Number of series: the loop's metrics times its nodes. */
  readonly size: number;
  /**
   * Writes a score per series into `scores` (the loop's own buffer); a NaN value (no sample) must
   * score 0 and leave state alone. A scorer that works elsewhere (in workers) returns a promise,
   * which the loop awaits; any other result (a DetectorBank returns `scores`) is ignored.
   */
  update(ts: number, values: Float64Array, scores: Float64Array<ArrayBuffer>): unknown;
  /** Releases what the scorer holds (its workers); `MapeKLoop.close` calls it. */
  close?(): Promise<void> | void;
}

/** Turns a diagnosis into scored candidate actions and learns from their outcomes (e.g. the UtilityPlanner). */
export interface Planner {
  /** The actions it plans with; the loop reads what an action does (isolates, lapsesAfter) from here. */
  readonly actions: readonly ActionSpec[];
  /**
   * Scores every candidate for `diagnosis`, leaving out those whose `attemptKey` is in `tried`. A
   * planner whose model answers asynchronously (an OnnxPlanner) returns a promise, which the loop
   * awaits before it acts; the incident waits for it.
   */
  plan(diagnosis: Diagnosis, tried: ReadonlySet<string>): Plan | Promise<Plan>;
  /** Learns from the outcome of a completed action. */
  learn(diagnosis: Diagnosis, candidate: Candidate, healed: boolean): void;
  /** The learned success rates, of which the loop stores the one an outcome changed. */
  readonly successRates: { get(signature: string, action: string): Posterior };
}

/** Names the fault kind of an incident and cites what supports it (e.g. the RAG analyzer). */
export interface Diagnoser {
  /** DiagnoserResult;|Diagnoses one confirmed incident from what Analyze knows of it. */
  diagnose(incident: IncidentRecord, context: DiagnosisContext): Promise<DiagnoserResult> | DiagnoserResult;
  /** Called when an incident is resolved, so its story can inform later diagnoses. */
  learn?(
    incident: IncidentRecord,
    healedBy: { action: string; target: Target } | undefined,
  ): Promise<void> | void;
}

/** What a diagnosis concluded, and what supports it. */
export interface DiagnoserResult {
  /** The fault kind it settled on, if any. */
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
  /**
   * 'action' | 'result' | 'rollback' | 'escalation' | 'resolution';|What the record is about: a plan, an
   * action's intent, its result, a rollback, an escalation or a resolution.
   */
  type: 'plan' | 'action' | 'result' | 'rollback' | 'escalation' | 'resolution';
  /** The tick it happened at. */
  ts: number;
  /** The incident concerned. */
  incidentId: string;
  /** The record's details (JSON), by type. */
  detail: Record<string, unknown>;
}

/**
 * Where the loop writes its audit trail (e.g. the ML-DSA signed audit log). The loop calls
 * `record` in the order it decides things and never defers it, so a sink that takes its place in
 * its log synchronously (as AuditLog.append does) keeps that order.
 */
export interface AuditSink {
  /**
   * Records `entry`; resolves once it is durable. The loop waits for an action's (or a rollback's)
   * intent before calling the executor, and for a result before storing the action's outcome; a
   * rejection or a throw means not recorded: the action is not taken (see LoopStats.actionsNotTaken).
   * It must settle: a tick that starts actions ends once their intents are recorded.
   */
  record(entry: AuditRecord): void | Promise<void>;
}
