/**
 * The cluster's processes for tests: `x0tta6bl4 serve --nats` engines as child processes (killed
 * with SIGKILL or stopped with SIGTERM), and the simulated mesh published from the test's own
 * process (SimPublisher), so a test can act at a chosen tick. One NATS connection of the test's own
 * reads the lease bucket to see who owns which region (LeaseWatch), and follows the engines'
 * events: which engine opened and which closed each incident, how far each region is acknowledged
 * (EventWatch).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { Kvm } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { regionLeaseKey } from '../src/cluster/engine.ts';
import { type ClusterRunResult, SimPublisher } from '../src/cluster/publisher.ts';
import { type ClusterEventMessage, decode, eventsSubject, LEASE_BUCKET } from '../src/cluster/subjects.ts';
import { ROOT } from './serve-process.ts';

/** An engine process. */
export interface EngineProcess {
  readonly id: string;
  readonly child: ChildProcess;
  /** Resolves with the exit code (or signal) once it exits. */
  readonly exited: Promise<number | NodeJS.Signals>;
  /** What it printed on standard error. */
  stderr(): string;
  /** What it printed on standard output. */
  stdout(): string;
}

/** Starts `x0tta6bl4 serve --nats <url> --engine-id <id> ...args`; resolves once it says it is ready. */
export async function startEngine(
  url: string,
  id: string,
  args: readonly string[] = [],
): Promise<EngineProcess> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--nats', url, '--engine-id', id, ...args],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString('utf8');
  });
  child.stderr.on('data', (chunk: Buffer) => {
    err = (err + chunk.toString('utf8')).slice(-20_000);
  });
  const exited = new Promise<number | NodeJS.Signals>((resolve) =>
    child.once('exit', (code, signal) => resolve(signal ?? code ?? -1)),
  );
  const engine: EngineProcess = { id, child, exited, stderr: () => err, stdout: () => out };
  const deadline = Date.now() + 60_000;
  while (!out.includes(`engine ${id} ready`)) {
    if (child.exitCode !== null) throw new Error(`engine ${id} exited ${child.exitCode}: ${err}`);
    if (Date.now() > deadline) throw new Error(`engine ${id} not ready in 60 s: ${err}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return engine;
}

/** Stops an engine with SIGTERM; resolves to the final figures it printed. */
export async function stopEngine(
  engine: EngineProcess,
): Promise<{ stats: Record<string, unknown> } | undefined> {
  if (engine.child.exitCode === null && engine.child.signalCode === null) engine.child.kill('SIGTERM');
  await engine.exited;
  const last = engine.stdout().trim().split('\n').at(-1) ?? '';
  return last.startsWith('{') ? (JSON.parse(last) as { stats: Record<string, unknown> }) : undefined;
}

/** A connection of the test's own, reading who holds each region's lease. */
export class LeaseWatch {
  private constructor(
    readonly connection: NatsConnection,
    private readonly regions: number,
  ) {}

  /** Connects to `url` (reconnecting through a server restart). */
  static async open(url: string, regions: number): Promise<LeaseWatch> {
    const connection = await connect({ servers: url, maxReconnectAttempts: -1, reconnectTimeWait: 250 });
    return new LeaseWatch(connection, regions);
  }

  /** The engine holding each region's lease now (undefined where none does). */
  async owners(): Promise<Array<string | undefined>> {
    const kv = await new Kvm(this.connection).open(LEASE_BUCKET);
    return Promise.all(
      Array.from({ length: this.regions }, async (_, r) => {
        const entry = await kv.get(regionLeaseKey(r));
        return entry?.operation === 'PUT' ? (entry.json<{ engine: string }>().engine as string) : undefined;
      }),
    );
  }

  /** Resolves once `done(owners)` holds, polling every 100 ms; rejects after `timeoutMs`. */
  async until(done: (owners: Array<string | undefined>) => boolean, timeoutMs: number): Promise<number> {
    const started = Date.now();
    let failure: unknown;
    for (;;) {
      const owners = await this.owners().catch((error) => {
        failure = error;
        return undefined;
      });
      if (owners && done(owners)) return Date.now() - started;
      if (Date.now() - started > timeoutMs)
        throw new Error(
          `leases not as expected within ${timeoutMs} ms: ${JSON.stringify(owners)} (${(failure as Error)?.message})`,
        );
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** Closes the connection. */
  close(): Promise<void> {
    return this.connection.close();
  }
}

/** An incident as the engines' events tell it: who opened it, and who closed it, how. */
export interface WatchedIncident {
  id: string;
  region: number;
  /** The engine whose loop opened it, and the tick. */
  openedBy: string;
  openedAt: number;
  /** The engine whose loop closed it (resolved, or escalated and back to normal), the tick and status. */
  closedBy?: string;
  closedAt?: number;
  status?: string;
  /** The engines that acted on it. */
  actedBy: Set<string>;
}

/** Follows the engines' events on a connection of the test's own (see the module's comment). */
export class EventWatch {
  /** Incidents by id. */
  readonly incidents = new Map<string, WatchedIncident>();
  /** The last tick acknowledged, per region (a checkpoint covers it). */
  readonly acked = new Map<number, number>();
  readonly #reading: Promise<void>;
  readonly #subscription: ReturnType<NatsConnection['subscribe']>;

  constructor(connection: NatsConnection) {
    const subscription = connection.subscribe(eventsSubject('*'));
    this.#subscription = subscription;
    this.#reading = (async () => {
      for await (const message of subscription)
        this.#take(decode<ClusterEventMessage>(message.data, 'events'));
    })();
  }

  #take(message: ClusterEventMessage): void {
    if (message.kind === 'acked') {
      this.acked.set(message.region, Math.max(this.acked.get(message.region) ?? -1, message.to));
      return;
    }
    const { type, ts, incident, action } = message.event as {
      type: string;
      ts: number;
      incident?: { id: string; status: string };
      action?: { incidentId: string };
    };
    if (type === 'incident-opened' && incident && !this.incidents.has(incident.id))
      this.incidents.set(incident.id, {
        id: incident.id,
        region: message.region,
        openedBy: message.engine,
        openedAt: ts,
        actedBy: new Set(),
      });
    const watched = this.incidents.get(incident?.id ?? action?.incidentId ?? '');
    if (!watched) return;
    if (type === 'incident-resolved')
      Object.assign(watched, { closedBy: message.engine, closedAt: ts, status: incident!.status });
    if (type === 'action-started') watched.actedBy.add(message.engine);
  }

  /** Stops following. */
  async close(): Promise<void> {
    this.#subscription.unsubscribe();
    await this.#reading;
  }
}

/** Options of one cluster run in a test. */
export interface ClusterRunOptions {
  url: string;
  engines: string[];
  /** More arguments of every engine's `serve --nats` (e.g. `--store postgres://...`). */
  engineArgs?: readonly string[];
  seed?: number;
  hours?: number;
  regions?: number;
  /** Faults of each kind (default: as many as fit; 0 none). */
  faultsPerKind?: number;
  /** Ticks the mesh may run ahead of the slowest region (default 10: engine processes share two cores with the test). */
  lead?: number;
  /** Start publishing only once the engines hold every region (evenly), so start-up is not timed. */
  settled?: boolean;
  /** Called at each tick published, with the engines running (a test kills one there). */
  onTick?: (
    tick: number,
    publisher: SimPublisher,
    engines: Map<string, EngineProcess>,
  ) => void | Promise<void>;
}

/** Publishes a 300-node mesh and runs `engines` over it to the end; stops the engines after. */
export async function clusterRun(options: ClusterRunOptions): Promise<{
  result: ClusterRunResult;
  finals: Map<string, Record<string, unknown> | undefined>;
  engines: Map<string, EngineProcess>;
}> {
  const connection = await connect({
    servers: options.url,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
  });
  const engines = new Map<string, EngineProcess>();
  try {
    const publisher = await SimPublisher.open({
      connection,
      nodes: 300,
      seed: options.seed ?? 1,
      hours: options.hours ?? 0.5,
      regions: options.regions ?? 6,
      ...(options.faultsPerKind !== undefined ? { faultsPerKind: options.faultsPerKind } : {}),
      lead: options.lead ?? 10,
    });
    const started = await Promise.all(
      options.engines.map((id) => startEngine(options.url, id, options.engineArgs)),
    );
    for (const engine of started) engines.set(engine.id, engine);
    if (options.settled) {
      const regions = options.regions ?? 6;
      const watch = await LeaseWatch.open(options.url, regions);
      const fair = Math.floor(regions / options.engines.length);
      await watch
        .until(
          (owners) =>
            owners.every((o) => o !== undefined) &&
            options.engines.every((id) => owners.filter((o) => o === id).length >= fair),
          60_000,
        )
        .finally(() => watch.close());
    }
    const stalled = setInterval(() => {
      for (const engine of engines.values()) console.warn(`${engine.id}:`, engine.stderr().slice(-1500));
    }, 120_000);
    const result = await publisher
      .run({ onTick: options.onTick ? (tick) => options.onTick!(tick, publisher, engines) : undefined })
      .finally(() => clearInterval(stalled));
    await publisher.close();
    const finals = new Map<string, Record<string, unknown> | undefined>();
    for (const [id, engine] of engines) finals.set(id, (await stopEngine(engine))?.stats);
    return { result, finals, engines };
  } finally {
    for (const engine of engines.values()) if (engine.child.exitCode === null) engine.child.kill('SIGKILL');
    await connection.close();
  }
}
