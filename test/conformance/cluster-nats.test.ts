/**
 * The cluster on every runtime against a real nats-server (issue 16, section 2): TCP on Node, Deno
 * and Bun, WebSocket in Chromium. A simulated 40-node mesh in two regions is published to
 * JetStream; two engines claim one region each through leases in the key-value bucket, refresh
 * them, consume and acknowledge every sample, and heal a node crash through NatsExecutor's
 * request-reply, the simulator answering. The server comes from the harness (helpers/nats.ts).
 */
import { Kvm } from '@nats-io/kv';
import type { Subscription } from '@nats-io/nats-core';
import { afterAll, describe, expect, it } from 'vitest';
import {
  ClusterEngine,
  type ClusterEventMessage,
  type ClusterRunResult,
  LEASE_BUCKET,
  SimPublisher,
} from '../../src/cluster/index.ts';
import { connectNats, type NatsDial } from './helpers/nats.ts';

const NODES = 40;
const TICKS = 400;
const CRASH_TICK = 150;
const ENGINES = ['a', 'b'];

const dials: NatsDial[] = [];
const engines: ClusterEngine[] = [];
let publisher: SimPublisher | undefined;
let events: Subscription | undefined;

afterAll(async () => {
  events?.unsubscribe();
  await publisher?.close();
  await Promise.all(engines.map((engine) => engine.close()));
  await Promise.all(dials.map((dial) => dial.connection.close()));
});

/** A connection closed after the suite. */
async function dial(name: string): Promise<NatsDial> {
  const opened = await connectNats(name);
  dials.push(opened);
  return opened;
}

/** Who holds each lease of the bucket, and at which revision. */
async function leases(dialled: NatsDial): Promise<Map<string, { engine: string; revision: number }>> {
  const kv = await new Kvm(dialled.connection).open(LEASE_BUCKET);
  const held = new Map<string, { engine: string; revision: number }>();
  for await (const key of await kv.keys()) {
    const entry = await kv.get(key);
    if (entry?.operation === 'PUT')
      held.set(key, { engine: entry.json<{ engine: string }>().engine, revision: entry.revision });
  }
  return held;
}

/** Resolves once `done()` holds; rejects after `timeoutMs` with `why()`. */
async function until(done: () => boolean, timeoutMs: number, why: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${why()}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('engines over a real nats-server', () => {
  it('claim regions through leases, acknowledge every sample and heal a crash through request-reply', async () => {
    const control = await dial('publisher');
    // Each dialled its runtime's way: the server's listener it reached is the URL it was given.
    expect(control.connection.getServer()).toBe(new URL(control.url).host);

    publisher = await SimPublisher.open({
      connection: control.connection,
      nodes: NODES,
      seed: 1,
      hours: TICKS / 3600,
      faultsPerKind: 0,
      regions: 2,
    });
    const topology = publisher.sim.topology;
    const crashed = topology.nodeIds.findIndex((_, i) => !topology.isGateway[i]);
    const crash = publisher.sim.inject({
      kind: 'node-crash',
      target: topology.nodeTarget(crashed),
      start: CRASH_TICK,
    });
    const crashRegion = publisher.layout.regionOf[crashed];

    // What the engines' loops did with their actions, as they publish it.
    const actionResults: Array<{ engine: string; target: unknown; outcome: string }> = [];
    events = control.connection.subscribe('x0tta6bl4.events.>', {
      callback: (error, message) => {
        if (error) return;
        const m = message.json<ClusterEventMessage>();
        if (m.kind === 'loop' && m.event.type === 'action-result') {
          const action = m.event.action as { target: unknown; outcome: string };
          actionResults.push({ engine: m.engine, target: action.target, outcome: action.outcome });
        }
      },
    });

    const notices: string[] = [];
    for (const id of ENGINES) {
      const { connection } = await dial(`engine-${id}`);
      engines.push(
        await ClusterEngine.start({
          connection,
          engine: id,
          heartbeatMs: 200,
          notice: (line) => notices.push(`${id}: ${line}`),
        }),
      );
    }
    await until(
      () => engines.every((e) => e.regions().length === 1),
      15_000,
      () => `one region per engine; the engines said:\n${notices.join('\n')}`,
    );

    const before = await leases(control);
    const owners = [before.get('region.0')?.engine, before.get('region.1')?.engine];
    expect(owners.toSorted()).toEqual(ENGINES);
    engines.forEach((engine, i) => expect(owners[engine.regions()[0]]).toBe(ENGINES[i]));
    for (const id of ENGINES) expect(before.get(`engine.${id}`)?.engine).toBe(id);

    const result: ClusterRunResult = await publisher.run({ signal: AbortSignal.timeout(20_000) });
    const after = await leases(control);
    const stats = engines.map((engine) => engine.stats());

    // The whole run, nothing dropped: every tick of every region acknowledged, each once.
    expect(result.ticks).toBe(TICKS);
    expect(result.unacknowledged).toEqual([]);
    expect(result.samplesAcked).toBe(result.samplesPublished);
    expect(result.samplesPublished).toBeGreaterThan(0.95 * TICKS * NODES * 8);
    const acked = ENGINES.map((id) => result.engines[id]?.samplesAcked ?? 0);
    expect(acked.every((samples) => samples > 0)).toBe(true);
    expect(acked[0] + acked[1]).toBe(result.samplesPublished);

    // The crash seen, and healed by the engine holding its region, whose action was answered.
    const healer = owners[crashRegion];
    const fault = result.faults.find((f) => f.id === crash.id);
    expect(result.report.faults.find((f) => f.id === crash.id)?.incident).toBeDefined();
    expect(fault?.healedBy).toBe(healer);
    expect(fault?.end).toBeLessThan(TICKS);
    expect(result.report.overall.healedRate).toBe(1);
    expect(actionResults).toContainEqual({
      engine: healer,
      target: topology.nodeTarget(crashed),
      outcome: 'healed',
    });

    // Leases held throughout: the same owners, refreshed (a later revision), none lost.
    const keys = ['region.0', 'region.1', ...ENGINES.map((id) => `engine.${id}`)];
    const held = (leases: Map<string, { engine: string }>) =>
      keys.map((key) => [key, leases.get(key)?.engine]);
    expect(held(after)).toEqual(held(before));
    const unrefreshed = keys.filter((key) => !(after.get(key)!.revision > before.get(key)!.revision));
    expect(unrefreshed).toEqual([]);
    for (const s of stats) {
      expect(s).toMatchObject({ claims: 1, takeovers: 0, leasesLost: 0, leasesInDoubt: 0, tickFailures: 0 });
      expect(s.ticks).toBe(TICKS);
    }
  }, 60_000);
});
