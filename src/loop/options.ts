/** How a MapeKLoop is configured, and the counts it reports. */
import type { AnalyzerOptions } from '../analyze/analyzer.ts';
import type { MeshGraph } from '../analyze/graph.ts';
import type { Executor } from '../execute/executor.ts';
import type { RailOptions } from '../execute/rails.ts';
import type { IdSource } from '../knowledge/ids.ts';
import type { KnowledgeStore } from '../knowledge/store.ts';
import type { TimeOptions } from '../monitor/clock.ts';
import type { MetricSpec } from '../monitor/ingest.ts';
import type { AuditSink, BatchScorer, Diagnoser, Planner } from './contracts.ts';

/** What the loop hands to Analyze about its metrics' meaning (local, harmful directions, load, loss, links); see `AnalyzerOptions`. */
export type MetricRoles = Pick<
  AnalyzerOptions,
  | 'localMetrics'
  | 'harmful'
  | 'loadMetrics'
  | 'demandMetrics'
  | 'lossMetric'
  | 'linkMetric'
  | 'throughputMetric'
>;

/**
 * The loop's counts and thresholds a configuration may set (see LoopOptions for each; unset ones
 * keep {@link LOOP_DEFAULTS}).
 */
export type LoopCounts = Pick<
  LoopOptions,
  | 'confirmTicks'
  | 'settleTicks'
  | 'patienceTicks'
  | 'stableTicks'
  | 'confidence'
  | 'evidenceTicks'
  | 'maxAttempts'
  | 'holdDownTicks'
  | 'window'
  | 'staleTicks'
>;

/**
 * The defaults of LoopOptions' counts and thresholds, each documented on its option below
 * (test/loop-defaults.test.ts checks that the two agree).
 */
export const LOOP_DEFAULTS: Readonly<Required<LoopCounts & Pick<LoopOptions, 'eventCapacity'>>> =
  Object.freeze({
    confirmTicks: 2,
    settleTicks: 2,
    patienceTicks: 8,
    stableTicks: 10,
    confidence: 0.5,
    evidenceTicks: 12,
    maxAttempts: 3,
    holdDownTicks: 15,
    window: 256,
    staleTicks: 600,
    eventCapacity: 10_000,
  });

/** Options of `new MapeKLoop(options)`: the mesh, its metrics and their roles, and the parts of each stage. */
export interface LoopOptions extends MetricRoles {
  /** The mesh: its nodes, links and gateways. */
  graph: MeshGraph;
  /** The metrics every node reports, with their accepted ranges. */
  metrics: readonly MetricSpec[];
  /** Scores every series each tick. */
  detector: BatchScorer;
  /** Detector score at or above which a series is anomalous. */
  threshold: number;
  /** Chooses actions for diagnosed incidents. */
  planner: Planner;
  /** Carries actions out. */
  executor: Executor;
  /** Where knowledge is kept (default a fresh MemoryStore). */
  store?: KnowledgeStore;
  /** Diagnoses confirmed incidents (default none). */
  diagnoser?: Diagnoser;
  /**
   * Where the loop's decisions are recorded. An action's intent (and a rollback's) is recorded
   * before its executor is called, and its outcome before the knowledge store is told of it; an
   * action whose intent the sink refuses is not taken (see AuditSink).
   */
  audit?: AuditSink;
  /**
   * Where incident and action ids come from (default: a fresh IdSource, under a new run id). Give
   * the run's own (`new IdSource(runId)`) so the store's ids name the run that made them.
   */
  ids?: IdSource;
  /** Limits of the safety rails (default `RailOptions`' defaults). */
  rails?: RailOptions;
  /**
   * Plan and record without acting: the chosen action goes to `executor.dryRun` instead of
   * `apply`, is recorded with the outcome 'dry-run' (or 'failed' when the dry run refuses it), and
   * the incident is handed to a human with what the engine would have done.
   */
  dryRun?: boolean;
  /** Ticks an incident must show evidence before it is announced, diagnosed and acted on (default 2). */
  confirmTicks?: number;
  /** Ticks after an action completes before recovery is judged (default 2). */
  settleTicks?: number;
  /** Further ticks to wait for recovery before an action counts as not healing (default 8). */
  patienceTicks?: number;
  /**
   * Ticks a recovery must hold before the action counts as healing (default 10): an intermittent
   * fault (a flapping link) looks healed between its bursts.
   */
  stableTicks?: number;
  /**
   * Confidence (0..1) of the top root cause at which an incident is diagnosed and acted on at
   * once (default 0.5); below it the loop gathers up to `evidenceTicks` more ticks of evidence
   * first, since acting on a guess costs an action on a healthy target and a wrong first remedy.
   */
  confidence?: number;
  /**
   * Ticks after its announcement an unclear incident waits for evidence before it is diagnosed
   * anyway (default 12). On the main job's seeds 1-5, 6 ticks named the fault kind of a few more
   * incidents but healed two fewer faults and escalated one more.
   */
  evidenceTicks?: number;
  /** Actions tried per incident before escalating (default 3). */
  maxAttempts?: number;
  /** Ticks a healed node's anomalies are ignored while its metrics settle (default 15). */
  holdDownTicks?: number;
  /** Samples kept per series (default 256). */
  window?: number;
  /** The time policy of ticks and samples: how far ahead a timestamp may jump (see src/monitor/clock.ts). */
  time?: TimeOptions;
  /**
   * Ticks an incident may stay quiet without its telemetry returning to its baseline before it
   * is handed to a human and closed (default 600): the mesh has settled into a different state.
   */
  staleTicks?: number;
  /**
   * Events each `loop.events` iterator holds for a reader that lags (default 10,000); beyond it
   * the oldest are dropped and counted (`LoopEvents.dropped`, `stats().eventsDropped`).
   */
  eventCapacity?: number;
}

/** Running counts, for the CLI, the facade and readiness checks. */
export interface LoopStats {
  /** Ticks run. */
  ticks: number;
  /** Samples the Monitor accepted. */
  samplesAccepted: number;
  /** Samples it refused. */
  samplesRejected: number;
  /** Incidents opened. */
  incidentsOpened: number;
  /** Incidents healed. */
  incidentsResolved: number;
  /** Incidents handed to a human. */
  incidentsEscalated: number;
  /** Actions started. */
  actionsStarted: number;
  /** Actions that healed their incident. */
  actionsHealed: number;
  /** Actions the executor failed or refused. */
  actionsFailed: number;
  /** Actions that did not heal and were undone by the executor. */
  actionsRolledBack: number;
  /** Rollbacks the executor refused, failed or threw on, or that were not attempted (see `actionsNotTaken`). */
  rollbacksFailed: number;
  /**
   * Actions not taken because the audit sink could not record their intent: the executor was not
   * called and the incident was escalated. (A rollback refused this way counts in `rollbacksFailed`.)
   */
  actionsNotTaken: number;
  /** Audit records the sink refused (each also reported as a 'store-fault' event). */
  auditFailures: number;
  /** Knowledge-store writes waiting (after store failures). */
  storePending: number;
  /** Knowledge-store errors met. */
  storeFailures: number;
  /** Events dropped from iterators whose readers lagged (see `eventCapacity`). */
  eventsDropped: number;
}
