import { describe, expect, it } from 'vitest';
import { MeshGraph } from '../../src/analyze/graph.ts';
import { printTarget } from '../../src/domain/targets.ts';
import { LoopClosedError } from '../../src/errors.ts';
import type { ActionRequest, Executor, ExecutionResult } from '../../src/execute/executor.ts';
import { IdSource, isRunId } from '../../src/knowledge/ids.ts';
import { MemoryStore } from '../../src/knowledge/memory-store.ts';
import type { ActionRecord } from '../../src/knowledge/records.ts';
import type { KnowledgeStore } from '../../src/knowledge/store.ts';
import type { AuditRecord, AuditSink, BatchScorer, Diagnoser } from '../../src/loop/contracts.ts';
import type { LoopEvent } from '../../src/loop/events.ts';
import { AuditLogSink, LOOP_DEFAULTS } from '../../src/loop/index.ts';
import { MapeKLoop } from '../../src/loop/loop.ts';
import { AuditLog } from '../../src/security/audit-log.ts';
import { MemoryAuditStore } from '../../src/security/audit-store.ts';
import { verifyAuditLog } from '../../src/security/audit-verify.ts';
import { NodeKeys } from '../../src/security/keys.ts';
import { UtilityPlanner } from '../../src/plan/decision.ts';
import { RagDiagnoser } from '../../src/rag/diagnoser.ts';
import { LOCAL_METRICS, SIM_METRICS } from '../../src/run/mesh-loop.ts';
import { SimulatorExecutor } from '../../src/run/sim-executor.ts';
import { DetectorBank } from '../../src/kernels/detector/detector.ts';
import { ALARM_THRESHOLD } from '../../src/kernels/detector/params.ts';
import { MeshSimulator, METRIC_NAMES, SIM_FAULT_KINDS, type TickFrame } from '../../src/sim/index.ts';
import { cpu, zScorer } from './helpers/z-scorer.ts';

/** A line of `n` nodes with one metric, 'cpu', and a plain z-score detector: a tiny, fully known world. */
const LINE = 6;
/** The run id of the line world's loops, so their ids are known: `${RUN}-act-1`. */
const RUN = '01HF7YAT00AAAAAAAAAAAAAAAA';
const METRICS = [{ name: 'cpu', min: 0, max: 100 }];

/** Always blames the node with the most evidence, and recommends `remedy` for it (restarting it by default). */
const diagnoserFor = (remedy = 'restart-service'): Diagnoser => ({
  diagnose: () => ({
    kind: 'cpu-exhaustion',
    scope: 'node',
    citations: ['test'],
    recommended: [{ action: remedy, support: 1 }],
  }),
});
const simpleDiagnoser = diagnoserFor();

async function lineLoop(options: {
  executor: Executor;
  detector?: BatchScorer;
  store?: KnowledgeStore;
  audit?: AuditSink;
  quorum?: number;
  confidence?: number;
  evidenceTicks?: number;
  maxAttempts?: number;
  dryRun?: boolean;
  /** The action the diagnoser recommends (default restart-service, which has nothing to roll back). */
  remedy?: string;
  /** Default: ids under RUN; pass `ids: undefined` for the loop's own default. */
  ids?: IdSource;
}) {
  const ids = Array.from({ length: LINE }, (_, i) => `n${i}`);
  const graph = new MeshGraph(
    ids,
    ids.slice(1).map((id, i) => [ids[i], id] as const),
  );
  const loop = new MapeKLoop({
    graph,
    metrics: METRICS,
    localMetrics: ['cpu'],
    detector: options.detector ?? zScorer(LINE),
    threshold: 0.5,
    planner: await UtilityPlanner.create({ backend: 'ts' }),
    executor: options.executor,
    diagnoser: diagnoserFor(options.remedy),
    store: options.store,
    audit: options.audit,
    ids: 'ids' in options ? options.ids : new IdSource(RUN),
    rails: {
      cooldown: 0,
      backoffBase: 0,
      ...(options.quorum !== undefined ? { quorum: options.quorum } : {}),
    },
    settleTicks: 1,
    patienceTicks: 3,
    confidence: options.confidence,
    evidenceTicks: options.evidenceTicks,
    maxAttempts: options.maxAttempts,
    dryRun: options.dryRun,
  });
  const events: LoopEvent[] = [];
  for (const type of [
    'sample-rejected',
    'incident-opened',
    'diagnosis',
    'action-started',
    'action-result',
    'rollback',
    'incident-resolved',
    'escalation',
    'store-fault',
  ]) {
    loop.events.addEventListener(type, (e) => events.push((e as unknown as { detail: LoopEvent }).detail));
  }
  /** Runs ticks [from, to) with the cpu of the nodes `hot(t)` names at 95. */
  const run = async (from: number, to: number, hot: (t: number) => ReadonlySet<number>) => {
    for (let t = from; t < to; t++) {
      const column = Float64Array.from(ids, (_, i) => (hot(t).has(i) ? 95 : cpu(i, t)));
      await loop.tick(t, { ts: t, columns: { cpu: column } });
      // Let executor promises settle between ticks, as a real clock would.
      await Promise.resolve();
    }
  };
  return { loop, events, run };
}

/** An executor that heals by clearing `hot` when a restart completes, or fails in a chosen way. */
class ScriptedExecutor implements Executor {
  readonly hot = new Set<number>();
  applied: string[] = [];
  constructor(private readonly mode: 'heal' | 'reject' | 'throw') {}
  async dryRun(): Promise<ExecutionResult> {
    return { ok: true };
  }
  async apply(request: ActionRequest): Promise<ExecutionResult> {
    this.applied.push(`${request.action}@${printTarget(request.target)}`);
    if (this.mode === 'throw') throw new Error('executor crashed');
    if (this.mode === 'reject') return { ok: false, reason: 'refused' };
    if (request.action === 'restart-service') this.hot.delete(Number(request.target.node?.slice(1)));
    return { ok: true };
  }
  async rollback(): Promise<ExecutionResult> {
    return { ok: true };
  }
}

/**
 * An executor that records every call, applies without curing anything unless `cures` is set
 * (then it cools the target down), and holds each rollback until the test settles it.
 */
class ControlledExecutor implements Executor {
  readonly hot = new Set<number>();
  readonly calls: string[] = [];
  /** When set, `apply <id>` and `rollback <id>` are written here as each call is made. */
  trail?: string[];
  readonly rollbacks: Array<{ resolve(result: ExecutionResult): void; reject(error: Error): void }> = [];
  cures = false;
  verify?: (request: ActionRequest) => Promise<boolean>;
  async dryRun(request: ActionRequest): Promise<ExecutionResult> {
    this.calls.push(`dryRun ${request.action}@${printTarget(request.target)}`);
    return { ok: true };
  }
  async apply(request: ActionRequest): Promise<ExecutionResult> {
    this.calls.push(`apply ${request.action}@${printTarget(request.target)}`);
    this.trail?.push(`apply ${request.id}`);
    if (this.cures) this.hot.delete(Number(request.target.node?.slice(1)));
    return { ok: true };
  }
  rollback(request: ActionRequest): Promise<ExecutionResult> {
    this.calls.push(`rollback ${request.action}@${printTarget(request.target)}`);
    this.trail?.push(`rollback ${request.id}`);
    return new Promise((resolve, reject) => this.rollbacks.push({ resolve, reject }));
  }
}

/** Lets settled promises' handlers run (a rollback's result, an audit append). */
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

/**
 * An audit sink that takes a turn of the event loop to store each record, as a real log's write
 * does, then writes `logged <type> <id>` to `trail`; it refuses (rejects) the records `refuse`
 * picks, and holds every record while `held` is set, until `release()`.
 */
class TrailSink implements AuditSink {
  readonly received: AuditRecord[] = [];
  held = false;
  readonly #waiting: Array<() => void> = [];
  constructor(
    readonly trail: string[],
    readonly refuse: (entry: AuditRecord) => boolean = () => false,
  ) {}
  async record(entry: AuditRecord): Promise<void> {
    this.received.push(entry);
    if (this.held) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    await settle();
    if (this.refuse(entry)) throw new Error('disk full');
    const { id = entry.incidentId, outcome } = entry.detail;
    this.trail.push(['logged', entry.type, id, outcome].filter((part) => part !== undefined).join(' '));
  }
  release(): void {
    this.held = false;
    for (const resolve of this.#waiting.splice(0)) resolve();
  }
}

/** A memory store that writes `stored <id> <outcome>` to `trail` as each action reaches it. */
function trailStore(trail: string[]): MemoryStore {
  const store = new MemoryStore();
  const put = store.putAction.bind(store);
  store.putAction = (action: ActionRecord) => {
    trail.push(`stored ${action.id} ${action.outcome}`);
    return put(action);
  };
  return store;
}

/** Checks that `trail` holds both lines of each pair, the first before the second (failing with the pairs that are not). */
function expectBefore(trail: readonly string[], pairs: ReadonlyArray<readonly [string, string]>): void {
  const inOrder = ([first, then]: readonly [string, string]) =>
    trail.includes(first) && trail.includes(then) && trail.indexOf(first) < trail.indexOf(then);
  expect(pairs.filter((pair) => !inOrder(pair))).toEqual([]);
}

describe('MAPE-K loop on a small known world', () => {
  it('detects a hot node, acts on it and resolves the incident once telemetry is back to normal', async () => {
    const executor = new ScriptedExecutor('heal');
    const { loop, events, run } = await lineLoop({ executor });
    await run(0, 100, () => executor.hot);
    expect(events.filter((e) => e.type === 'incident-opened')).toHaveLength(0); // a quiet world raises nothing
    executor.hot.add(3);
    await run(100, 160, () => executor.hot);
    const opened = events.find((e) => e.type === 'incident-opened');
    expect(opened && opened.ts - 100).toBeLessThanOrEqual(3);
    expect(executor.applied).toContain('restart-service@n3');
    expect(events.some((e) => e.type === 'action-result' && e.action.outcome === 'healed')).toBe(true);
    expect(events.some((e) => e.type === 'incident-resolved' && e.incident.status === 'resolved')).toBe(true);
    expect(loop.stats()).toMatchObject({ incidentsResolved: 1, actionsHealed: 1 });
  });

  it('acts at once on a clear cause, but gathers more evidence while two suspects look alike', async () => {
    const delay = async (hot: number[], evidenceTicks?: number) => {
      const executor = new ScriptedExecutor('heal');
      const { events, run } = await lineLoop({ executor, confidence: 0.6, evidenceTicks });
      await run(0, 100, () => new Set());
      await run(100, 120, () => new Set(hot));
      const opened = events.find((e) => e.type === 'incident-opened')!;
      const diagnosed = events.find((e) => e.type === 'diagnosis')!;
      return diagnosed.ts - opened.ts;
    };
    expect(await delay([3], 5)).toBe(0);
    // n2 and n3 turned hot together and look the same: neither is a confident cause yet.
    expect(await delay([2, 3], 5)).toBe(5);
    // Unless told otherwise, the documented default (test/loop-defaults.test.ts checks the docs).
    expect(await delay([2, 3])).toBe(LOOP_DEFAULTS.evidenceTicks);
  });

  it('does not take a lull of an intermittent fault for a cure', async () => {
    const executor = new ScriptedExecutor('heal');
    const { events, run } = await lineLoop({ executor });
    await run(0, 100, () => new Set());
    // n2 runs hot for 4 ticks out of every 8, whatever is done to it.
    await run(100, 200, (t) => new Set(t % 8 < 4 ? [2] : []));
    const outcomes = events
      .filter((e) => e.type === 'action-result')
      .map((e) => e.type === 'action-result' && e.action.outcome);
    expect(outcomes.length).toBeGreaterThanOrEqual(1);
    expect(outcomes).not.toContain('healed');
  });

  it('ignores a one-tick blip: an incident needs confirmed evidence', async () => {
    const executor = new ScriptedExecutor('heal');
    const { events, run } = await lineLoop({ executor });
    await run(0, 100, () => executor.hot);
    await run(100, 101, () => new Set([2]));
    await run(101, 140, () => executor.hot);
    expect(events.filter((e) => e.type === 'incident-opened')).toHaveLength(0);
    expect(executor.applied).toHaveLength(0);
  });

  it('keeps running when the executor throws, counts the failures and escalates after its attempts', async () => {
    const executor = new ScriptedExecutor('throw');
    const { loop, events, run } = await lineLoop({ executor });
    await run(0, 100, () => new Set());
    await run(100, 200, () => new Set([3]));
    const results = events.filter((e) => e.type === 'action-result');
    expect(results.length).toBeGreaterThanOrEqual(1);
    expect(results.every((e) => e.type === 'action-result' && e.action.outcome === 'failed')).toBe(true);
    expect(events.some((e) => e.type === 'escalation')).toBe(true);
    expect(loop.stats().ticks).toBe(200);
    expect(loop.stats().actionsFailed).toBe(results.length);
  });

  it('queues writes while the store fails and delivers all of them once it is back', async () => {
    const inner = new MemoryStore();
    let down = true;
    const guard =
      <A extends unknown[]>(f: (...a: A) => Promise<void>) =>
      (...a: A) =>
        down ? Promise.reject(new Error('store down')) : f(...a);
    const store: KnowledgeStore = Object.assign(Object.create(inner) as KnowledgeStore, {
      putIncident: guard(inner.putIncident.bind(inner)),
      putAction: guard(inner.putAction.bind(inner)),
      putPosterior: guard(inner.putPosterior.bind(inner)),
      putValue: guard(inner.putValue.bind(inner)),
    });
    const executor = new ScriptedExecutor('heal');
    const { loop, events, run } = await lineLoop({ executor, store });
    await run(0, 100, () => executor.hot);
    executor.hot.add(1);
    await run(100, 160, () => executor.hot);
    expect(events.some((e) => e.type === 'store-fault')).toBe(true);
    expect(loop.stats().storePending).toBeGreaterThan(0);
    expect(loop.stats().incidentsResolved).toBe(1); // the loop healed regardless
    down = false;
    await loop.flush();
    expect(loop.stats().storePending).toBe(0);
    const [incident] = await inner.listIncidents();
    expect(incident.status).toBe('resolved');
    expect((await inner.listActions(incident.id)).map((a) => a.outcome)).toEqual(['healed']);
  });

  it('counts and reports bad telemetry without losing the good samples of a batch', async () => {
    const executor = new ScriptedExecutor('heal');
    const { loop, events } = await lineLoop({ executor });
    await loop.tick(0, { ts: 0, columns: { cpu: Float64Array.from([1, NaN, 2, 500, 3, 4]) } });
    await loop.tick(1, {
      ts: 1,
      columns: { cpu: Float64Array.from([1, 2]), disk: Float64Array.from([1, 2]) },
      sources: Uint32Array.from([0, 1]),
    });
    loop.monitor.ingest({ source: 'nope', metric: 'cpu', ts: 2, value: 1 });
    const stats = loop.stats();
    expect(stats.samplesRejected).toBeGreaterThanOrEqual(4);
    expect(stats.samplesAccepted).toBeGreaterThanOrEqual(6);
    expect(events.filter((e) => e.type === 'sample-rejected').length).toBeGreaterThanOrEqual(3);
  });

  it('escalates instead of acting when too few nodes are healthy', async () => {
    const executor = new ScriptedExecutor('heal');
    const { events, run } = await lineLoop({ executor });
    await run(0, 100, () => new Set());
    await run(100, 130, () => new Set([0, 1, 2, 3]));
    expect(executor.applied).toHaveLength(0);
    const escalation = events.find((e) => e.type === 'escalation');
    expect(escalation?.type === 'escalation' && escalation.reason).toMatch(/healthy/);
  });
  it('reports a rollback that fails as a failed rollback, not an escalation, while its incident is open or after it closed', async () => {
    for (const when of ['open', 'closed'] as const) {
      const executor = new ControlledExecutor();
      const { loop, events, run } = await lineLoop({ executor, maxAttempts: 1, remedy: 'rate-limit' });
      await run(0, 100, () => new Set());
      executor.hot.add(3);
      // The one action does not heal: it is rolled back and the incident escalated.
      await run(100, 130, () => executor.hot);
      expect(executor.calls).toEqual(['apply rate-limit@n3', 'rollback rate-limit@n3']);
      if (when === 'closed') {
        executor.hot.clear();
        await run(130, 200, () => executor.hot);
        expect(loop.openIncidents).toHaveLength(0);
      }
      executor.rollbacks[0].reject(new Error('undo refused'));
      await settle();
      const rollbacks = events.filter((e) => e.type === 'rollback');
      expect(rollbacks).toHaveLength(1);
      expect(rollbacks[0]).toMatchObject({
        action: { action: 'rate-limit', outcome: 'not-healed' },
        result: { ok: false, reason: expect.stringMatching(/undo refused/) },
      });
      expect(events.filter((e) => e.type === 'escalation')).toHaveLength(1);
      expect(loop.stats()).toMatchObject({ incidentsEscalated: 1, actionsRolledBack: 0, rollbacksFailed: 1 });
    }
  });

  it('records a rollback with its result: rolled back in the store and in the signed audit log', async () => {
    const keys = NodeKeys.generate({ owner: 'engine' });
    const auditStore = new MemoryAuditStore();
    // A library user signs what the loop does with the sink from the loop's entry point.
    const sink = new AuditLogSink(await AuditLog.open(auditStore, keys));
    const store = new MemoryStore();
    const executor = new ControlledExecutor();
    const { loop, events, run } = await lineLoop({
      executor,
      maxAttempts: 1,
      store,
      audit: sink,
      remedy: 'rate-limit',
    });
    await run(0, 100, () => new Set());
    executor.hot.add(3);
    await run(100, 130, () => executor.hot);
    executor.rollbacks[0].resolve({ ok: true });
    await settle();
    await loop.flush();
    await sink.close();
    expect((await store.listActions()).map((a) => a.outcome)).toEqual(['rolled-back']);
    expect(events.find((e) => e.type === 'rollback')).toMatchObject({
      action: { id: `${RUN}-act-1`, outcome: 'rolled-back' },
      result: { ok: true },
    });
    expect(loop.stats()).toMatchObject({ actionsRolledBack: 1, rollbacksFailed: 0 });
    const entries = await auditStore.entries(0, (await auditStore.size()).entries);
    expect(entries.map((e) => e.kind)).toEqual([
      'plan',
      'action',
      'result',
      'rollback',
      'escalation',
      'result',
    ]);
    expect(entries[5].data).toMatchObject({ id: `${RUN}-act-1`, outcome: 'rolled-back', rollback: 'done' });
    expect(await verifyAuditLog(auditStore, keys.ring())).toMatchObject({ ok: true, entries: 6 });
  });

  it('does not roll back an irreversible action: it stays not-healed, and its audited result says why', async () => {
    const keys = NodeKeys.generate({ owner: 'engine' });
    const auditStore = new MemoryAuditStore();
    const sink = new AuditLogSink(await AuditLog.open(auditStore, keys));
    const store = new MemoryStore();
    const executor = new ControlledExecutor();
    const { loop, events, run } = await lineLoop({ executor, maxAttempts: 1, store, audit: sink });
    await run(0, 100, () => new Set());
    executor.hot.add(3);
    await run(100, 130, () => executor.hot);
    await settle();
    await loop.flush();
    await sink.close();
    expect(executor.calls).toEqual(['apply restart-service@n3']);
    expect(events.some((e) => e.type === 'rollback')).toBe(false);
    expect((await store.listActions()).map((a) => a.outcome)).toEqual(['not-healed']);
    expect(loop.stats()).toMatchObject({ incidentsEscalated: 1, actionsRolledBack: 0, rollbacksFailed: 0 });
    const entries = await auditStore.entries(0, (await auditStore.size()).entries);
    expect(entries.map((e) => e.kind)).toEqual(['plan', 'action', 'result', 'escalation']);
    expect(entries[2].data).toMatchObject({ outcome: 'not-healed', rollback: 'irreversible' });
  });

  it('in dry-run mode plans and records what it would do, applies nothing, and hands the incident to a human', async () => {
    const executor = new ControlledExecutor();
    const store = new MemoryStore();
    const { loop, events, run } = await lineLoop({ executor, store, dryRun: true });
    await run(0, 100, () => new Set());
    executor.hot.add(3);
    await run(100, 140, () => executor.hot);
    expect(executor.calls).toEqual(['dryRun restart-service@n3']);
    expect(events.some((e) => e.type === 'action-started')).toBe(false);
    const result = events.find((e) => e.type === 'action-result');
    expect(result?.type === 'action-result' && result.action.outcome).toBe('dry-run');
    const escalation = events.find((e) => e.type === 'escalation');
    expect(escalation?.type === 'escalation' && escalation.reason).toMatch(/dry run: restart-service on n3/);
    await loop.flush();
    expect((await store.listActions()).map((a) => a.outcome)).toEqual(['dry-run']);
    expect(loop.stats()).toMatchObject({ actionsStarted: 0, incidentsEscalated: 1 });
  });

  it("consults the executor's own verification before the telemetry's verdict", async () => {
    for (const verdict of [true, false]) {
      const executor = new ControlledExecutor();
      executor.cures = true;
      const verified: string[] = [];
      executor.verify = async (request) => {
        verified.push(request.id);
        return verdict;
      };
      const { events, run } = await lineLoop({ executor });
      await run(0, 100, () => new Set());
      executor.hot.add(3);
      await run(100, 160, () => executor.hot);
      const first = events.find((e) => e.type === 'action-result');
      expect(first?.type === 'action-result' && first.action).toMatchObject({
        id: `${RUN}-act-1`,
        outcome: verdict ? 'healed' : 'not-healed',
      });
      expect(verified[0]).toBe(`${RUN}-act-1`);
    }
  });

  it('ends loop.events on close: for await stops after the last event, writes are flushed, the detector released', async () => {
    let released = 0;
    const detector: BatchScorer = { ...zScorer(LINE), close: () => void released++ };
    const executor = new ScriptedExecutor('heal');
    const { loop, run } = await lineLoop({ executor, detector });
    const seen: string[] = [];
    const reading = (async () => {
      for await (const event of loop.events) seen.push(event.type);
    })();
    await run(0, 100, () => executor.hot);
    executor.hot.add(3);
    await run(100, 160, () => executor.hot);
    await loop.close();
    await reading;
    expect(seen).toEqual(
      expect.arrayContaining([
        'incident-opened',
        'diagnosis',
        'action-started',
        'action-result',
        'incident-resolved',
      ]),
    );
    expect(seen.at(-1)).toBe('incident-resolved');
    expect(released).toBe(1);
    expect(loop.stats().storePending).toBe(0);
    await expect(loop.tick(200)).rejects.toThrow(LoopClosedError);
    await loop.close(); // closing again is harmless
    expect(released).toBe(1);
  });

  it('offers typed listeners: loop.on narrows the event by its name, and what it returns unsubscribes', async () => {
    const executor = new ScriptedExecutor('heal');
    const { loop, events, run } = await lineLoop({ executor });
    const opened: string[] = [];
    const off = loop.on('incident-opened', (event) => opened.push(`${event.incident.id} at ${event.ts}`));
    const outcomes: string[] = [];
    loop.on('action-result', (event) => outcomes.push(event.action.outcome));
    await run(0, 100, () => executor.hot);
    executor.hot.add(3);
    await run(100, 180, () => executor.hot);
    off();
    executor.hot.add(0);
    await run(180, 260, () => executor.hot);
    const announced = events.filter((e) => e.type === 'incident-opened');
    expect(announced).toHaveLength(2);
    expect(opened).toEqual([
      `${announced[0].type === 'incident-opened' && announced[0].incident.id} at ${announced[0].ts}`,
    ]);
    expect(outcomes).toEqual(['healed', 'healed']);
  });

  it('lets the nodes whose traffic a route change moved settle instead of raising alarms', async () => {
    // A ring n0-n1-n2-n3 with the gateway n1, and n4 behind a gateway of its own, n5.
    const ids = ['n0', 'n1', 'n2', 'n3', 'n4', 'n5'];
    const graph = new MeshGraph(
      ids,
      [
        ['n0', 'n1'],
        ['n1', 'n2'],
        ['n2', 'n3'],
        ['n3', 'n0'],
        ['n4', 'n5'],
      ],
      ['n1', 'n5'],
    );
    const loop = new MapeKLoop({
      graph,
      metrics: METRICS,
      localMetrics: ['cpu'],
      detector: zScorer(6),
      threshold: 0.5,
      planner: await UtilityPlanner.create({ backend: 'ts' }),
      executor: new ScriptedExecutor('heal'),
      diagnoser: simpleDiagnoser,
    });
    const opened: string[][] = [];
    loop.events.addEventListener('incident-opened', (e) =>
      opened.push((e as unknown as { detail: { incident: { nodes: string[] } } }).detail.incident.nodes),
    );
    const run = async (from: number, to: number, hot: ReadonlySet<number>) => {
      for (let t = from; t < to; t++)
        await loop.tick(t, {
          ts: t,
          columns: { cpu: Float64Array.from(ids, (_, i) => (hot.has(i) ? 95 : cpu(i, t))) },
        });
    };
    loop.updateRoutes([1, -1, 1, 2, 5, -1]);
    await run(0, 100, new Set());
    // n3 now forwards through n0: its old and new paths carry different traffic; n4's route is as it was.
    loop.updateRoutes([1, -1, 1, 0, 5, -1]);
    expect(graph.routes).toBeUndefined(); // the loop keeps its own routing table
    await run(100, 110, new Set([3, 4]));
    expect(opened).toEqual([['n4']]);
  });
});

describe('MAPE-K loop: audit before action, and ids unique across runs', () => {
  it('calls an executor once the intent is logged, and stores an action or its outcome once that is logged', async () => {
    const trail: string[] = [];
    const executor = new ControlledExecutor();
    executor.trail = trail;
    const store = trailStore(trail);
    const { loop, run } = await lineLoop({
      executor,
      maxAttempts: 1,
      store,
      audit: new TrailSink(trail),
      remedy: 'rate-limit',
    });
    await run(0, 100, () => new Set());
    executor.hot.add(3);
    // The one action does not heal: it is rolled back.
    await run(100, 130, () => executor.hot);
    executor.rollbacks[0].resolve({ ok: true });
    await settle();
    await loop.flush();
    const id = `${RUN}-act-1`;
    expectBefore(trail, [
      [`logged action ${id}`, `stored ${id} pending`],
      [`logged action ${id}`, `apply ${id}`],
      [`logged result ${id} not-healed`, `stored ${id} not-healed`],
      [`logged rollback ${id}`, `rollback ${id}`],
      [`logged result ${id} rolled-back`, `stored ${id} rolled-back`],
      [`stored ${id} not-healed`, `stored ${id} rolled-back`],
    ]);
    expect((await store.listActions()).map((a) => a.outcome)).toEqual(['rolled-back']);
  });

  it('hands every intent of a tick to the sink at once, and calls their executors in order once logged', async () => {
    const trail: string[] = [];
    const executor = new ControlledExecutor();
    executor.trail = trail;
    const sink = new TrailSink(trail);
    const { loop, run } = await lineLoop({ executor, audit: sink });
    await run(0, 100, () => new Set());
    // n0 and n5, five hops apart: two incidents, which act in the same tick.
    const hot = new Set([0, 5]);
    sink.held = true;
    let blocked: Promise<void> | undefined;
    for (let t = 100; t < 130 && !blocked; t++) {
      let ended = false;
      const tick = loop.tick(t, {
        ts: t,
        columns: { cpu: Float64Array.from({ length: LINE }, (_, i) => (hot.has(i) ? 95 : cpu(i, t))) },
      });
      void tick.then(() => (ended = true));
      await settle();
      if (!ended) blocked = tick;
    }
    expect(blocked).toBeDefined();
    const intents = sink.received.filter((e) => e.type === 'action').map((e) => e.detail.id);
    expect(intents).toEqual([`${RUN}-act-1`, `${RUN}-act-2`]);
    expect(executor.calls).toEqual([]);
    sink.release();
    await blocked;
    expect(trail.filter((line) => line.startsWith('apply'))).toEqual(intents.map((id) => `apply ${id}`));
    expectBefore(
      trail,
      intents.map((id) => [`logged action ${id}`, `apply ${id}`]),
    );
  });

  it('takes no action and no rollback whose intent the sink refuses: counted, reported and handed to a human', async () => {
    for (const refused of ['action', 'rollback'] as const) {
      const executor = new ControlledExecutor();
      const store = new MemoryStore();
      const sink = new TrailSink([], (entry) => entry.type === refused);
      const { loop, events, run } = await lineLoop({
        executor,
        maxAttempts: 1,
        store,
        audit: sink,
        remedy: 'rate-limit',
      });
      await run(0, 100, () => new Set());
      executor.hot.add(3);
      await run(100, 140, () => executor.hot);
      await loop.flush();
      expect(
        events.filter((e) => e.type === 'store-fault').map((e) => e.type === 'store-fault' && e.error),
      ).toEqual(['audit: disk full']);
      const escalations = events
        .filter((e) => e.type === 'escalation')
        .map((e) => e.type === 'escalation' && e.reason);
      const actions = await store.listActions();
      if (refused === 'action') {
        expect(executor.calls).toEqual([]);
        expect(events.some((e) => e.type === 'action-started')).toBe(false);
        expect(escalations).toEqual([
          `rate-limit on n3 (${RUN}-act-1) not taken: the audit log could not record its intent (disk full)`,
        ]);
        expect(actions).toEqual([]);
        expect(loop.stats()).toMatchObject({ actionsStarted: 0, actionsNotTaken: 1, auditFailures: 1 });
      } else {
        expect(executor.calls).toEqual(['apply rate-limit@n3']);
        expect(events.find((e) => e.type === 'rollback')).toMatchObject({
          result: {
            ok: false,
            reason: 'not attempted: the audit log could not record its intent (disk full)',
          },
        });
        expect(actions.map((a) => a.outcome)).toEqual(['not-healed']);
        expect(loop.stats()).toMatchObject({ actionsNotTaken: 0, rollbacksFailed: 1, auditFailures: 1 });
      }
    }
  });

  it('names incidents and actions under a run id: a fresh one per loop unless given one', async () => {
    const runs: string[] = [];
    for (let loops = 0; loops < 2; loops++) {
      const executor = new ScriptedExecutor('heal');
      const { events, run } = await lineLoop({ executor, ids: undefined });
      await run(0, 100, () => executor.hot);
      executor.hot.add(3);
      await run(100, 160, () => executor.hot);
      const opened = events.find((e) => e.type === 'incident-opened');
      const started = events.find((e) => e.type === 'action-started');
      const incident = opened?.type === 'incident-opened' ? opened.incident.id : '';
      const action = started?.type === 'action-started' ? started.action : undefined;
      const [runId, kind] = incident.split('-');
      expect(isRunId(runId)).toBe(true);
      expect(kind).toBe('inc');
      expect(action).toMatchObject({ id: `${runId}-act-1`, incidentId: incident });
      runs.push(runId);
    }
    expect(runs[0]).not.toBe(runs[1]);
  });
});

describe('MAPE-K loop over the simulated mesh with the default detector and RAG diagnoser', () => {
  it('detects, diagnoses and heals a crashed node', async () => {
    const sim = new MeshSimulator({ seed: 3, topology: { kind: 'geometric', nodes: 16 } });
    const topology = sim.topology;
    const graph = new MeshGraph(
      topology.nodeIds,
      topology.linkIds.map(
        (_, l) => [topology.nodeIds[topology.linkFrom[l]], topology.nodeIds[topology.linkTo[l]]] as const,
      ),
    );
    const executor = new SimulatorExecutor(sim);
    const loop = new MapeKLoop({
      graph,
      metrics: SIM_METRICS,
      localMetrics: LOCAL_METRICS,
      detector: await DetectorBank.create(graph.size * SIM_METRICS.length),
      threshold: ALARM_THRESHOLD,
      planner: await UtilityPlanner.create(),
      executor,
      diagnoser: await RagDiagnoser.create({ kinds: SIM_FAULT_KINDS }),
    });
    const events: LoopEvent[] = [];
    for (const type of ['incident-opened', 'diagnosis', 'action-result'])
      loop.events.addEventListener(type, (e) => events.push((e as unknown as { detail: LoopEvent }).detail));
    const fault = sim.inject({ kind: 'node-crash', target: { node: topology.nodeIds[5] }, start: 400 });
    for (let t = 0; t < 520; t++) {
      const frame = sim.tick();
      executor.settle();
      await loop.tick(frame.tick, batchOf(frame));
    }
    const opened = events.find((e) => e.type === 'incident-opened');
    expect(opened && opened.ts - fault.start).toBeLessThanOrEqual(5);
    const diagnosis = events.find((e) => e.type === 'diagnosis');
    expect(diagnosis?.type === 'diagnosis' && diagnosis.incident.diagnosedKind).toBe('node-crash');
    expect(diagnosis?.type === 'diagnosis' && diagnosis.incident.rootCauses[0].target).toEqual({
      node: topology.nodeIds[5],
    });
    const truth = sim.groundTruth().find((f) => f.id === fault.id)!;
    expect(truth.healedBy).toBeDefined();
  });
});

function batchOf(frame: TickFrame) {
  const sources: number[] = [];
  for (let i = 0; i < frame.reporting.length; i++) if (frame.reporting[i]) sources.push(i);
  const columns: Record<string, Float64Array> = {};
  for (const m of METRIC_NAMES) columns[m] = Float64Array.from(sources, (i) => frame.metrics[m][i]);
  return { ts: frame.tick, columns, sources: Uint32Array.from(sources) };
}
