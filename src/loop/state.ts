/**
 * A loop's state as plain JSON (`MapeKLoop.save`), for another loop over the same mesh to go on
 * from (`MapeKLoop.restore`): an engine that takes a region over from one that died finishes the
 * incidents the other had open, under their ids, instead of detecting them again. What the loop
 * learnt (detectors, normal ranges, planner) travels apart, as the learnt models do
 * (src/run/learning.ts); this is the rest: the open incidents with their evidence and progress,
 * the analyzer's per-series and per-node state, the rails' memory, the routes and announced changes.
 *
 * A state is checked field by field before a loop takes it (ArgumentError naming the first field
 * that does not fit): it comes from another process, through a message bus.
 */
import type { AnalyzerState } from '../analyze/analyzer.ts';
import { checkTarget } from '../domain/targets.ts';
import { ArgumentError } from '../errors.ts';
import type { ActionRequest, ExecutionResult } from '../execute/executor.ts';
import type { RailsState } from '../execute/rails.ts';
import type { ActionRecord, IncidentRecord } from '../knowledge/records.ts';
import type { Candidate, Diagnosis } from '../plan/decision.ts';
import { checkFinite, checkInt } from '../validate.ts';

/**
 * Where an incident stands. `candidate`: showing evidence, not yet confirmed. `announced`:
 * opened, being diagnosed or waiting for an action the rails allow. `acting`: an action is being
 * applied. `verifying`: the action completed and its effect is judged from telemetry. `resolved`:
 * closed, healed by an action or passed on its own. `escalated`: handed to a human, followed until
 * its telemetry is back to normal.
 */
export type IncidentProgress = 'candidate' | 'announced' | 'acting' | 'verifying' | 'resolved' | 'escalated';

const PROGRESS: readonly IncidentProgress[] = [
  'candidate',
  'announced',
  'acting',
  'verifying',
  'resolved',
  'escalated',
];

/** The format of {@link LoopState}; a state of another format is refused. */
export const LOOP_STATE_VERSION = 1;

/** An action under way on a saved incident. */
export interface SavedFlight {
  /** The action as recorded. */
  record: ActionRecord;
  /** What the executor was asked. */
  request: ActionRequest;
  /** The planner's candidate it carries out (its success is learnt against it). */
  candidate: Candidate;
  /** The executor's answer, once it came. */
  result?: ExecutionResult;
  /** Tick it completed. */
  doneAt?: number;
  /** The executor's own verification, once it answered. */
  verification?: { healthy: boolean; reason?: string };
  /** First tick of the current run of recovered ticks. */
  recoveredAt?: number;
}

/** An open incident's progress: what the loop adds to the analyzer's evidence. */
export interface SavedProgress {
  /** The incident's id (its evidence is the analyzer's incident of that id). */
  id: string;
  /** Where it stands. */
  progress: IncidentProgress;
  /** Its record as stored. */
  record: IncidentRecord;
  /** Ticks on which it showed evidence. */
  evidenceTicks: number;
  /** Its diagnosis, once diagnosed. */
  diagnosis?: Diagnosis;
  /** `attemptKey`s of the actions tried on it. */
  tried: string[];
  /** Actions taken on it. */
  attempts: number;
  /** The action under way, while acting or verifying. */
  flight?: SavedFlight;
}

/** A loop's state (see the module's comment). */
export interface LoopState {
  /** {@link LOOP_STATE_VERSION}. */
  version: number;
  /** The last tick run (null before the first). */
  now: number | null;
  /** The analyzer's state: the open incidents' evidence among it. */
  analyzer: AnalyzerState;
  /** The open incidents' progress, one per incident of `analyzer.incidents`. */
  incidents: SavedProgress[];
  /** The safety rails' memory. */
  rails: RailsState;
  /** Nodes found up while silent (their agents failed), by index. */
  agentsLost: number[];
  /** The routing table last reported (`updateRoutes`), if any. */
  routes?: number[];
  /** Announced changes, their nodes by index. */
  changes: Array<{ id: string; nodes: number[]; from: number; until: number; settled: boolean }>;
}

/** Checks the parts of `state` the loop reads itself (the analyzer and rails check theirs). */
export function checkLoopState(state: LoopState, nodes: number): LoopState {
  if (!state || typeof state !== 'object') throw new ArgumentError('state', 'expected an object');
  if (state.version !== LOOP_STATE_VERSION)
    throw new ArgumentError('state.version', `expected ${LOOP_STATE_VERSION}, got ${String(state.version)}`);
  if (state.now !== null) checkFinite('state.now', state.now);
  if (!Array.isArray(state.incidents)) throw new ArgumentError('state.incidents', 'expected an array');
  state.incidents.forEach((p, i) => checkProgress(p, `state.incidents[${i}]`));
  if (!Array.isArray(state.agentsLost)) throw new ArgumentError('state.agentsLost', 'expected an array');
  state.agentsLost.forEach((n, i) => checkInt(`state.agentsLost[${i}]`, n, 0, nodes - 1));
  if (state.routes !== undefined) {
    if (!Array.isArray(state.routes) || state.routes.length !== nodes)
      throw new ArgumentError('state.routes', `expected ${nodes} next hops`);
    state.routes.forEach((n, i) => checkInt(`state.routes[${i}]`, n, -1, nodes - 1));
  }
  if (!Array.isArray(state.changes)) throw new ArgumentError('state.changes', 'expected an array');
  state.changes.forEach((c, i) => {
    const at = `state.changes[${i}]`;
    if (!c || typeof c.id !== 'string' || !Array.isArray(c.nodes) || typeof c.settled !== 'boolean')
      throw new ArgumentError(at, 'expected { id, nodes, from, until, settled }');
    c.nodes.forEach((n, k) => checkInt(`${at}.nodes[${k}]`, n, 0, nodes - 1));
    checkFinite(`${at}.from`, c.from);
    checkFinite(`${at}.until`, c.until);
  });
  return state;
}

function checkProgress(p: SavedProgress, at: string): void {
  if (!p || typeof p !== 'object') throw new ArgumentError(at, 'expected an object');
  if (typeof p.id !== 'string' || p.id === '') throw new ArgumentError(`${at}.id`, 'expected an incident id');
  if (!PROGRESS.includes(p.progress) || p.progress === 'resolved')
    throw new ArgumentError(
      `${at}.progress`,
      `expected an open incident's progress, got ${String(p.progress)}`,
    );
  const record = p.record;
  if (!record || record.id !== p.id || !['open', 'escalated'].includes(record.status))
    throw new ArgumentError(`${at}.record`, `expected the open record of incident ${p.id}`);
  for (const key of ['nodes', 'metrics', 'rootCauses', 'citations'] as const)
    if (!Array.isArray(record[key])) throw new ArgumentError(`${at}.record.${key}`, 'expected an array');
  if (typeof record.signature !== 'string')
    throw new ArgumentError(`${at}.record.signature`, 'expected a string');
  checkFinite(`${at}.record.openedAt`, record.openedAt);
  checkInt(`${at}.evidenceTicks`, p.evidenceTicks, 0);
  checkInt(`${at}.attempts`, p.attempts, 0);
  if (!Array.isArray(p.tried) || !p.tried.every((key) => typeof key === 'string'))
    throw new ArgumentError(`${at}.tried`, 'expected an array of attempt keys');
  if (p.diagnosis !== undefined) checkDiagnosis(p.diagnosis, p.id, `${at}.diagnosis`);
  const inFlight = p.progress === 'acting' || p.progress === 'verifying';
  if (inFlight !== (p.flight !== undefined))
    throw new ArgumentError(`${at}.flight`, `expected an action under way exactly while acting or verifying`);
  if (p.flight) {
    if (p.diagnosis === undefined)
      throw new ArgumentError(`${at}.diagnosis`, 'expected the diagnosis its action was planned from');
    checkFlight(p.flight, p.id, `${at}.flight`);
  }
}

function checkDiagnosis(d: Diagnosis, incident: string, at: string): void {
  if (!d || typeof d !== 'object' || d.incidentId !== incident)
    throw new ArgumentError(at, `expected the diagnosis of incident ${incident}`);
  if (typeof d.signature !== 'string') throw new ArgumentError(`${at}.signature`, 'expected a string');
  checkFinite(`${at}.severity`, d.severity);
  for (const key of ['metrics', 'rootCauses', 'recommended'] as const)
    if (!Array.isArray(d[key])) throw new ArgumentError(`${at}.${key}`, 'expected an array');
  d.rootCauses.forEach((c, i) => checkTarget(c?.target, `${at}.rootCauses[${i}].target`));
}

function checkFlight(f: SavedFlight, incident: string, at: string): void {
  if (!f || typeof f !== 'object') throw new ArgumentError(at, 'expected an object');
  const { record, request, candidate } = f;
  if (
    !record ||
    typeof record.id !== 'string' ||
    record.incidentId !== incident ||
    record.outcome !== 'pending'
  )
    throw new ArgumentError(`${at}.record`, `expected the pending action record of incident ${incident}`);
  if (typeof record.action !== 'string') throw new ArgumentError(`${at}.record.action`, 'expected a string');
  checkTarget(record.target, `${at}.record.target`);
  checkFinite(`${at}.record.startedAt`, record.startedAt);
  if (!request || request.id !== record.id || request.action !== record.action)
    throw new ArgumentError(`${at}.request`, `expected the request of action ${record.id}`);
  checkTarget(request.target, `${at}.request.target`);
  if (!candidate || candidate.action !== record.action || !candidate.features)
    throw new ArgumentError(`${at}.candidate`, `expected the planner's candidate for ${record.action}`);
  checkTarget(candidate.target, `${at}.candidate.target`);
  if (f.result !== undefined && typeof f.result?.ok !== 'boolean')
    throw new ArgumentError(`${at}.result`, 'expected { ok, reason? }');
  if (f.doneAt !== undefined) checkFinite(`${at}.doneAt`, f.doneAt);
  if (f.recoveredAt !== undefined) checkFinite(`${at}.recoveredAt`, f.recoveredAt);
  if (f.verification !== undefined && typeof f.verification?.healthy !== 'boolean')
    throw new ArgumentError(`${at}.verification`, 'expected { healthy, reason? }');
}
