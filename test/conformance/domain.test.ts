import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ACTION_KINDS,
  ACTION_NAMES,
  ACTIONS,
  actionScope,
  FAULT_KINDS,
  FAULT_SCOPE,
  isActionKind,
  isActionName,
  isFaultKind,
  OPERATOR_ACTION_KINDS,
  OPERATOR_ACTIONS,
} from '../../src/domain/index.ts';
import {
  checkTarget,
  linkTarget,
  nodeTarget,
  parseTarget,
  printTarget,
  sameTarget,
  type Target,
  targetKey,
  targetNodes,
  targetScope,
} from '../../src/domain/targets.ts';
import { ArgumentError } from '../../src/errors.ts';
import { DEFAULT_ACTIONS } from '../../src/plan/actions.ts';
import { RUNBOOKS } from '../../src/rag/runbooks.generated.ts';
import { ACTION_EFFECTS, MeshSimulator, SIM_FAULT_KINDS } from '../../src/sim/index.ts';

describe('the vocabulary', () => {
  it('names each fault kind and action once, and the engine and operator actions apart', () => {
    expect(new Set(FAULT_KINDS).size).toBe(FAULT_KINDS.length);
    expect(new Set(ACTION_NAMES).size).toBe(ACTION_NAMES.length);
    expect(ACTION_NAMES).toEqual([...ACTION_KINDS, ...OPERATOR_ACTION_KINDS]);
    expect(Object.keys(FAULT_SCOPE).sort()).toEqual([...FAULT_KINDS].sort());
    expect(Object.keys(ACTIONS)).toEqual([...ACTION_KINDS]);
    expect(Object.keys(OPERATOR_ACTIONS)).toEqual([...OPERATOR_ACTION_KINDS]);
    for (const name of ACTION_NAMES) expect(['node', 'link', 'any']).toContain(actionScope(name));
    expect(isFaultKind('partition') && !isFaultKind('toString') && !isFaultKind(3)).toBe(true);
    expect(isActionKind('reroute') && !isActionKind('fix-mtu') && isActionName('fix-mtu')).toBe(true);
    expect(isActionName('hasOwnProperty')).toBe(false);
    for (const a of Object.values(ACTIONS)) {
      expect(Number.isInteger(a.duration) && a.duration >= 1).toBe(true);
      expect(a.cost >= 1 && a.cost <= 10).toBe(true);
      expect(a.failureProbability > 0 && a.failureProbability < 1).toBe(true);
      expect(Number.isInteger(a.holdTicks) && a.holdTicks >= 0).toBe(true);
    }
  });

  it("holds every shipped runbook's faults and actions", () => {
    for (const r of RUNBOOKS) {
      for (const f of r.faults)
        expect({ runbook: r.id, fault: f, known: isFaultKind(f) }).toMatchObject({ known: true });
      for (const a of r.actions)
        expect({ runbook: r.id, action: a, known: isActionName(a) }).toMatchObject({ known: true });
    }
  });

  it("agrees with the planner's default catalogue", () => {
    expect(DEFAULT_ACTIONS.map((a) => a.name)).toEqual([...ACTION_KINDS]);
    for (const spec of DEFAULT_ACTIONS) {
      const a = ACTIONS[spec.name as keyof typeof ACTIONS];
      expect(spec).toMatchObject({ scope: a.scope, duration: a.duration, cost: a.cost / 10 });
      expect(spec.risk).toBeCloseTo(a.failureProbability + (a.holdTicks > 0 ? 0.1 : 0));
      expect(spec.lapsesAfter).toBe(a.holdTicks > 0 ? a.holdTicks : undefined);
      expect(spec.stopgapOn).toBe(a.stopgapOn);
      expect(spec.detours).toBe(a.detours);
      expect(spec.isolates).toBe(a.isolates);
    }
    // The simulator's value, which the planner once had as 5.
    expect(DEFAULT_ACTIONS.find((a) => a.name === 'rollback-config')!.duration).toBe(10);
  });

  it('agrees with the simulator: its kinds, where its faults live, what its actions heal, take and cost', () => {
    for (const kind of SIM_FAULT_KINDS) expect(isFaultKind(kind)).toBe(true);
    expect(Object.keys(ACTION_EFFECTS)).toEqual([...ACTION_KINDS]);
    for (const kind of ACTION_KINDS) {
      const { heals } = ACTION_EFFECTS[kind];
      const scope = ACTIONS[kind].scope;
      expect(Object.keys(heals).sort()).toEqual(scope === 'any' ? ['link', 'node'] : [scope]);
      for (const type of ['node', 'link'] as const)
        for (const fault of heals[type] ?? [])
          expect({ kind, fault, lives: FAULT_SCOPE[fault] }).toEqual({ kind, fault, lives: type });
    }
    const sim = new MeshSimulator({ seed: 4, topology: { kind: 'grid', nodes: 9 }, noise: 0 });
    const on = (type: 'node' | 'link'): Target =>
      type === 'node' ? sim.topology.nodeTarget(4) : sim.topology.linkTarget(0);
    for (const kind of SIM_FAULT_KINDS) {
      const other = FAULT_SCOPE[kind] === 'node' ? 'link' : 'node';
      expect(() => sim.inject({ kind, target: on(other), start: 1 })).toThrow(ArgumentError);
    }
    for (const [i, kind] of ACTION_KINDS.entries()) {
      const scope = ACTIONS[kind].scope;
      const target = scope === 'link' ? sim.topology.linkTarget(i) : sim.topology.nodeTarget(i);
      const ticket = sim.apply({ kind, target });
      expect(ticket.completes - ticket.issued).toBe(ACTIONS[kind].duration);
      expect(ticket.cost).toBe(ACTIONS[kind].cost);
      if (scope === 'node')
        expect(() => sim.check({ kind, target: sim.topology.linkTarget(i) })).toThrow(/acts on a node/);
    }
  });
});

describe('targets', () => {
  const nodes = new Set(['n1', 'n2', 'edge-1', 'edge-2', 'a', 'a-b', 'b-c', 'c']);
  const isNode = (id: string) => nodes.has(id);

  it('print, parse, compare and key nodes and links, whatever their ids hold', () => {
    expect(printTarget(nodeTarget('edge-1'))).toBe('edge-1');
    expect(printTarget(linkTarget('edge-1', 'edge-2'))).toBe('edge-1-edge-2');
    expect(parseTarget('edge-1', isNode)).toEqual({ node: 'edge-1' });
    expect(parseTarget('edge-1-edge-2', isNode)).toEqual({ link: ['edge-1', 'edge-2'] });
    expect(parseTarget('n1-n2', isNode)).toEqual({ link: ['n1', 'n2'] });
    expect(() => parseTarget('a-b-c', isNode)).toThrow(
      /ambiguous: it reads as link a to b-c or as link a-b to c/,
    );
    expect(() => parseTarget('n1-n9', isNode, 'request.target')).toThrow(
      /request\.target: "n1-n9" is neither/,
    );
    expect(() => parseTarget('', isNode)).toThrow(ArgumentError);
    expect(targetScope(nodeTarget('a-b'))).toBe('node');
    expect(targetNodes(linkTarget('a', 'b-c'))).toEqual(['a', 'b-c']);
    expect(sameTarget(linkTarget('a', 'b'), linkTarget('b', 'a'))).toBe(true);
    expect(sameTarget(nodeTarget('a-b'), linkTarget('a', 'b'))).toBe(false);
    expect(sameTarget(nodeTarget('a'), nodeTarget('a'))).toBe(true);
    expect(targetKey(linkTarget('a', 'b'))).toBe(targetKey(linkTarget('b', 'a')));
    expect(targetKey(nodeTarget('a-b'))).not.toBe(targetKey(linkTarget('a', 'b')));
  });

  it('round-trip through their printed form, or refuse a reading that is not unique', () => {
    const id = fc.stringMatching(/^[a-z0-9]{1,3}(-[a-z0-9]{1,3}){0,2}$/);
    fc.assert(
      fc.property(
        fc.uniqueArray(id, { minLength: 2, maxLength: 8 }),
        fc.nat(),
        fc.nat(),
        fc.boolean(),
        (ids, i, j, asLink) => {
          const known = new Set(ids);
          const a = ids[i % ids.length];
          const b = ids[(i + 1 + (j % (ids.length - 1))) % ids.length];
          const target = asLink ? linkTarget(a, b) : nodeTarget(a);
          const text = printTarget(target);
          let parsed: Target;
          try {
            parsed = parseTarget(text, (x) => known.has(x));
          } catch (error) {
            // Only ids with dashes can make a printed form ambiguous.
            return (
              error instanceof ArgumentError && /ambiguous/.test(error.message) && text.split('-').length > 2
            );
          }
          return JSON.stringify(parsed) === JSON.stringify(target) && sameTarget(parsed, target);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('are checked for shape, naming the argument', () => {
    expect(checkTarget({ node: 'x' })).toEqual({ node: 'x' });
    expect(checkTarget({ link: ['x', 'y'] })).toEqual({ link: ['x', 'y'] });
    const bad: [unknown, RegExp][] = [
      [null, /^t: expected \{ node: id \} or \{ link: \[a, b\] \}/],
      ['n1', /^t: expected/],
      [{ node: 'x', link: ['x', 'y'] }, /^t: give either node or link/],
      [{ node: '' }, /^t\.node: expected a non-empty id/],
      [{ link: 'x-y' }, /^t\.link: expected two non-empty node ids/],
      [{ link: ['x'] }, /^t\.link: expected two/],
      [{ link: ['x', 'x'] }, /^t\.link: a link joins two nodes/],
      [{}, /^t\.link: expected two/],
    ];
    for (const [value, message] of bad) {
      expect(() => checkTarget(value, 't')).toThrow(ArgumentError);
      expect(() => checkTarget(value, 't')).toThrow(message);
    }
  });
});
