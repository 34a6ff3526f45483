import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCommand } from '../src/cli/run.ts';
import type { Target } from '../src/domain/targets.ts';
import { ArgumentError } from '../src/errors.ts';
import { CHANGE_GRACE_TICKS } from '../src/loop/loop.ts';
import { MeshLoop } from '../src/run/mesh-loop.ts';
import { quietly } from './quietly.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'x0-messy-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

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

describe('x0tta6bl4 run in a messy world', () => {
  it('runs overlapping faults with planned changes and lossy telemetry on a grid, and counts actions against changes', async () => {
    const out = join(dir, 'messy.json');
    const args = ['--nodes', '16', '--hours', '0.4', '--overlap', '--fault-rate', '3', '--changes', '4'];
    const run = await quietly(() =>
      runCommand([
        ...args,
        '--telemetry-loss',
        '0.05',
        '--topology',
        'grid',
        '--quiet',
        '--out',
        out,
        '--audit',
        join(dir, 'a.json'),
      ]),
    );
    expect(run.code).toBe(0);
    const report = JSON.parse(readFileSync(out, 'utf8'));
    expect(report.overall.injected).toBeGreaterThan(10);
    expect(report.overall.actionsOnPlannedChanges).toBe(0);
    expect(report.nodes).toBe(16);
  }, 60_000);

  it('fits the default faults per kind in a short run, and refuses --faults with --overlap', async () => {
    const out = join(dir, 'short.json');
    const short = await quietly(() =>
      runCommand(['--nodes', '5', '--hours', '0.5', '--quiet', '--out', out, '--audit', join(dir, 'b.json')]),
    );
    expect(short.code).toBe(0);
    expect(JSON.parse(readFileSync(out, 'utf8')).overall.injected).toBe(9);
    const both = await quietly(() => runCommand(['--overlap', '--faults', '2']));
    expect(both.code).toBe(2);
    expect(both.out).toMatch(/--faults: does not go with --overlap/);
    const changes = await quietly(() => runCommand(['--changes', '2']));
    expect(changes.code).toBe(2);
    expect(changes.out).toMatch(/--changes: needs --overlap/);
  }, 60_000);
});
