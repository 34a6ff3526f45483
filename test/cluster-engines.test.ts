/**
 * Many engines over NATS JetStream (issue 16, sections 2 and 4), with a real nats-server and
 * real engine processes (`x0tta6bl4 serve --nats`) over one simulated 300-node mesh in 6 regions,
 * 118 simulated minutes with 6 faults of each of the 9 kinds (54: one fault is 1.9 points):
 * - one engine, then three, on the same seed: the healing figures within 5 points;
 * - kill -9 of an engine while an incident it opened is open (and in its region's last
 *   checkpoint): its regions are taken over within 10 s, and the engine that takes the incident's
 *   region over finishes that incident under its id; no published sample goes unacknowledged
 *   (counted), the figures stay within 5 points; the engine restarted rejoins and takes a share of
 *   the regions back;
 * - nats-server stopped and started again mid-run: the engines reconnect and every sample
 *   JetStream stored is processed and acknowledged (the healing figures may dip by an action whose
 *   request was in flight during the outage).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterRunResult } from '../src/cluster/publisher.ts';
import { PostgresStore } from '../src/knowledge/postgres-store.ts';
import type { HealingReport } from '../src/run/evaluate.ts';
import {
  clusterRun,
  type EngineProcess,
  EventWatch,
  LeaseWatch,
  startEngine,
  type WatchedIncident,
} from './cluster-process.ts';
import { startNats, type TestNats } from './servers/nats.ts';
import { startPostgres, type TestPostgres } from './servers/postgres.ts';

const SEED = 3;
const REGIONS = 6;
/**
 * 7,080 ticks: room for 6 faults of each of the 9 kinds after the 600-tick warm-up. 54 faults, so
 * that the figures' run-to-run wobble (a fault or two more or fewer healed from one run to the
 * next, as actions land a tick or so apart) stays under the 5 points compared.
 */
const HOURS = 118 / 60;
const FAULTS_PER_KIND = 6;
/**
 * The mesh every test runs. It publishes a tick once every region has processed the one before:
 * with the 10 ticks of lead cluster-process.ts allows by default, an engine's actions landed up to
 * 10 ticks after the tick it decided them on, and one engine's healing rate varied from 83 to 93%
 * between runs of the same seed (45 to 50 faults of 54); with one tick, from 89 to 93%.
 */
const MESH = { seed: SEED, hours: HOURS, faultsPerKind: FAULTS_PER_KIND, lead: 1 };

let nats: TestNats;
let pg: TestPostgres;
let baseline: ClusterRunResult;

beforeAll(async () => {
  [nats, pg] = await Promise.all([startNats(), startPostgres()]);
}, 60_000);

afterAll(async () => {
  await Promise.all([nats?.destroy(), pg?.destroy()]);
});

/** The run id an engine process signs its audit chain under (`serve --nats --store`). */
function runIdOf(engine: EngineProcess): string {
  const match = /serve: run ([0-9A-Z]{26}):/.exec(engine.stderr());
  if (!match) throw new Error(`engine ${engine.id} names no run: ${engine.stderr().slice(-2000)}`);
  return match[1];
}

/** The run ids whose audit chains on `url` hold a resolution of incident `id`. */
async function resolvedIn(url: string, chains: readonly string[], id: string): Promise<string[]> {
  const store = await PostgresStore.open(url);
  try {
    const found: string[] = [];
    for (const chain of chains) {
      const audit = store.auditStore(chain);
      const entries = await audit.entries(0, (await audit.size()).entries);
      if (
        entries.some(
          (e) => e.kind === 'resolution' && (e.data as { incidentId?: string } | null)?.incidentId === id,
        )
      )
        found.push(chain);
    }
    return found;
  } finally {
    await store.close();
  }
}

/** The healing figures, in points. */
function points(report: HealingReport) {
  const o = report.overall;
  return {
    detectionRate: 100 * o.detectionRate,
    healedRate: 100 * o.healedRate,
    rootCauseTop1: 100 * o.rootCauseTop1,
  };
}

/**
 * The detection and healing rates within 5 points, on a run with faults enough that one fault is
 * less than that. (The root cause's top-1 rate is printed, not compared: it is scored over the
 * faults diagnosed, and one engine alone moves it by a fault from run to run, as actions complete
 * at their own pace.)
 */
function expectWithinFivePoints(report: HealingReport, reference: HealingReport): void {
  expect(report.overall.injected).toBe(reference.overall.injected);
  expect(100 / reference.overall.injected).toBeLessThan(5);
  const got = points(report);
  const want = points(reference);
  for (const key of ['detectionRate', 'healedRate'] as const)
    expect(Math.abs(got[key] - want[key]), `${key}: ${got[key]} vs ${want[key]}`).toBeLessThanOrEqual(5);
}

/** Every published sample acknowledged, each region's every tick once. */
function expectNothingUnprocessed(result: ClusterRunResult): void {
  expect(result.unacknowledged).toEqual([]);
  expect(result.samplesAcked).toBe(result.samplesPublished);
  // Every node's 8 metrics each tick, but for nodes down (a crashed node reports nothing).
  expect(result.samplesPublished).toBeGreaterThan(0.95 * result.ticks * 300 * 8);
}

describe('engines over NATS JetStream, 300 nodes in 6 regions', () => {
  it('one engine heals the mesh: every sample acknowledged, faults detected and healed', {
    timeout: 600_000,
  }, async () => {
    const { result, finals } = await clusterRun({ url: nats.url, engines: ['solo'], ...MESH });
    baseline = result;
    const stats = finals.get('solo');
    console.info(
      `one engine: ${JSON.stringify(points(result.report))} in ${result.wallSeconds.toFixed(0)} s; ${stats?.checkpoints} checkpoints taking ${Number(stats?.checkpointMs).toFixed(0)} ms`,
    );
    expectNothingUnprocessed(result);
    expect(result.report.overall.injected).toBe(54);
    expect(result.report.overall.detectionRate).toBeGreaterThanOrEqual(0.8);
    expect(result.report.overall.healedRate).toBeGreaterThanOrEqual(0.7);
    expect(finals.get('solo')?.samplesAcked).toBe(result.samplesPublished);
  });

  it('three engines share the regions and heal within 5 points of one engine', {
    timeout: 600_000,
  }, async () => {
    const { result, finals } = await clusterRun({ url: nats.url, engines: ['a', 'b', 'c'], ...MESH });
    console.info(
      `three engines: ${JSON.stringify(points(result.report))} in ${result.wallSeconds.toFixed(0)} s`,
    );
    expectNothingUnprocessed(result);
    expectWithinFivePoints(result.report, baseline.report);
    // Every engine did a share of the work.
    for (const id of ['a', 'b', 'c']) expect(Number(finals.get(id)?.samplesProcessed)).toBeGreaterThan(0);
    const acked = ['a', 'b', 'c'].reduce((sum, id) => sum + Number(finals.get(id)?.samplesAcked), 0);
    expect(acked).toBe(result.samplesPublished);
  });

  it('kill -9 of an engine with an incident open: regions taken over within 10 s, the incident finished by another engine under its id, nothing lost; a restarted engine rejoins', {
    timeout: 600_000,
  }, async () => {
    // The engines keep knowledge and their audit chains on PostgreSQL: the incident's record and
    // its resolution in the audit trail show which engine finished it.
    const store = await pg.createDatabase('kill');
    const args = ['--store', store];
    const watch = await LeaseWatch.open(nats.url, REGIONS);
    const events = new EventWatch(watch.connection);
    let killed: { id: string; atTick: number; incident: WatchedIncident; process: EngineProcess } | undefined;
    let takeoverMs: number | undefined;
    let rejoined: Promise<{ engine: EngineProcess; regions: number }> | undefined;
    try {
      const { result, finals, engines } = await clusterRun({
        url: nats.url,
        engines: ['a', 'b', 'c'],
        engineArgs: args,
        ...MESH,
        async onTick(tick, _publisher, engines) {
          if (killed || tick < 900) return;
          // An open incident whose region's last acknowledged checkpoint holds it, opened by the
          // engine that still owns the region.
          const open = [...events.incidents.values()].filter(
            (i) =>
              i.closedBy === undefined &&
              i.openedAt >= 900 &&
              (events.acked.get(i.region) ?? -1) >= i.openedAt,
          );
          if (open.length === 0) return;
          const owners = await watch.owners();
          const incident = open.find((i) => owners[i.region] === i.openedBy);
          if (!incident) return;
          const owner = incident.openedBy;
          const victim = engines.get(owner)!;
          victim.child.kill('SIGKILL');
          killed = { id: owner, atTick: tick, incident, process: victim };
          const killedAt = Date.now();
          // Measured beside the run: the mesh's clock waits for the regions the dead engine held.
          void watch
            .until((o) => o.every((e) => e !== undefined && e !== owner), 30_000)
            .then(() => {
              takeoverMs = Date.now() - killedAt;
              // The engine comes back under its own name and must get a share of the regions.
              rejoined = startEngine(nats.url, owner, args).then(async (engine) => {
                engines.set(owner, engine);
                await watch.until((o) => o.filter((e) => e === owner).length >= 1, 30_000);
                return { engine, regions: (await watch.owners()).filter((e) => e === owner).length };
              });
            });
        },
      });
      expect(killed, 'no incident to kill an engine in').toBeDefined();
      expect(takeoverMs).toBeDefined();
      expect(takeoverMs!).toBeLessThan(10_000);
      // The incident the dead engine had open is finished by another engine, under its id: its
      // events say so, the store holds it closed, and the resolution is in another engine's audit
      // chain, not in the dead one's.
      const incident = events.incidents.get(killed!.incident.id)!;
      expect(incident.closedBy, `incident ${incident.id} not closed`).toBeDefined();
      expect(['resolved', 'escalated']).toContain(incident.status);
      expect(Number(finals.get(incident.closedBy!)?.incidentsResumed)).toBeGreaterThanOrEqual(1);
      const knowledge = await PostgresStore.open(store);
      const record = (await knowledge.listIncidents().finally(() => knowledge.close())).find(
        (r) => r.id === incident.id,
      );
      expect(record).toMatchObject({ status: incident.status, closedAt: incident.closedAt });
      const dead = runIdOf(killed!.process);
      const living = [...engines.values()].map(runIdOf);
      expect(await resolvedIn(store, [dead, ...living], incident.id)).toEqual([
        runIdOf(engines.get(incident.closedBy!)!),
      ]);
      expect(living).not.toContain(dead);
      expectNothingUnprocessed(result);
      expectWithinFivePoints(result.report, baseline.report);
      const back = await rejoined!;
      expect(back.regions).toBeGreaterThanOrEqual(1);
      expect(Number(finals.get(killed!.id)?.samplesProcessed)).toBeGreaterThan(0);
      // The others took the dead engine's regions from its checkpoints.
      const takeovers = [...finals.values()].reduce((sum, s) => sum + Number(s?.takeovers ?? 0), 0);
      expect(takeovers).toBeGreaterThanOrEqual(1);
      // Incidents the dead engine opened that nobody closed: opened after its last checkpoint,
      // detected again by the next owner under new ids.
      const orphans = [...events.incidents.values()].filter(
        (i) => i.openedBy === killed!.id && i.openedAt <= killed!.atTick && i.closedBy === undefined,
      );
      console.info(
        `killed ${killed!.id} at tick ${killed!.atTick} with incident ${incident.id} (region ${incident.region}, opened at ${incident.openedAt}) open: ${incident.status} by ${incident.closedBy} at tick ${incident.closedAt}; regions taken over in ${takeoverMs} ms; ${orphans.length} incidents of the dead engine left open; ${JSON.stringify(points(result.report))} in ${result.wallSeconds.toFixed(0)} s`,
      );
    } finally {
      await events.close();
      await watch.close();
    }
  });

  it('nats-server restarted mid-run: engines reconnect and lose nothing JetStream stored', {
    timeout: 600_000,
  }, async () => {
    let restarted = false;
    const { result, finals } = await clusterRun({
      url: nats.url,
      engines: ['a', 'b', 'c'],
      ...MESH,
      async onTick(tick) {
        if (restarted || tick !== 1000) return;
        restarted = true;
        await nats.stop();
        await new Promise((resolve) => setTimeout(resolve, 1000));
        await nats.start();
      },
    });
    expect(restarted).toBe(true);
    expectNothingUnprocessed(result);
    // An action whose request or answer was in flight when the server went away fails, and its
    // fault may end on its own before the engine tries again: the healing figure may dip by one.
    expect(result.report.overall.detectionRate).toBeGreaterThanOrEqual(
      baseline.report.overall.detectionRate - 0.05,
    );
    expect(result.report.overall.healedRate).toBeGreaterThanOrEqual(0.7);
    for (const id of ['a', 'b', 'c']) expect(finals.get(id), `${id} stopped cleanly`).toBeDefined();
  });
});
