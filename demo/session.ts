/**
 * One mesh in the playground's worker: the engine's MeshLoop over a seeded simulator with no
 * fault schedule (the user injects faults), driven at a chosen speed, with the evaluator and the
 * incident stories listening to its events, and a short history of every series for the charts.
 */
import { FAULT_SCOPE } from '../src/domain/faults.ts';
import { checkTarget, type Target } from '../src/domain/targets.ts';
import { ArgumentError } from '../src/errors.ts';
import { IdSource } from '../src/knowledge/ids.ts';
import type { KnowledgeStore } from '../src/knowledge/store.ts';
import type { AuditSink, BatchScorer } from '../src/loop/contracts.ts';
import { LINK_HEALTH, MARK, NODE_HEALTH } from '../src/report/index.ts';
import { createEngineParts, type EngineParts } from '../src/run/defaults.ts';
import { Evaluator } from '../src/run/evaluate.ts';
import { MeshLoop, SIM_METRICS } from '../src/run/mesh-loop.ts';
import { RagDiagnoser } from '../src/rag/diagnoser.ts';
import type { RagStore } from '../src/rag/store.ts';
import { RUNBOOKS } from '../src/rag/runbooks.generated.ts';
import { SIM_FAULT_KINDS, type SimFaultKind } from '../src/sim/index.ts';
import type {
  Counters,
  RagHit,
  FaultOutcome,
  MeshInfo,
  NodeSeries,
  Phase,
  StartOptions,
  Story,
  View,
} from './protocol.ts';
import { incidentLabel, StoryTeller } from './stories.ts';

/** Ticks the detectors learn the mesh's normal before the first fault (as the main job's schedule does). */
export const WARMUP_TICKS = 600;
/** Smallest and largest mesh the playground runs. */
export const MIN_NODES = 10;
export const MAX_NODES = 1000;
/** Ticks of telemetry and scores kept per series for the charts. */
const HISTORY_TICKS = 180;
/** Longest the engine runs before it lets the worker answer the page, ms. */
const SLICE_MS = 12;
/** Ticks a node stays drawn anomalous after its last anomaly. */
const ANOMALY_AFTERGLOW = 2;

/** Where a session keeps what it learns and records; in memory when left out. */
export interface SessionStores {
  knowledge?: KnowledgeStore;
  rag?: RagStore;
  audit?: AuditSink;
}

/** The last HISTORY_TICKS ticks of every series' value and anomaly score, as rings indexed by tick. */
class SeriesHistory {
  readonly values: Float32Array;
  readonly scores: Float32Array;
  readonly ticks = new Float64Array(HISTORY_TICKS).fill(-1);

  constructor(readonly series: number) {
    this.values = new Float32Array(series * HISTORY_TICKS);
    this.scores = new Float32Array(series * HISTORY_TICKS);
  }

  record(ts: number, values: Float64Array, scores: Float64Array): void {
    const row = ts % HISTORY_TICKS;
    this.ticks[row] = ts;
    this.values.set(values, row * this.series);
    this.scores.set(scores, row * this.series);
  }
}

/** A detector that keeps what it scored: the loop's own detector, watched. */
class WatchedScorer implements BatchScorer {
  constructor(
    private readonly inner: BatchScorer,
    private readonly history: SeriesHistory,
  ) {}

  get size(): number {
    return this.inner.size;
  }

  update(ts: number, values: Float64Array, scores: Float64Array<ArrayBuffer>): unknown {
    const done = this.inner.update(ts, values, scores);
    if (done instanceof Promise) return done.then(() => this.history.record(ts, values, scores));
    this.history.record(ts, values, scores);
    return undefined;
  }

  close(): Promise<void> | void {
    return this.inner.close?.();
  }
}

/** One running mesh (see the file comment); `stop()` ends it. */
export class MeshSession {
  readonly info: MeshInfo;
  /** The run id that prefixes this mesh's incident and action ids. */
  readonly runId: string;
  readonly #mesh: MeshLoop;
  readonly #parts: EngineParts;
  readonly #evaluator: Evaluator;
  readonly #teller: StoryTeller;
  readonly #history: SeriesHistory;
  /** Last tick each node showed an anomaly. */
  readonly #lastAnomaly: Float64Array;
  /** Actions in flight, by id: their targets. */
  readonly #acting = new Map<string, Target>();
  #speed: number;
  #paused = false;
  #stopped = false;
  #wake: (() => void) | undefined;
  /** The tick in progress (a step waits for it). */
  #ticking: Promise<void> = Promise.resolve();
  #driving: Promise<void> = Promise.resolve();
  /** Recent (wall ms, tick) pairs, to measure the speed reached. */
  readonly #pace: Array<[number, number]> = [];
  #injected = 0;
  #counters: { version: number; counters: Counters } | undefined;

  private constructor(
    options: StartOptions,
    mesh: MeshLoop,
    parts: EngineParts,
    history: SeriesHistory,
    runId: string,
  ) {
    this.runId = runId;
    this.#mesh = mesh;
    this.#parts = parts;
    this.#history = history;
    this.#speed = options.speed;
    this.#paused = options.paused === true;
    const runbookFaults = new Map(RUNBOOKS.map((r) => [r.id, r.faults]));
    this.#evaluator = new Evaluator(mesh.sim, mesh.loop.events, (id) => runbookFaults.get(id));
    this.#teller = new StoryTeller(mesh.loop.events);
    const topology = mesh.sim.topology;
    this.#lastAnomaly = new Float64Array(topology.nodeCount).fill(-Infinity);
    mesh.loop.on('anomaly', ({ ts, node }) => (this.#lastAnomaly[topology.nodeIndex(node)] = ts));
    mesh.loop.on('action-started', ({ action }) => this.#acting.set(action.id, action.target));
    mesh.loop.on('action-result', ({ action }) => this.#acting.delete(action.id));
    this.info = {
      seed: options.seed,
      nodeIds: topology.nodeIds,
      x: topology.x,
      y: topology.y,
      linkFrom: topology.linkFrom,
      linkTo: topology.linkTo,
      isGateway: topology.isGateway,
      nodeKinds: SIM_FAULT_KINDS.filter((k) => FAULT_SCOPE[k] === 'node'),
      linkKinds: SIM_FAULT_KINDS.filter((k) => FAULT_SCOPE[k] === 'link'),
      metrics: SIM_METRICS.map((m) => m.name),
      threshold: parts.threshold,
      warmupTicks: WARMUP_TICKS,
      learntRates: mesh.planner.successRates.all().length,
    };
  }

  /** Builds the mesh and the engine (detectors on this thread: the worker is the engine's thread). */
  static async create(options: StartOptions, stores: SessionStores = {}): Promise<MeshSession> {
    const { seed, nodes, speed } = options;
    if (!Number.isInteger(seed) || seed < 0)
      throw new ArgumentError('seed', `expected an integer >= 0, got ${String(seed)}`);
    if (!Number.isInteger(nodes) || nodes < MIN_NODES || nodes > MAX_NODES)
      throw new ArgumentError(
        'nodes',
        `expected an integer in ${MIN_NODES}..${MAX_NODES}, got ${String(nodes)}`,
      );
    checkSpeed(speed);
    const parts = await createEngineParts(stores.rag ? { ragStore: stores.rag } : {});
    let history: SeriesHistory | undefined;
    const ids = new IdSource();
    // What earlier meshes and visits learnt of which remedy heals what: the planner starts from it.
    const successRates = (await stores.knowledge?.listPosteriors()) ?? [];
    const mesh = await MeshLoop.create({
      learning: { successRates, versions: {}, notes: [] },
      ids,
      seed,
      nodes,
      faultsPerKind: 0,
      threshold: parts.threshold,
      diagnoser: parts.diagnoser,
      detector: async (series) =>
        new WatchedScorer(await parts.detector(series), (history = new SeriesHistory(series))),
      store: stores.knowledge,
      audit: stores.audit,
    });
    const session = new MeshSession(options, mesh, parts, history!, ids.runId);
    session.#driving = session.#drive();
    return session;
  }

  /** Simulated seconds per real second (Infinity: as fast as possible). */
  setSpeed(speed: number): void {
    checkSpeed(speed);
    this.#speed = speed;
    this.#wake?.();
  }

  /** Stops the clock after the tick in progress (warm-up runs on regardless). */
  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    this.#paused = false;
    this.#wake?.();
  }

  /** Runs one tick while paused; resolves once it is done. */
  async step(): Promise<void> {
    if (!this.#paused) throw new ArgumentError('step', 'pause the mesh first: it is running');
    await this.#tick();
  }

  /**
   * Injects a fault of `kind` at `target` from the next tick until an action heals it. Throws an
   * ArgumentError naming what is wrong (a kind that strikes links given a node, an unknown node...).
   */
  inject(kind: string, target: Target, severity = 0.5): FaultOutcome {
    if (this.#mesh.sim.now < WARMUP_TICKS)
      throw new ArgumentError(
        'tick',
        `the detectors are still learning the mesh's normal until tick ${WARMUP_TICKS}`,
      );
    checkTarget(target, 'target');
    const record = this.#mesh.sim.inject({ kind: kind as SimFaultKind, target, severity });
    this.#injected++;
    return this.faults().find((f) => f.id === record.id)!;
  }

  /** The live view (see View). */
  view(): View {
    const { sim, loop } = this.#mesh;
    const topology = sim.topology;
    const n = topology.nodeCount;
    const now = sim.now - 1;
    const nodeHealth = new Uint8Array(n);
    const nodeMarks = new Uint8Array(n);
    const linkHealth = new Uint8Array(topology.linkCount);
    const linkMarks = new Uint8Array(topology.linkCount);
    const latest = loop.monitor.latest;
    const metrics = SIM_METRICS.length;
    const silent = NODE_HEALTH.indexOf('silent');
    const anomalous = NODE_HEALTH.indexOf('anomalous');
    for (let i = 0; i < n; i++) {
      if (now >= 0 && Number.isNaN(latest[i * metrics])) nodeHealth[i] = silent;
      else if (now - this.#lastAnomaly[i] <= ANOMALY_AFTERGLOW) nodeHealth[i] = anomalous;
    }
    for (let l = 0; l < topology.linkCount; l++)
      if (nodeHealth[topology.linkFrom[l]] !== 0 && nodeHealth[topology.linkTo[l]] !== 0)
        linkHealth[l] = LINK_HEALTH.indexOf('strained');
    if (now >= 0) {
      const truth = sim.truthAt(now);
      for (let i = 0; i < n; i++) if (truth.faultyNodes[i]) nodeMarks[i] |= MARK.faulty;
      for (let l = 0; l < topology.linkCount; l++) if (truth.faultyLinks[l]) linkMarks[l] |= MARK.faulty;
    }
    for (const target of this.#acting.values()) {
      if (target.node !== undefined) nodeMarks[topology.nodeIndex(target.node)] |= MARK.acted;
      else linkMarks[topology.linkIndex(target.link)] |= MARK.acted;
    }
    const incidents: View['incidents'] = [];
    for (const incident of loop.openIncidents) {
      if (incident.status === 'open' && incident.rootCauses[0]) {
        const top = incident.rootCauses[0].target;
        if (top.node !== undefined) nodeHealth[topology.nodeIndex(top.node)] = NODE_HEALTH.indexOf('suspect');
        else linkHealth[topology.linkIndex(top.link)] = LINK_HEALTH.indexOf('suspect');
      }
      incidents.push({
        id: incident.id,
        label: incidentLabel(incident.id),
        nodes: incident.nodes.map((id) => topology.nodeIndex(id)),
        escalated: incident.status === 'escalated',
      });
    }
    return {
      tick: sim.now,
      phase: this.#phase,
      ticksPerSecond: this.#measuredPace(),
      nodeHealth,
      nodeMarks,
      linkHealth,
      linkMarks,
      incidents,
      counters: this.#countersNow(),
      version: this.#version,
    };
  }

  /** The incidents' stories, newest first. */
  stories(limit = 40): Story[] {
    return this.#teller.stories(limit);
  }

  /** Every injected fault with what the engine did about it, newest first. */
  faults(): FaultOutcome[] {
    return this.#evaluator.faultOutcomes().reverse();
  }

  /** The last ticks of node `node`'s telemetry and scores, oldest first. */
  series(node: string): NodeSeries {
    const i = this.#mesh.sim.topology.nodeIndex(node, 'node');
    const h = this.#history;
    const names = this.info.metrics;
    const ticks: number[] = [];
    const values: Record<string, number[]> = Object.fromEntries(names.map((m) => [m, []]));
    const scores: Record<string, number[]> = Object.fromEntries(names.map((m) => [m, []]));
    const last = this.#mesh.sim.now - 1;
    for (let ts = Math.max(0, last - HISTORY_TICKS + 1); ts <= last; ts++) {
      const row = ts % HISTORY_TICKS;
      if (h.ticks[row] !== ts) continue;
      ticks.push(ts);
      names.forEach((m, j) => {
        const s = row * h.series + i * names.length + j;
        values[m].push(h.values[s]);
        scores[m].push(h.scores[s]);
      });
    }
    return { node, ticks, values, scores };
  }

  /** The runbooks and past incidents the engine's RAG analyzer retrieves for `query`, best first. */
  async search(query: string, k = 8): Promise<RagHit[]> {
    if (typeof query !== 'string' || query.trim() === '')
      throw new ArgumentError('query', 'describe the incident in a few words');
    const diagnoser = this.#parts.diagnoser;
    if (!(diagnoser instanceof RagDiagnoser))
      throw new ArgumentError('diagnoser', 'this engine diagnoses without RAG');
    const result = await diagnoser.analyzer.retrieveContext(query, { k });
    return result.hits.map((hit) => ({
      id: hit.document.id,
      title: hit.document.title,
      source: hit.document.source,
      faults: [...hit.document.faults],
      score: hit.score,
      matched: [...hit.matched],
      ...(hit.lexicalRank !== undefined ? { lexicalRank: hit.lexicalRank } : {}),
      ...(hit.vectorRank !== undefined ? { vectorRank: hit.vectorRank } : {}),
    }));
  }

  /** Stops driving, waits for the tick in progress and closes the loop and the engine's parts. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#wake?.();
    await this.#driving;
    await this.#mesh.loop.close();
    await this.#parts.close();
  }

  get #phase(): Phase {
    if (this.#mesh.sim.now < WARMUP_TICKS) return 'warming-up';
    return this.#paused ? 'paused' : 'running';
  }

  /** Changes when a story changes or a fault is injected. */
  get #version(): number {
    return this.#teller.version + this.#injected;
  }

  #countersNow(): Counters {
    const version = this.#version;
    if (this.#counters?.version !== version) {
      const { overall } = this.#evaluator.report({
        seed: this.info.seed,
        hours: Math.max(1, this.#mesh.sim.now) / 3600,
      });
      this.#counters = {
        version,
        counters: {
          injected: overall.injected,
          detected: overall.detected,
          healed: overall.healed,
          escalated: overall.escalations,
          falseAlarms: overall.falseAlarms,
          actions: overall.actions,
          ttdMedian: overall.mttdMedian,
          ttrMedian: overall.mttrMedian,
        },
      };
    }
    return this.#counters.counters;
  }

  #measuredPace(): number {
    const pace = this.#pace;
    if (pace.length < 2) return 0;
    const [t0, k0] = pace[0];
    const [t1, k1] = pace[pace.length - 1];
    return t1 > t0 ? ((k1 - k0) * 1000) / (t1 - t0) : 0;
  }

  /** One tick, after any in progress. */
  #tick(): Promise<void> {
    this.#ticking = this.#ticking.then(() => this.#mesh.step());
    return this.#ticking;
  }

  /** Runs ticks at the chosen speed until stopped, handing the thread back every SLICE_MS. */
  async #drive(): Promise<void> {
    let credit = 0;
    let last = performance.now();
    while (!this.#stopped) {
      const warming = this.#mesh.sim.now < WARMUP_TICKS;
      if (this.#paused && !warming) {
        await new Promise<void>((wake) => (this.#wake = wake));
        this.#wake = undefined;
        [credit, last] = [0, performance.now()];
        continue;
      }
      const speed = warming ? Infinity : this.#speed;
      const sliceEnd = performance.now() + SLICE_MS;
      if (speed === Infinity) {
        do await this.#tick();
        while (
          performance.now() < sliceEnd &&
          !this.#stopped &&
          (this.#mesh.sim.now < WARMUP_TICKS || !this.#paused)
        );
        this.#note();
        await handBack(0);
        [credit, last] = [0, performance.now()];
        continue;
      }
      const now = performance.now();
      // Owed ticks, capped so that a stall is not made up in a burst.
      credit = Math.min(credit + ((now - last) / 1000) * speed, Math.max(1, speed / 5));
      last = now;
      while (credit >= 1 && performance.now() < sliceEnd && !this.#stopped && !this.#paused) {
        await this.#tick();
        credit--;
      }
      this.#note();
      await handBack(credit >= 1 ? 0 : ((1 - credit) / speed) * 1000);
    }
  }

  /** Notes the pace: (wall time, tick) over about the last second. */
  #note(): void {
    const now = performance.now();
    this.#pace.push([now, this.#mesh.sim.now]);
    while (this.#pace.length > 2 && now - this.#pace[0][0] > 1000) this.#pace.shift();
  }
}

function checkSpeed(speed: number): void {
  if (!(speed === Infinity || (Number.isFinite(speed) && speed > 0)))
    throw new ArgumentError(
      'speed',
      `expected simulated seconds per second > 0 or Infinity, got ${String(speed)}`,
    );
}

/**
 * Lets the worker do other work: answer the page, and finish the database's IndexedDB writes,
 * whose completions are tasks that a worker handing back through messages alone would starve
 * (a timer, even clamped to 4 ms, leaves the event loop idle long enough for them).
 */
function handBack(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
