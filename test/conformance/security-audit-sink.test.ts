import { describe, expect, it } from 'vitest';
import { MeshGraph } from '../../src/analyze/graph.ts';
import { printTarget } from '../../src/domain/targets.ts';
import type { ActionRequest, ExecutionResult, Executor } from '../../src/execute/executor.ts';
import { PGliteAuditStore } from '../../src/knowledge/pglite-audit-store.ts';
import { PGliteStore } from '../../src/knowledge/pglite-store.ts';
import type { KnowledgeStore } from '../../src/knowledge/store.ts';
import { AuditLogSink } from '../../src/loop/audit-sink.ts';
import type { BatchScorer } from '../../src/loop/contracts.ts';
import { MapeKLoop } from '../../src/loop/loop.ts';
import type { ColumnarBatch } from '../../src/monitor/ingest.ts';
import { UtilityPlanner } from '../../src/plan/decision.ts';
import type { AuditEntry, BatchSeal } from '../../src/security/audit-entry.ts';
import { AuditLog } from '../../src/security/audit-log.ts';
import { MemoryAuditStore, type AuditStore } from '../../src/security/audit-store.ts';
import { verifyAuditLog } from '../../src/security/audit-verify.ts';
import { SecurityError } from '../../src/security/errors.ts';
import { NodeKeys } from '../../src/security/keys.ts';

const T0 = Date.UTC(2026, 0, 1);
const NODES = ['n1', 'n2', 'n3', 'n4', 'n5', 'n6'];
const METRICS = [{ name: 'cpu', min: 0, max: 100 }];
const FAULTY = 1; // n2
const FAULT_AT = 30;

/** Scores a series 1 while its value is far above the healthy level: the scripted detector. */
const detector: BatchScorer = {
  size: NODES.length,
  update(_ts, values, scores) {
    for (let i = 0; i < values.length; i++) scores[i] = values[i] > 50 ? 1 : 0;
  },
};

/** An executor whose actions heal the fault, or never do. */
class FakeExecutor implements Executor {
  readonly applied: string[] = [];
  readonly rolledBack: string[] = [];
  healed = false;
  constructor(private readonly heals: boolean) {}
  async dryRun(): Promise<ExecutionResult> {
    return { ok: true };
  }
  async apply(request: ActionRequest): Promise<ExecutionResult> {
    this.applied.push(`${request.action}@${printTarget(request.target)}`);
    if (this.heals) this.healed = true;
    return { ok: true };
  }
  async rollback(request: ActionRequest): Promise<ExecutionResult> {
    this.rolledBack.push(request.id);
    return { ok: true };
  }
}

/** One tick of telemetry: every node at a steady cpu with a little wobble, n2 hot while faulty. */
function frame(tick: number, executor: FakeExecutor): ColumnarBatch {
  const cpu = new Float64Array(NODES.length);
  for (let i = 0; i < NODES.length; i++) cpu[i] = 20 + ((tick * 7 + i * 3) % 5) * 0.5;
  if (tick >= FAULT_AT && !executor.healed) cpu[FAULTY] = 95;
  return { ts: tick, columns: { cpu } };
}

async function runLoop(
  store: AuditStore,
  keys: NodeKeys,
  heals: boolean,
  ticks: number,
  knowledge?: KnowledgeStore,
) {
  let clock = T0;
  const log = await AuditLog.open(store, keys, { batchSize: 4, now: () => (clock += 10) });
  const sink = new AuditLogSink(log, { actor: 'engine-test' });
  const executor = new FakeExecutor(heals);
  const graph = new MeshGraph(
    NODES,
    NODES.slice(1).map((id, i) => [NODES[i], id] as const),
  );
  const loop = new MapeKLoop({
    graph,
    metrics: METRICS,
    localMetrics: ['cpu'],
    detector,
    threshold: 0.5,
    planner: await UtilityPlanner.create({
      backend: 'ts',
      actions: [{ name: 'restart-service', scope: 'node', cost: 0.2, risk: 0.1, duration: 1 }],
    }),
    executor,
    store: knowledge,
    audit: sink,
    maxAttempts: 1,
  });
  const faults: string[] = [];
  loop.events.addEventListener('store-fault', (e) =>
    faults.push(String((e as unknown as { detail: { error: string } }).detail.error)),
  );
  for (let t = 0; t < ticks; t++) await loop.tick(t, frame(t, executor));
  await loop.flush();
  await sink.close();
  return { sink, executor, faults, stats: loop.stats() };
}

const kinds = async (store: AuditStore) =>
  (await store.entries(0, (await store.size()).entries)).map((e) => e.kind);

describe('the loop writes a signed audit log through AuditLogSink', () => {
  it('appends and signs every decision and action of a healing run, in order, beside the knowledge in one database', async () => {
    const keys = NodeKeys.generate({ owner: 'engine', now: T0 });
    const knowledge = await PGliteStore.open('memory://');
    const store = await PGliteAuditStore.fromDatabase(knowledge.database);
    const { sink, executor, faults, stats } = await runLoop(store, keys, true, 60, knowledge);
    expect((await knowledge.listActions()).map((a) => a.outcome)).toEqual(['healed']);
    expect(stats.incidentsResolved).toBe(1);
    expect(executor.applied).toEqual(['restart-service@n2']);
    expect(faults).toEqual([]);
    expect(await kinds(store)).toEqual(['plan', 'action', 'result', 'resolution']);
    expect(sink.stats).toEqual({ appended: 4, failures: 0 });
    const entries = await store.entries(0, 4);
    const incidentId = entries[0].data && (entries[0].data as { incidentId: string }).incidentId;
    expect(
      entries.every(
        (e) => e.actor === 'engine-test' && (e.data as { incidentId: string }).incidentId === incidentId,
      ),
    ).toBe(true);
    expect(entries[0].data).toMatchObject({ action: 'restart-service', target: { node: 'n2' } });
    expect(entries[2].data).toMatchObject({ outcome: 'healed' });
    expect(entries[2].data).not.toHaveProperty('reason'); // undefined details are dropped, not refused
    const verdict = await verifyAuditLog(store, keys.ring());
    expect(verdict).toMatchObject({ ok: true, entries: 4, batches: 1 });

    // An edit of the stored row, as someone with access to the database would make it.
    const { affectedRows } = await knowledge.database.query(
      `UPDATE audit_entries SET record = replace(record, '"outcome":"healed"', '"outcome":"not-healed"') WHERE position = 2`,
    );
    expect(affectedRows).toBe(1);
    expect((await store.entries(2, 3))[0].data).toMatchObject({ outcome: 'not-healed' });
    expect(await verifyAuditLog(store, keys.ring())).toMatchObject({
      ok: false,
      reason: 'altered',
      position: 2,
    });
    await store.close();
    expect((await knowledge.listActions()).length).toBe(1); // a shared database stays open for its owner
    await knowledge.close();
  });

  it('records rollback and escalation when the action does not heal, and the log stops verifying once edited', async () => {
    const keys = NodeKeys.generate({ owner: 'engine', now: T0 });
    const database = new MemoryAuditStore();
    const { executor, stats } = await runLoop(database, keys, false, 60);
    expect(stats.incidentsEscalated).toBe(1);
    expect(executor.rolledBack).toHaveLength(1);
    // The rollback's own result comes last: the executor answered after the escalation.
    expect(await kinds(database)).toEqual(['plan', 'action', 'result', 'rollback', 'escalation', 'result']);
    expect((await verifyAuditLog(database, keys.ring())).ok).toBe(true);

    const size = await database.size();
    const entries = (await database.entries(0, size.entries)) as AuditEntry[];
    const seals = await database.seals(0, size.seals);
    const edited = (edit: (e: AuditEntry[], s: BatchSeal[]) => void) => {
      const e = structuredClone(entries);
      const s = structuredClone(seals);
      edit(e, s);
      return verifyAuditLog(new MemoryAuditStore(e, s), keys.ring());
    };
    expect(await edited((e) => ((e[2].data as { outcome: string }).outcome = 'healed'))).toMatchObject({
      ok: false,
      reason: 'altered',
      position: 2,
    });
    expect(await edited((e) => e.splice(3, 1))).toMatchObject({ ok: false, reason: 'deleted', position: 3 });
    expect(await edited((e) => ([e[0], e[1]] = [e[1], e[0]]))).toMatchObject({
      ok: false,
      reason: 'reordered',
      position: 0,
    });
    expect(await edited((_, s) => (s[1].ts += 1))).toMatchObject({ ok: false, reason: 'altered' });
  });
});

describe('AuditLogSink', () => {
  const record = { type: 'plan' as const, ts: 1, incidentId: 'inc-1', detail: { action: 'reroute' } };

  it('counts a failed store write, causes no unhandled rejection, and reports it on close', async () => {
    const keys = NodeKeys.generate({ owner: 'engine', now: T0 });
    const diskFull = async () => {
      throw new Error('disk full');
    };
    const failing: AuditStore = Object.assign(new MemoryAuditStore(), {
      appendEntries: diskFull,
      sealBatch: diskFull,
    });
    const sink = new AuditLogSink(await AuditLog.open(failing, keys, { batchSize: 2, now: () => T0 + 1 }));
    sink.record(record); // promises deliberately dropped: the sink handles them
    sink.record(record);
    sink.record(record);
    await expect(sink.close()).rejects.toBeInstanceOf(SecurityError);
    expect(sink.stats.failures).toBeGreaterThanOrEqual(2);
    expect(sink.stats.lastError).toMatch(/disk full|unusable/);
  });

  it('refuses records after close, and records that are not JSON', async () => {
    const keys = NodeKeys.generate({ owner: 'engine', now: T0 });
    const store = new MemoryAuditStore();
    const sink = new AuditLogSink(await AuditLog.open(store, keys, { now: () => T0 + 1 }));
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    await expect(sink.record({ ...record, detail: circular })).rejects.toBeInstanceOf(TypeError);
    await expect(sink.record(record)).resolves.toBeUndefined();
    await expect(sink.close()).rejects.toThrow(/1 audit appends or seals failed/);
    await expect(sink.record(record)).rejects.toThrow(/closed/);
    expect(sink.stats).toMatchObject({ appended: 1, failures: 2 });
    expect((await store.size()).entries).toBe(1);
  });

  it('seals a partial batch after sealAfterMs without waiting for it to fill', async () => {
    const keys = NodeKeys.generate({ owner: 'engine', now: T0 });
    const store = new MemoryAuditStore();
    const sink = new AuditLogSink(await AuditLog.open(store, keys, { batchSize: 256, now: () => T0 + 1 }), {
      sealAfterMs: 5,
    });
    await sink.record(record);
    expect((await store.size()).seals).toBe(0);
    for (let i = 0; i < 100 && (await store.size()).seals === 0; i++)
      await new Promise((r) => setTimeout(r, 5));
    expect(await store.size()).toEqual({ entries: 1, seals: 1 });
    await sink.close();
  });
});
