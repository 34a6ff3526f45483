import { describe, expect, it } from 'vitest';
import { ACTION_KINDS, ACTIONS, type ActionKind } from '../../src/domain/actions.ts';
import { FAULT_SCOPE } from '../../src/domain/faults.ts';
import { ArgumentError } from '../../src/errors.ts';
import {
  ACTION_EFFECTS,
  type FaultVariant,
  MeshSimulator,
  type SimAction,
  SIM_FAULT_KINDS,
  type SimFaultKind,
  type TickFrame,
} from '../../src/sim/index.ts';

const OPTIONS = { seed: 7, topology: { kind: 'geometric' as const, nodes: 50 }, noise: 0 };
const probe = new MeshSimulator(OPTIONS);
const { topology, routes } = probe;
const childrenOf = (i: number): number[] =>
  Array.from(routes.nextHop.keys()).filter((c) => routes.nextHop[c] === i);
const relay = Array.from(topology.nodeIds.keys()).find(
  (i) => !topology.isGateway[i] && childrenOf(i).length >= 2 && !topology.isGateway[routes.nextHop[i]],
)!;
const relayId = topology.nodeIds[relay];
const uplinkIndex = routes.nextLink[relay];
const uplink = topology.linkTarget(uplinkIndex).link;

/** The remedies the issue allows for each fault, written out independently of the catalog. */
const REMEDIES: Record<SimFaultKind, ActionKind[]> = {
  'node-crash': ['restart-service', 'failover'],
  'link-degradation': ['reroute', 'failover'],
  congestion: ['scale-up', 'rate-limit'],
  'cpu-exhaustion': ['restart-service', 'failover'],
  'memory-leak': ['restart-service', 'failover'],
  partition: ['failover'],
  'misbehaving-node': ['quarantine-node'],
  'flapping-link': ['reroute', 'failover'],
  'bad-config': ['rollback-config'],
};

function ticks(sim: MeshSimulator, count: number): TickFrame {
  let frame = sim.tick();
  for (let k = 1; k < count; k++) frame = sim.tick();
  return frame;
}

/** Injects `kind` at the relay (or its uplink) at tick 5, acts at tick 10, runs past completion. */
function treat(kind: SimFaultKind, action: ActionKind, variant?: FaultVariant) {
  const sim = new MeshSimulator(OPTIONS);
  const target = FAULT_SCOPE[kind] === 'node' ? { node: relayId } : { link: uplink };
  const fault = sim.inject({ kind, target, start: 5, ...(variant ? { variant } : {}) });
  ticks(sim, 10);
  const ticket = sim.apply({ kind: action, target });
  ticks(sim, ACTIONS[action].duration + 1);
  const truth = sim.groundTruth()[fault.id];
  return { sim, ticket, truth, activeNow: sim.truthAt().active.some((f) => f.id === fault.id) };
}

describe('actions', () => {
  for (const kind of SIM_FAULT_KINDS) {
    it(`${kind}: healed by exactly ${REMEDIES[kind].join(', ')}`, () => {
      const type = FAULT_SCOPE[kind];
      for (const action of ACTION_KINDS) {
        if (!ACTION_EFFECTS[action].heals[type]) continue;
        const { ticket, truth, activeNow } = treat(kind, action);
        const heals = REMEDIES[kind].includes(action);
        expect({ action, healed: ticket.healed.length > 0 }).toEqual({ action, healed: heals });
        expect(activeNow).toBe(!heals);
        if (heals) {
          expect(ticket.status).toBe('succeeded');
          expect(truth.end).toBe(ticket.completes);
          expect(truth.healedBy).toBe(ticket.id);
        } else {
          expect(truth.end).toBe(Infinity);
        }
      }
    });
  }

  it('partition: its whole cut is the root cause, and a failover on any link of it reconnects the region', () => {
    const sim = new MeshSimulator(OPTIONS);
    const fault = sim.inject({ kind: 'partition', target: { link: uplink }, start: 5 });
    ticks(sim, 10);
    const { cut } = sim.groundTruth()[fault.id];
    expect(cut).toContainEqual({ link: uplink });
    expect(cut.length).toBeGreaterThan(1);
    const other = cut.find((l) => topology.linkIndex(l.link) !== uplinkIndex)!;
    const truth = sim.truthAt();
    for (const { link } of cut) expect(truth.faultyLinks[topology.linkIndex(link)]).toBe(1);
    expect(sim.isFaulty(other)).toBe(true);
    const ticket = sim.apply({ kind: 'failover', target: other });
    ticks(sim, ACTIONS.failover.duration + 1);
    expect(ticket.healed).toEqual([fault.id]);
    expect(sim.groundTruth()[fault.id].healedBy).toBe(ticket.id);
  });

  it('clear-cache heals a cache leak but not a heap leak', () => {
    expect(treat('memory-leak', 'clear-cache', 'cache').ticket.healed.length).toBe(1);
    expect(treat('memory-leak', 'clear-cache', 'heap').ticket.healed).toEqual([]);
  });

  it('healing restores the metrics', () => {
    const crash = treat('node-crash', 'restart-service');
    expect(crash.sim.tick().reporting[relay]).toBe(1);
    const config = treat('bad-config', 'rollback-config');
    expect(config.sim.tick().metrics.errorRate[relay]).toBeLessThan(0.01);
    const leak = treat('memory-leak', 'restart-service');
    expect(leak.sim.tick().metrics.memory[relay]).toBeLessThan(50);
    const surge = treat('congestion', 'rate-limit');
    const frame = ticks(surge.sim, 5);
    expect(frame.metrics.queueDepth[relay]).toBeLessThan(1);
  });

  it('a restart takes a healthy node down for its duration and heals nothing', () => {
    const sim = new MeshSimulator(OPTIONS);
    ticks(sim, 3);
    const ticket = sim.apply({ kind: 'restart-service', target: { node: relayId } });
    expect(sim.tick().reporting[relay]).toBe(0);
    for (const c of childrenOf(relay)) expect(sim.tick().metrics.packetLoss[c]).toBeGreaterThan(0.99);
    ticks(sim, ACTIONS['restart-service'].duration - 2);
    expect(sim.tick().reporting[relay]).toBe(1);
    expect(ticket.status).toBe('succeeded');
    expect(ticket.healed).toEqual([]);
    expect(sim.truthAt(ticket.issued + 1).faultyNodes[relay]).toBe(0);
  });

  it('reroute around a link moves traffic off it, and back when the hold lapses', () => {
    const sim = new MeshSimulator(OPTIONS);
    const before = Array.from(sim.routes.nextLink);
    const version = sim.routes.version;
    const ticket = sim.apply({ kind: 'reroute', target: { link: uplink } });
    ticks(sim, ACTIONS.reroute.duration + 1);
    expect(ticket.status).toBe('succeeded');
    expect(sim.routes.version).toBeGreaterThan(version);
    expect(Array.from(sim.routes.nextLink)).not.toContain(uplinkIndex);
    expect(sim.path(relayId)[1]).not.toBe(topology.nodeIds[routes.nextHop[relay]]);
    ticks(sim, ACTIONS.reroute.holdTicks);
    expect(Array.from(sim.routes.nextLink)).toEqual(before);
  });

  it('reroute around a node steers relayed traffic away; quarantine isolates the node', () => {
    const sim = new MeshSimulator(OPTIONS);
    expect(childrenOf(relay).length).toBeGreaterThan(0);
    sim.apply({ kind: 'reroute', target: { node: relayId } });
    ticks(sim, ACTIONS.reroute.duration + 1);
    const relayedAfterReroute = Array.from(sim.routes.nextHop).filter((h) => h === relay).length;
    expect(relayedAfterReroute).toBeLessThan(childrenOf(relay).length);

    const other = new MeshSimulator(OPTIONS);
    other.apply({ kind: 'quarantine-node', target: { node: relayId } });
    const frame = ticks(other, ACTIONS['quarantine-node'].duration + 1);
    expect(frame.reporting[relay]).toBe(1);
    expect(frame.metrics.throughput[relay]).toBe(0);
    expect(frame.metrics.linkQuality[relay]).toBe(0);
  });

  it('reroute fails to heal a link that traffic cannot avoid', () => {
    // A 7-node grid is 3 + 3 + 1: node 6 hangs off node 3 alone, so link n3-n6 is a bridge.
    const sim = new MeshSimulator({ seed: 1, topology: { kind: 'grid', nodes: 7 }, noise: 0 });
    const l = sim.topology.linkBetween(3, 6);
    expect(sim.topology.neighbors(6)).toEqual([3]);
    const bridge = sim.topology.linkTarget(l);
    expect(bridge).toEqual({ link: ['n3', 'n6'] });
    sim.inject({ kind: 'link-degradation', target: bridge, start: 1 });
    ticks(sim, 2);
    const ticket = sim.apply({ kind: 'reroute', target: { link: ['n6', 'n3'] } });
    ticks(sim, ACTIONS.reroute.duration + 1);
    expect(ticket.status).toBe('failed');
    expect(ticket.reason).toMatch(/no alternative path/);
    expect(ticket.healed).toEqual([]);
    expect(sim.truthAt().faultyLinks[l]).toBe(1);
  });

  it('scale-down shrinks capacity (busier CPU), scale-up restores it', () => {
    const sim = new MeshSimulator(OPTIONS);
    const cpu0 = ticks(sim, 2).metrics.cpu[relay];
    sim.apply({ kind: 'scale-down', target: { node: relayId } });
    const cpu1 = ticks(sim, ACTIONS['scale-down'].duration + 1).metrics.cpu[relay];
    expect(cpu1).toBeGreaterThan(cpu0 + 2);
    sim.apply({ kind: 'scale-up', target: { node: relayId } });
    const cpu2 = ticks(sim, ACTIONS['scale-up'].duration + 1).metrics.cpu[relay];
    expect(cpu2).toBeLessThan(cpu1 - 2);
  });

  it('in-band actions on a crashed node fail; rerouting around it mitigates without healing', () => {
    const sim = new MeshSimulator(OPTIONS);
    sim.inject({ kind: 'node-crash', target: { node: relayId }, start: 1 });
    ticks(sim, 2);
    const rollback = sim.apply({ kind: 'rollback-config', target: { node: relayId } });
    ticks(sim, ACTIONS['rollback-config'].duration + 1);
    expect(rollback.status).toBe('failed');
    expect(rollback.reason).toMatch(/unreachable/);
    const reroute = sim.apply({ kind: 'reroute', target: { node: relayId } });
    const frame = ticks(sim, ACTIONS.reroute.duration + 1);
    expect(reroute.status).toBe('succeeded');
    expect(reroute.healed).toEqual([]);
    expect(sim.isFaulty({ node: relayId })).toBe(true);
    // Feeders with another way out stop losing traffic into the dead node.
    const escaped = childrenOf(relay).filter((c) => sim.routes.nextHop[c] !== relay);
    expect(escaped.length).toBeGreaterThan(0);
    for (const c of escaped) expect(frame.metrics.packetLoss[c]).toBeLessThan(0.5);
  });

  it('tells faulty targets from healthy ones at a tick', () => {
    const sim = new MeshSimulator(OPTIONS);
    sim.inject({ kind: 'bad-config', target: { node: relayId }, start: 2, duration: 3 });
    sim.inject({ kind: 'flapping-link', target: { link: uplink }, start: 3, duration: 3 });
    ticks(sim, 10);
    expect(sim.isFaulty({ node: relayId }, 1)).toBe(false);
    expect(sim.isFaulty({ node: relayId }, 2)).toBe(true);
    expect(sim.isFaulty({ link: uplink }, 5)).toBe(true);
    expect(sim.isFaulty({ link: uplink }, 6)).toBe(false);
    expect(sim.isFaulty({ node: topology.nodeIds[routes.nextHop[relay]] }, 3)).toBe(false);
    expect(sim.isFaulty({ node: relayId })).toBe(false);
    expect(() => sim.isFaulty({ node: 'n404' })).toThrow(ArgumentError);
  });

  it('rejects a second action on a busy target, but not on another target', () => {
    const sim = new MeshSimulator(OPTIONS);
    const first = sim.apply({ kind: 'scale-up', target: { node: relayId } });
    const second = sim.apply({ kind: 'rate-limit', target: { node: relayId } });
    const elsewhere = sim.apply({
      kind: 'rate-limit',
      target: { node: topology.nodeIds[routes.nextHop[relay]] },
    });
    expect(first.status).toBe('running');
    expect(second.status).toBe('rejected');
    expect(second.reason).toMatch(/still running/);
    expect(elsewhere.status).toBe('running');
    expect(sim.actions().map((a) => a.id)).toEqual([0, 1, 2]);
  });

  it('fails at about its failure probability', () => {
    const sim = new MeshSimulator({ ...OPTIONS, seed: 11 });
    const tickets = [];
    for (let round = 0; round < 16; round++) {
      for (const id of topology.nodeIds)
        tickets.push(sim.apply({ kind: 'restart-service', target: { node: id } }));
      ticks(sim, ACTIONS['restart-service'].duration + 1);
    }
    const failed = tickets.filter((t) => t.status === 'failed').length;
    expect(tickets.every((t) => t.status === 'failed' || t.status === 'succeeded')).toBe(true);
    // 800 draws at p = 0.05: mean 40, sd ~6.2.
    expect(failed).toBeGreaterThan(20);
    expect(failed).toBeLessThan(60);
  });

  it('prices every ticket from the catalog', () => {
    const sim = new MeshSimulator(OPTIONS);
    ticks(sim, 4);
    for (const kind of ACTION_KINDS) {
      const target =
        kind === 'reroute' || kind === 'failover'
          ? { link: uplink }
          : { node: topology.nodeIds[ACTION_KINDS.indexOf(kind)] };
      const ticket = sim.apply({ kind, target });
      expect(ticket).toMatchObject({
        cost: ACTIONS[kind].cost,
        issued: 4,
        completes: 4 + ACTIONS[kind].duration,
      });
      expect(ACTIONS[kind].failureProbability).toBeGreaterThan(0);
    }
  });

  it('rejects bad actions with the field named', () => {
    const sim = new MeshSimulator(OPTIONS);
    const bad: [unknown, RegExp][] = [
      [null, /action/],
      [{ kind: 'reboot-universe', target: { node: relayId } }, /action.kind/],
      [{ kind: 'scale-up', target: { link: uplink } }, /action.target/],
      [{ kind: 'restart-service', target: { node: 'n404' } }, /action.target.node/],
      [{ kind: 'reroute', target: { link: ['n0', 'n0'] } }, /action.target.link/],
      [{ kind: 'reroute', target: { link: 'n0-n1' } }, /action.target.link/],
      [{ kind: 'failover', target: { link: [relayId, 'n404'] } }, /action.target.link/],
      [{ kind: 'failover', target: 'n1' }, /action.target/],
    ];
    for (const [spec, message] of bad) {
      expect(() => sim.apply(spec as SimAction)).toThrow(ArgumentError);
      expect(() => sim.apply(spec as SimAction)).toThrow(message);
      expect(() => sim.check(spec as SimAction)).toThrow(message);
    }
    expect(sim.actions()).toEqual([]);
  });
});

describe('reverting actions', () => {
  it('lifts a quarantine and a rate limit, and refuses what has nothing lasting to undo', () => {
    const sim = new MeshSimulator({ seed: 3, topology: { kind: 'grid', nodes: 16 } });
    const node = sim.topology.nodeIds[5];
    sim.apply({ kind: 'quarantine-node', target: { node } });
    sim.apply({ kind: 'rate-limit', target: { node: sim.topology.nodeIds[6] } });
    for (let t = 0; t < 5; t++) sim.tick();
    expect(sim.revert({ kind: 'quarantine-node', target: { node } })).toEqual({ ok: true });
    expect(sim.revert({ kind: 'quarantine-node', target: { node } }).ok).toBe(false);
    expect(sim.revert({ kind: 'rate-limit', target: { node: sim.topology.nodeIds[6] } })).toEqual({
      ok: true,
    });
    const restart = sim.revert({ kind: 'restart-service', target: { node } });
    expect(restart.ok).toBe(false);
    expect(restart.reason).toMatch(/no lasting effect/);
    expect(() => sim.revert({ kind: 'quarantine-node', target: { node: 'nope' } })).toThrow(/action.target/);
  });
});
