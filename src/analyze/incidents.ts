/**
 * Groups anomalous nodes into incidents by time and topology: an anomalous node joins an open
 * incident that has a node within `hops` of it and was active in the last `gap` ticks;
 * otherwise it opens a new one. Incidents that grow into each other merge. An incident goes
 * quiet (a candidate for closing) after `quiet` ticks without an anomalous node. A frozen
 * incident (one handed to a human) only takes in more of what it already holds, the same metrics
 * of the same nodes, so that a later fault nearby, or a new symptom on one of its nodes, opens
 * an incident of its own.
 *
 * The tracker's map is the one collection of open incidents: a caller that follows incidents
 * further (the loop, through its `extend` function) keeps its state on the same objects.
 */
import { ArgumentError, DimensionError } from '../errors.ts';
import { IdSource } from '../knowledge/ids.ts';
import { checkFinite, checkInt } from '../validate.ts';
import type { MeshGraph } from './graph.ts';
import type { Band } from './recovery.ts';

/** How anomalous nodes are grouped into incidents (see the module's comment). */
export interface IncidentOptions {
  /** Topological reach of one incident, in hops (default 2). */
  hops?: number;
  /** Ticks of silence after which a node no longer extends an incident (default 30). */
  gap?: number;
  /** Ticks without anomalies after which an incident counts as quiet (default 10). */
  quiet?: number;
  /**
   * Where new incidents get their ids (default: a fresh IdSource, so `<runId>-inc-<n>` under a
   * new run id): ids stay unique across runs and engines sharing a store.
   */
  ids?: Pick<IdSource, 'incident'>;
}

/** Per-node evidence gathered while an incident is open. */
export interface NodeEvidence {
  /** The node's index in the mesh graph. */
  node: number;
  /** Tick the node was first anomalous in this incident (its place in the propagation order). */
  onset: number;
  /** Tick the node was last anomalous. */
  lastSeen: number;
  /** Highest anomaly score seen. */
  peak: number;
  /** Sum of anomaly scores per metric index, to rank which metrics moved. */
  metricScore: Float64Array;
}

/** An incident under construction. */
export interface TrackedIncident {
  /** The incident's id, from `IncidentOptions.ids`. */
  id: string;
  /** Tick of its first anomalous node. */
  openedAt: number;
  /** Last tick any of its nodes was anomalous. */
  lastActive: number;
  /** Evidence per node index involved. */
  nodes: Map<number, NodeEvidence>;
  /**
   * Series index -> its band from before the incident (null when it had too few samples),
   * captured when the series joins a confirmed incident (see `Analyzer.confirm`).
   */
  bands: Map<number, Band | null>;
  /** Shown enough evidence to be followed: its series' bands are captured from then on. */
  confirmed?: boolean;
  /** Takes in no new nodes (see `freeze`). */
  frozen?: boolean;
}

/** A tracked incident as plain JSON ({@link IncidentTracker.save}): its evidence, for another tracker to go on with. */
export interface SavedIncident {
  /** The incident's id. */
  id: string;
  /** Tick of its first anomalous node. */
  openedAt: number;
  /** Last tick any of its nodes was anomalous. */
  lastActive: number;
  /** Evidence per node, `metricScore` as plain numbers. */
  nodes: Array<Omit<NodeEvidence, 'metricScore'> & { metricScore: number[] }>;
  /** Series index and its band from before the incident (null when it had too few samples). */
  bands: Array<[number, Band | null]>;
  /** Shown enough evidence to be followed. */
  confirmed?: boolean;
  /** Takes in no new nodes. */
  frozen?: boolean;
}

/** One tick's anomaly evidence: for each anomalous node, its score and per-metric scores. */
export interface NodeAnomaly {
  /** The node's index in the mesh graph. */
  node: number;
  /** The node's anomaly score this tick, 0..1. */
  score: number;
  /** Its anomaly score per metric index this tick. */
  metricScores: ArrayLike<number>;
}

/**
 * Open incidents, grown and merged tick by tick from anomalous nodes. `T` is the caller's
 * incident type: `extend` turns each new incident into one once its first tick is folded in.
 */
export class IncidentTracker<T extends TrackedIncident = TrackedIncident> {
  readonly #open = new Map<string, T>();
  readonly #options: Required<Omit<IncidentOptions, 'ids'>>;
  readonly #ids: Pick<IdSource, 'incident'>;

  /**
   * A tracker with no open incident.
   * @param graph the mesh whose hop distances group nodes
   * @param metricCount metrics per node (the length of each `metricScores`)
   * @param options reach, gaps and the id source
   */
  constructor(
    private readonly graph: MeshGraph,
    private readonly metricCount: number,
    options: IncidentOptions = {},
    private readonly extend: (incident: TrackedIncident) => T = (incident) => incident as T,
  ) {
    const { ids = new IdSource(), ...rest } = options;
    this.#options = { hops: 2, gap: 30, quiet: 10, ...rest };
    this.#ids = ids;
  }

  /** Open incidents, oldest first. */
  get open(): ReadonlyMap<string, T> {
    return this.#open;
  }

  /** Adds one tick of anomalies; returns incidents opened at this tick. */
  observe(ts: number, anomalies: readonly NodeAnomaly[]): T[] {
    const opened: TrackedIncident[] = [];
    for (const anomaly of anomalies) {
      const matches = [...this.#open.values()].filter((incident) => this.#reaches(incident, anomaly, ts));
      let incident: TrackedIncident;
      if (matches.length === 0) {
        incident = {
          id: this.#ids.incident(),
          openedAt: ts,
          lastActive: ts,
          nodes: new Map(),
          bands: new Map(),
        };
        // Extended below, once this tick's anomalies are in: until then it is only ours.
        this.#open.set(incident.id, incident as T);
        opened.push(incident);
      } else {
        // A frozen incident keeps to itself: it never merges with another.
        incident = matches.find((m) => m.frozen) ?? matches[0];
        if (!incident.frozen)
          for (const other of matches.slice(1)) if (!other.frozen) this.#merge(incident, other);
      }
      this.#record(incident, ts, anomaly);
    }
    return opened
      .filter((incident) => this.#open.has(incident.id))
      .map((incident) => {
        const extended = this.extend(incident);
        this.#open.set(incident.id, extended);
        return extended;
      });
  }

  /** Whether `incident` has had no anomaly for `quiet` ticks as of `ts`. */
  isQuiet(incident: TrackedIncident, ts: number): boolean {
    return ts - incident.lastActive >= this.#options.quiet;
  }

  /** Stops an incident from taking in nodes it does not already hold. */
  freeze(id: string): void {
    const incident = this.#open.get(id);
    if (incident) incident.frozen = true;
  }

  /** Stops tracking an incident (resolved, escalated and quiet, or dropped). */
  close(id: string): void {
    this.#open.delete(id);
  }

  /** The open incidents' evidence as plain JSON, oldest first, for {@link restore}. */
  save(): SavedIncident[] {
    return [...this.#open.values()].map((incident) => ({
      id: incident.id,
      openedAt: incident.openedAt,
      lastActive: incident.lastActive,
      nodes: [...incident.nodes.values()].map((e) => ({ ...e, metricScore: Array.from(e.metricScore) })),
      bands: [...incident.bands].map(([series, band]) => [series, band ? { ...band } : null]),
      ...(incident.confirmed ? { confirmed: true } : {}),
      ...(incident.frozen ? { frozen: true } : {}),
    }));
  }

  /**
   * Replaces the open incidents with `saved` (another tracker's {@link save} over the same mesh
   * and metrics), each made the caller's by `revive` (default: the tracker's `extend`); returns
   * them. `seriesCount` bounds the bands' series indices. Throws an ArgumentError (DimensionError
   * for a wrong length) naming the first field that does not fit, before changing anything.
   */
  restore(
    saved: readonly SavedIncident[],
    seriesCount: number,
    revive: (incident: TrackedIncident) => T = this.extend,
  ): T[] {
    if (!Array.isArray(saved)) throw new ArgumentError('incidents', 'expected an array');
    const ids = new Set<string>();
    const tracked = saved.map((s, i) => {
      const at = `incidents[${i}]`;
      if (!s || typeof s !== 'object') throw new ArgumentError(at, 'expected an object');
      if (typeof s.id !== 'string' || s.id === '' || ids.has(s.id))
        throw new ArgumentError(`${at}.id`, 'expected a non-empty id, once');
      ids.add(s.id);
      checkFinite(`${at}.openedAt`, s.openedAt);
      checkFinite(`${at}.lastActive`, s.lastActive);
      const { nodes, bands }: Pick<SavedIncident, 'nodes' | 'bands'> = s;
      if (!Array.isArray(nodes) || !Array.isArray(bands))
        throw new ArgumentError(`${at}.nodes`, 'expected arrays of nodes and bands');
      const incident: TrackedIncident = {
        id: s.id,
        openedAt: s.openedAt,
        lastActive: s.lastActive,
        nodes: new Map(nodes.map((e, k) => [e?.node, this.#evidence(e, `${at}.nodes[${k}]`)])),
        bands: new Map(
          bands.map(([series, band], k) => {
            checkInt(`${at}.bands[${k}][0]`, series, 0, seriesCount - 1);
            if (band !== null) {
              checkFinite(`${at}.bands[${k}][1].center`, band?.center);
              checkFinite(`${at}.bands[${k}][1].halfWidth`, band?.halfWidth);
            }
            return [series, band === null ? null : { center: band.center, halfWidth: band.halfWidth }];
          }),
        ),
      };
      if (s.confirmed === true) incident.confirmed = true;
      if (s.frozen === true) incident.frozen = true;
      return incident;
    });
    const revived = tracked.map((incident) => revive(incident));
    this.#open.clear();
    for (const incident of revived) this.#open.set(incident.id, incident);
    return revived;
  }

  #evidence(e: SavedIncident['nodes'][number], at: string): NodeEvidence {
    if (!e || typeof e !== 'object') throw new ArgumentError(at, 'expected an object');
    checkInt(`${at}.node`, e.node, 0, this.graph.size - 1);
    if (!Array.isArray(e.metricScore) || e.metricScore.length !== this.metricCount)
      throw new DimensionError(`${at}.metricScore`, `expected ${this.metricCount} numbers`);
    e.metricScore.forEach((v, m) => checkFinite(`${at}.metricScore[${m}]`, v));
    return {
      node: e.node,
      onset: checkFinite(`${at}.onset`, e.onset),
      lastSeen: checkFinite(`${at}.lastSeen`, e.lastSeen),
      peak: checkFinite(`${at}.peak`, e.peak),
      metricScore: Float64Array.from(e.metricScore),
    };
  }

  #reaches(incident: TrackedIncident, anomaly: NodeAnomaly, ts: number): boolean {
    const node = anomaly.node;
    if (ts - incident.lastActive > this.#options.gap) return false;
    if (incident.frozen) {
      const held = incident.nodes.get(node);
      if (!held) return false;
      for (let m = 0; m < this.metricCount; m++)
        if (anomaly.metricScores[m] > 0 && held.metricScore[m] === 0) return false;
      return true;
    }
    for (const evidence of incident.nodes.values()) {
      if (
        ts - evidence.lastSeen <= this.#options.gap &&
        this.graph.within(evidence.node, node, this.#options.hops)
      ) {
        return true;
      }
    }
    return false;
  }

  #record(incident: TrackedIncident, ts: number, anomaly: NodeAnomaly): void {
    incident.lastActive = ts;
    let evidence = incident.nodes.get(anomaly.node);
    if (!evidence) {
      evidence = {
        node: anomaly.node,
        onset: ts,
        lastSeen: ts,
        peak: 0,
        metricScore: new Float64Array(this.metricCount),
      };
      incident.nodes.set(anomaly.node, evidence);
    }
    evidence.lastSeen = ts;
    evidence.peak = Math.max(evidence.peak, anomaly.score);
    for (let m = 0; m < this.metricCount; m++) evidence.metricScore[m] += anomaly.metricScores[m];
  }

  /** Folds `other` into `into`; the earlier incident keeps its id. */
  #merge(into: TrackedIncident, other: TrackedIncident): void {
    into.openedAt = Math.min(into.openedAt, other.openedAt);
    into.lastActive = Math.max(into.lastActive, other.lastActive);
    for (const [node, evidence] of other.nodes) {
      const mine = into.nodes.get(node);
      if (!mine) into.nodes.set(node, evidence);
      else {
        mine.onset = Math.min(mine.onset, evidence.onset);
        mine.lastSeen = Math.max(mine.lastSeen, evidence.lastSeen);
        mine.peak = Math.max(mine.peak, evidence.peak);
        for (let m = 0; m < this.metricCount; m++) mine.metricScore[m] += evidence.metricScore[m];
      }
    }
    this.#open.delete(other.id);
  }
}
