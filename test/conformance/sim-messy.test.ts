import { describe, expect, it } from 'vitest';
import { ArgumentError } from '../../src/errors.ts';
import {
  buildTopology,
  copyFrame,
  MeshSimulator,
  scheduleArrivals,
  TelemetryChannel,
  type TickFrame,
} from '../../src/sim/index.ts';

const topology = buildTopology({ kind: 'geometric', nodes: 300 }, 5);

/** Faults active at each tick of `[from, to)`. */
function activeCounts(faults: { start?: number; duration?: number }[], from: number, to: number): number[] {
  const counts = new Array<number>(to - from).fill(0);
  for (const f of faults)
    for (let t = Math.max(from, f.start!); t < Math.min(to, f.start! + f.duration!); t++) counts[t - from]++;
  return counts;
}

describe('scheduleArrivals', () => {
  const day = scheduleArrivals({ seed: 4, topology, hours: 6, rate: 0.1, changesPerHour: 1 });

  it('lets faults overlap in time (about three at a time on 300 nodes at 0.1/node/h) and in place', () => {
    const counts = activeCounts(day.faults, 3600, 6 * 3600);
    const mean = counts.reduce((a, b) => a + b, 0) / counts.length;
    expect(mean).toBeGreaterThan(2);
    expect(mean).toBeLessThan(4);
    expect(Math.max(...counts)).toBeGreaterThanOrEqual(6);
    // Some fault starts while another strikes the same node (or a link touching it).
    const nodesOf = (f: (typeof day.faults)[number]) =>
      f.target.node !== undefined ? [f.target.node] : [...f.target.link];
    const samePlace = day.faults.some((f, k) =>
      day.faults
        .slice(0, k)
        .some((g) => g.start! + g.duration! > f.start! && nodesOf(g).some((n) => nodesOf(f).includes(n))),
    );
    expect(samePlace).toBe(true);
    // Never the same kind on the same target at once.
    for (const [k, f] of day.faults.entries())
      for (const g of day.faults.slice(0, k))
        if (g.kind === f.kind && JSON.stringify(g.target) === JSON.stringify(f.target))
          expect(g.start! + g.duration!).toBeLessThanOrEqual(f.start!);
  });

  it('plans one change an hour after the warm-up, of every kind', () => {
    expect(day.changes.length).toBe(5);
    expect(new Set(day.changes.map((c) => c.kind))).toEqual(
      new Set(['rolling-deploy', 'maintenance', 'traffic-shift']),
    );
    for (const c of day.changes) expect(c.start).toBeGreaterThanOrEqual(600);
  });

  it('is deterministic per seed', () => {
    expect(scheduleArrivals({ seed: 4, topology, hours: 6, rate: 0.1, changesPerHour: 1 })).toEqual(day);
    expect(scheduleArrivals({ seed: 5, topology, hours: 6, rate: 0.1 }).faults).not.toEqual(day.faults);
  });

  it('refuses bad options by name', () => {
    expect(() => scheduleArrivals({ seed: 1, topology, rate: -1 })).toThrow(ArgumentError);
    expect(() => scheduleArrivals({ seed: 1, topology, changesPerHour: Number.NaN })).toThrow(
      /changesPerHour/,
    );
  });
});

describe('cascades', () => {
  const small = { kind: 'geometric' as const, nodes: 60 };

  /** A sim with cascades and crashes and leaks scheduled. */
  function build(seed: number) {
    const sim = new MeshSimulator({ seed, topology: small, cascades: true });
    const relays = sim.topology.nodeIds.filter((_, i) => !sim.topology.isGateway[i]);
    for (let k = 0; k < 12; k++) {
      sim.inject({ kind: 'node-crash', target: { node: relays[k] }, start: 10 + k * 50, duration: 200 });
      sim.inject({ kind: 'memory-leak', target: { node: relays[20 + k] }, start: 10 + k * 50, severity: 1 });
    }
    return sim;
  }

  /** The same, run for 1200 ticks with no engine acting. */
  function run(seed: number) {
    const sim = build(seed);
    for (let t = 0; t < 1200; t++) sim.tick();
    return sim;
  }

  it("congest a crash's neighbour while the crash lasts, and end a full leak in a crash", () => {
    const sim = run(3);
    const truth = sim.groundTruth();
    const children = truth.filter((f) => f.cause !== undefined);
    const congested = children.filter((f) => f.kind === 'congestion');
    const crashed = children.filter((f) => f.kind === 'node-crash');
    expect(congested.length).toBeGreaterThan(0);
    expect(crashed.length).toBeGreaterThan(0);
    for (const child of congested) {
      const crash = truth[child.cause!];
      expect(crash.kind).toBe('node-crash');
      expect(sim.topology.neighbors(sim.topology.nodeIndex(crash.target.node!))).toContain(
        sim.topology.nodeIndex(child.target.node!),
      );
      expect(child.start).toBeGreaterThan(crash.start);
      expect(child.end).toBe(crash.end);
    }
    for (const child of crashed) {
      const leak = truth[child.cause!];
      expect(leak.kind).toBe('memory-leak');
      expect(child.target).toEqual(leak.target);
    }
  });

  it('are deterministic per seed and absent unless asked for', () => {
    expect(run(3).groundTruth()).toEqual(run(3).groundTruth());
    const plain = new MeshSimulator({ seed: 3, topology: small });
    plain.inject({
      kind: 'node-crash',
      target: { node: plain.topology.nodeIds[5] },
      start: 1,
      duration: 300,
    });
    for (let t = 0; t < 400; t++) plain.tick();
    expect(plain.groundTruth().length).toBe(1);
  });

  it('end with their cause when an action heals it, healed by that action', () => {
    const sim = run(3);
    const truth = sim.groundTruth();
    const child = truth.find((f) => f.kind === 'congestion' && f.cause !== undefined)!;
    expect(child.healedBy).toBeUndefined();
    // The same run, healing the crash once its congestion has started.
    const healed = build(3);
    while (healed.now <= child.start) healed.tick();
    const ticket = healed.apply({ kind: 'restart-service', target: truth[child.cause!].target });
    while (ticket.status === 'running') healed.tick();
    const after = healed.groundTruth();
    expect(after[child.id].healedBy).toBe(ticket.id);
    expect(after[child.id].end).toBe(ticket.completes);
    expect(ticket.healed).toContain(child.id);
  });
});

describe('planned changes', () => {
  it('take nodes down or add load in their window, and are no fault', () => {
    const sim = new MeshSimulator({ seed: 2, topology: { kind: 'grid', nodes: 36 } });
    const ids = sim.topology.nodeIds.filter((_, i) => !sim.topology.isGateway[i]);
    const maintenance = sim.plan({ kind: 'maintenance', nodes: [ids[0]], start: 10, duration: 20 });
    sim.plan({ kind: 'rolling-deploy', nodes: [ids[1], ids[2]], start: 10, duration: 120 });
    const seen: TickFrame[] = [];
    for (let t = 0; t < 140; t++) seen.push(copyFrame(sim.tick()));
    const at = (tick: number, node: string) => seen[tick].reporting[sim.topology.nodeIndex(node)];
    expect(at(9, ids[0])).toBe(1);
    expect(at(10, ids[0])).toBe(0);
    expect(at(29, ids[0])).toBe(0);
    expect(at(30, ids[0])).toBe(1);
    // The deploy restarts its nodes one after the other.
    expect(at(15, ids[1])).toBe(0);
    expect(at(15, ids[2])).toBe(1);
    expect(at(75, ids[2])).toBe(0);
    expect(at(135, ids[1])).toBe(1);
    expect(sim.groundTruth()).toEqual([]);
    expect(sim.plannedChanges()[0]).toEqual(maintenance);
    expect(maintenance.end).toBe(30);
    expect(() => sim.plan({ kind: 'maintenance', nodes: ['nope'], start: 200, duration: 1 })).toThrow(
      ArgumentError,
    );
  });
});

describe('TelemetryChannel', () => {
  const sim = new MeshSimulator({ seed: 9, topology: { kind: 'geometric', nodes: 40 } });
  const frames: TickFrame[] = [];
  for (let t = 0; t < 600; t++) frames.push(copyFrame(sim.tick()));
  const options = { loss: 0.02, late: 0.01, duplicate: 0.01, skew: 0.5, silenceRate: 2 };
  const deliver = (seed: number) => {
    const channel = new TelemetryChannel(seed, sim.topology.nodeIds, options);
    return { channel, delivered: frames.map((f) => channel.deliver(f)) };
  };

  it('loses samples at the configured rate, delivers some late and some twice', () => {
    const { channel, delivered } = deliver(1);
    const { produced, dropped, late, duplicated } = channel.stats;
    expect(dropped / produced).toBeGreaterThan(0.016);
    expect(dropped / produced).toBeLessThan(0.024);
    expect(late / produced).toBeGreaterThan(0.006);
    expect(duplicated / produced).toBeGreaterThan(0.006);
    // Every sample arrives once (twice if duplicated), unless lost or still on its way at the end.
    const flat = delivered.flat().length;
    expect(flat).toBeLessThanOrEqual(produced - dropped + duplicated);
    expect(flat).toBeGreaterThanOrEqual(produced - dropped + duplicated - late);
    // A late sample keeps its own time: it arrives in a later tick's delivery.
    const lateOnes = delivered.flatMap((batch, t) => batch.filter((s) => s.ts < t - 0.5));
    expect(lateOnes.length).toBeGreaterThan(0);
  });

  it('skews each node by a constant offset within the bound, and silences agents for a while', () => {
    const { channel, delivered } = deliver(1);
    const offsets = new Map<string, Set<number>>();
    delivered.forEach((batch, t) => {
      for (const s of batch) {
        if (s.ts > t - 0.5)
          (offsets.get(s.source) ?? offsets.set(s.source, new Set()).get(s.source)!).add(s.ts - t);
      }
    });
    for (const set of offsets.values()) {
      expect(set.size).toBe(1);
      expect(Math.abs([...set][0])).toBeLessThanOrEqual(0.5);
    }
    expect(channel.silences().length).toBeGreaterThan(0);
    const silence = channel.silences()[0];
    const t = silence.start + 1;
    expect(delivered[t].some((s) => s.source === silence.node && s.ts > t - 0.5)).toBe(false);
    expect(channel.stats.silenced).toBeGreaterThan(0);
  });

  it('is deterministic per seed', () => {
    expect(deliver(1).delivered).toEqual(deliver(1).delivered);
    expect(deliver(2).delivered).not.toEqual(deliver(1).delivered);
  });

  it('refuses bad options by name', () => {
    expect(() => new TelemetryChannel(1, ['a'], { loss: 2 })).toThrow(/telemetry.loss/);
    expect(() => new TelemetryChannel(1, ['a'], { loss: 0.6, late: 0.6 })).toThrow(ArgumentError);
  });
});
