/**
 * The Python system's `MLEnhancedMAPEK` over the engine's `MapeKLoop`, for one component (a
 * service, a host): each `autonomicLoopIteration` is one tick of the real loop. The metrics are
 * validated and windowed by Monitor, scored by a `ComponentDetector` that learns the
 * component's normal online, grouped into incidents by Analyze, planned by the engine's decision
 * engine among the actions offered, carried out behind the safety rails by the caller's handlers,
 * verified from the following ticks' metrics, and learned from.
 *
 * Unlike the Python loop, nothing here reports success it did not observe: an action without a
 * handler fails as such, and an action counts as healing only when later metrics show recovery.
 */
import { MeshGraph } from '../analyze/graph.ts';
import { ArgumentError } from '../errors.ts';
import type { RailOptions } from '../execute/rails.ts';
import type { KnowledgeStore } from '../knowledge/store.ts';
import type { LoopEvent, LoopEventMessage, LoopEventType } from '../loop/events.ts';
import { MapeKLoop } from '../loop/loop.ts';
import { UtilityPlanner } from '../plan/decision.ts';
import { normalizeActions, type LoopAction, type NormalizedAction } from './actions.ts';
import { AnomalyDetectionSystem, type AnomalyConfig, type AnomalyStats } from './anomaly.ts';
import { ComponentScorer } from './component-scorer.ts';
import { HandlerExecutor } from './handler-executor.ts';
import { iterationReport, learnedRate, type IterationResult, type LearnedRate } from './iteration.ts';

/** Options of `MLEnhancedMAPEK`. */
export interface MLEnhancedMAPEKOptions extends AnomalyConfig {
  /** Name of the component the metrics describe. Default `system`. */
  component?: string;
  /** Metric names (the schema). Default: the keys of the first iteration's metrics. */
  metrics?: readonly string[];
  /**
   * Safety rails (in ticks). The quorum rail defaults to 0: with one component, "fewer than half
   * of the nodes healthy" would be true of every incident. The other rails keep their defaults.
   */
  rails?: RailOptions;
  /** Where incidents, actions and learned success rates are kept. Default: in memory. */
  store?: KnowledgeStore;
  /** Scoring backend of the planner. Default `auto`. */
  backend?: 'auto' | 'wasm' | 'ts';
}

/** Real counts of everything the facade has done (Python's `get_ml_statistics`). */
export interface MLStatistics {
  /** Iterations run. */
  iterations: number;
  /** Samples the Monitor accepted. */
  samplesAccepted: number;
  /** Samples it refused. */
  samplesRejected: number;
  /** Ticks on which the component was anomalous. */
  anomalies: number;
  /** Incidents opened. */
  incidentsOpened: number;
  /** Incidents healed. */
  incidentsResolved: number;
  /** Incidents handed to a human. */
  incidentsEscalated: number;
  /** Incidents open now. */
  openIncidents: number;
  /** Plans acted on. */
  decisions: number;
  /** Actions started. */
  actionsStarted: number;
  /** Actions that healed their incident. */
  actionsHealed: number;
  /** Actions that completed without healing it. */
  actionsNotHealed: number;
  /** Actions that failed. */
  actionsFailed: number;
  /** Completed actions whose outcome was learned (healed or not healed). */
  outcomes: number;
  /** The learned success rates. */
  successRates: LearnedRate[];
  /** Knowledge-store writes waiting (after store failures) and store failures so far. */
  storePending: number;
  /** Knowledge-store errors met. */
  storeFailures: number;
  /** The anomaly system's own counts. */
  anomalySystem: AnomalyStats;
}

/** Every loop event type: recording all of them keeps the per-iteration report complete. */
const EVENT_TYPES = Object.keys({
  'sample-rejected': 0,
  anomaly: 0,
  'incident-opened': 0,
  diagnosis: 0,
  plan: 0,
  'action-started': 0,
  'action-result': 0,
  rollback: 0,
  'incident-resolved': 0,
  escalation: 0,
  'store-fault': 0,
} satisfies Record<LoopEventType, 0>) as LoopEventType[];

interface Engine {
  loop: MapeKLoop;
  planner: UtilityPlanner;
  actions: ReadonlySet<string>;
}

/** One component's ML-enhanced MAPE-K loop, one tick per `autonomicLoopIteration`. */
export class MLEnhancedMAPEK {
  /** The component's detector and its counts. */
  readonly anomalySystem: AnomalyDetectionSystem;
  readonly #options: MLEnhancedMAPEKOptions;
  readonly #component: string;
  readonly #executor = new HandlerExecutor();
  /** Actions offered in the current iteration; policies of the others do not match. */
  readonly #offered = new Set<string>();
  /** Signature of each incident diagnosed and not yet resolved, to report what was learned. */
  readonly #signatures = new Map<string, string>();
  readonly #counts = { anomalies: 0, decisions: 0, notHealed: 0, outcomes: 0 };
  #engine: Engine | undefined;
  #events: LoopEvent[] = [];
  #queue: Promise<unknown> = Promise.resolve();
  #tick = 0;
  #accepted = 0;

  /**
   * A facade over a fresh engine for one component; throws an `ArgumentError` for an empty component name.
   */
  constructor(options: MLEnhancedMAPEKOptions = {}) {
    this.#options = options;
    this.#component = options.component ?? 'system';
    if (typeof this.#component !== 'string' || this.#component === '') {
      throw new ArgumentError('options.component', 'expected a non-empty string');
    }
    if (options.metrics !== undefined) checkSchema('options.metrics', options.metrics);
    this.anomalySystem = new AnomalyDetectionSystem(options);
  }

  /** The underlying loop, once the first iteration has built it (for its events and stats). */
  get loop(): MapeKLoop | undefined {
    return this.#engine?.loop;
  }

  /**
   * Runs one tick with `metrics` (name -> value of this component now) and `actions` (the
   * remedies that may be used now). The first iteration fixes the metric schema (unless given as
   * an option) and the action catalogue; later metrics outside the schema and non-finite values
   * are rejected and counted, later actions must come from the catalogue. Concurrent calls run
   * one after another, in call order.
   */
  async autonomicLoopIteration(
    metrics: Record<string, number>,
    actions: readonly LoopAction[],
  ): Promise<IterationResult> {
    if (
      metrics === null ||
      typeof metrics !== 'object' ||
      Array.isArray(metrics) ||
      Object.keys(metrics).length === 0
    ) {
      throw new ArgumentError(
        'metrics',
        'expected an object of metric name -> value with at least one metric',
      );
    }
    const offered = normalizeActions(actions);
    const sample = { ...metrics };
    const run = this.#queue.then(() => this.#iterate(sample, offered));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /** Counts of iterations, samples, anomalies, incidents, decisions, actions and outcomes, and learned success rates. */
  getMlStatistics(): MLStatistics {
    const stats = this.#engine?.loop.stats();
    return {
      iterations: this.#tick,
      samplesAccepted: stats?.samplesAccepted ?? 0,
      samplesRejected: stats?.samplesRejected ?? 0,
      anomalies: this.#counts.anomalies,
      incidentsOpened: stats?.incidentsOpened ?? 0,
      incidentsResolved: stats?.incidentsResolved ?? 0,
      incidentsEscalated: stats?.incidentsEscalated ?? 0,
      openIncidents: this.#engine?.loop.openIncidents.length ?? 0,
      decisions: this.#counts.decisions,
      actionsStarted: stats?.actionsStarted ?? 0,
      actionsHealed: stats?.actionsHealed ?? 0,
      actionsNotHealed: this.#counts.notHealed,
      actionsFailed: stats?.actionsFailed ?? 0,
      outcomes: this.#counts.outcomes,
      successRates: (this.#engine?.planner.successRates.all() ?? []).map(learnedRate),
      storePending: stats?.storePending ?? 0,
      storeFailures: stats?.storeFailures ?? 0,
      anomalySystem: this.anomalySystem.getStats(),
    };
  }

  async #iterate(sample: Record<string, number>, offered: NormalizedAction[]): Promise<IterationResult> {
    const engine = (this.#engine ??= await this.#build(Object.keys(sample), offered));
    for (const { policy } of offered) {
      if (!engine.actions.has(policy.id)) {
        throw new ArgumentError(
          'actions',
          `"${policy.id}" is not in the catalogue fixed by the first iteration (${[...engine.actions].join(', ')})`,
        );
      }
    }
    this.#offer(engine, offered);
    const ts = this.#tick++;
    const columns = Object.fromEntries(
      Object.entries(sample).map(([name, value]) => [
        name,
        Float64Array.of(typeof value === 'number' ? value : NaN),
      ]),
    );
    await engine.loop.tick(ts, { ts, columns });
    const events = this.#events;
    this.#events = [];
    const accepted = engine.loop.monitor.stats.accepted;
    const report = iterationReport(events, {
      tick: ts,
      accepted: accepted - this.#accepted,
      openIncidents: engine.loop.openIncidents.length,
      posteriorOf: (action) => {
        const signature = this.#signatures.get(action.incidentId);
        return signature === undefined
          ? undefined
          : engine.planner.successRates.get(signature, action.action);
      },
    });
    this.#accepted = accepted;
    for (const incident of report.knowledgeUpdate.resolved) this.#signatures.delete(incident.id);
    return report;
  }

  /** Makes exactly the offered actions available, with their handlers and priorities. */
  #offer(engine: Engine, offered: NormalizedAction[]): void {
    this.#offered.clear();
    for (const { policy, handlers } of offered) {
      this.#offered.add(policy.id);
      if (handlers) this.#executor.handlers.set(policy.id, handlers);
      const name = policy.id;
      engine.planner.policies.register({
        name,
        action: name,
        priority: policy.priority,
        when: () => this.#offered.has(name),
      });
    }
  }

  async #build(sampleMetrics: string[], offered: NormalizedAction[]): Promise<Engine> {
    const metrics = [...(this.#options.metrics ?? sampleMetrics)];
    checkSchema('metrics', metrics);
    const threshold = this.anomalySystem.threshold;
    const detector = this.anomalySystem.registerComponent(this.#component, metrics.length, metrics);
    const planner = await UtilityPlanner.create({
      actions: offered.map(({ policy }) => ({
        name: policy.id,
        scope: 'any',
        cost: policy.cost,
        risk: policy.risk,
        duration: policy.duration,
      })),
      backend: this.#options.backend,
    });
    const loop = new MapeKLoop({
      graph: new MeshGraph([this.#component], []),
      metrics: metrics.map((name) => ({ name })),
      localMetrics: metrics,
      detector: new ComponentScorer(detector, threshold),
      threshold,
      planner,
      executor: this.#executor,
      store: this.#options.store,
      rails: { quorum: 0, ...this.#options.rails },
    });
    for (const type of EVENT_TYPES) {
      loop.events.addEventListener(type, (event) => this.#record((event as LoopEventMessage).detail));
    }
    return { loop, planner, actions: new Set(offered.map(({ policy }) => policy.id)) };
  }

  #record(event: LoopEvent): void {
    if (event.type === 'anomaly') this.#counts.anomalies++;
    else if (event.type === 'plan') this.#counts.decisions++;
    else if (event.type === 'diagnosis') this.#signatures.set(event.incident.id, event.incident.signature);
    else if (
      event.type === 'action-result' &&
      (event.action.outcome === 'healed' || event.action.outcome === 'not-healed')
    ) {
      this.#counts.outcomes++;
      if (event.action.outcome === 'not-healed') this.#counts.notHealed++;
    }
    this.#events.push(event);
  }
}

function checkSchema(argument: string, metrics: readonly string[]): void {
  if (
    !Array.isArray(metrics) ||
    metrics.length === 0 ||
    metrics.some((m) => typeof m !== 'string' || m === '')
  ) {
    throw new ArgumentError(argument, 'expected a non-empty array of metric names');
  }
  if (new Set(metrics).size !== metrics.length)
    throw new ArgumentError(argument, 'metric names must be unique');
}
