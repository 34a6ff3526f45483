/**
 * Recorded telemetry through the loop, after the fact (`x0tta6bl4 replay`): samples are grouped
 * into ticks by a TickAssembler, the recorded route changes are applied before the tick they
 * happened at (as the live run applied them), and what the loop saw and would have done is
 * gathered into a report: incidents, their ranked root causes with the symptoms behind each,
 * diagnoses with the runbooks they cite, and the plans a dry run recorded.
 *
 * The loop counts in ticks (its confirmation, quiet and gap counts are tick counts), so it is fed
 * tick time, `ts / interval` (TickClock, as `serve` does): recorded 5-minute data and the
 * simulator's 1-second ticks run the same way. Times in the report are the data's own seconds again.
 */
import type { MeshGraph } from '../analyze/graph.ts';
import { printTarget, type Target } from '../domain/targets.ts';
import { ConfigError, type ConfigProblem } from '../errors.ts';
import type { IncidentRecord } from '../knowledge/records.ts';
import type { MapeKLoop } from '../loop/loop.ts';
import type { Sample } from '../monitor/ingest.ts';
import { TickAssembler, TickClock } from '../monitor/ticks.ts';

/** One change of a node's next hop, at the tick it took effect (a line of routes.ndjson). */
export interface RouteChange {
  /** When, in the telemetry's seconds. */
  ts: number;
  /** The node whose route changed. */
  node: string;
  /** Its new next hop; null for none. */
  nextHop: string | null;
}

/**
 * Reads route-change lines `{"ts","node","nextHop"}` (NDJSON, blank lines ignored) against the
 * graph, sorted by time. Throws a ConfigError listing every bad line (`line N`): not JSON, a
 * missing field, an unknown node, a next hop that is not a neighbour.
 */
export function parseRouteChanges(text: string, graph: MeshGraph, file = 'routes'): RouteChange[] {
  const known = new Set(graph.nodeIds);
  const changes: RouteChange[] = [];
  const problems: ConfigProblem[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    const path = `line ${i + 1}`;
    let value: { ts?: unknown; node?: unknown; nextHop?: unknown };
    try {
      value = JSON.parse(line);
    } catch {
      problems.push({ path, message: 'not JSON' });
      return;
    }
    const { ts, node, nextHop } = value ?? {};
    if (typeof ts !== 'number' || !Number.isFinite(ts))
      return void problems.push({ path, message: 'expected "ts", a number of seconds' });
    if (typeof node !== 'string' || !known.has(node))
      return void problems.push({ path, message: `unknown node ${JSON.stringify(node)}` });
    if (nextHop !== null && (typeof nextHop !== 'string' || !known.has(nextHop)))
      return void problems.push({ path, message: `unknown next hop ${JSON.stringify(nextHop)}` });
    if (nextHop !== null && graph.linkBetween(graph.indexOf(node), graph.indexOf(nextHop)) < 0)
      return void problems.push({
        path,
        message: `${JSON.stringify(nextHop)} is not a neighbour of ${JSON.stringify(node)}`,
      });
    changes.push({ ts, node, nextHop });
  });
  if (problems.length) throw new ConfigError(file, problems);
  // Stable: changes of one node at one time keep their order, the last one wins.
  return changes.sort((a, b) => a.ts - b.ts);
}

/** Options of a {@link TelemetryReplay}. */
export interface TelemetryReplayOptions {
  /** The loop to feed (e.g. `createOperatorLoop`'s, in dry-run mode). */
  loop: MapeKLoop;
  /** Its graph (node order = the routing table's order). */
  graph: MeshGraph;
  /** Seconds per tick. */
  interval: number;
  /** Seconds a tick waits for late samples (default one interval). */
  lateness?: number;
  /** Route changes to apply as their time comes (from {@link parseRouteChanges}). */
  routes?: readonly RouteChange[];
}

/** Feeds recorded samples to the loop, tick by tick (see the module comment). */
export class TelemetryReplay {
  readonly #loop: MapeKLoop;
  readonly #graph: MeshGraph;
  readonly #assembler: TickAssembler;
  readonly #routes: readonly RouteChange[];
  readonly #tickTime: TickClock;
  #nextRoute = 0;
  #table: Int32Array;
  /** Ticks run. */
  ticks = 0;
  /** Samples handed to the loop. */
  samples = 0;

  /** A replay into `options.loop`; throws an ArgumentError for an interval that is not > 0. */
  constructor(options: TelemetryReplayOptions) {
    this.#loop = options.loop;
    this.#graph = options.graph;
    this.#assembler = new TickAssembler({
      interval: options.interval,
      ...(options.lateness !== undefined ? { lateness: options.lateness } : {}),
    });
    this.#tickTime = new TickClock(options.interval);
    this.#routes = options.routes ?? [];
    this.#table = Int32Array.from(options.graph.routes ?? new Int32Array(options.graph.size).fill(-1));
  }

  /** Adds samples (any order within the lateness); runs the ticks they close. */
  async add(samples: readonly Sample[]): Promise<void> {
    for (const tick of this.#assembler.add(samples)) await this.#run(tick.ts, tick.samples);
  }

  /** Runs every tick still open (the end of the recording). */
  async finish(): Promise<void> {
    for (const tick of this.#assembler.flush()) await this.#run(tick.ts, tick.samples);
  }

  async #run(ts: number, samples: readonly Sample[]): Promise<void> {
    this.#applyRoutes(ts);
    this.ticks++;
    this.samples += samples.length;
    await this.#loop.tick(this.#tickTime.ticks(ts), this.#tickTime.samples(samples));
  }

  /** The route changes due by `ts`, applied at once (one routing update per tick, as live). */
  #applyRoutes(ts: number): void {
    let changed = false;
    while (this.#nextRoute < this.#routes.length && this.#routes[this.#nextRoute].ts <= ts) {
      const { node, nextHop } = this.#routes[this.#nextRoute++];
      this.#table[this.#graph.indexOf(node)] = nextHop === null ? -1 : this.#graph.indexOf(nextHop);
      changed = true;
    }
    if (changed) this.#loop.updateRoutes(this.#table);
  }
}

/** One symptom behind a root cause: a node's anomalous metrics while the incident was open. */
export interface CauseEvidence {
  /** The node that showed them. */
  node: string;
  /** Its anomalous metrics. */
  metrics: string[];
  /** Its highest anomaly score. */
  peak: number;
  /** When it was first anomalous in the incident, in seconds. */
  since: number;
}

/** A ranked root cause with the symptoms behind it. */
export interface ReplayCause {
  /** The node or link. */
  target: Target;
  /** Its confidence, 0..1. */
  score: number;
  /** A link of a partition's cut. */
  cut?: boolean;
  /** Its own symptoms (a node's, or both ends' of a link), else its neighbours' in the incident. */
  evidence: CauseEvidence[];
}

/** What a dry run recorded it would do. */
export interface ReplayPlan {
  /** The action. */
  action: string;
  /** What it would act on. */
  target: Target;
  /** When it was planned, in seconds. */
  at: number;
  /** 'dry-run' when the executor found it valid, 'failed' when it refused it. */
  outcome: string;
  /** The planner's reasons. */
  explanation: string;
}

/** One incident of a replay. */
export interface ReplayIncident {
  /** The incident's id. */
  id: string;
  /** Whether it opened while the loop learned from the baseline or in the recording. */
  phase: 'baseline' | 'recording';
  /** When it opened, in seconds. */
  openedAt: number;
  /** When it closed (escalated or resolved), in seconds. */
  closedAt?: number;
  /** 'open', 'resolved' or 'escalated'. */
  status: IncidentRecord['status'];
  /** Its nodes. */
  nodes: string[];
  /** Its metrics, most anomalous first. */
  metrics: string[];
  /** The root causes of its first diagnosis, best first (at most five). */
  rootCauses: ReplayCause[];
  /** The first diagnosis: the kind named and the runbooks cited. */
  diagnosis?: { at: number; kind?: string; citations: string[] };
  /** What a dry run planned for it. */
  plans: ReplayPlan[];
  /** Why it went to a human, if it did. */
  escalation?: string;
}

/** How many of a node's latest anomaly events are kept to explain a root cause. */
const ANOMALY_MEMORY = 64;

/** Listens to a loop's events and keeps what a replay reports. */
export class ReplayRecorder {
  readonly #incidents = new Map<string, ReplayIncident>();
  readonly #anomalies = new Map<string, Array<{ ts: number; score: number; metrics: string[] }>>();
  readonly #graph: MeshGraph;
  readonly #interval: number;
  /** Samples the loop's monitor refused, by reason. */
  readonly rejected: Record<string, number> = {};
  /** The first few refused samples, to show what was refused. */
  readonly rejectedExamples: Array<{ reason: string; node?: string; metric?: string; ts?: number }> = [];
  /** Which phase incidents opening now belong to. */
  phase: ReplayIncident['phase'] = 'recording';

  /** Follows `loop`'s events; `interval` turns its ticks back into seconds. */
  constructor(loop: MapeKLoop, graph: MeshGraph, interval: number) {
    this.#graph = graph;
    this.#interval = interval;
    const seconds = (tick: number) => tick * interval;
    loop.on('anomaly', ({ ts, node, score, metrics }) => {
      let list = this.#anomalies.get(node);
      if (!list) this.#anomalies.set(node, (list = []));
      list.push({ ts, score, metrics });
      if (list.length > ANOMALY_MEMORY) list.shift();
    });
    loop.on('incident-opened', ({ ts, incident }) => {
      this.#incidents.set(incident.id, {
        id: incident.id,
        phase: this.phase,
        openedAt: seconds(ts),
        status: incident.status,
        nodes: incident.nodes,
        metrics: incident.metrics,
        rootCauses: [],
        plans: [],
      });
    });
    loop.on('diagnosis', ({ ts, incident }) => {
      const seen = this.#update(incident);
      if (!seen || seen.diagnosis) return;
      seen.diagnosis = {
        at: seconds(ts),
        ...(incident.diagnosedKind !== undefined ? { kind: incident.diagnosedKind } : {}),
        citations: incident.citations,
      };
      seen.rootCauses = incident.rootCauses.slice(0, 5).map((c) => ({
        ...c,
        evidence: this.#evidence(c.target, incident),
      }));
    });
    loop.on('incident-resolved', ({ incident }) => void this.#update(incident));
    loop.on('escalation', ({ incident, reason }) => {
      const seen = this.#update(incident);
      if (seen) seen.escalation ??= reason;
    });
    loop.on('action-result', ({ ts, action }) => {
      this.#incidents.get(action.incidentId)?.plans.push({
        action: action.action,
        target: action.target,
        at: seconds(ts),
        outcome: action.outcome,
        explanation: action.explanation,
      });
    });
    loop.on('sample-rejected', ({ rejection }) => {
      this.rejected[rejection.reason] = (this.rejected[rejection.reason] ?? 0) + rejection.count;
      if (this.rejectedExamples.length < 5)
        this.rejectedExamples.push({
          reason: rejection.reason,
          ...(rejection.source !== undefined ? { node: rejection.source } : {}),
          ...(rejection.metric !== undefined ? { metric: rejection.metric } : {}),
          ...(rejection.ts !== undefined ? { ts: seconds(rejection.ts) } : {}),
        });
    });
  }

  /** Every incident seen, in the order they opened. */
  incidents(): ReplayIncident[] {
    return [...this.#incidents.values()];
  }

  #update(incident: IncidentRecord): ReplayIncident | undefined {
    const seen = this.#incidents.get(incident.id);
    if (!seen) return undefined;
    seen.status = incident.status;
    seen.nodes = incident.nodes;
    seen.metrics = incident.metrics;
    if (incident.closedAt !== undefined) seen.closedAt = incident.closedAt * this.#interval;
    return seen;
  }

  /** The symptoms behind `target`: its own (both ends' for a link), else its neighbours' in the incident. */
  #evidence(target: Target, incident: IncidentRecord): CauseEvidence[] {
    const graph = this.#graph;
    const own = target.node !== undefined ? [target.node] : [...target.link];
    const shown = own.flatMap((node) => this.#symptoms(node, incident.openedAt));
    if (shown.length || target.node === undefined) return shown;
    const members = new Set(incident.nodes);
    return graph
      .neighbors(graph.indexOf(target.node))
      .map((i) => graph.nodeIds[i])
      .filter((node) => members.has(node))
      .flatMap((node) => this.#symptoms(node, incident.openedAt));
  }

  #symptoms(node: string, since: number): CauseEvidence[] {
    const seen = (this.#anomalies.get(node) ?? []).filter((a) => a.ts >= since);
    if (seen.length === 0) return [];
    return [
      {
        node,
        metrics: [...new Set(seen.flatMap((a) => a.metrics))],
        peak: Math.max(...seen.map((a) => a.score)),
        since: seen[0].ts * this.#interval,
      },
    ];
  }
}

/** A cause as one line: `n3 (0.82): n3 cpu, errorRate; n7 packetLoss`. */
export function describeCause(cause: ReplayCause): string {
  const symptoms = cause.evidence.map((e) => `${e.node} ${e.metrics.join(', ')}`).join('; ');
  return `${printTarget(cause.target)} (${cause.score.toFixed(2)})${cause.cut ? ' cut' : ''}${symptoms ? `: ${symptoms}` : ''}`;
}
