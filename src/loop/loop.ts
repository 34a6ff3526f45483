/**
 * The MAPE-K loop: Monitor -> Analyze -> Plan -> Execute over Knowledge, one tick at a time.
 * `tick(ts, batch)` ingests a batch of telemetry and advances every open incident one step:
 * announce and diagnose it once its evidence is confirmed, plan, act behind the safety rails,
 * verify from telemetry, then resolve, try the next candidate, or escalate. Nothing here blocks
 * on the knowledge store, and no failure of an executor or a store stops the loop.
 *
 * An incident's progress is one explicit state (see IncidentProgress):
 *
 *   candidate --confirmed--> announced --action started--> acting --completed--> verifying
 *   verifying --healed--> resolved;  acting or verifying --failed or not healed--> announced
 *   announced --passed on its own--> resolved;  any open state --> escalated --back to normal--> closed
 *
 * A candidate becomes announced (opened) only once it has shown evidence on `confirmTicks`
 * ticks: a one-tick blip is noise, not an incident, and is dropped without a trace. An announced
 * incident whose likeliest cause is still unclear gathers a few more ticks of evidence before it
 * is diagnosed and acted on: a fault's picture fills in as it spreads. An escalated incident is a
 * human's from then on: it is frozen (takes in no new nodes, so a later fault nearby opens its
 * own incident) and closes once its telemetry is back to normal.
 *
 * The analyzer holds the open incidents; the loop keeps its progress on the same objects.
 *
 * An action that did not heal is rolled back; the executor's answer is recorded (the action
 * becomes 'rolled-back', or a failed rollback is reported) whenever it comes, whether or not its
 * incident is still open. An irreversible action (a restart, a failover: `ActionSpec.irreversible`)
 * has nothing to undo: it stays 'not-healed', and its result's audit entry says it was not rolled
 * back because it cannot be. In dry-run mode (`dryRun`) the loop plans and records what it would do
 * through `executor.dryRun`, applies nothing, and hands each incident to a human.
 *
 * Audit before action: entries reach the audit sink in the order the loop decides them. An
 * action's (or a rollback's) executor is called only once the sink has recorded its intent, and
 * the knowledge store learns of the action after that, and of its outcome after the result is
 * recorded: the store never holds what the log does not. The intents of a tick are recorded
 * together and the tick ends once their executors are called, so a slow sink delays a tick that
 * acts by one record, whatever the number of actions, and an action's timing never depends on
 * the log's latency. Without a sink, executors are called at once. An action whose intent the sink
 * refuses is not taken: an engine that cannot account for an action does not act, and the
 * incident goes to a human at once (a retry would act later on a trail that just failed).
 *
 * Planned changes (a deploy, a maintenance, a traffic shift) are announced with
 * `announceChange`: while one is under way, and for CHANGE_GRACE_TICKS after it, the loop takes
 * no action on its nodes, the nodes on their routes to a gateway (where its traffic goes) or
 * their links. An incident whose likeliest cause is such a node is the change's doing and goes
 * to the operator making it (escalated, so it is frozen and faults nearby open their own); one
 * whose other causes are is planned without them. When a change ends, its nodes re-learn their
 * normal for a while. An
 * incident whose likeliest cause is a node that stopped reporting goes to a human when the
 * executor finds the node up (`Executor.reachable`): its agent failed, not the node.
 */
import { Analyzer, type IncidentSummary, type NormalRanges } from '../analyze/analyzer.ts';
import { signatureOf } from '../analyze/evidence.ts';
import type { TrackedIncident } from '../analyze/incidents.ts';
import { printTarget } from '../domain/targets.ts';
import type { Target } from '../domain/targets.ts';
import { ArgumentError, DimensionError, LoopClosedError } from '../errors.ts';
import type { ActionRequest, ExecutionResult } from '../execute/executor.ts';
import { SafetyRails } from '../execute/rails.ts';
import { IdSource } from '../knowledge/ids.ts';
import { MemoryStore } from '../knowledge/memory-store.ts';
import type { ActionRecord, IncidentRecord } from '../knowledge/records.ts';
import type { KnowledgeStore } from '../knowledge/store.ts';
import { WriteQueue } from '../knowledge/write-queue.ts';
import { type ColumnarBatch, Monitor, type Sample, type TickFeed } from '../monitor/ingest.ts';
import type { ActionSpec } from '../plan/actions.ts';
import { attemptKey, type Candidate, type Diagnosis, type Plan } from '../plan/decision.ts';
import type { AuditRecord } from './contracts.ts';
import { type LoopEventOf, LoopEvents, type LoopEventType } from './events.ts';
import { LOOP_DEFAULTS, type LoopOptions, type LoopStats } from './options.ts';
import {
  checkLoopState,
  type IncidentProgress,
  LOOP_STATE_VERSION,
  type LoopState,
  type SavedFlight,
  type SavedProgress,
} from './state.ts';

export type { LoopOptions, LoopStats } from './options.ts';

export type { IncidentProgress, LoopState } from './state.ts';

/**
 * A planned change announced to the loop (`MapeKLoop.announceChange`): work on `nodes` from tick
 * `from` until (before) tick `until`.
 */
export interface AnnouncedChange {
  /** The operator's name for the change, e.g. a change ticket. */
  readonly id: string;
  /** The nodes it works on (ids of the loop's graph). */
  readonly nodes: readonly string[];
  /** First tick of the change. */
  readonly from: number;
  /** First tick after it. */
  readonly until: number;
}

/** Ticks after an announced change during which its nodes are still left alone, while they settle. */
export const CHANGE_GRACE_TICKS = 60;

/** The action an incident is acting on or verifying. */
interface InFlight {
  record: ActionRecord;
  request: ActionRequest;
  candidate: Candidate;
  result?: ExecutionResult;
  doneAt?: number;
  /** The executor's own verification (`Executor.verify`), once asked: pending until `healthy` is set. */
  verification?: { healthy?: boolean; reason?: string };
  /** First tick of the current run of recovered ticks. */
  recoveredAt?: number;
}

/** What the audit sink said to a record: undefined once it is recorded, else why it is not. */
type Recording = Promise<string | undefined>;

/** An executor call waiting for its intent to be recorded, and what to do once the sink answers. */
interface Gated {
  recorded: Recording;
  proceed(refusal: string | undefined): void;
}

/** An open incident: the analyzer's evidence and the loop's progress on it, one object. */
interface Incident extends TrackedIncident {
  progress: IncidentProgress;
  record: IncidentRecord;
  /** Ticks on which it showed evidence. */
  evidenceTicks: number;
  diagnosis?: Diagnosis;
  /** `attemptKey`s of the actions tried on it. */
  tried: Set<string>;
  attempts: number;
  /** While acting or verifying. */
  flight?: InFlight;
}

/** One MAPE-K loop over one mesh: feed it `tick(ts, batch)` once per second of telemetry. */
export class MapeKLoop {
  /** What the loop saw and did, as events. */
  readonly events: LoopEvents;
  /** The Monitor stage: validated ingest and per-series windows. */
  readonly monitor: Monitor;
  /** The safety rails every action passes. */
  readonly rails: SafetyRails;
  /** Where knowledge is kept (`LoopOptions.store`). */
  readonly store: KnowledgeStore;
  readonly #analyzer: Analyzer<Incident>;
  readonly #writes: WriteQueue;
  readonly #options: LoopOptions;
  readonly #ids: IdSource;
  readonly #actions: ReadonlyMap<string, ActionSpec>;
  readonly #scores: Float64Array<ArrayBuffer>;
  readonly #stats = {
    ticks: 0,
    incidentsOpened: 0,
    incidentsResolved: 0,
    incidentsEscalated: 0,
    actionsStarted: 0,
    actionsHealed: 0,
    actionsFailed: 0,
    actionsRolledBack: 0,
    rollbacksFailed: 0,
    actionsNotTaken: 0,
    auditFailures: 0,
  };
  /** Rollbacks the executor has not answered yet (`close` waits for them). */
  readonly #rollbacks = new Set<Promise<void>>();
  /** This tick's executor calls, in the order decided, each waiting for its intent's record. */
  readonly #gated: Gated[] = [];
  /** Store writes waiting for their audit records, chained so they reach the store in the log's order. */
  #audited: Promise<void> = Promise.resolve();
  /** Nodes found up while silent (their agents failed), until they report again. */
  readonly #agentsLost = new Set<number>();
  /** Announced changes, with their nodes' indices. */
  readonly #changes: Array<{
    id: string;
    nodes: Set<number>;
    from: number;
    until: number;
    settled: boolean;
  }> = [];
  /** The mesh's next hops as last reported (`updateRoutes`), to follow a change's traffic. */
  #nextHop?: Int32Array;
  #ticking: Promise<void> | undefined;
  #closing: Promise<void> | undefined;
  #now = -Infinity;

  /**
   * A loop over `options.graph`, its stages built from `options`; throws an `ArgumentError` (or
   * `DimensionError`) naming an option that does not fit.
   */
  constructor(options: LoopOptions) {
    this.#options = options;
    this.#ids = options.ids ?? new IdSource();
    this.events = new LoopEvents({ capacity: options.eventCapacity });
    this.monitor = new Monitor({
      sources: options.graph.nodeIds,
      metrics: options.metrics,
      window: options.window ?? LOOP_DEFAULTS.window,
      time: options.time,
    });
    if (options.detector?.size !== this.monitor.seriesCount)
      throw new DimensionError(
        'options.detector',
        `scores ${options.detector?.size} series; the loop has ${this.monitor.seriesCount} (nodes x metrics)`,
      );
    const { localMetrics, harmful, loadMetrics, demandMetrics, lossMetric, linkMetric, throughputMetric } =
      options;
    this.#analyzer = new Analyzer(
      {
        graph: options.graph,
        windows: this.monitor.windows,
        metrics: options.metrics.map((m) => m.name),
        threshold: options.threshold,
        holdDownTicks: options.holdDownTicks ?? LOOP_DEFAULTS.holdDownTicks,
        localMetrics,
        harmful,
        loadMetrics,
        demandMetrics,
        lossMetric,
        linkMetric,
        throughputMetric,
        ids: this.#ids,
      },
      (tracked) => this.#follow(tracked),
    );
    this.#actions = new Map(options.planner.actions.map((a) => [a.name, a]));
    this.rails = new SafetyRails(options.rails);
    this.store = options.store ?? new MemoryStore();
    this.#writes = new WriteQueue(this.store, (error) =>
      this.events.emit({
        type: 'store-fault',
        ts: this.#now,
        error: messageOf(error),
      }),
    );
    this.#scores = new Float64Array(this.monitor.seriesCount);
    this.monitor.onReject((rejection) =>
      this.events.emit({ type: 'sample-rejected', ts: this.#now, rejection }),
    );
  }

  /** Incidents not yet resolved or escalated-and-quiet. */
  get openIncidents(): IncidentRecord[] {
    return [...this.#analyzer.incidents()].map((incident) => structuredClone(incident.record));
  }

  /** Running counts since the loop started. */
  stats(): LoopStats {
    return {
      ...this.#stats,
      samplesAccepted: this.monitor.stats.accepted,
      samplesRejected: this.monitor.stats.rejected,
      storePending: this.#writes.stats.pending,
      storeFailures: this.#writes.stats.failures,
      eventsDropped: this.events.dropped,
    };
  }

  /** Calls `listener` with each event of `type`, narrowed to that type; returns a function that unsubscribes. */
  on<K extends LoopEventType>(type: K, listener: (event: LoopEventOf<K>) => void): () => void {
    return this.events.on(type, listener);
  }

  /**
   * Runs one tick: ingest `batch` (if any: a columnar batch, samples each with its own time, as
   * a TickAssembler groups an operator's telemetry, or a TickFeed that ingests them itself, and
   * is awaited), score, group, and advance every open incident. A tick whose time the Monitor
   * refuses (`Monitor.admitTick`: non-finite, not after the last tick, or beyond the horizon) is
   * counted there, batch and all, and goes no further. Rejects with LoopClosedError once the
   * loop is closed.
   */
  tick(ts: number, batch?: ColumnarBatch | readonly Sample[] | TickFeed): Promise<void> {
    if (this.#closing)
      return Promise.reject(new LoopClosedError('the loop is closed; it takes no more ticks'));
    this.#ticking = this.#tick(ts, batch);
    return this.#ticking;
  }

  /**
   * Stops the loop: waits for the tick in progress, for the rollbacks the executor is carrying
   * out and for the queued knowledge writes; ends every `loop.events` iterator once it has read
   * what it holds (so `for await` over them finishes); and closes the detector, releasing its
   * workers. The audit sink stays open: its owner closes it. Calling it again waits for the same.
   */
  close(): Promise<void> {
    this.#closing ??= this.#shutDown();
    return this.#closing;
  }

  async #shutDown(): Promise<void> {
    await Promise.allSettled([this.#ticking]);
    await Promise.allSettled([...this.#rollbacks]);
    await this.flush();
    this.events.close();
    await this.#options.detector.close?.();
  }

  async #tick(ts: number, batch?: ColumnarBatch | readonly Sample[] | TickFeed): Promise<void> {
    if (!this.monitor.admitTick(ts, batch)) return;
    this.#now = ts;
    this.#stats.ticks++;
    this.monitor.beginTick();
    if (Array.isArray(batch)) for (const sample of batch) this.monitor.ingest(sample);
    else if (typeof (batch as TickFeed | undefined)?.feed === 'function')
      await (batch as TickFeed).feed(this.monitor);
    else if (batch) this.monitor.ingestBatch(batch as ColumnarBatch);
    await this.#options.detector.update(ts, this.monitor.latest, this.#scores);
    const { anomalies } = this.#analyzer.step(ts, this.monitor.latest, this.#scores);
    if (this.#changes.length > 0) this.#settleChanges(ts);
    // An agent that reports again after an outage sends values its normal range has not followed: settle.
    for (const node of this.#agentsLost) {
      if (this.#analyzer.isSilent(node)) continue;
      this.#agentsLost.delete(node);
      this.#analyzer.holdDown(node, ts + (this.#options.holdDownTicks ?? LOOP_DEFAULTS.holdDownTicks));
    }
    const names = this.#options.metrics;
    for (const a of anomalies) {
      const metrics = names.filter((_, j) => a.metricScores[j] > 0).map((m) => m.name);
      this.events.emit({
        type: 'anomaly',
        ts,
        node: this.#options.graph.nodeIds[a.node],
        score: a.score,
        metrics,
      });
    }
    const healthy = 1 - anomalies.length / this.#options.graph.size;
    try {
      for (const incident of [...this.#analyzer.incidents()]) await this.#advance(incident, ts, healthy);
    } finally {
      // The intents were all handed to the sink above, so this waits about one record, not one per action.
      for (const { recorded, proceed } of this.#gated.splice(0)) proceed(await recorded);
    }
  }

  /**
   * Takes the mesh's routing table (`nextHop[i]`: the node index node i forwards through, -1 at
   * a gateway), as node agents report it; call it whenever routes change. The loop keeps its own
   * copy (the graph it was given is left as it is). Moved traffic changes the load on the old and
   * the new path of every node whose route changed, and what the nodes forwarding into those
   * paths see, so those nodes re-learn their normal for a while instead of raising alarms (a
   * lapsing reroute would otherwise look like a fault each time).
   */
  updateRoutes(nextHop: ArrayLike<number>): void {
    this.#analyzer.updateRoutes(nextHop, this.#now);
    this.#nextHop = Int32Array.from(nextHop);
  }

  /**
   * A copy of Analyze's learnt normal range of every series (its alarm gate), to save with the
   * detector's state and restore on the next start with {@link restoreNormalRanges}.
   */
  normalRanges(): NormalRanges {
    return this.#analyzer.normalRanges();
  }

  /**
   * Continues from normal ranges saved by an earlier loop over as many series (before the first
   * tick): a restored detector's alarms are then judged at once, not let through while the ranges
   * are learnt. DimensionError or ArgumentError when they do not fit.
   */
  restoreNormalRanges(ranges: NormalRanges): void {
    this.#analyzer.restoreNormalRanges(ranges);
  }

  /**
   * Announces a planned change: from `change.from` until `change.until` plus CHANGE_GRACE_TICKS,
   * the loop takes no action on its nodes or on links that touch them (see the module comment).
   * Announce before the change starts. ArgumentError naming what is wrong: an unknown node,
   * times that are not finite or end before they start.
   */
  announceChange(change: AnnouncedChange): void {
    if (change === null || typeof change !== 'object') throw new ArgumentError('change', 'must be an object');
    if (!Array.isArray(change.nodes) || change.nodes.length === 0)
      throw new ArgumentError('change.nodes', 'must be a non-empty array of node ids');
    const ids = this.#options.graph.nodeIds;
    const nodes = new Set<number>();
    for (const node of change.nodes) {
      const i = ids.indexOf(node);
      if (i < 0) throw new ArgumentError('change.nodes', `unknown node ${JSON.stringify(node)}`);
      nodes.add(i);
    }
    if (!Number.isFinite(change.from) || !Number.isFinite(change.until) || change.until < change.from)
      throw new ArgumentError('change.until', 'from and until must be finite, until >= from');
    this.#changes.push({
      id: String(change.id),
      nodes,
      from: change.from,
      until: change.until,
      settled: false,
    });
  }

  /**
   * The announced change `target` is under at `ts`, if any: the target is one of its nodes, a
   * neighbour of one (whose links to it go dark while it is down), on the route from one of them
   * to its gateway (where its traffic goes or stops coming from), or a link touching such a node.
   */
  #changeOf(target: Target, ts: number): { id: string } | undefined {
    if (this.#changes.length === 0) return undefined;
    const ids = this.#options.graph.nodeIds;
    const ends = (target.node !== undefined ? [target.node] : target.link).map((id) => ids.indexOf(id));
    return this.#changes.find(
      (c) =>
        c.from <= ts && ts < c.until + CHANGE_GRACE_TICKS && ends.some((i) => this.#routeOf(c.nodes).has(i)),
    );
  }

  /** `nodes`, their neighbours and every node on their routes to a gateway. */
  #routeOf(nodes: ReadonlySet<number>): Set<number> {
    const out = new Set(nodes);
    for (const node of nodes) for (const j of this.#options.graph.neighbors(node)) out.add(j);
    const hops = this.#nextHop;
    if (!hops) return out;
    for (const node of nodes)
      for (let hop = hops[node], guard = 0; hop >= 0 && guard < hops.length; hop = hops[hop], guard++)
        out.add(hop);
    return out;
  }

  /** Lets the nodes of announced changes that have ended settle into their normal again. */
  #settleChanges(ts: number): void {
    for (const change of this.#changes) {
      if (change.settled || ts < change.until) continue;
      change.settled = true;
      const until = ts + (this.#options.holdDownTicks ?? LOOP_DEFAULTS.holdDownTicks);
      for (const node of this.#routeOf(change.nodes)) this.#analyzer.holdDown(node, until);
    }
  }

  /**
   * The loop's state as plain JSON (see state.ts): the open incidents with their evidence and
   * progress (an action under way included), the analyzer's, the rails', the routes and the
   * announced changes. What it learnt (detector, normal ranges, planner) is saved apart. Take it
   * between ticks; another loop over the same mesh and metrics goes on from it with {@link restore}.
   */
  save(): LoopState {
    const state: LoopState = {
      version: LOOP_STATE_VERSION,
      now: Number.isFinite(this.#now) ? this.#now : null,
      analyzer: this.#analyzer.save(),
      incidents: [...this.#analyzer.incidents()].map((incident) => this.#saveProgress(incident)),
      rails: this.rails.save(),
      agentsLost: [...this.#agentsLost],
      ...(this.#nextHop ? { routes: Array.from(this.#nextHop) } : {}),
      changes: this.#changes.map((c) => ({ ...c, nodes: [...c.nodes] })),
    };
    // Plain JSON: a copy that shares nothing with the live incidents, as it would arrive by wire.
    return JSON.parse(JSON.stringify(state)) as LoopState;
  }

  /**
   * Goes on from `state`, a {@link save} of a loop over the same mesh and metrics (another
   * engine's, that stopped or died), before the first tick: its open incidents continue here
   * under their ids, at the progress they had. An action that was under way whose executor's
   * answer went to the saving loop counts as completed at the next tick and is judged from
   * telemetry (and the executor's `verify`, if it has one), as any completed action is: healed, or
   * rolled back and the next candidate tried. Throws an ArgumentError (a DimensionError for an
   * array of the wrong length) naming the first field that does not fit, before taking anything.
   */
  restore(state: LoopState): void {
    if (this.#stats.ticks > 0 || this.#closing)
      throw new ArgumentError('state', 'a loop takes a saved state only before its first tick');
    const nodes = this.#options.graph.size;
    checkLoopState(state, nodes);
    const progress = new Map(state.incidents.map((p) => [p.id, p]));
    const evidence = Array.isArray(state.analyzer?.incidents) ? state.analyzer.incidents : [];
    if (progress.size !== state.incidents.length || evidence.some((e) => !progress.has(e?.id)))
      throw new ArgumentError(
        'state.incidents',
        "expected one progress per incident of the analyzer's, once each",
      );
    if (evidence.length !== progress.size)
      throw new ArgumentError(
        'state.incidents',
        `holds ${progress.size} incidents; the analyzer ${evidence.length}`,
      );
    // Checked on copies first, so that a state refused changes nothing.
    new SafetyRails(this.rails.options).restore(state.rails);
    if (state.routes) this.#options.graph.copy().setRoutes(state.routes);
    this.#analyzer.restore(state.analyzer, (tracked) => this.#revive(tracked, progress.get(tracked.id)!));
    this.rails.restore(state.rails);
    this.#now = state.now ?? -Infinity;
    if (state.routes) this.updateRoutes(state.routes);
    this.#agentsLost.clear();
    for (const node of state.agentsLost) this.#agentsLost.add(node);
    this.#changes.splice(
      0,
      this.#changes.length,
      ...state.changes.map((c) => ({ ...c, nodes: new Set(c.nodes) })),
    );
  }

  #saveProgress(incident: Incident): SavedProgress {
    const flight = incident.flight;
    return {
      id: incident.id,
      progress: incident.progress,
      record: incident.record,
      evidenceTicks: incident.evidenceTicks,
      ...(incident.diagnosis ? { diagnosis: incident.diagnosis } : {}),
      tried: [...incident.tried],
      attempts: incident.attempts,
      ...(flight
        ? {
            flight: {
              record: flight.record,
              request: flight.request,
              candidate: flight.candidate,
              ...(flight.result ? { result: flight.result } : {}),
              ...(flight.doneAt !== undefined ? { doneAt: flight.doneAt } : {}),
              ...(flight.recoveredAt !== undefined ? { recoveredAt: flight.recoveredAt } : {}),
              // A verification not answered yet is asked again by whoever goes on.
              ...(flight.verification?.healthy !== undefined
                ? { verification: flight.verification as Required<SavedFlight>['verification'] }
                : {}),
            },
          }
        : {}),
    };
  }

  /** Makes a restored incident the loop's again, at its saved progress (see {@link restore}). */
  #revive(tracked: TrackedIncident, saved: SavedProgress): Incident {
    const incident: Incident = Object.assign(tracked, {
      progress: saved.progress,
      record: saved.record,
      evidenceTicks: saved.evidenceTicks,
      tried: new Set(saved.tried),
      attempts: saved.attempts,
      ...(saved.diagnosis ? { diagnosis: saved.diagnosis } : {}),
    });
    const flight = saved.flight;
    if (flight)
      incident.flight = {
        ...flight,
        result: flight.result ?? {
          ok: true,
          reason: 'its executor answered the loop that started it; judged from telemetry',
        },
      };
    return incident;
  }

  /** Waits for queued knowledge writes, those waiting for their audit records included (e.g. before shutdown). */
  async flush(): Promise<void> {
    let waited: Promise<void>;
    do await (waited = this.#audited);
    while (waited !== this.#audited);
    await this.#writes.flush();
  }

  /** Makes a new tracked incident one of the loop's: a candidate, announced once confirmed. */
  #follow(tracked: TrackedIncident): Incident {
    const record: IncidentRecord = {
      id: tracked.id,
      openedAt: this.#now,
      status: 'open',
      signature: '',
      nodes: this.#nodeIds(tracked),
      metrics: [],
      rootCauses: [],
      citations: [],
    };
    return Object.assign(tracked, {
      progress: 'candidate' as IncidentProgress,
      record,
      evidenceTicks: 0,
      tried: new Set<string>(),
      attempts: 0,
    });
  }

  #nodeIds(incident: TrackedIncident): string[] {
    return [...incident.nodes.keys()].map((n) => this.#options.graph.nodeIds[n]);
  }

  #announce(incident: Incident, ts: number): void {
    incident.progress = 'announced';
    this.#analyzer.confirm(incident);
    incident.record.openedAt = ts;
    incident.record.nodes = this.#nodeIds(incident);
    this.#stats.incidentsOpened++;
    this.events.emit({ type: 'incident-opened', ts, incident: structuredClone(incident.record) });
    this.#persistIncident(incident.record);
  }

  async #advance(incident: Incident, ts: number, healthy: number): Promise<void> {
    if (incident.lastActive === ts) incident.evidenceTicks++;
    const quiet = this.#analyzer.isQuiet(incident, ts);
    if (incident.progress === 'candidate') {
      if (incident.evidenceTicks < (this.#options.confirmTicks ?? LOOP_DEFAULTS.confirmTicks)) {
        if (quiet) this.#analyzer.drop(incident);
        return;
      }
      this.#announce(incident, ts);
    }
    if (incident.progress === 'acting' || incident.progress === 'verifying')
      return this.#followAction(incident, ts);
    // Quiet and back to normal with nothing in flight: it passed on its own (or was a transient).
    // Quiet but still abnormal means the fault is still there.
    if (quiet && this.#analyzer.hasRecovered(incident, incident.lastActive, ts)) {
      return this.#close(incident, ts, undefined);
    }
    if (ts - incident.lastActive >= (this.#options.staleTicks ?? LOOP_DEFAULTS.staleTicks)) {
      this.#escalate(incident, ts, 'quiet for a long time but not back to its baseline');
      return this.#close(incident, ts, undefined);
    }
    if (incident.progress === 'escalated') return;
    // One summary per decision: whether the cause is clear enough, the diagnosis, the plan.
    const summary = this.#analyzer.summarize(incident);
    if (!incident.diagnosis) {
      const unclear = summary.confidence < (this.#options.confidence ?? LOOP_DEFAULTS.confidence);
      const waited = ts - incident.record.openedAt;
      if (unclear && waited < (this.#options.evidenceTicks ?? LOOP_DEFAULTS.evidenceTicks)) return;
      await this.#diagnose(incident, ts, summary);
    }
    const agentLost = await this.#silentButUp(summary);
    if (agentLost !== undefined)
      return this.#escalate(
        incident,
        ts,
        `${agentLost} stopped reporting but answers: its agent failed, not the node`,
      );
    return this.#act(incident, ts, healthy, summary);
  }

  /**
   * The likeliest cause when it is a node that went silent but answers the executor's
   * reachability check: its agent stopped reporting, the node did not crash, and acting on it
   * would act on a healthy node. Such an incident is a human's (a monitoring ticket), and once
   * escalated it is frozen, so faults nearby open their own incidents.
   */
  async #silentButUp(summary: IncidentSummary): Promise<string | undefined> {
    const node = summary.rootCauses[0]?.target.node;
    const { executor } = this.#options;
    if (node === undefined || !executor.reachable || !summary.silentNodes.includes(node)) return undefined;
    let up: boolean;
    try {
      up = await executor.reachable(node);
    } catch {
      up = false;
    }
    if (up) this.#agentsLost.add(this.#options.graph.nodeIds.indexOf(node));
    return up ? node : undefined;
  }

  async #diagnose(incident: Incident, ts: number, summary: IncidentSummary): Promise<void> {
    Object.assign(incident.record, {
      nodes: summary.nodes,
      metrics: summary.metrics,
      rootCauses: summary.rootCauses.slice(0, 5),
    });
    const diagnoser = this.#options.diagnoser;
    const answer = diagnoser
      ? await diagnoser.diagnose(
          structuredClone(incident.record),
          this.#analyzer.diagnosisContext(incident, summary),
        )
      : undefined;
    const { kind, citations = [], recommended = [], scope } = answer ?? {};
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
    this.events.emit({ type: 'diagnosis', ts, incident: structuredClone(incident.record) });
    this.#persistIncident(incident.record);
  }

  #act(incident: Incident, ts: number, healthy: number, summary: IncidentSummary): Promise<void> | void {
    const diagnosis = incident.diagnosis!;
    // An announced change explains an incident it is the likeliest cause of: hold it.
    const causes = summary.rootCauses;
    const change = causes.length > 0 ? this.#changeOf(causes[0].target, ts) : undefined;
    if (change) return this.#escalate(incident, ts, `explained by the announced change ${change.id}`);
    // Root causes sharpen as evidence accumulates: each attempt plans from the latest ranking.
    diagnosis.rootCauses =
      this.#changes.length > 0 ? causes.filter((c) => !this.#changeOf(c.target, ts)) : causes;
    diagnosis.severity = summary.severity;
    const planned = this.#options.planner.plan(diagnosis, incident.tried);
    // A planner that answers later (an ONNX model's) is awaited; a synchronous one goes on at once.
    if (planned instanceof Promise) return planned.then((plan) => this.#start(incident, ts, healthy, plan));
    return this.#start(incident, ts, healthy, planned);
  }

  /** Starts the plan's chosen action when the rails allow it, else escalates or waits. */
  #start(incident: Incident, ts: number, healthy: number, plan: Plan): void {
    const chosen = plan.chosen;
    if (!chosen) return this.#escalate(incident, ts, 'no candidate action left');
    if (this.#changeOf(chosen.target, ts)) return;
    const verdict = this.rails.check(incident.record.id, chosen.target, ts, healthy);
    if (!verdict.allowed) {
      if (verdict.reason === 'quorum')
        this.#escalate(incident, ts, `only ${(healthy * 100).toFixed(0)}% of nodes healthy`);
      return;
    }
    this.events.emit({ type: 'plan', ts, plan });
    this.#audit({
      type: 'plan',
      ts,
      incidentId: incident.record.id,
      detail: {
        action: chosen.action,
        target: chosen.target,
        score: chosen.score,
        explanation: chosen.explanation,
      },
    });

    const record: ActionRecord = {
      id: this.#ids.action(),
      incidentId: incident.record.id,
      action: chosen.action,
      target: chosen.target,
      startedAt: ts,
      outcome: 'pending',
      score: chosen.score,
      explanation: chosen.explanation,
    };
    const request: ActionRequest = {
      id: record.id,
      incidentId: record.incidentId,
      action: record.action,
      target: record.target,
    };
    const flight: InFlight = { record, request, candidate: chosen };
    incident.flight = flight;
    incident.progress = 'acting';
    incident.attempts++;
    const dryRun = this.#options.dryRun ?? false;
    // The rails count the action from its decision, so no other incident of this tick takes its target.
    if (!dryRun) this.rails.started(incident.record.id, chosen.target, ts);
    const intent = this.#audit({
      type: 'action',
      ts,
      incidentId: record.incidentId,
      detail: { id: record.id, action: record.action, target: record.target, ...(dryRun ? { dryRun } : {}) },
    });
    if (!intent) return this.#carryOut(flight, ts);
    this.#gated.push({
      recorded: intent,
      proceed: (refusal) =>
        refusal === undefined ? this.#carryOut(flight, ts) : this.#notTaken(incident, ts, refusal),
    });
  }

  /** Starts the action whose intent is recorded: the store learns of it, then the executor is called. */
  #carryOut(flight: InFlight, ts: number): void {
    const { record, request } = flight;
    const { dryRun = false, executor } = this.#options;
    if (!dryRun) {
      this.#stats.actionsStarted++;
      this.events.emit({ type: 'action-started', ts, action: { ...record } });
    }
    this.#writes.enqueue((s) => s.putAction({ ...record }));
    let answer: Promise<ExecutionResult>;
    try {
      answer = Promise.resolve(dryRun ? executor.dryRun(request) : executor.apply(request));
    } catch (error) {
      answer = Promise.reject(error);
    }
    answer.then(
      (result) => (flight.result = result),
      (error) => (flight.result = { ok: false, reason: `executor threw: ${messageOf(error)}` }),
    );
  }

  /**
   * The sink refused the action's intent: the executor is not called and the store is not told
   * of it. The rails count it as a failure (the breaker then stops actions while the log keeps
   * failing) and the incident goes to a human.
   */
  #notTaken(incident: Incident, ts: number, refusal: string): void {
    const { record } = incident.flight!;
    incident.flight = undefined;
    incident.progress = 'announced';
    this.#stats.actionsNotTaken++;
    if (!this.#options.dryRun) this.rails.finished(incident.record.id, ts, false);
    this.#escalate(
      incident,
      ts,
      `${record.action} on ${printTarget(record.target)} (${record.id}) not taken: the audit log could not record its intent (${refusal})`,
    );
  }

  #followAction(incident: Incident, ts: number): void {
    const flight = incident.flight!;
    if (!flight.result) return;
    if (this.#options.dryRun) return this.#finishDryRun(incident, ts);
    if (!flight.result.ok) {
      this.#finishAction(incident, ts, 'failed', false);
      if (incident.attempts >= this.#maxAttempts)
        this.#escalate(incident, ts, `${incident.attempts} actions failed or did not heal it`);
      return;
    }
    const effects = this.#actions.get(flight.record.action);
    if (flight.doneAt === undefined) {
      flight.doneAt = ts;
      incident.progress = 'verifying';
      this.#analyzer.actionDone(flight.record.target, effects, ts);
    }
    const settle = this.#options.settleTicks ?? LOOP_DEFAULTS.settleTicks;
    const patience = this.#options.patienceTicks ?? LOOP_DEFAULTS.patienceTicks;
    if (ts < flight.doneAt + settle) return;
    // The executor's own check, when it has one, speaks first: a target it finds unhealthy is
    // not healed, whatever the telemetry shows.
    const verification = this.#verify(flight);
    if (verification && verification.healthy === undefined) return;
    if (verification?.healthy === false)
      return this.#notHealed(incident, ts, verification.reason ?? "the executor's verification failed");
    if (this.#analyzer.tookEffect(incident, flight.record, flight.doneAt, ts, effects?.isolates ?? false))
      flight.recoveredAt ??= ts;
    else flight.recoveredAt = undefined;
    const stable = this.#options.stableTicks ?? LOOP_DEFAULTS.stableTicks;
    if (flight.recoveredAt !== undefined && ts - flight.recoveredAt >= stable) {
      this.#finishAction(incident, ts, 'healed', true);
      this.#close(incident, ts, flight);
    } else if (flight.recoveredAt === undefined && ts >= flight.doneAt + settle + patience) {
      this.#notHealed(incident, ts);
    }
  }

  get #maxAttempts(): number {
    return this.#options.maxAttempts ?? LOOP_DEFAULTS.maxAttempts;
  }

  /** Asks the executor's `verify` once per action, if it has one; the answer lands in `flight.verification`. */
  #verify(flight: InFlight): InFlight['verification'] {
    const executor = this.#options.executor;
    if (!executor.verify || flight.verification) return flight.verification;
    const verification: NonNullable<InFlight['verification']> = {};
    flight.verification = verification;
    Promise.resolve()
      .then(() => executor.verify!(flight.request))
      .then(
        (healthy) => (verification.healthy = healthy === true),
        (error) => {
          verification.reason = `the executor's verification threw: ${messageOf(error)}`;
          verification.healthy = false;
        },
      );
    return verification;
  }

  /** The incident's action did not heal it: undo it, then try the next candidate or escalate. */
  #notHealed(incident: Incident, ts: number, reason?: string): void {
    const flight = incident.flight!;
    const irreversible = this.#actions.get(flight.record.action)?.irreversible === true;
    this.#finishAction(incident, ts, 'not-healed', false, reason, irreversible);
    if (!irreversible) this.#rollback(flight, ts);
    if (incident.attempts >= this.#maxAttempts)
      this.#escalate(incident, ts, `${incident.attempts} actions did not heal it`);
  }

  /**
   * A dry run came back. Accepted: what the engine would do is recorded and the incident is a
   * human's. Refused (the executor could not apply it): the next candidate is planned, as after a
   * failed action.
   */
  #finishDryRun(incident: Incident, ts: number): void {
    const flight = incident.flight!;
    const { ok, reason } = flight.result!;
    incident.flight = undefined;
    incident.progress = 'announced';
    incident.tried.add(attemptKey(flight.record.action, flight.record.target));
    this.#recordOutcome(flight, ts, ok ? 'dry-run' : 'failed', reason);
    const what = `${flight.record.action} on ${printTarget(flight.record.target)}`;
    if (ok) this.#escalate(incident, ts, `dry run: ${what} was planned, not applied`);
    else if (incident.attempts >= this.#maxAttempts)
      this.#escalate(incident, ts, `dry run: the executor refused ${incident.attempts} planned actions`);
    else incident.diagnosis = undefined;
  }

  /**
   * Ends the incident's action: back to announced, for the next attempt or a verdict.
   * `irreversible`: it did not heal and has nothing to undo, which its result's audit entry says.
   */
  #finishAction(
    incident: Incident,
    ts: number,
    outcome: ActionRecord['outcome'],
    healed: boolean,
    reason = incident.flight?.result?.reason,
    irreversible = false,
  ): void {
    const flight = incident.flight!;
    incident.flight = undefined;
    incident.progress = 'announced';
    this.rails.finished(incident.record.id, ts, healed);
    incident.tried.add(attemptKey(flight.record.action, flight.record.target));
    if (outcome === 'failed') this.#stats.actionsFailed++;
    else {
      // Only a completed action says something about whether it fits this kind of incident.
      this.#options.planner.learn(incident.diagnosis!, flight.candidate, healed);
      const posterior = this.#options.planner.successRates.get(
        incident.record.signature,
        flight.record.action,
      );
      this.#writes.enqueue((s) => s.putPosterior(posterior));
    }
    if (healed) this.#stats.actionsHealed++;
    // The evidence has grown since the last diagnosis: take a fresh look before the next attempt.
    else incident.diagnosis = undefined;
    this.#recordOutcome(flight, ts, outcome, reason, irreversible ? { rollback: 'irreversible' } : {});
  }

  /** Sets the action's outcome and reports, audits (with `more` in the entry's detail) and stores it. */
  #recordOutcome(
    flight: InFlight,
    ts: number,
    outcome: ActionRecord['outcome'],
    reason?: string,
    more: { rollback?: 'irreversible' } = {},
  ): void {
    const record = flight.record;
    record.outcome = outcome;
    record.finishedAt = ts;
    this.events.emit({ type: 'action-result', ts, action: { ...record } });
    const recorded = this.#audit({
      type: 'result',
      ts,
      incidentId: record.incidentId,
      detail: { id: record.id, outcome, reason, ...more },
    });
    this.#storeAction(record, recorded);
  }

  /**
   * Undoes an action that did not heal, once the sink has recorded the intent to; a rollback the
   * sink refuses is not attempted, and reported as a failed one.
   */
  #rollback(flight: InFlight, ts: number): void {
    this.#analyzer.actionUndone(flight.record.target, this.#actions.get(flight.record.action), ts);
    const intent = this.#audit({
      type: 'rollback',
      ts,
      incidentId: flight.record.incidentId,
      detail: { id: flight.record.id, action: flight.record.action, target: flight.record.target },
    });
    if (!intent) return this.#undo(flight);
    this.#gated.push({
      recorded: intent,
      proceed: (refusal) =>
        refusal === undefined
          ? this.#undo(flight)
          : this.#rolledBack(flight.record, {
              ok: false,
              reason: `not attempted: the audit log could not record its intent (${refusal})`,
            }),
    });
  }

  /** Asks the executor to undo the action; its answer is recorded whenever it comes. */
  #undo(flight: InFlight): void {
    const answered = Promise.resolve()
      .then(() => this.#options.executor.rollback(flight.request))
      .then(
        (result) => this.#rolledBack(flight.record, result),
        (error) =>
          this.#rolledBack(flight.record, { ok: false, reason: `executor threw: ${messageOf(error)}` }),
      );
    this.#rollbacks.add(answered);
    void answered.finally(() => this.#rollbacks.delete(answered));
  }

  /**
   * Records the executor's answer to a rollback, whenever it comes: the action is 'rolled-back',
   * or the failed rollback is counted and reported (an event and an audit entry). It leaves the
   * incident alone, which may be closed by now.
   */
  #rolledBack(record: ActionRecord, result: ExecutionResult): void {
    const ok = result?.ok === true;
    if (ok) {
      record.outcome = 'rolled-back';
      this.#stats.actionsRolledBack++;
    } else this.#stats.rollbacksFailed++;
    const answer: ExecutionResult = {
      ok,
      ...(result?.reason !== undefined ? { reason: result.reason } : {}),
    };
    this.events.emit({ type: 'rollback', ts: this.#now, action: { ...record }, result: answer });
    const recorded = this.#audit({
      type: 'result',
      ts: this.#now,
      incidentId: record.incidentId,
      detail: {
        id: record.id,
        outcome: record.outcome,
        rollback: ok ? 'done' : 'failed',
        reason: answer.reason,
      },
    });
    this.#storeAction(record, recorded);
  }

  /** Closes the incident: resolved, or (when escalated) back to normal in a human's hands. */
  #close(incident: Incident, ts: number, healedBy: InFlight | undefined): void {
    const escalated = incident.progress === 'escalated';
    if (!escalated) incident.progress = 'resolved';
    incident.record.status = escalated ? 'escalated' : 'resolved';
    incident.record.closedAt = ts;
    this.#analyzer.close(incident, ts, healedBy?.record.target);
    this.rails.forget(incident.record.id);
    if (!escalated) this.#stats.incidentsResolved++;
    this.events.emit({ type: 'incident-resolved', ts, incident: structuredClone(incident.record) });
    this.#audit({
      type: 'resolution',
      ts,
      incidentId: incident.record.id,
      detail: { status: incident.record.status, healedBy: healedBy?.record.id },
    });
    this.#persistIncident(incident.record);
    const learn = this.#options.diagnoser?.learn;
    if (learn) {
      const by = healedBy ? { action: healedBy.record.action, target: healedBy.record.target } : undefined;
      Promise.resolve(learn.call(this.#options.diagnoser, structuredClone(incident.record), by)).catch(
        (error) =>
          this.events.emit({
            type: 'store-fault',
            ts,
            error: `diagnoser.learn: ${messageOf(error)}`,
          }),
      );
    }
  }

  #escalate(incident: Incident, ts: number, reason: string): void {
    if (incident.progress === 'escalated') return;
    incident.progress = 'escalated';
    incident.record.status = 'escalated';
    this.#stats.incidentsEscalated++;
    this.#analyzer.freeze(incident);
    this.events.emit({ type: 'escalation', ts, incident: structuredClone(incident.record), reason });
    this.#audit({ type: 'escalation', ts, incidentId: incident.record.id, detail: { reason } });
    this.#persistIncident(incident.record);
  }

  #persistIncident(record: IncidentRecord): void {
    const copy = structuredClone(record);
    this.#writes.enqueue((s) => s.putIncident(copy));
  }

  /**
   * Writes the action as it is now to the store once `recorded` (its audit record) has settled,
   * at once without a sink. A record the sink refused still lets the write through: the outcome
   * happened, and `audit verify` then reports the entry the log lacks.
   */
  #storeAction(record: ActionRecord, recorded: Recording | undefined): void {
    const copy = { ...record };
    const write = () => this.#writes.enqueue((s) => s.putAction(copy));
    if (!recorded) return write();
    this.#audited = this.#audited.then(() => recorded).then(write);
  }

  /**
   * Hands `entry` to the audit sink at once, so entries reach it in the order the loop decides
   * them; undefined without a sink. A refusal (a rejection or a throw) is counted and reported as
   * a 'store-fault' event, never thrown: the returned promise resolves to its message.
   */
  #audit(entry: AuditRecord): Recording | undefined {
    const sink = this.#options.audit;
    if (!sink) return undefined;
    let recorded: Promise<unknown>;
    try {
      recorded = Promise.resolve(sink.record(entry));
    } catch (error) {
      recorded = Promise.reject(error);
    }
    return recorded.then(
      () => undefined,
      (error) => {
        const refusal = messageOf(error);
        this.#stats.auditFailures++;
        this.events.emit({ type: 'store-fault', ts: entry.ts, error: `audit: ${refusal}` });
        return refusal;
      },
    );
  }
}

function messageOf(error: unknown): string {
  return (error as Error)?.message ?? String(error);
}
