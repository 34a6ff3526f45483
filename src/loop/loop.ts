/**
 * The MAPE-K loop: Monitor -> Analyze -> Plan -> Execute over Knowledge, one tick at a time.
 * `tick(ts, batch)` ingests a batch of telemetry and advances every open incident one step:
 * announce and diagnose it once its evidence is confirmed, plan, act behind the safety rails,
 * verify from telemetry, then resolve, try the next candidate, or escalate. Nothing here blocks
 * on the knowledge store, and no failure of an executor or a store stops the loop.
 *
 * An incident is announced (opened) only once it has shown evidence on `confirmTicks` ticks: a
 * one-tick blip is noise, not an incident, and is dropped without a trace. An announced incident
 * whose likeliest cause is still unclear gathers a few more ticks of evidence before it is
 * diagnosed and acted on: a fault's picture fills in as it spreads. An escalated
 * incident is a human's from then on: it is frozen (takes in no new nodes, so a later fault
 * nearby opens its own incident) and closes once its telemetry is back to normal.
 */
import { Analyzer, type IncidentSummary } from '../analyze/analyzer.ts';
import type { MeshGraph } from '../analyze/graph.ts';
import type { TrackedIncident } from '../analyze/incidents.ts';
import { captureBand, recovered, type Band } from '../analyze/recovery.ts';
import { describeIncident, describeSeries, type Symptom } from '../analyze/symptoms.ts';
import type { ActionRequest, Executor, ExecutionResult } from '../execute/executor.ts';
import { SafetyRails, type RailOptions } from '../execute/rails.ts';
import { MemoryStore } from '../knowledge/memory-store.ts';
import type { ActionRecord, IncidentRecord } from '../knowledge/records.ts';
import type { KnowledgeStore } from '../knowledge/store.ts';
import { WriteQueue } from '../knowledge/write-queue.ts';
import { Monitor, type ColumnarBatch, type MetricSpec } from '../monitor/ingest.ts';
import type { Candidate, DecisionEngine, Diagnosis } from '../plan/decision.ts';
import type { AuditRecord, AuditSink, BatchScorer, DiagnosisContext, Diagnoser } from './contracts.ts';
import { LoopEvents, type LoopEvent } from './events.ts';

export interface LoopOptions {
  graph: MeshGraph;
  metrics: readonly MetricSpec[];
  /** Metrics that describe a node itself (cpu, memory, errors) rather than its network. */
  localMetrics: readonly string[];
  /** The harmful direction of metrics that have one (loss 'up', throughput 'down'); see `Analyzer`. */
  harmful?: Readonly<Record<string, 'up' | 'down'>>;
  /** Metrics that rise with demand (cpu, queue depth): alone they do not make a node anomalous. */
  loadMetrics?: readonly string[];
  /** The metric that counts loss through a node's next hop (packet loss): it blames neighbours. */
  lossMetric?: string;
  /** The metric of a node's links' quality: its fall next to loss blames a link. */
  linkMetric?: string;
  /** The throughput metric: its fall marks the next hop that lost a lossy node's traffic. */
  throughputMetric?: string;
  detector: BatchScorer;
  /** Detector score at or above which a series is anomalous. */
  threshold: number;
  planner: DecisionEngine;
  executor: Executor;
  store?: KnowledgeStore;
  diagnoser?: Diagnoser;
  audit?: AuditSink;
  rails?: RailOptions;
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
  /** Ticks after its announcement an unclear incident waits for evidence before it is diagnosed anyway (default 6). */
  evidenceTicks?: number;
  /** Actions tried per incident before escalating (default 3). */
  maxAttempts?: number;
  /** Ticks a healed node's anomalies are ignored while its metrics settle (default 15). */
  holdDownTicks?: number;
  /** Samples kept per series (default 256). */
  window?: number;
  /**
   * Ticks an incident may stay quiet without its telemetry returning to its baseline before it
   * is handed to a human and closed (default 600): the mesh has settled into a different state.
   */
  staleTicks?: number;
}

interface InFlight {
  record: ActionRecord;
  request: ActionRequest;
  candidate: Candidate;
  result?: ExecutionResult;
  doneAt?: number;
  /** First tick of the current run of recovered ticks. */
  recoveredAt?: number;
}

interface ActiveIncident {
  record: IncidentRecord;
  tracked: TrackedIncident;
  evidenceTicks: number;
  bands: Map<number, Band | null>;
  diagnosis?: Diagnosis;
  tried: Set<string>;
  attempts: number;
  flight?: InFlight;
  escalated: boolean;
  /** Whether its evidence was confirmed and it was announced (opened). */
  announced: boolean;
}

/** Running counts, for the CLI, the facade and readiness checks. */
export interface LoopStats {
  ticks: number;
  samplesAccepted: number;
  samplesRejected: number;
  incidentsOpened: number;
  incidentsResolved: number;
  incidentsEscalated: number;
  actionsStarted: number;
  actionsHealed: number;
  actionsFailed: number;
  storePending: number;
  storeFailures: number;
}

/** One MAPE-K loop over one mesh: feed it `tick(ts, batch)` once per second of telemetry. */
export class MapeKLoop {
  readonly events = new LoopEvents();
  readonly monitor: Monitor;
  readonly analyzer: Analyzer;
  readonly rails: SafetyRails;
  readonly store: KnowledgeStore;
  readonly #writes: WriteQueue;
  readonly #options: LoopOptions;
  readonly #scores: Float64Array;
  /** Per metric: +1 when only a rise is harmful, -1 when only a fall is, 0 when both are. */
  readonly #harm: Array<-1 | 0 | 1>;
  readonly #active = new Map<string, ActiveIncident>();
  readonly #stats = { ticks: 0, incidentsOpened: 0, incidentsResolved: 0, incidentsEscalated: 0, actionsStarted: 0, actionsHealed: 0, actionsFailed: 0 };
  #now = -Infinity;
  #nextAction = 1;

  constructor(options: LoopOptions) {
    this.#options = options;
    const metricNames = options.metrics.map((m) => m.name);
    this.monitor = new Monitor({ sources: options.graph.nodeIds, metrics: options.metrics, window: options.window });
    this.analyzer = new Analyzer({
      graph: options.graph,
      metrics: metricNames,
      localMetrics: options.localMetrics,
      threshold: options.threshold,
      harmful: options.harmful,
      loadMetrics: options.loadMetrics,
      lossMetric: options.lossMetric,
      linkMetric: options.linkMetric,
      throughputMetric: options.throughputMetric,
    });
    this.rails = new SafetyRails(options.rails);
    this.store = options.store ?? new MemoryStore();
    this.#writes = new WriteQueue(this.store, (error) =>
      this.#emit({ type: 'store-fault', ts: this.#now, error: (error as Error)?.message ?? String(error) }),
    );
    this.#scores = new Float64Array(this.monitor.seriesCount);
    this.#harm = metricNames.map((name) => (options.harmful?.[name] === 'up' ? 1 : options.harmful?.[name] === 'down' ? -1 : 0));
    this.monitor.onReject((rejection) => this.#emit({ type: 'sample-rejected', ts: this.#now, rejection }));
  }

  /** Incidents not yet resolved or escalated-and-quiet. */
  get openIncidents(): IncidentRecord[] {
    return [...this.#active.values()].map((a) => structuredClone(a.record));
  }

  stats(): LoopStats {
    return {
      ...this.#stats,
      samplesAccepted: this.monitor.stats.accepted,
      samplesRejected: this.monitor.stats.rejected,
      storePending: this.#writes.stats.pending,
      storeFailures: this.#writes.stats.failures,
    };
  }

  /** Runs one tick: ingest `batch` (if any), score, group, and advance every open incident. */
  async tick(ts: number, batch?: ColumnarBatch): Promise<void> {
    this.#now = ts;
    this.#stats.ticks++;
    this.monitor.beginTick();
    if (batch) this.monitor.ingestBatch(batch);
    await this.#options.detector.update(ts, this.monitor.latest, this.#scores);
    const { anomalies, opened } = this.analyzer.step(ts, this.monitor.latest, this.#scores);
    const names = this.#options.metrics;
    for (const a of anomalies) {
      const metrics = names.filter((_, j) => a.metricScores[j] > 0).map((m) => m.name);
      this.#emit({ type: 'anomaly', ts, node: this.#options.graph.nodeIds[a.node], score: a.score, metrics });
    }
    for (const tracked of opened) this.#open(tracked, ts);
    const healthy = 1 - anomalies.length / this.#options.graph.size;
    for (const incident of [...this.#active.values()]) await this.#advance(incident, ts, healthy);
  }

  /** Waits for queued knowledge writes (e.g. before shutdown). */
  flush(): Promise<void> {
    return this.#writes.flush();
  }

  /** Starts following a candidate incident; it is announced once confirmed (see `#announce`). */
  #open(tracked: TrackedIncident, ts: number): void {
    const record: IncidentRecord = {
      id: tracked.id,
      openedAt: ts,
      status: 'open',
      signature: '',
      nodes: [...tracked.nodes.keys()].map((n) => this.#options.graph.nodeIds[n]),
      metrics: [],
      rootCauses: [],
      citations: [],
    };
    this.#active.set(tracked.id, { record, tracked, evidenceTicks: 0, bands: new Map(), tried: new Set(), attempts: 0, escalated: false, announced: false });
  }

  #announce(incident: ActiveIncident, ts: number): void {
    incident.announced = true;
    incident.record.openedAt = ts;
    incident.record.nodes = [...incident.tracked.nodes.keys()].map((n) => this.#options.graph.nodeIds[n]);
    this.#stats.incidentsOpened++;
    this.#emit({ type: 'incident-opened', ts, incident: structuredClone(incident.record) });
    this.#persistIncident(incident.record);
  }

  async #advance(incident: ActiveIncident, ts: number, healthy: number): Promise<void> {
    // Merged into another incident by the tracker: the survivor carries on.
    if (!this.analyzer.tracker.open.has(incident.record.id)) {
      this.#active.delete(incident.record.id);
      return;
    }
    if (incident.tracked.lastActive === ts) incident.evidenceTicks++;
    const quiet = this.analyzer.tracker.isQuiet(incident.tracked, ts);
    if (!incident.announced) {
      if (incident.evidenceTicks >= (this.#options.confirmTicks ?? 2)) this.#announce(incident, ts);
      else {
        if (quiet) this.#drop(incident);
        return;
      }
    }
    this.#captureBands(incident);

    if (incident.flight) return this.#followAction(incident, ts);
    // Quiet and back to normal with nothing in flight: it passed on its own (or was a transient).
    // Quiet but still abnormal means the fault is still there.
    if (quiet && this.#recovered(incident, incident.tracked.lastActive)) {
      return this.#resolve(incident, ts, undefined);
    }
    if (ts - incident.tracked.lastActive >= (this.#options.staleTicks ?? 600)) {
      this.#escalate(incident, ts, 'quiet for a long time but not back to its baseline');
      return this.#resolve(incident, ts, undefined);
    }
    if (incident.escalated) return;
    if (!incident.diagnosis) {
      const summary = this.analyzer.summarize(incident.tracked);
      const unclear = (summary.rootCauses[0]?.score ?? 0) < (this.#options.confidence ?? 0.5);
      if (unclear && ts - incident.record.openedAt < (this.#options.evidenceTicks ?? 12)) return;
      await this.#diagnose(incident, ts, summary);
    }
    this.#act(incident, ts, healthy);
  }

  async #diagnose(incident: ActiveIncident, ts: number, summary: IncidentSummary): Promise<void> {
    Object.assign(incident.record, {
      nodes: summary.nodes,
      metrics: summary.metrics,
      rootCauses: summary.rootCauses.slice(0, 5),
    });
    let kind: string | undefined;
    let citations: string[] = [];
    let recommended: Diagnosis['recommended'] = [];
    let scope: Diagnosis['scope'];
    if (this.#options.diagnoser) {
      const result = await this.#options.diagnoser.diagnose(structuredClone(incident.record), this.#context(incident, summary));
      ({ kind, citations, recommended, scope } = result);
    }
    incident.record.diagnosedKind = kind;
    incident.record.citations = citations;
    incident.record.signature = signatureOf(kind, summary);
    incident.diagnosis = {
      incidentId: incident.record.id,
      signature: incident.record.signature,
      kind,
      scope,
      severity: summary.severity,
      metrics: summary.metrics,
      rootCauses: summary.rootCauses,
      recommended,
    };
    this.#emit({ type: 'diagnosis', ts, incident: structuredClone(incident.record) });
    this.#persistIncident(incident.record);
  }

  #act(incident: ActiveIncident, ts: number, healthy: number): void {
    const diagnosis = incident.diagnosis!;
    // Root causes sharpen as evidence accumulates: re-rank before each attempt.
    const summary = this.analyzer.summarize(incident.tracked);
    diagnosis.rootCauses = summary.rootCauses;
    diagnosis.severity = summary.severity;
    const plan = this.#options.planner.plan(diagnosis, incident.tried);
    const chosen = plan.chosen;
    if (!chosen) return this.#escalate(incident, ts, 'no candidate action left');
    const verdict = this.rails.check(incident.record.id, chosen.target, ts, healthy);
    if (!verdict.allowed) {
      if (verdict.reason === 'quorum') this.#escalate(incident, ts, `only ${(healthy * 100).toFixed(0)}% of nodes healthy`);
      return;
    }
    this.#emit({ type: 'plan', ts, plan });
    this.#audit({ type: 'plan', ts, incidentId: incident.record.id, detail: { action: chosen.action, target: chosen.target, score: chosen.score, explanation: chosen.explanation } });

    const record: ActionRecord = {
      id: `act-${this.#nextAction++}`,
      incidentId: incident.record.id,
      action: chosen.action,
      target: chosen.target,
      startedAt: ts,
      outcome: 'pending',
      score: chosen.score,
      explanation: chosen.explanation,
    };
    const request: ActionRequest = { id: record.id, incidentId: record.incidentId, action: record.action, target: record.target };
    const flight: InFlight = { record, request, candidate: chosen };
    incident.flight = flight;
    incident.attempts++;
    this.rails.started(incident.record.id, chosen.target, ts);
    this.#stats.actionsStarted++;
    this.#emit({ type: 'action-started', ts, action: { ...record } });
    this.#audit({ type: 'action', ts, incidentId: record.incidentId, detail: { id: record.id, action: record.action, target: record.target } });
    this.#writes.enqueue((s) => s.putAction({ ...record }));
    this.#options.executor.apply(request).then(
      (result) => (flight.result = result),
      (error) => (flight.result = { ok: false, reason: `executor threw: ${(error as Error)?.message ?? error}` }),
    );
  }

  #followAction(incident: ActiveIncident, ts: number): void {
    const flight = incident.flight!;
    if (!flight.result) return;
    if (!flight.result.ok) {
      this.#finishAction(incident, ts, 'failed', false);
      if (incident.attempts >= (this.#options.maxAttempts ?? 3)) this.#escalate(incident, ts, `${incident.attempts} actions failed or did not heal it`);
      return;
    }
    flight.doneAt ??= ts;
    const settle = this.#options.settleTicks ?? 2;
    const patience = this.#options.patienceTicks ?? 8;
    if (ts < flight.doneAt + settle) return;
    if (this.#recovered(incident, flight.doneAt, this.#nodesOf(flight.record.target))) flight.recoveredAt ??= ts;
    else flight.recoveredAt = undefined;
    if (flight.recoveredAt !== undefined && ts - flight.recoveredAt >= (this.#options.stableTicks ?? 10)) {
      this.#finishAction(incident, ts, 'healed', true);
      this.#resolve(incident, ts, flight);
    } else if (flight.recoveredAt === undefined && ts >= flight.doneAt + settle + patience) {
      this.#finishAction(incident, ts, 'not-healed', false);
      this.#rollback(flight, ts);
      if (incident.attempts >= (this.#options.maxAttempts ?? 3)) this.#escalate(incident, ts, `${incident.attempts} actions did not heal it`);
    }
  }

  #finishAction(incident: ActiveIncident, ts: number, outcome: ActionRecord['outcome'], healed: boolean): void {
    const flight = incident.flight!;
    incident.flight = undefined;
    flight.record.outcome = outcome;
    flight.record.finishedAt = ts;
    this.rails.finished(incident.record.id, ts, healed);
    incident.tried.add(`${flight.record.action}@${flight.record.target}`);
    if (outcome === 'failed') this.#stats.actionsFailed++;
    else {
      // Only a completed action says something about whether it fits this kind of incident.
      this.#options.planner.learn(incident.diagnosis!, flight.candidate, healed);
      const posterior = this.#options.planner.successRates.get(incident.record.signature, flight.record.action);
      this.#writes.enqueue((s) => s.putPosterior(posterior));
    }
    if (healed) this.#stats.actionsHealed++;
    // The evidence has grown since the last diagnosis: take a fresh look before the next attempt.
    else incident.diagnosis = undefined;
    this.#emit({ type: 'action-result', ts, action: { ...flight.record } });
    this.#audit({ type: 'result', ts, incidentId: incident.record.id, detail: { id: flight.record.id, outcome, reason: flight.result?.reason } });
    this.#writes.enqueue((s) => s.putAction({ ...flight.record }));
  }

  #rollback(flight: InFlight, ts: number): void {
    this.#audit({ type: 'rollback', ts, incidentId: flight.record.incidentId, detail: { id: flight.record.id, action: flight.record.action, target: flight.record.target } });
    this.#options.executor.rollback(flight.request).catch((error) =>
      this.#emit({ type: 'escalation', ts, incident: structuredClone(this.#active.get(flight.record.incidentId)!.record), reason: `rollback of ${flight.record.id} failed: ${(error as Error)?.message ?? error}` }),
    );
  }

  /** Forgets an unconfirmed candidate incident. */
  #drop(incident: ActiveIncident): void {
    this.#active.delete(incident.record.id);
    this.analyzer.tracker.close(incident.record.id);
  }

  #resolve(incident: ActiveIncident, ts: number, healedBy: InFlight | undefined): void {
    incident.record.status = incident.escalated ? 'escalated' : 'resolved';
    incident.record.closedAt = ts;
    this.#active.delete(incident.record.id);
    this.analyzer.tracker.close(incident.record.id);
    this.rails.forget(incident.record.id);
    // The incident's nodes settle after the fix; a remedy that moved traffic (a reroute, a
    // quarantine) also gives the nodes around its target a new normal: all of them re-learn it.
    const settling = new Set(incident.tracked.nodes.keys());
    if (healedBy) for (const node of this.#nodesOf(healedBy.record.target)) for (const n of this.#options.graph.around(node, 2)) settling.add(n);
    const holdDown = this.#options.holdDownTicks ?? 15;
    for (const node of settling) this.analyzer.holdDown(node, ts + holdDown);
    if (!incident.escalated) this.#stats.incidentsResolved++;
    this.#emit({ type: 'incident-resolved', ts, incident: structuredClone(incident.record) });
    this.#audit({ type: 'resolution', ts, incidentId: incident.record.id, detail: { status: incident.record.status, healedBy: healedBy?.record.id } });
    this.#persistIncident(incident.record);
    const learn = this.#options.diagnoser?.learn;
    if (learn) {
      const by = healedBy ? { action: healedBy.record.action, target: healedBy.record.target } : undefined;
      Promise.resolve(learn.call(this.#options.diagnoser, structuredClone(incident.record), by)).catch((error) =>
        this.#emit({ type: 'store-fault', ts, error: `diagnoser.learn: ${(error as Error)?.message ?? error}` }),
      );
    }
  }

  #escalate(incident: ActiveIncident, ts: number, reason: string): void {
    if (incident.escalated) return;
    incident.escalated = true;
    incident.record.status = 'escalated';
    this.#stats.incidentsEscalated++;
    this.analyzer.tracker.freeze(incident.record.id);
    this.#emit({ type: 'escalation', ts, incident: structuredClone(incident.record), reason });
    this.#audit({ type: 'escalation', ts, incidentId: incident.record.id, detail: { reason } });
    this.#persistIncident(incident.record);
  }

  /** Symptoms of the incident in operator terms, for the diagnoser. */
  #context(incident: ActiveIncident, summary: IncidentSummary): DiagnosisContext {
    const m = this.#options.metrics.length;
    const cause = summary.rootCauses[0]?.target;
    const causeNodes = cause ? this.#nodesOf(cause) : new Set<number>();
    const symptoms: Symptom[] = [];
    // Every metric of the suspect, not only those that turned anomalous: at the start of an
    // incident the telling ones (a traffic surge, a fall in throughput) may still be in range
    // of the detector but already away from their baseline.
    const series = new Map(incident.bands);
    for (const node of causeNodes) {
      const evidence = incident.tracked.nodes.get(node);
      for (let j = 0; evidence && j < m; j++) {
        const s = node * m + j;
        if (!series.has(s)) series.set(s, captureBand(this.monitor.windows, s, evidence.onset) ?? null);
      }
    }
    for (const [s, band] of series) {
      const node = Math.floor(s / m);
      const evidence = incident.tracked.nodes.get(node);
      if (!band || !evidence) continue;
      const shape = describeSeries(this.monitor.windows, s, band, evidence.onset);
      if (!shape) continue;
      symptoms.push({ node: this.#options.graph.nodeIds[node], metric: this.#options.metrics[s % m].name, atCause: causeNodes.has(node), ...shape });
    }
    const description = describeIncident(symptoms, summary.silentNodes, summary.nodes.length, !!cause?.includes('-'));
    return { ...summary, symptoms, description };
  }

  /** Captures the normal band of each anomalous series when it first joins the incident. */
  #captureBands(incident: ActiveIncident): void {
    const m = this.#options.metrics.length;
    for (const evidence of incident.tracked.nodes.values()) {
      for (let j = 0; j < m; j++) {
        const s = evidence.node * m + j;
        if (evidence.metricScore[j] > 0 && !incident.bands.has(s)) {
          incident.bands.set(s, captureBand(this.monitor.windows, s, evidence.onset) ?? null);
        }
      }
    }
  }

  /**
   * Whether the incident's telemetry has recovered since `since`: every silent node reports
   * again, and most anomalous series of the `focus` nodes (default: all of the incident's) are
   * back to normal; only when no series has a baseline to judge by, the focus nodes must have
   * been free of anomalies for a few ticks.
   */
  #recovered(incident: ActiveIncident, since: number, focus?: ReadonlySet<number>): boolean {
    for (const node of incident.tracked.nodes.keys()) if (this.analyzer.isSilent(node)) return false;
    const m = this.#options.metrics.length;
    let judged = 0;
    let ok = 0;
    for (const [s, band] of incident.bands) {
      const node = Math.floor(s / m);
      const evidence = incident.tracked.nodes.get(node);
      if (!band || !evidence || (focus && !focus.has(node))) continue;
      judged++;
      if (recovered(this.monitor.windows, s, band, evidence.onset, since, this.#harm[s % m])) ok++;
    }
    if (judged > 0) return ok / judged >= 0.8;
    const quietSince = Math.max(since, ...[...incident.tracked.nodes.values()].filter((e) => !focus || focus.has(e.node)).map((e) => e.lastSeen));
    return this.#now - quietSince >= QUIET_TICKS;
  }

  /** Node indices of a target: the node, or both ends of a link "a-b". */
  #nodesOf(target: string): Set<number> {
    const graph = this.#options.graph;
    const ids = target.includes('-') ? target.split('-') : [target];
    return new Set(ids.map((id) => graph.indexOf(id, 'target')));
  }

  #persistIncident(record: IncidentRecord): void {
    const copy = structuredClone(record);
    this.#writes.enqueue((s) => s.putIncident(copy));
  }

  #audit(entry: AuditRecord): void {
    const sink = this.#options.audit;
    if (!sink) return;
    Promise.resolve()
      .then(() => sink.record(entry))
      .catch((error) => this.#emit({ type: 'store-fault', ts: entry.ts, error: `audit: ${(error as Error)?.message ?? error}` }));
  }

  #emit(event: LoopEvent): void {
    this.events.emit(event);
  }
}

/** Ticks without an anomaly that count as recovered when no series has a baseline. */
const QUIET_TICKS = 5;

/**
 * Signature = diagnosed kind, and whether nodes went silent: what success rates are learned per.
 * Coarse on purpose: finer keys (say, the strongest metrics) split the few outcomes of a kind
 * over many keys, and the engine would learn almost nothing from each.
 */
function signatureOf(kind: string | undefined, summary: IncidentSummary): string {
  return `${kind ?? 'unknown'}${summary.silentNodes.length ? '|silent' : ''}`;
}
