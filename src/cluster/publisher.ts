/**
 * A simulated mesh on NATS, for the loop across processes (`x0tta6bl4 sim --publish`): a seeded
 * MeshSimulator with its fault schedule publishes each tick's telemetry to the JetStream subject
 * of each region, carries out the actions engines request on ACTIONS_SUBJECT (answering each once
 * the simulator completed it), and scores the engines from the loop events they publish against
 * its ground truth with the run's own Evaluator.
 *
 * Simulated time waits for the engines: tick t is published once every region has been processed
 * up to t - `lead` (engines say so on PROGRESS_SUBJECT). The mesh is virtual, so a slow engine or a
 * takeover pauses its clock instead of letting faults run unattended for simulated minutes; what
 * a takeover costs in wall-clock time is measured by whoever watches the leases.
 *
 * `open` starts a fresh run: it replaces the streams and buckets of any previous one (engines are
 * started after it, or restarted).
 */
import { DeliverPolicy, type JetStreamClient, jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { Msg, NatsConnection, Subscription } from '@nats-io/nats-core';
import type { ActionKind } from '../domain/actions.ts';
import { ArgumentError } from '../errors.ts';
import { LoopEvents } from '../loop/events.ts';
import { RUNBOOKS } from '../rag/runbooks.generated.ts';
import { Evaluator, type HealingReport } from '../run/evaluate.ts';
import {
  type ActionTicket,
  type FaultRecord,
  MeshSimulator,
  METRIC_NAMES,
  maxFaultsPerKind,
  scheduleFaults,
  type TopologyKind,
} from '../sim/index.ts';
import type { Topology } from '../serve/topology.ts';
import { type ClusterLayout, layoutOf } from './layout.ts';
import { type ActionAnswer, answerActions, openBuckets, replaceStreams } from './streams.ts';
import {
  type ActionMessage,
  type ClusterEventMessage,
  decode,
  EVENTS_STREAM,
  encode,
  LAYOUT_KEY,
  DEFAULT_LEASE_SECONDS,
  PROGRESS_SUBJECT,
  type ProgressMessage,
  type TelemetryMessage,
  telemetrySubject,
} from './subjects.ts';

/** Options of {@link SimPublisher.open}. */
export interface SimPublisherOptions {
  /** The NATS connection. */
  connection: NatsConnection;
  /** Mesh size (default 300). */
  nodes?: number;
  /** Seed of the mesh and its faults (default 1). */
  seed?: number;
  /** Simulated hours (default 1). */
  hours?: number;
  /** Faults of each kind (default: as many as fit in `hours`, at most 20); 0 schedules none. */
  faultsPerKind?: number;
  /** How the mesh is generated (default 'geometric'). */
  topology?: TopologyKind;
  /** Regions (default 6). */
  regions?: number;
  /** Ticks the mesh may run ahead of the slowest region (default 2). */
  lead?: number;
  /** Seconds a lease lives unless refreshed (default 4). */
  leaseSeconds?: number;
  /** Progress lines. */
  notice?: (line: string) => void;
}

/** What an engine did, as its events tell. */
export interface EngineTally {
  /** Incidents its loops opened. */
  incidents: number;
  /** Actions its loops started. */
  actions: number;
  /** Samples in the messages it acknowledged. */
  samplesAcked: number;
  /** Actions the simulator carried out for it. */
  applied: number;
}

/** An incident an engine opened and has not resolved. */
export interface OpenIncident {
  /** The incident's id. */
  id: string;
  /** The engine whose loop opened it. */
  engine: string;
  /** The region it was opened in. */
  region: number;
  /** Its nodes when it opened. */
  nodes: string[];
}

/** What became of one fault: its ticks and the engine whose action ended it. */
export interface FaultWitness {
  /** The fault's id. */
  id: number;
  /** Its first tick. */
  start: number;
  /** Its first tick without it. */
  end: number;
  /** The engine whose action ended it, if one did. */
  healedBy?: string;
}

/** The outcome of a {@link SimPublisher.run}. */
export interface ClusterRunResult {
  /** The healing figures, scored as `x0tta6bl4 run` scores its own. */
  report: HealingReport;
  /** Ticks published. */
  ticks: number;
  /** Samples published (node x metric values). */
  samplesPublished: number;
  /** Samples in acknowledged messages, each tick of each region counted once. */
  samplesAcked: number;
  /** Ticks of a region published and never acknowledged, as `region:tick`. */
  unacknowledged: string[];
  /** Per engine. */
  engines: Record<string, EngineTally>;
  /** Per fault. */
  faults: FaultWitness[];
  /** The faults as the simulator recorded them (the ground truth). */
  groundTruth: FaultRecord[];
  /** Wall-clock seconds the run took. */
  wallSeconds: number;
}

/** A simulated mesh publishing over NATS (see the module's comment). */
export class SimPublisher {
  /** The simulator. */
  readonly sim: MeshSimulator;
  /** The regions and the mesh as the engines read it. */
  readonly layout: ClusterLayout;
  readonly #nc: NatsConnection;
  readonly #js: JetStreamClient;
  readonly #events = new LoopEvents();
  readonly #evaluator: Evaluator;
  readonly #progress: number[];
  readonly #acked: Map<number, Set<number>>;
  readonly #samplesByTick: Map<number, number>[];
  readonly #engines = new Map<string, EngineTally>();
  readonly #ticketEngine = new Map<number, string>();
  readonly #open = new Map<string, OpenIncident>();
  readonly #waiting: Array<{ ticket: ActionTicket; message: Msg }> = [];
  readonly #subscriptions: Subscription[] = [];
  readonly #seed: number;
  readonly #hours: number;
  readonly #lead: number;
  readonly #notice: (line: string) => void;
  #wake: () => void = () => {};
  #eventsDone: Promise<void> = Promise.resolve();
  #stopEvents: () => void = () => {};

  private constructor(
    nc: NatsConnection,
    sim: MeshSimulator,
    layout: ClusterLayout,
    options: { seed: number; hours: number; lead: number; notice: (line: string) => void },
  ) {
    this.#nc = nc;
    this.#js = jetstream(nc);
    this.sim = sim;
    this.layout = layout;
    this.#seed = options.seed;
    this.#hours = options.hours;
    this.#lead = options.lead;
    this.#notice = options.notice;
    this.#progress = new Array<number>(layout.regions).fill(-1);
    this.#acked = new Map(Array.from({ length: layout.regions }, (_, r) => [r, new Set<number>()]));
    this.#samplesByTick = Array.from({ length: layout.regions }, () => new Map());
    const runbookFaults = new Map(RUNBOOKS.map((r) => [r.id, r.faults]));
    this.#evaluator = new Evaluator(sim, this.#events, (id) => runbookFaults.get(id));
  }

  /**
   * Builds the mesh and its fault schedule, replaces the streams and buckets of a previous run,
   * publishes the layout and starts answering actions. Throws an ArgumentError for bad options.
   */
  static async open(options: SimPublisherOptions): Promise<SimPublisher> {
    const seed = options.seed ?? 1;
    const hours = options.hours ?? 1;
    const lead = options.lead ?? 2;
    if (!Number.isInteger(lead) || lead < 1)
      throw new ArgumentError('lead', `expected an integer >= 1, got ${String(lead)}`);
    if (!(hours > 0)) throw new ArgumentError('hours', `expected a positive number, got ${String(hours)}`);
    const leaseSeconds = options.leaseSeconds ?? DEFAULT_LEASE_SECONDS;
    if (!(leaseSeconds >= 1))
      throw new ArgumentError('leaseSeconds', `expected >= 1, got ${String(leaseSeconds)}`);
    const sim = new MeshSimulator({
      seed,
      topology: { kind: options.topology ?? 'geometric', nodes: options.nodes ?? 300 },
    });
    const perKind = options.faultsPerKind ?? Math.min(20, maxFaultsPerKind(hours));
    if (perKind > 0)
      for (const spec of scheduleFaults({ seed, topology: sim.topology, hours, perKind })) sim.inject(spec);
    const t = sim.topology;
    const topology: Topology = {
      nodes: t.nodeIds.map((id, i) => ({ id, x: t.x[i], y: t.y[i] })),
      links: Array.from(
        t.linkFrom,
        (from, l) => [t.nodeIds[from], t.nodeIds[t.linkTo[l]]] as [string, string],
      ),
      calls: [],
      gateways: t.nodeIds.filter((_, i) => t.isGateway[i]),
    };
    const layout = layoutOf(topology, options.regions ?? 6);

    const nc = options.connection;
    const jsm = await jetstreamManager(nc);
    await replaceStreams(jsm);
    const { state } = await openBuckets(nc, leaseSeconds);
    await state.put(LAYOUT_KEY, encode(layout));
    const publisher = new SimPublisher(nc, sim, layout, {
      seed,
      hours,
      lead,
      notice: options.notice ?? (() => {}),
    });
    publisher.#listen();
    return publisher;
  }

  /** Ticks of the run. */
  get ticks(): number {
    return Math.floor(this.#hours * 3600);
  }

  /**
   * Publishes every tick (waiting for the engines, see the module's comment), then waits until
   * every region's every tick is acknowledged, and scores the run. `onTick` sees each tick
   * published (a test kills an engine there).
   */
  async run(
    options: { onTick?: (tick: number) => void | Promise<void>; signal?: AbortSignal } = {},
  ): Promise<ClusterRunResult> {
    const started = performance.now();
    const total = this.ticks;
    let samples = 0;
    let routesVersion = -1;
    let ran = 0;
    for (; ran < total && !options.signal?.aborted; ran++) {
      await this.#waitFor(ran - this.#lead, options.signal);
      const frame = this.sim.tick();
      this.#settle();
      const routes = this.sim.routes;
      const changed = routes.version !== routesVersion;
      routesVersion = routes.version;
      const messages = frameMessages(this.layout, frame, changed ? Array.from(routes.nextHop) : undefined);
      for (const m of messages) {
        const count = m.nodes.length * METRIC_NAMES.length;
        samples += count;
        this.#samplesByTick[m.region].set(m.tick, count);
      }
      await Promise.all(messages.map((m) => this.#publish(telemetrySubject(m.region), encode(m))));
      await options.onTick?.(frame.tick);
    }
    const last = ran - 1;
    await this.#waitFor(last, options.signal);
    await this.#waitAcked(last, options.signal);
    const unacknowledged: string[] = [];
    let samplesAcked = 0;
    for (let r = 0; r < this.layout.regions; r++)
      for (const [tick, count] of this.#samplesByTick[r]) {
        if (this.#acked.get(r)!.has(tick)) samplesAcked += count;
        else unacknowledged.push(`${r}:${tick}`);
      }
    const hoursRun = ran < total ? Math.max(ran, 1) / 3600 : this.#hours;
    const groundTruth = this.sim.groundTruth();
    const tickets = this.sim.actions();
    const engineOf = (ticket: number | undefined) =>
      ticket === undefined ? undefined : this.#ticketEngine.get(tickets[ticket]?.id ?? -1);
    return {
      report: this.#evaluator.report({ seed: this.#seed, hours: hoursRun }),
      ticks: ran,
      samplesPublished: samples,
      samplesAcked,
      unacknowledged,
      engines: Object.fromEntries(this.#engines),
      faults: groundTruth.map((f) => {
        const healer = engineOf(f.healedBy);
        return { id: f.id, start: f.start, end: f.end, ...(healer ? { healedBy: healer } : {}) };
      }),
      groundTruth,
      wallSeconds: (performance.now() - started) / 1000,
    };
  }

  /** The incidents the engines opened and have not resolved yet, as their events say. */
  openIncidents(): OpenIncident[] {
    return [...this.#open.values()];
  }

  /** Stops answering actions and reading events. */
  async close(): Promise<void> {
    for (const s of this.#subscriptions) s.unsubscribe();
    this.#stopEvents();
    await this.#eventsDone.catch(() => undefined);
  }

  #tally(engine: string): EngineTally {
    let tally = this.#engines.get(engine);
    if (!tally) {
      tally = { incidents: 0, actions: 0, samplesAcked: 0, applied: 0 };
      this.#engines.set(engine, tally);
    }
    return tally;
  }

  /** Answers actions, follows progress and reads the engines' events into the evaluator. */
  #listen(): void {
    const actions = answerActions(this.#nc, (request, reply, message) => this.#act(request, reply, message));
    const progress = this.#nc.subscribe(PROGRESS_SUBJECT, {
      callback: (error, message) => {
        if (error) return;
        const p = decode<ProgressMessage>(message.data, PROGRESS_SUBJECT);
        if (
          Number.isInteger(p.region) &&
          p.region >= 0 &&
          p.region < this.layout.regions &&
          p.tick > this.#progress[p.region]
        ) {
          this.#progress[p.region] = p.tick;
          this.#wake();
        }
      },
    });
    this.#subscriptions.push(actions, progress);
    let stop = false;
    this.#stopEvents = () => {
      stop = true;
    };
    this.#eventsDone = (async () => {
      const consumer = await this.#js.consumers.get(EVENTS_STREAM, { deliver_policy: DeliverPolicy.All });
      const messages = await consumer.consume();
      this.#stopEvents = () => {
        stop = true;
        void messages.close();
      };
      if (stop) await messages.close();
      for await (const message of messages) {
        if (stop) break;
        this.#onEvent(decode<ClusterEventMessage>(message.data, EVENTS_STREAM));
      }
    })().catch((error) => this.#notice(`events: ${(error as Error).message}`));
  }

  #onEvent(message: ClusterEventMessage): void {
    const tally = this.#tally(message.engine);
    if (message.kind === 'acked') {
      const acked = this.#acked.get(message.region);
      if (!acked) return;
      for (let t = message.from; t <= message.to; t++) acked.add(t);
      tally.samplesAcked += message.samples;
      this.#wake();
      return;
    }
    const event = message.event;
    const incident = event.incident as { id: string; nodes: string[] } | undefined;
    if (event.type === 'incident-opened' && incident) {
      tally.incidents++;
      this.#open.set(incident.id, {
        id: incident.id,
        engine: message.engine,
        region: message.region,
        nodes: incident.nodes,
      });
    }
    if (event.type === 'incident-resolved' && incident) this.#open.delete(incident.id);
    if (event.type === 'action-started') tally.actions++;
    this.#events.emit(event as never);
  }

  #act(request: ActionMessage, reply: (answer: ActionAnswer) => void, message: Msg): void {
    try {
      if (request.op === 'reachable') return void reply({ ok: this.sim.reachable(request.node) });
      const action = { kind: request.request.action as ActionKind, target: request.request.target };
      if (request.op === 'dryRun') {
        this.sim.check(action);
        return void reply({ ok: true });
      }
      if (request.op === 'rollback') return void reply(this.sim.revert(action));
      const ticket = this.sim.apply(action);
      if (ticket.status === 'rejected') return void reply({ ok: false, reason: ticket.reason });
      this.#ticketEngine.set(ticket.id, request.engine);
      this.#tally(request.engine).applied++;
      this.#waiting.push({ ticket, message });
    } catch (error) {
      reply({ ok: false, reason: (error as Error).message });
    }
  }

  /** Answers the requests whose actions the simulator completed. */
  #settle(): void {
    for (let i = this.#waiting.length - 1; i >= 0; i--) {
      const { ticket, message } = this.#waiting[i];
      if (ticket.status === 'running') continue;
      this.#waiting.splice(i, 1);
      message.respond(
        encode(
          ticket.status === 'succeeded'
            ? { ok: true }
            : { ok: false, reason: ticket.reason ?? ticket.status },
        ),
      );
    }
  }

  /** Publishes to JetStream, retrying while the server is away (a restart): nothing published is lost. */
  async #publish(subject: string, data: Uint8Array): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.#js.publish(subject, data, { timeout: 5000 });
        return;
      } catch (error) {
        if (attempt % 10 === 0) this.#notice(`publish ${subject}: ${(error as Error).message}; retrying`);
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }
  }

  async #waitFor(tick: number, signal?: AbortSignal): Promise<void> {
    let waitedSince = Date.now();
    while (Math.min(...this.#progress) < tick && !signal?.aborted) {
      await this.#nextWake(1000);
      if (Date.now() - waitedSince > 10_000) {
        const behind = this.#progress.flatMap((p, r) => (p < tick ? [`${r}@${p}`] : []));
        this.#notice(`waiting for regions ${behind.join(', ')} to reach tick ${tick}`);
        waitedSince = Date.now();
      }
    }
  }

  async #waitAcked(last: number, signal?: AbortSignal): Promise<void> {
    const complete = () => [...this.#acked.values()].every((ticks) => ticks.has(last));
    while (!complete() && !signal?.aborted) await this.#nextWake(1000);
  }

  #nextWake(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.#wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}

/**
 * A simulator frame as one telemetry message per region: the region's reporting nodes and their
 * values, and every node's next hop when `routes` is given (the routes changed).
 */
export function frameMessages(
  layout: ClusterLayout,
  frame: { tick: number; metrics: Readonly<Record<string, Float64Array>>; reporting: Uint8Array },
  routes?: number[],
): TelemetryMessage[] {
  const messages: TelemetryMessage[] = Array.from({ length: layout.regions }, (_, region) => ({
    region,
    tick: frame.tick,
    nodes: [],
    metrics: Object.fromEntries(METRIC_NAMES.map((m) => [m, [] as number[]])),
    ...(routes ? { routes } : {}),
  }));
  for (let i = 0; i < frame.reporting.length; i++) {
    if (!frame.reporting[i]) continue;
    const m = messages[layout.regionOf[i]];
    m.nodes.push(i);
    for (const name of METRIC_NAMES) m.metrics[name].push(frame.metrics[name][i]);
  }
  return messages;
}
