import { describe, expect, it } from 'vitest';
import type { ActionRequest } from '../../src/execute/executor.ts';
import { SimulatorExecutor } from '../../src/run/sim-executor.ts';
import { buildTopology, MeshSimulator, type Topology } from '../../src/sim/index.ts';

/** A 3x3 grid whose nodes carry dashed names, as real inventories do: edge-0 .. edge-8. */
function dashedGrid(): Topology {
  const t = buildTopology({ kind: 'grid', nodes: 9, gateways: 1 }, 5);
  return t.withNodeIds(t.nodeIds.map((_, i) => `edge-${i}`));
}

/** Applies `request` and ticks the simulator until the executor settles it. */
async function run(sim: MeshSimulator, executor: SimulatorExecutor, request: ActionRequest) {
  const done = executor.apply(request);
  let settled = false;
  void done.then(() => (settled = true));
  for (let t = 0; t < 100 && !settled; t++) {
    sim.tick();
    executor.settle();
    await Promise.resolve();
  }
  return done;
}

const request = (action: string, target: ActionRequest['target']): ActionRequest => ({
  id: 'act-1',
  incidentId: 'inc-1',
  action,
  target,
});

describe('SimulatorExecutor', () => {
  it('acts on a node named edge-1 as a node', async () => {
    const sim = new MeshSimulator({ seed: 2, topology: dashedGrid(), noise: 0 });
    const fault = sim.inject({ kind: 'bad-config', target: { node: 'edge-1' }, start: 1 });
    sim.tick();
    sim.tick();
    const executor = new SimulatorExecutor(sim);
    expect(await executor.dryRun(request('rollback-config', { node: 'edge-1' }))).toEqual({ ok: true });
    expect(await run(sim, executor, request('rollback-config', { node: 'edge-1' }))).toEqual({ ok: true });
    const [ticket] = sim.actions();
    expect(ticket.action.target).toEqual({ node: 'edge-1' });
    expect(ticket.healed).toEqual([fault.id]);
    expect(sim.isFaulty({ node: 'edge-1' })).toBe(false);
  });

  it('acts on the link between edge-1 and edge-2 as a link, its ends in either order', async () => {
    const sim = new MeshSimulator({ seed: 2, topology: dashedGrid(), noise: 0 });
    const fault = sim.inject({ kind: 'link-degradation', target: { link: ['edge-1', 'edge-2'] }, start: 1 });
    sim.tick();
    const executor = new SimulatorExecutor(sim);
    expect(await run(sim, executor, request('failover', { link: ['edge-2', 'edge-1'] }))).toEqual({
      ok: true,
    });
    expect(sim.actions()[0].healed).toEqual([fault.id]);
    expect(sim.topology.linkIds).toContain('edge-1-edge-2');
  });

  it('dry runs refuse, naming what is wrong, and apply nothing', async () => {
    const sim = new MeshSimulator({ seed: 2, topology: dashedGrid(), noise: 0 });
    const executor = new SimulatorExecutor(sim);
    const refusals: Array<[ActionRequest, RegExp]> = [
      [request('reboot-universe', { node: 'edge-1' }), /action\.kind/],
      [request('restart-service', { node: 'edge-99' }), /unknown node id "edge-99"/],
      [request('scale-up', { link: ['edge-1', 'edge-2'] }), /scale-up acts on a node, not a link/],
      [request('failover', { link: ['edge-0', 'edge-8'] }), /not neighbours/],
    ];
    for (const [r, reason] of refusals) {
      const verdict = await executor.dryRun(r);
      expect(verdict.ok).toBe(false);
      expect(verdict.reason).toMatch(reason);
      expect(await executor.apply(r)).toEqual(verdict);
    }
    expect(sim.actions()).toEqual([]);
  });

  it('rolls back what lasts and says why it cannot undo the rest', async () => {
    const sim = new MeshSimulator({ seed: 2, topology: dashedGrid(), noise: 0 });
    const executor = new SimulatorExecutor(sim);
    const quarantine = request('quarantine-node', { node: 'edge-4' });
    expect(await run(sim, executor, quarantine)).toEqual({ ok: true });
    expect(await executor.rollback(quarantine)).toEqual({ ok: true });
    const restart = await executor.rollback(request('restart-service', { node: 'edge-4' }));
    expect(restart.ok).toBe(false);
    expect(restart.reason).toMatch(/no lasting effect/);
  });
});
