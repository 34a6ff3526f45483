import { describe, expect, it } from 'vitest';
import type { Target } from '../src/domain/targets.ts';
import { ArgumentError } from '../src/errors.ts';
import { CHANGE_GRACE_TICKS } from '../src/loop/loop.ts';
import { MeshLoop } from '../src/run/mesh-loop.ts';

/** A quiet 40-node mesh (no faults) and what the loop does on it. */
async function quietMesh() {
  const mesh = await MeshLoop.create({ nodes: 40, seed: 3, faultsPerKind: 0 });
  const actions: Array<{ ts: number; target: Target }> = [];
  const escalations: string[] = [];
  mesh.loop.on('action-started', (e) => actions.push({ ts: e.ts, target: e.action.target }));
  mesh.loop.on('escalation', (e) => escalations.push(e.reason));
  return { mesh, actions, escalations };
}

/** The busiest relay: the node that is not a gateway most others forward through. */
function relayOf(mesh: MeshLoop): string {
  const { topology, routes } = mesh.sim;
  const counts = new Map<number, number>();
  for (const hop of routes.nextHop) if (hop >= 0) counts.set(hop, (counts.get(hop) ?? 0) + 1);
  const [index] = [...counts].filter(([i]) => !topology.isGateway[i]).sort((a, b) => b[1] - a[1])[0];
  return topology.nodeIds[index];
}

const touches = (target: Target, nodes: readonly string[]) =>
  (target.node !== undefined ? [target.node] : target.link).some((n) => nodes.includes(n));

describe('planned changes and silent agents in a run', () => {
  it('takes no action against an announced maintenance, and acts when it is not announced', async () => {
    const run = async (announce: boolean) => {
      const { mesh, actions, escalations } = await quietMesh();
      const node = relayOf(mesh);
      const change = mesh.sim.plan({ kind: 'maintenance', nodes: [node], start: 900, duration: 300 });
      if (announce)
        mesh.loop.announceChange({ id: 'CHG-1', nodes: [node], from: change.start, until: change.end });
      for (let t = 0; t < 1400; t++) await mesh.step();
      await mesh.loop.close();
      const t = mesh.sim.topology;
      const around = [node, ...t.neighbors(t.nodeIndex(node)).map((i) => t.nodeIds[i])];
      const during = actions.filter(
        (a) => a.ts >= change.start && a.ts < change.end + CHANGE_GRACE_TICKS && touches(a.target, around),
      );
      return { during, escalations };
    };
    const announced = await run(true);
    expect(announced.during).toEqual([]);
    expect(announced.escalations.some((r) => r.includes('announced change CHG-1'))).toBe(true);
    const unannounced = await run(false);
    expect(unannounced.during.length).toBeGreaterThan(0);
  }, 60_000);

  it('refuses an announcement of an unknown node or backward times', async () => {
    const { mesh } = await quietMesh();
    expect(() => mesh.loop.announceChange({ id: 'x', nodes: ['nope'], from: 0, until: 10 })).toThrow(
      ArgumentError,
    );
    const node = mesh.sim.topology.nodeIds[0];
    expect(() => mesh.loop.announceChange({ id: 'x', nodes: [node], from: 10, until: 5 })).toThrow(/until/);
    await mesh.loop.close();
  });

  it('does not act on a node whose agent went silent but which answers: it goes to a human', async () => {
    const mesh = await MeshLoop.create({
      nodes: 40,
      seed: 3,
      faultsPerKind: 0,
      world: { telemetry: { silenceRate: 2, silenceTicks: [200, 400] } },
    });
    const actions: Array<{ ts: number; target: Target }> = [];
    const escalations: string[] = [];
    mesh.loop.on('action-started', (e) => actions.push({ ts: e.ts, target: e.action.target }));
    mesh.loop.on('escalation', (e) => escalations.push(e.reason));
    for (let t = 0; t < 1800; t++) await mesh.step();
    await mesh.loop.close();
    const silences = mesh.telemetry!.silences();
    expect(silences.length).toBeGreaterThan(3);
    expect(escalations.some((r) => r.includes('its agent failed'))).toBe(true);
    const onSilent = actions.filter((a) =>
      silences.some((s) => touches(a.target, [s.node]) && a.ts >= s.start && a.ts < s.end),
    );
    expect(onSilent).toEqual([]);
  }, 60_000);
});
