/**
 * Analyze, per tick: per-series anomaly scores -> anomalous nodes -> incidents; and, per
 * incident, the root-cause ranking and the symptom summary the diagnosis and plan start from.
 * A node that stops reporting altogether is itself a symptom (a crashed node sends nothing).
 *
 * Streaming detectors flag change, and a return to normal after a fault ends is a change too.
 * So a detector's alarm only counts when the value is also outside the series' normal range:
 * a slow EWMA of level and absolute deviation, learnt from samples that raised no alarm, and
 * only very slowly from those of an anomalous series or of a node in an open incident.
 *
 * A detector tuned for NAB alarms once per change and then stays quiet, but a fault lasts: so
 * an alarm starts a series' anomaly, and the anomaly lasts while the value stays outside a
 * narrower exit range (hysteresis, so noise at the edge does not make it flicker). An alarm
 * also arms its series for a while: a slow drift (a leak) that the detector caught before it
 * left the normal range still counts once it does. Where a metric has a harmful direction (loss
 * up, throughput down), only a move that way starts an anomaly: more traffic served well, or
 * less loss, is a change but not a fault. Likewise load metrics (cpu, queue depth) that rise
 * alone show a busy node, not a failing one, and throughput that falls alone a quieter one
 * (demand metrics): a node is anomalous only once some other metric of
 * it (loss, latency, errors, memory...) is too, or a load metric is far beyond any busy day
 * (`LOAD_ALONE` times the normal width), and then all of its anomalous series count. A busy day
 * is judged over a long memory too (`LONG_ALPHA`): a fault elsewhere that holds a node's traffic
 * back for a while (a partition, a crash upstream) teaches its normal range the quiet, and when
 * the traffic comes back its load is back where it was before, which is no symptom.
 *
 * The analyzer holds the open incidents (one map, see IncidentTracker) and takes them through
 * their analysis: `confirm` once they have shown enough evidence (their series' baselines are
 * kept from then on), `freeze` when handed to a human, `close` or `drop`. It keeps its own copy
 * of the mesh's routing table (`updateRoutes`) and lets the nodes that route changes and the
 * engine's actions disturb settle (see Settling).
 */
import { ArgumentError, DimensionError } from '../errors.ts';
import { checkInt } from '../validate.ts';
import type { Target } from '../domain/targets.ts';
import type { CauseCandidate } from '../knowledge/records.ts';
import type { SeriesWindows } from '../monitor/ring.ts';
import {
  captureBands,
  type DiagnosisContext,
  diagnosisContext,
  type EvidenceSource,
  hasRecovered,
  tookEffect,
} from './evidence.ts';
import type { MeshGraph } from './graph.ts';
import {
  IncidentTracker,
  type IncidentOptions,
  type NodeAnomaly,
  type SavedIncident,
  type TrackedIncident,
} from './incidents.ts';
import { rankRootCauses } from './root-cause.ts';
import { type ActionEffects, Settling } from './settling.ts';

/** Options of an `Analyzer`: the mesh, its telemetry and how incidents are grouped. */
export interface AnalyzerOptions extends IncidentOptions {
  /** The mesh; the analyzer copies it, so its routing table (`updateRoutes`) is the analyzer's own. */
  graph: MeshGraph;
  /** The telemetry's recent samples per series (the monitor's windows), which baselines and recovery are judged from. */
  windows: SeriesWindows;
  /** Metric names, in series order (series = node * metrics + metric). */
  metrics: readonly string[];
  /** Metrics that describe a node itself rather than its network. */
  localMetrics: readonly string[];
  /** Score at or above which a series counts as anomalous. */
  threshold: number;
  /** Consecutive silent ticks after which a node that used to report counts as anomalous (default 2). */
  silenceTicks?: number;
  /** Half-width of the normal range, in mean absolute deviations (default 6, about 4.8 sigma). */
  normalWidth?: number;
  /** Half-width a started anomaly must fall back inside to end, in mean absolute deviations (default 4). */
  exitWidth?: number;
  /** Ticks after an alarm during which leaving the normal range starts an anomaly (default 30). */
  armTicks?: number;
  /** The harmful direction of metrics that have one; others are anomalous either way. */
  harmful?: Readonly<Record<string, 'up' | 'down'>>;
  /** Metrics that rise with demand; anomalous alone, they do not make a node anomalous. */
  loadMetrics?: readonly string[];
  /** Metrics that follow demand either way (throughput): like load metrics, alone they do not make a node anomalous. */
  demandMetrics?: readonly string[];
  /** The metric that counts loss through a node's next hop (it blames a neighbour; see `rankRootCauses`). */
  lossMetric?: string;
  /** The metric of a node's links' quality (a fall next to loss blames a link). */
  linkMetric?: string;
  /** The throughput metric (a fall marks the next hop that lost a lossy node's traffic). */
  throughputMetric?: string;
  /** Ticks a node's anomalies are ignored while it settles after a fix, a route change or an action (default 15). */
  holdDownTicks?: number;
}

/** Smoothing of the normal range (about a 100-sample memory) and the samples it needs first. */
const NORMAL_ALPHA = 0.01;
const NORMAL_WARMUP = 60;
/** Smoothing from suspect values: a memory of about 2,000 samples, longer than most faults. */
const SUSPECT_ALPHA = 0.0005;
/** How many normal widths out a load metric must be to count as a symptom on its own. */
const LOAD_ALONE = 4;
/** Smoothing while a node is held down after a fix: its range moves to the new normal within the hold. */
const HOLD_ALPHA = 0.2;
/**
 * Smoothing of the long-memory range (about 2,000 samples, longer than most faults), learnt from
 * the same samples as the normal range: what load was before a fault elsewhere held it back.
 */
const LONG_ALPHA = 0.0005;

/** Each series' learnt normal level, its mean absolute deviation, and the samples it learnt from. */
export interface NormalRanges {
  /** Normal level per series. */
  level: number[];
  /** Mean absolute deviation from it per series. */
  spread: number[];
  /** Samples learnt from per series (the gate is open until NORMAL_WARMUP of them). */
  count: number[];
  /** Long-memory level per series (see LONG_ALPHA); when absent on restore, the normal level. */
  longLevel?: number[];
  /** Long-memory mean absolute deviation per series; when absent on restore, the normal spread. */
  longSpread?: number[];
}

/**
 * What an Analyzer holds besides its normal ranges (those travel with the detector's state), as
 * plain JSON ({@link Analyzer.save}); a time that never happened (-Infinity) is null.
 */
export interface AnalyzerState {
  /** Per node: consecutive ticks without a report. */
  silentFor: number[];
  /** Per node: 1 once it has reported. */
  reported: number[];
  /** Per node: tick until which its anomalies are ignored. */
  holdUntil: Array<number | null>;
  /** Per series: 1 while anomalous. */
  active: number[];
  /** Per series: the last tick its detector alarmed. */
  alarmedAt: Array<number | null>;
  /** Action effects still to lapse (see Settling). */
  lapses: Array<{ at: number; nodes: number[] }>;
  /** The open incidents' evidence, oldest first. */
  incidents: SavedIncident[];
}

/** What Analyze concluded about an incident. */
export interface IncidentSummary {
  /** Suspected causes, most likely first. */
  rootCauses: CauseCandidate[];
  /** Confidence in the top root cause, 0..1 (the links of a partition's cut count as one cause). */
  confidence: number;
  /** Metric names ranked by accumulated anomaly, strongest first. */
  metrics: string[];
  /** 0..1: share of the mesh involved, blended with the peak anomaly. */
  severity: number;
  /** Nodes involved, by id. */
  nodes: string[];
  /** Nodes that went silent. */
  silentNodes: string[];
}

/**
 * Analyze for one mesh: call `step` every tick, `summarize` when an incident needs a diagnosis.
 * `T` is the caller's incident type, made from each new incident by `extend` (see IncidentTracker).
 */
export class Analyzer<T extends TrackedIncident = TrackedIncident> {
  readonly #options: AnalyzerOptions;
  /** The analyzer's own copy of the mesh (its routing table changes with `updateRoutes`). */
  readonly #graph: MeshGraph;
  readonly #tracker: IncidentTracker<T>;
  readonly #settling: Settling;
  readonly #evidence: EvidenceSource;
  readonly #local: Set<number>;
  readonly #silentFor: Uint32Array;
  readonly #reported: Uint8Array;
  readonly #metricScores: Float64Array;
  /** Tick until which a node's anomalies are ignored (recovery transients after a fix). */
  readonly #holdUntil: Float64Array;
  readonly #normalLevel: Float64Array;
  readonly #normalSpread: Float64Array;
  readonly #normalCount: Uint32Array;
  /** The long-memory range (see LONG_ALPHA): demand metrics alone are a symptom only outside it too. */
  readonly #longLevel: Float64Array;
  readonly #longSpread: Float64Array;
  /** 1 while a series is anomalous (between its start and its return inside the exit range). */
  readonly #active: Uint8Array;
  /** Last tick a series' detector alarmed. */
  readonly #alarmedAt: Float64Array;
  /** Nodes of open incidents, refreshed once per tick: they teach the normal range only slowly. */
  readonly #involved: Uint8Array;
  /** Per metric: +1 when only a rise is harmful, -1 when only a fall is, 0 when both are. */
  readonly #harm: Int8Array;
  readonly #load: Uint8Array;
  readonly #loadIndices: ReadonlySet<number>;
  /** Load metrics and the others that follow demand: alone, not a symptom. */
  readonly #demand: Uint8Array;
  /** The values of the last step (the monitor's latest-values buffer). */
  #latest: ArrayLike<number> = new Float64Array(0);

  /**
   * Analyze for the mesh in `options`.
   * @param options the mesh, its telemetry's windows and metrics, and the grouping of incidents
   * @param extend makes the caller's incident (`T`) from each new one; without it incidents are plain
   */
  constructor(options: AnalyzerOptions, extend?: (incident: TrackedIncident) => T) {
    this.#options = options;
    const { metrics } = options;
    const graph = options.graph.copy();
    this.#graph = graph;
    this.#tracker = new IncidentTracker(graph, metrics.length, options, extend);
    this.#settling = new Settling(
      graph,
      (node, until) => this.holdDown(node, until),
      options.holdDownTicks ?? 15,
    );
    this.#local = new Set(options.localMetrics.map((m) => metrics.indexOf(m)).filter((i) => i >= 0));
    this.#silentFor = new Uint32Array(graph.size);
    this.#reported = new Uint8Array(graph.size);
    this.#metricScores = new Float64Array(graph.size * metrics.length);
    this.#holdUntil = new Float64Array(graph.size).fill(-Infinity);
    this.#normalLevel = new Float64Array(graph.size * metrics.length);
    this.#normalSpread = new Float64Array(graph.size * metrics.length);
    this.#normalCount = new Uint32Array(graph.size * metrics.length);
    this.#longLevel = new Float64Array(graph.size * metrics.length);
    this.#longSpread = new Float64Array(graph.size * metrics.length);
    this.#active = new Uint8Array(graph.size * metrics.length);
    this.#alarmedAt = new Float64Array(graph.size * metrics.length).fill(-Infinity);
    this.#involved = new Uint8Array(graph.size);
    this.#load = Uint8Array.from(metrics, (name) => (options.loadMetrics?.includes(name) ? 1 : 0));
    this.#loadIndices = new Set(metrics.flatMap((_, j) => (this.#load[j] ? [j] : [])));
    this.#demand = Uint8Array.from(metrics, (name) =>
      this.#load[metrics.indexOf(name)] || options.demandMetrics?.includes(name) ? 1 : 0,
    );
    this.#harm = Int8Array.from(metrics, (name) => {
      const way = options.harmful?.[name];
      return way === 'up' ? 1 : way === 'down' ? -1 : 0;
    });
    this.#evidence = {
      windows: options.windows,
      metrics,
      graph,
      harm: this.#harm,
      local: this.#local,
      isSilent: (node) => this.isSilent(node),
    };
  }

  /** Open incidents, oldest first: candidates, confirmed and frozen ones. */
  incidents(): IterableIterator<T> {
    return this.#tracker.open.values();
  }

  /** Whether `incident` has had no anomaly for `quiet` ticks as of `ts`. */
  isQuiet(incident: T, ts: number): boolean {
    return this.#tracker.isQuiet(incident, ts);
  }

  /**
   * The incident has shown enough evidence to be followed: the baseline band of each of its
   * series is captured now and, for series that join it later, as they join.
   */
  confirm(incident: T): void {
    incident.confirmed = true;
    captureBands(this.#evidence, incident);
  }

  /** The incident is a human's now: it takes in no new nodes (see IncidentTracker). */
  freeze(incident: T): void {
    this.#tracker.freeze(incident.id);
  }

  /** Forgets an incident that was never confirmed. */
  drop(incident: T): void {
    this.#tracker.close(incident.id);
  }

  /**
   * Closes the incident at `ts`: its nodes settle after the fix and, when an action on
   * `healedBy` healed it (a remedy may have moved traffic), so do the nodes around that target.
   */
  close(incident: T, ts: number, healedBy?: Target): void {
    this.#tracker.close(incident.id);
    this.#settling.resolved(incident.nodes.keys(), healedBy, ts);
  }

  /**
   * Takes the mesh's routing table at tick `now` (`nextHop[i]`: the node index node i forwards
   * through, -1 at a gateway), into the analyzer's own copy of the mesh; the nodes whose traffic
   * moved settle (see Settling).
   */
  updateRoutes(nextHop: ArrayLike<number>, now: number): void {
    this.#settling.updateRoutes(nextHop, now);
  }

  /** An action on `target` completed at `now`; see `Settling.actionDone`. */
  actionDone(target: Target, effects: ActionEffects | undefined, now: number): void {
    this.#settling.actionDone(target, effects, now);
  }

  /** An action on `target` was undone at `now`; see `Settling.actionUndone`. */
  actionUndone(target: Target, effects: ActionEffects | undefined, now: number): void {
    this.#settling.actionUndone(target, effects, now);
  }

  /** The incident's symptoms in operator terms, for the diagnoser (see evidence.ts). */
  diagnosisContext(incident: T, summary: IncidentSummary): DiagnosisContext {
    return diagnosisContext(this.#evidence, incident, summary);
  }

  /** Whether the incident's telemetry has recovered since `since`, as of `now` (see evidence.ts). */
  hasRecovered(incident: T, since: number, now: number): boolean {
    return hasRecovered(this.#evidence, incident, since, now);
  }

  /**
   * Whether an action on `action.target`, done at `doneAt`, shows its effect as of `now`; an
   * action that `isolates` its target is judged by the harm around it (see evidence.ts).
   */
  tookEffect(
    incident: T,
    action: { readonly target: Target; readonly startedAt: number },
    doneAt: number,
    now: number,
    isolates: boolean,
  ): boolean {
    return tookEffect(this.#evidence, incident, action, doneAt, now, isolates);
  }

  /**
   * Ignores `node`'s anomalies until tick `until`: its metrics are settling after a fix. Its
   * anomalies end, and meanwhile its normal ranges follow its values quickly, because a remedy
   * such as a reroute or a scale-up leaves a new normal rather than the old one.
   */
  holdDown(node: number, until: number): void {
    this.#holdUntil[node] = Math.max(this.#holdUntil[node], until);
    const m = this.#options.metrics.length;
    this.#active.fill(0, node * m, node * m + m);
  }

  /**
   * Folds one tick of values and scores into incidents; returns this tick's anomalies and new
   * incidents. The holds of actions whose effect lapses now start first.
   */
  step(ts: number, values: Float64Array, scores: Float64Array): { anomalies: NodeAnomaly[]; opened: T[] } {
    this.#settling.step(ts);
    const { metrics, threshold } = this.#options;
    const graph = this.#graph;
    const m = metrics.length;
    this.#latest = values;
    const silenceTicks = this.#options.silenceTicks ?? 2;
    const enter = this.#options.normalWidth ?? 6;
    const exit = this.#options.exitWidth ?? 4;
    const arm = this.#options.armTicks ?? 30;
    const anomalies: NodeAnomaly[] = [];
    const involved = this.#involved;
    involved.fill(0);
    for (const incident of this.#tracker.open.values())
      for (const n of incident.nodes.keys()) involved[n] = 1;
    for (let node = 0; node < graph.size; node++) {
      const held = ts < this.#holdUntil[node];
      let reported = false;
      let peak = 0;
      let symptom = false;
      for (let j = 0; j < m; j++) {
        const s = node * m + j;
        const x = values[s];
        if (Number.isNaN(x)) {
          this.#metricScores[s] = 0;
          continue;
        }
        reported = true;
        const alarm = scores[s] >= threshold;
        if (alarm) this.#alarmedAt[s] = ts;
        const deviation = this.#deviation(s, x);
        if (this.#active[s]) {
          if (deviation <= exit) this.#active[s] = 0;
        } else if (
          deviation > enter &&
          ts - this.#alarmedAt[s] <= arm &&
          !held &&
          this.#harmful(j, x - this.#normalLevel[s])
        ) {
          this.#active[s] = 1;
        }
        // Values of an anomalous series, or of an incident's node, are suspect: they teach the
        // range only slowly, so that it still follows the daily cycle and slow benign drifts
        // (which would otherwise keep a long incident's nodes anomalous for ever).
        if (held) this.#learnNormal(s, x, HOLD_ALPHA);
        else if (!alarm)
          this.#learnNormal(s, x, this.#active[s] || involved[node] ? SUSPECT_ALPHA : NORMAL_ALPHA);
        // The score of an ongoing anomaly: the detector's, or how far out the value is.
        const score = this.#active[s] ? Math.max(scores[s], 1 - enter / (deviation + enter)) : 0;
        this.#metricScores[s] = score;
        if (score > peak) peak = score;
        if (
          score > 0 &&
          (!this.#demand[j] || (deviation > LOAD_ALONE * enter && this.#pastLong(s, j, x, enter)))
        )
          symptom = true;
      }
      if (!symptom) peak = 0;
      if (reported) {
        this.#reported[node] = 1;
        this.#silentFor[node] = 0;
      } else if (this.#reported[node] && ++this.#silentFor[node] >= silenceTicks) {
        // Silence shows up as a maximal anomaly of the node's own metrics.
        for (const j of this.#local) this.#metricScores[node * m + j] = 1;
        peak = 1;
      }
      if (peak > 0 && !held) {
        anomalies.push({
          node,
          score: peak,
          metricScores: this.#metricScores.subarray(node * m, node * m + m),
        });
      }
    }
    const opened = this.#tracker.observe(ts, anomalies);
    for (const incident of this.#tracker.open.values())
      if (incident.confirmed) captureBands(this.#evidence, incident);
    return { anomalies, opened };
  }

  /**
   * Distance of x from series s's normal level in mean absolute deviations; Infinity before the
   * range is learnt, so that an alarm then counts (a fault does not wait for the warm-up).
   */
  #deviation(s: number, x: number): number {
    if (this.#normalCount[s] < NORMAL_WARMUP) return Infinity;
    return Math.abs(x - this.#normalLevel[s]) / Math.max(this.#normalSpread[s], 1e-9);
  }

  /** Whether x is outside series s's long-memory range by more than `width`, in metric j's harmful direction. */
  #pastLong(s: number, j: number, x: number, width: number): boolean {
    const delta = x - this.#longLevel[s];
    return this.#harmful(j, delta) && Math.abs(delta) > width * Math.max(this.#longSpread[s], 1e-9);
  }

  /**
   * How far node's metric j is now from its normal level, in mean absolute deviations, counted
   * only in the metric's harmful direction (0 otherwise, and before its range is learnt): a
   * softer view than the anomaly flags, for symptoms too small for the detector to alarm on.
   */
  harmfulDeviation(node: number, j: number): number {
    const s = node * this.#options.metrics.length + j;
    const x = this.#latest[s] ?? NaN;
    if (
      Number.isNaN(x) ||
      this.#normalCount[s] < NORMAL_WARMUP ||
      !this.#harmful(j, x - this.#normalLevel[s])
    )
      return 0;
    return this.#deviation(s, x);
  }

  /** Index of a named metric, or undefined when unnamed or unknown. */
  #index(name: string | undefined): number | undefined {
    const i = name === undefined ? -1 : this.#options.metrics.indexOf(name);
    return i >= 0 ? i : undefined;
  }

  /** Whether a move of `delta` in metric j is in a harmful direction. */
  #harmful(j: number, delta: number): boolean {
    return this.#harm[j] === 0 || Math.sign(delta) === this.#harm[j];
  }

  #learnNormal(s: number, x: number, rate: number): void {
    const n = ++this.#normalCount[s];
    const alpha = Math.max(rate, 1 / n);
    const deviation = Math.abs(x - this.#normalLevel[s]);
    this.#normalLevel[s] += alpha * (x - this.#normalLevel[s]);
    this.#normalSpread[s] += alpha * (deviation - this.#normalSpread[s]);
    const long = Math.max(LONG_ALPHA, 1 / n);
    const longDeviation = Math.abs(x - this.#longLevel[s]);
    this.#longLevel[s] += long * (x - this.#longLevel[s]);
    this.#longSpread[s] += long * (longDeviation - this.#longSpread[s]);
  }

  /**
   * A copy of every series' learnt normal range (series node x metrics + j): what the anomaly
   * gate judges a detector's alarm against, to save with the detector's state.
   */
  normalRanges(): NormalRanges {
    return {
      level: Array.from(this.#normalLevel),
      spread: Array.from(this.#normalSpread),
      count: Array.from(this.#normalCount),
      longLevel: Array.from(this.#longLevel),
      longSpread: Array.from(this.#longSpread),
    };
  }

  /**
   * Continues from normal ranges learnt before (`normalRanges()` of an analyzer over as many
   * series), so that a restarted engine gates alarms at once instead of letting every alarm of
   * its first ticks count. DimensionError or ArgumentError when they do not fit.
   */
  restoreNormalRanges(ranges: NormalRanges): void {
    const series = this.#normalLevel.length;
    for (const key of ['level', 'spread', 'count', 'longLevel', 'longSpread'] as const) {
      const values = ranges?.[key];
      if (values === undefined && (key === 'longLevel' || key === 'longSpread')) continue;
      if (!Array.isArray(values) || values.length !== series)
        throw new DimensionError(`ranges.${key}`, `expected ${series} numbers (one per series)`);
      if (!values.every((v) => Number.isFinite(v) && (key === 'level' || key === 'longLevel' || v >= 0)))
        throw new ArgumentError(`ranges.${key}`, 'expected finite numbers (spreads and counts >= 0)');
    }
    this.#normalLevel.set(ranges.level);
    this.#normalSpread.set(ranges.spread);
    this.#normalCount.set(ranges.count.map((c) => Math.min(Math.floor(c), 0xffffffff)));
    this.#longLevel.set(ranges.longLevel ?? ranges.level);
    this.#longSpread.set(ranges.longSpread ?? ranges.spread);
  }

  /**
   * Everything the analyzer holds but its normal ranges (`normalRanges`) and its copy of the
   * routes, as plain JSON: the open incidents' evidence, each series' anomaly and alarm, each
   * node's silence and hold-down, the effects still to lapse. Another analyzer over the same mesh
   * and metrics goes on from it ({@link restore}).
   */
  save(): AnalyzerState {
    const times = (values: Float64Array) => Array.from(values, (v) => (Number.isFinite(v) ? v : null));
    return {
      silentFor: Array.from(this.#silentFor),
      reported: Array.from(this.#reported),
      holdUntil: times(this.#holdUntil),
      active: Array.from(this.#active),
      alarmedAt: times(this.#alarmedAt),
      lapses: this.#settling.save(),
      incidents: this.#tracker.save(),
    };
  }

  /**
   * Goes on from `state` (another analyzer's {@link save} over as many nodes and metrics), before
   * the first `step`; each open incident is made the caller's by `revive` (default the
   * constructor's `extend`) and returned. Throws an ArgumentError, or a DimensionError for an
   * array of the wrong length, naming the first field that does not fit, before changing anything.
   */
  restore(state: AnalyzerState, revive?: (incident: TrackedIncident) => T): T[] {
    if (!state || typeof state !== 'object') throw new ArgumentError('state', 'expected an object');
    const nodes = this.#silentFor.length;
    const series = this.#active.length;
    const read = (key: keyof AnalyzerState, length: number, max: number, times = false): Float64Array => {
      const values = state[key];
      if (!Array.isArray(values) || values.length !== length)
        throw new DimensionError(`state.${key}`, `expected ${length} values`);
      return Float64Array.from(values as Array<number | null>, (v, i) => {
        if (times && v === null) return -Infinity;
        if (times) {
          if (typeof v !== 'number' || !Number.isFinite(v))
            throw new ArgumentError(`state.${key}[${i}]`, `expected a tick or null, got ${String(v)}`);
          return v;
        }
        return checkInt(`state.${key}[${i}]`, v, 0, max);
      });
    };
    const silentFor = read('silentFor', nodes, 0xffffffff);
    const reported = read('reported', nodes, 1);
    const holdUntil = read('holdUntil', nodes, 0, true);
    const active = read('active', series, 1);
    const alarmedAt = read('alarmedAt', series, 0, true);
    const lapsesBefore = this.#settling.save();
    this.#settling.restore(state.lapses);
    let incidents: T[];
    try {
      incidents = this.#tracker.restore(state.incidents, series, revive);
    } catch (error) {
      this.#settling.restore(lapsesBefore);
      throw error;
    }
    this.#silentFor.set(silentFor);
    this.#reported.set(reported);
    this.#holdUntil.set(holdUntil);
    this.#active.set(active);
    this.#alarmedAt.set(alarmedAt);
    return incidents;
  }

  /** Whether `node` is silent now (stopped reporting for at least `silenceTicks`). */
  isSilent(node: number): boolean {
    return this.#silentFor[node] >= (this.#options.silenceTicks ?? 2);
  }

  /** Root causes, ranked metrics and severity of an incident as it stands. */
  summarize(incident: T): IncidentSummary {
    const { metrics } = this.#options;
    const graph = this.#graph;
    const totals = new Float64Array(metrics.length);
    let peak = 0;
    for (const e of incident.nodes.values()) {
      peak = Math.max(peak, e.peak);
      for (let j = 0; j < metrics.length; j++) totals[j] += e.metricScore[j];
    }
    const ranked = metrics
      .map((name, j) => ({ name, total: totals[j] }))
      .filter((x) => x.total > 0)
      .sort((a, b) => b.total - a.total)
      .map((x) => x.name);
    const nodes = [...incident.nodes.keys()];
    const share = Math.min(1, nodes.length / Math.max(1, graph.size * 0.2));
    const rootCauses = rankRootCauses(incident, graph, {
      localMetrics: this.#local,
      loadMetrics: this.#loadIndices,
      lossMetric: this.#index(this.#options.lossMetric),
      linkMetric: this.#index(this.#options.linkMetric),
      throughputMetric: this.#index(this.#options.throughputMetric),
      silent: new Set(nodes.filter((n) => this.isSilent(n))),
      drift: (node, j) => this.harmfulDeviation(node, j),
    });
    const top = rootCauses[0];
    return {
      rootCauses,
      confidence: top?.cut
        ? rootCauses.filter((c) => c.cut).reduce((sum, c) => sum + c.score, 0)
        : (top?.score ?? 0),
      metrics: ranked,
      severity: Math.min(1, 0.5 * peak + 0.5 * share),
      nodes: nodes.map((n) => graph.nodeIds[n]),
      silentNodes: nodes.filter((n) => this.isSilent(n)).map((n) => graph.nodeIds[n]),
    };
  }
}
