/**
 * The simulator's world change (src/sim/world-change.ts): from its tick on, the action that
 * stopped no longer heals the fault kind and the one that started does, on the fault's own
 * target only; before it, and for other kinds, the healing table is unchanged; a change the
 * simulator cannot make is refused by field.
 */
import { describe, expect, it } from 'vitest';
import { ArgumentError } from '../src/errors.ts';
import { MeshSimulator, type SimAction, type WorldChange } from '../src/sim/index.ts';

const CHANGE: WorldChange = { atTick: 600, kind: 'bad-config', stops: 'rollback-config', starts: 'failover' };

/** Injects a bad-config fault on n5 at `start`, applies `action` once it is active, and reports whether it healed it. */
function heals(action: SimAction['kind'], start: number, worldChange?: WorldChange, node = 'n5'): boolean {
  const sim = new MeshSimulator({
    seed: 7,
    topology: { kind: 'geometric', nodes: 20 },
    noise: 0,
    ...(worldChange ? { worldChange } : {}),
  });
  const fault = sim.inject({
    kind: 'bad-config',
    target: { node: 'n5' },
    start,
    duration: 900,
    severity: 0.8,
  });
  while (sim.now <= start) sim.tick();
  const ticket = sim.apply({ kind: action, target: { node } });
  while (ticket.status === 'running') sim.tick();
  // A failure to take effect (the action's own failure chance) would say nothing about the table.
  expect(ticket.status).toBe('succeeded');
  return ticket.healed.includes(fault.id);
}

describe('MeshSimulator worldChange', () => {
  it('keeps the healing table before the change tick', () => {
    expect(heals('rollback-config', 100, CHANGE)).toBe(true);
    expect(heals('failover', 100, CHANGE)).toBe(false);
  });

  it('swaps the remedy from the change tick on', () => {
    expect(heals('rollback-config', 700, CHANGE)).toBe(false);
    expect(heals('failover', 700, CHANGE)).toBe(true);
  });

  it('heals with the new remedy only on the fault’s own target', () => {
    expect(heals('failover', 700, CHANGE, 'n6')).toBe(false);
  });

  it('leaves the other kinds alone', () => {
    const sim = new MeshSimulator({
      seed: 7,
      topology: { kind: 'geometric', nodes: 20 },
      worldChange: CHANGE,
    });
    const fault = sim.inject({
      kind: 'congestion',
      target: { node: 'n3' },
      start: 700,
      duration: 900,
      severity: 0.8,
    });
    while (sim.now <= 700) sim.tick();
    const ticket = sim.apply({ kind: 'rate-limit', target: { node: 'n3' } });
    while (ticket.status === 'running') sim.tick();
    expect(ticket.status).toBe('succeeded');
    expect(ticket.healed).toEqual([fault.id]);
  });

  it('without a change, heals as before', () => {
    expect(heals('rollback-config', 700)).toBe(true);
    expect(heals('failover', 700)).toBe(false);
  });

  it('refuses a change it cannot make, naming the field', () => {
    const make = (worldChange: unknown) => () =>
      new MeshSimulator({
        seed: 1,
        topology: { kind: 'geometric', nodes: 20 },
        worldChange: worldChange as WorldChange,
      });
    const field = (worldChange: unknown) => {
      try {
        make(worldChange)();
      } catch (error) {
        expect(error).toBeInstanceOf(ArgumentError);
        return (error as ArgumentError).message;
      }
      throw new Error('accepted');
    };
    expect(field({ ...CHANGE, atTick: -1 })).toMatch(/options\.worldChange\.atTick/);
    expect(field({ ...CHANGE, kind: 'meteor' })).toMatch(/options\.worldChange\.kind/);
    expect(field({ ...CHANGE, stops: 'scale-up' })).toMatch(/options\.worldChange\.stops.*does not heal/);
    expect(field({ ...CHANGE, starts: 'rollback-config', stops: 'rollback-config' })).toMatch(
      /options\.worldChange\.starts.*already heals/,
    );
    expect(
      field({ ...CHANGE, kind: 'link-degradation', stops: 'reroute', starts: 'restart-service' }),
    ).toMatch(/options\.worldChange\.starts.*acts on a node/);
    expect(field(null)).toMatch(/options\.worldChange/);
  });
});
